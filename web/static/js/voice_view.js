// The voice panel: the Talk button starts and ends a VoiceSession; each
// spoken turn shows the live transcript, the answer's words, how much of
// its audio arrived and was heard (and where it was interrupted), and the
// server's prism.turn.timing.
import { h, replaceChildren } from './dom.js';
import * as format from './format.js';
import { VoiceSession } from './voice_session.js';

const STATUS = {
  connecting: 'Connecting…',
  listening: 'Listening — speak when you are ready',
  hearing: 'Hearing you…',
  answering: 'Answering…',
  closed: 'Voice ended',
};

// Stages of prism.turn.timing.timeline_ms, in order, as people say them.
const STAGES = [
  ['turn_detected', 'turn detected'],
  ['final_transcript', 'transcript'],
  ['request_sent', 'model asked'],
  ['first_token', 'first token'],
  ['first_clause', 'first clause'],
  ['first_audio_sent', 'first audio sent'],
];

export class VoiceView {
  // getOptions() -> { model, apiKey, instructions }
  constructor({ button, panel, getOptions }) {
    this.button = button;
    this.panel = panel;
    this.getOptions = getOptions;
    this.session = null;
    this.statusLine = panel.querySelector('.voice-status');
    this.meter = panel.querySelector('.voice-level > span');
    this.turnList = panel.querySelector('.voice-turns');
    this.errorList = panel.querySelector('.voice-errors');
    button.addEventListener('click', () => (this.session ? this.stop() : this.start()));
    panel.querySelector('.voice-close').addEventListener('click', () => { this.stop(); panel.hidden = true; });
  }

  async start() {
    const options = this.getOptions();
    this.panel.hidden = false;
    replaceChildren(this.errorList);
    replaceChildren(this.turnList);
    if (!options.model) {
      this.errorList.append(h('li', { role: 'alert' }, 'Choose a model first: the answers come from the model picked above.'));
      return;
    }
    const session = new VoiceSession({ ...options, onChange: (s) => this.render(s) });
    this.session = session;
    this.button.setAttribute('aria-pressed', 'true');
    try {
      await session.start();
    } catch (e) {
      this.session = null;
      this.button.setAttribute('aria-pressed', 'false');
      this.render(session);
      this.errorList.append(h('li', { role: 'alert' }, `Voice could not start: ${e.message}`));
    }
  }

  async stop() {
    const session = this.session;
    this.session = null;
    this.button.setAttribute('aria-pressed', 'false');
    await session?.stop();
  }

  render(session) {
    if (session.status === 'closed' && this.session === session) {
      this.session = null;
      this.button.setAttribute('aria-pressed', 'false');
    }
    this.panel.dataset.status = session.status;
    replaceChildren(this.statusLine, STATUS[session.status] ?? session.status);
    this.meter.style.width = `${Math.min(100, Math.round(session.level * 400))}%`;
    replaceChildren(this.turnList, session.turns.filter((t) => t.userText || t.responseId).map((t) => turnItem(session, t)));
    replaceChildren(this.errorList, session.errors.map((e) => h('li', { role: 'alert' }, e)));
    this.turnList.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }
}

function turnItem(session, turn) {
  const heard = session.heardMs(turn);
  const audio = turn.receivedMs
    ? `answer audio: ${format.ms(turn.receivedMs)} received, ${format.ms(heard)} heard` +
      (turn.interrupted ? ` — interrupted, the server keeps ${format.ms(turn.truncatedMs ?? turn.heardMs)}` : '')
    : null;
  return h('li', { class: 'voice-turn', dataset: { status: turn.status ?? '', interrupted: turn.interrupted ? 'true' : 'false' } },
    h('p', { class: 'said user' }, h('strong', {}, 'You: '), h('span', { class: 'transcript' }, turn.userText || '…'),
      turn.userFinal ? null : h('span', { class: 'muted' }, ' (live)')),
    turn.responseId ? h('p', { class: 'said assistant' }, h('strong', {}, 'Answer: '),
      h('span', { class: 'answer-transcript' }, turn.answerText || '…')) : null,
    audio ? h('p', { class: 'audio-figures muted' }, audio) : null,
    turn.failure ? h('p', { class: 'notice error' }, turn.failure) : null,
    turn.timing ? timingLine(turn.timing) : null);
}

function timingLine(timing) {
  const timeline = timing.timeline_ms ?? {};
  const origin = timeline.speech_end !== undefined ? 'end of speech' : 'turn detected';
  const steps = STAGES.filter(([key]) => timeline[key] !== undefined)
    .map(([key, label]) => `${label} ${format.ms(timeline[key])}`);
  const headline = timing.speech_end_to_first_audio_ms ?? timing.turn_detected_to_first_audio_ms;
  return h('p', { class: 'turn-timing' },
    h('strong', {}, `First audio ${format.ms(headline)} after the ${origin}`),
    steps.length ? ` (${steps.join(' · ')}${timing.speculative ? ' · started speculatively' : ''})` : null);
}
