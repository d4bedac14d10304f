// Realtime voice latency: a scripted client talks to prism's /v1/realtime over
// loopback like a microphone would. Everyday questions synthesized by prism's
// own /v1/audio/speech (Flite) are streamed IN REAL TIME as 20 ms PCM16 24 kHz
// frames, with silence before each sentence and silence sent all the while the
// client waits for the answer. Per turn it measures:
//   (a) end of turn detected -> first audio byte: the server's own figure
//       (prism.turn.timing turn_detected_to_first_audio_ms) and the client's
//       (arrival of input_audio_buffer.speech_stopped -> arrival of the first
//       response.output_audio.delta of the answer);
//   (b) true end of speech -> first audio byte: the last sample of the clip
//       above an amplitude threshold, at the wall time it was "spoken" in the
//       real-time schedule (frame n, covering mic time [20n, 20n+20) ms, goes
//       out once captured, at start + 20(n+1) ms), to the arrival of the
//       first audio delta of the answer. This is what the user waits.
// plus when speech_stopped arrives after the true end of speech (the
// detection window and any input backlog), turns answered / lost (no
// completed response with audio), turns the detector committed in pieces,
// cancelled responses, speculative answers (timing.speculative) and the
// transcript's word error rate against the sentence.
//
//   PRISM_BIN=build/src/cli/prism node bench/voice/latency.mjs             # both brains x 4 presets, 20 turns each (~9 min)
//   PRISM_BIN=build/src/cli/prism node bench/voice/latency.mjs --quick     # 5 turns per config (~2.5 min)
//   PRISM_BIN=build/src/cli/prism node bench/voice/latency.mjs --capacity  # upstream brain, 1-16 sessions at once (~5 min)
//   PRISM_BIN=build/src/cli/prism node bench/voice/latency.mjs --pauses --brain upstream  # false turn ends on paused sentences
//
// Capacity (--capacity or --sessions): N sessions talk at once, their starts
// staggered over one turn; each speaks max(ceil(turns/N), min(turns, 8))
// sentences; the report says at which N the p95 of (b) first exceeds twice
// its 1-session value. The client shares the machine's cores with prism
// (and, on a shared machine, with everyone else): its CPU use, prism's and
// the load average are reported beside each level.
//
// Options: --turns N (default 20), --runs R (default 1), --brain upstream|engine|both,
// --vad default,server_vad:500,server_vad:200,semantic_vad:high,semantic_vad:auto ('default'
// sends no turn_detection), --pauses (--seed S for the pauses),
// --sessions 1,2,4 (concurrency sweep), --max-tokens 24, --models-dir DIR
// (the engine's random-weight 256M checkpoint is generated there once with
// `prism gen-checkpoint`; default <build>/bench-voice-models), --json FILE (raw turns).
// PRISM_BIN defaults to build/src/cli/prism; run `npm ci` in tests/e2e first.
// Progress (one line per turn) goes to stderr, the markdown tables to stdout.
//
// Each turn is answered from a fresh context: the bench deletes the turn's two
// items after its answer, so the 20th turn's prompt is as long as the first's.
// The first turn of each prism process (all sessions at once in the sweep) is
// a warm-up and is not counted.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prismBin, startPrism } from '../../tests/e2e/lib/prism.mjs';
import { FakeUpstream, upstreamModel } from '../../tests/e2e/lib/upstream.mjs';
import { nextEvent, realtimeClient, sleep, speak, wordErrorRate } from '../../tests/e2e/lib/voice.mjs';

// ------------------------------------------------------------------ options
const argv = process.argv.slice(2);
const usage = (message) => {
  console.error(`${message}\nusage: node bench/voice/latency.mjs [--quick] [--capacity] [--turns N] [--runs R] [--brain upstream|engine|both]\n` +
    '  [--vad default,server_vad:500,server_vad:200,semantic_vad:high,semantic_vad:auto] [--sessions 1,2,4,6,8]\n' +
    '  [--pauses] [--seed S] [--max-tokens 24] [--models-dir DIR] [--json FILE]');
  process.exit(2);
};
const has = (name) => argv.includes(`--${name}`);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) usage(`--${name} needs a value`);
  return argv[i + 1];
};
const known = new Set(['turns', 'runs', 'brain', 'vad', 'sessions', 'capacity', 'quick', 'max-tokens', 'models-dir', 'json', 'help', 'pauses', 'seed']);
for (const a of argv) if (a.startsWith('--') && !known.has(a.slice(2))) usage(`unknown option ${a}`);
if (has('help')) usage('Realtime voice latency benchmark (see the header of bench/voice/latency.mjs).');
const positiveInt = (name, text) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usage(`--${name} expects a positive integer, got "${text}"`);
  return n;
};
const capacity = has('capacity') || has('sessions');
// --pauses: sentences spoken with thinking pauses of 300-700 ms between their
// phrases; a turn the detector ends at a pause is a false turn end.
const pauses = has('pauses');
const seed = positiveInt('seed', opt('seed', '1'));
const quick = has('quick');
const turns = positiveInt('turns', opt('turns', quick ? '5' : '20'));
const runs = positiveInt('runs', opt('runs', '1'));
const maxTokens = positiveInt('max-tokens', opt('max-tokens', '24'));
const brainArg = opt('brain', capacity ? 'upstream' : 'both');
if (!['upstream', 'engine', 'both'].includes(brainArg)) usage(`--brain: upstream, engine or both, got "${brainArg}"`);
const brains = brainArg === 'both' ? ['upstream', 'engine'] : [brainArg];
// 'default' sends no turn_detection: what a client that sets nothing gets.
const PRESETS = {
  default: null,
  'server_vad:500': { type: 'server_vad', silence_duration_ms: 500 },
  'server_vad:200': { type: 'server_vad', silence_duration_ms: 200 },
  'semantic_vad:high': { type: 'semantic_vad', eagerness: 'high' },
  'semantic_vad:auto': { type: 'semantic_vad', eagerness: 'auto' },
};
const vads = opt('vad', capacity ? 'default' : Object.keys(PRESETS).join(',')).split(',');
for (const v of vads) if (!(v in PRESETS)) usage(`--vad: unknown preset "${v}" (${Object.keys(PRESETS).join(', ')})`);
const sessionCounts = capacity
  ? opt('sessions', quick ? '1,2,4' : '1,2,4,6,8,12,16').split(',').map((s) => positiveInt('sessions', s))
  : [1];
if (sessionCounts.some((n) => n > 16)) usage('--sessions: at most 16');
// Above 8, speakers share the recogniser pool's 8 decoders (RecognizerConfig::max_decoders): an utterance may wait for one.
const modelsDir = opt('models-dir', path.resolve(path.dirname(prismBin), '..', '..', 'bench-voice-models'));
const jsonOut = opt('json', null);

// ------------------------------------------------------------------ audio
const RATE = 24000;
const FRAME_MS = 20;
const FRAME_BYTES = (RATE / 1000) * FRAME_MS * 2;  // 960: 20 ms of PCM16 mono 24 kHz
const LOUD = 300;       // |sample| above this is speech (about -40 dBFS)
const LEAD_MS = 400;    // silence before each sentence
const SILENCE_FRAME = Buffer.alloc(FRAME_BYTES).toString('base64');
const SENTENCES = [
  'What is the weather like today',
  'Can you set a timer for ten minutes',
  'What time does the bakery open',
  'How do I boil an egg',
  'Remind me to call my mother tonight',
  'What is the capital of France',
  'Can you play some quiet music',
  'How far is it to the station',
  'What should I cook for dinner',
  'Turn off the lights in the kitchen',
];
const UPSTREAM_REPLY = 'Sure, here is a short answer. I hope it helps.';

// A clip: base64 frames plus where speech ends in it (ms).
async function prepareClip(prism, text) {
  const raw = await speak(prism, text);
  const pcm = Buffer.concat([raw, Buffer.alloc((FRAME_BYTES - (raw.length % FRAME_BYTES)) % FRAME_BYTES)]);
  let last = -1;
  for (let i = 0; i < pcm.length / 2; i++) if (Math.abs(pcm.readInt16LE(i * 2)) > LOUD) last = i;
  if (last < 0) throw new Error(`the speech for "${text}" is silent`);
  let first = 0;
  while (Math.abs(pcm.readInt16LE(first * 2)) <= LOUD) first++;
  const frames = [];
  for (let off = 0; off < pcm.length; off += FRAME_BYTES) frames.push(pcm.subarray(off, off + FRAME_BYTES).toString('base64'));
  return { text, frames, speechStartMs: (first / RATE) * 1000, speechEndMs: ((last + 1) / RATE) * 1000, durationMs: frames.length * FRAME_MS };
}

// Sentences as people say them when they think while speaking: the phrases
// ('|') with a pause between them. Chosen for natural hesitation points, not
// for what the detector gets right.
const PAUSED_SENTENCES = [
  'I would like to book | a table for two | tomorrow at eight',
  'Can you remind me to | call the dentist | on Monday morning',
  'What is the best way | to get to the airport',
  'I am looking for | a cheap hotel | near the station',
  'Could you tell me | how long it takes | to drive to Boston',
  'Set an alarm for | six thirty | tomorrow morning',
  'My daughter wants to know | why the sky is blue',
  'I was wondering if | you could help me | with my homework',
  'Play something | relaxing | for the evening',
  'How much does it cost | to send a letter | to France',
];

// A small seeded generator (mulberry32), so that a run's pauses can be repeated.
function random(seedValue) {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Each paused sentence twice, with fresh pauses of 300-700 ms of silence
// between its phrases (each phrase synthesized alone).
async function preparePausedClips(prism) {
  const rand = random(seed);
  const out = [];
  for (let round = 0; round < 2; round++) {
    for (const sentence of PAUSED_SENTENCES) {
      const phrases = await Promise.all(sentence.split('|').map((p) => prepareClip(prism, p.trim())));
      const frames = [];
      const pausesMs = [];
      let speechEndMs = 0;
      phrases.forEach((clip, i) => {
        if (i) {
          const pauseMs = 300 + Math.round((rand() * 400) / FRAME_MS) * FRAME_MS;
          pausesMs.push(pauseMs);
          // Silence between the phrases' speech: the previous clip's silent
          // tail, the frames added here, and this clip's silent lead.
          const around = phrases[i - 1].durationMs - phrases[i - 1].speechEndMs + clip.speechStartMs;
          const silent = Math.max(0, pauseMs - around);
          for (let k = 0; k < silent / FRAME_MS; k++) frames.push(SILENCE_FRAME);
        }
        speechEndMs = frames.length * FRAME_MS + clip.speechEndMs;
        frames.push(...clip.frames);
      });
      out.push({ text: sentence.replaceAll(' |', ''), frames, speechEndMs, durationMs: frames.length * FRAME_MS, pausesMs });
    }
  }
  return out;
}

// A microphone on a real-time clock: frame n (mic time [20n, 20n+20) ms) is
// sent at origin + 20(n+1) ms, from the queue or silence; late ticks catch
// up, so the stream never drifts from real time.
class Microphone {
  constructor(rt) { this.rt = rt; this.queue = []; this.sent = 0; this.lags = []; this.stopped = false; }
  start() { this.origin = performance.now(); this.tick(); }
  stop() { this.stopped = true; clearTimeout(this.timer); }
  tick() {
    if (this.stopped) return;
    const now = performance.now();
    while (this.origin + (this.sent + 1) * FRAME_MS <= now) {
      this.lags.push(now - (this.origin + (this.sent + 1) * FRAME_MS));
      this.rt.send({ type: 'input_audio_buffer.append', audio: this.queue.length ? this.queue.shift() : SILENCE_FRAME });
      this.sent++;
    }
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.origin + (this.sent + 1) * FRAME_MS - performance.now()));
  }
  // Queues `leadMs` of silence then the clip; returns the clip's mic time (ms).
  play(clip, leadMs) {
    for (let i = 0; i < leadMs / FRAME_MS; i++) this.queue.push(SILENCE_FRAME);
    const at = (this.sent + this.queue.length) * FRAME_MS;
    this.queue.push(...clip.frames);
    return at;
  }
  wallAt(micMs) { return this.origin + micMs; }
}

// ------------------------------------------------------------------ one session
class VoiceSession {
  constructor(prism, label) { this.prism = prism; this.label = label; this.events = []; this.waiters = new Set(); }

  async open(vad, brainTimeoutMs) {
    this.timeoutMs = brainTimeoutMs;
    this.silenceMs = PRESETS[vad]?.silence_duration_ms ?? 500;
    this.rt = realtimeClient(this.prism);
    this.rt.on('event', (ev) => {
      this.events.push({ ev, at: performance.now() });
      for (const w of [...this.waiters]) w();
    });
    this.rt.on('error', () => { /* counted from `events` */ });
    await nextEvent(this.rt, 'session.created');
    const answer = new Promise((resolve) => {
      const on = (ev) => { if (ev.type === 'session.updated' || ev.type === 'error') { this.rt.off('event', on); resolve(ev); } };
      this.rt.on('event', on);
    });
    this.rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: 'Answer in one short sentence.',
        output_modalities: ['audio'],
        max_output_tokens: maxTokens,
        audio: {
          input: { format: { type: 'audio/pcm', rate: RATE }, transcription: { model: 'whisper-1' },
            ...(PRESETS[vad] ? { turn_detection: PRESETS[vad] } : {}) },
          output: { format: { type: 'audio/pcm', rate: RATE }, voice: 'alloy' },
        },
      },
    });
    const ev = await answer;
    if (ev.type === 'error') throw new Error(`session.update refused: ${JSON.stringify(ev.error)}`);
    this.mic = new Microphone(this.rt);
    this.mic.start();
  }

  waitUntil(pred, deadline) {
    return new Promise((resolve) => {
      const check = () => {
        const ok = pred();
        if (ok || performance.now() >= deadline) { clearInterval(timer); this.waiters.delete(check); resolve(ok); }
      };
      const timer = setInterval(check, 50);
      this.waiters.add(check);
      check();
    });
  }

  // Speaks one clip and waits for its answer (or gives up); returns the turn.
  async turn(clip) {
    const from = this.events.length;
    const micAt = this.mic.play(clip, LEAD_MS);
    const speechEnd = this.mic.wallAt(micAt + clip.speechEndMs);
    const clipEnd = this.mic.wallAt(micAt + clip.durationMs);
    const win = () => this.events.slice(from);
    const settled = () => {
      if (performance.now() < clipEnd) return false;
      // Item by item (events arrive one at a time, and a turn may begin
      // with the tail of one the previous window saw start): every turn
      // started here has stopped, been committed and transcribed; every
      // response has ended; the last words heard have had a response.
      const w = win().map((e) => e.ev);
      const ids = (type) => new Set(w.filter((e) => e.type === type).map((e) => e.item_id));
      const started = ids('input_audio_buffer.speech_started');
      const stopped = ids('input_audio_buffer.speech_stopped');
      const committed = ids('input_audio_buffer.committed');
      const transcribed = w.filter((e) => e.type === 'conversation.item.input_audio_transcription.completed');
      if (!started.size || [...started].some((id) => !stopped.has(id))) return false;
      if ([...stopped].some((id) => !committed.has(id))) return false;
      if ([...committed].some((id) => !transcribed.some((t) => t.item_id === id))) return false;
      const open = new Set(w.filter((e) => e.type === 'response.created').map((e) => e.response.id));
      for (const e of w) if (e.type === 'response.done') open.delete(e.response.id);
      if (open.size) return false;
      const words = transcribed.filter((t) => t.transcript.trim()).at(-1);
      return !words || w.slice(w.indexOf(words)).some((e) => e.type === 'response.done');
    };
    const ok = await this.waitUntil(settled, speechEnd + this.timeoutMs);
    const rec = analyseTurn(win(), clip, speechEnd);
    rec.timedOut = !ok;
    // Fresh context for the next turn: drop this turn's items.
    const ids = new Set();
    for (const { ev } of win()) {
      if (ev.type === 'input_audio_buffer.committed') ids.add(ev.item_id);
      if (ev.type === 'response.output_item.added') ids.add(ev.item.id);
    }
    for (const id of ids) this.rt.send({ type: 'conversation.item.delete', item_id: id });
    return rec;
  }

  sendLags() { return this.mic?.lags ?? []; }

  async close() {
    this.mic?.stop();
    await new Promise((resolve) => {
      if (this.rt.socket.readyState === 3) return resolve();
      this.rt.socket.once('close', resolve);
      this.rt.close();
    });
  }
}

function analyseTurn(win, clip, speechEnd) {
  const evs = win.map((e) => e.ev);
  // Turns that started in this window (not the tail of the previous one's).
  const started = new Set(evs.filter((e) => e.type === 'input_audio_buffer.speech_started').map((e) => e.item_id));
  const ownCommits = evs.filter((e) => e.type === 'input_audio_buffer.committed' && started.has(e.item_id));
  const firstCommit = evs.indexOf(ownCommits[0]);
  const transcript = evs.filter((e) => e.type === 'conversation.item.input_audio_transcription.completed' && started.has(e.item_id))
    .map((e) => e.transcript).filter(Boolean).join(' ');
  const rec = {
    sentence: clip.text,
    transcript,
    wer: wordErrorRate(clip.text, transcript),
    commits: ownCommits.length,
    cancelled: evs.filter((e) => e.type === 'response.done' && e.response.status === 'cancelled').length,
    errors: evs.filter((e) => e.type === 'error').map((e) => e.error.message),
    answered: false,
  };
  // For --json: the turn's events, ms relative to the true end of speech.
  if (jsonOut) {
    rec.events = win.filter((e) => !e.ev.type.endsWith('.delta') || e.ev === win.find((x) => x.ev.type === e.ev.type && x.ev.response_id === e.ev.response_id)?.ev)
      .map(({ ev, at }) => ({ t: Math.round(at - speechEnd), type: ev.type, item: ev.item_id ?? ev.item?.id, response: ev.response_id ?? ev.response?.id,
        status: ev.response?.status, transcript: ev.transcript, audio_ms: ev.audio_start_ms ?? ev.audio_end_ms }));
  }
  // The answer: the last completed response started after a commit of this turn.
  const created = new Map();
  evs.forEach((e, i) => { if (e.type === 'response.created') created.set(e.response.id, i); });
  const answer = evs.filter((e) => e.type === 'response.done' && e.response.status === 'completed' &&
    firstCommit >= 0 && (created.get(e.response.id) ?? -1) > firstCommit).at(-1);
  if (!answer) return rec;
  const rid = answer.response.id;
  const firstAudio = win.find((e) => e.ev.type === 'response.output_audio.delta' && e.ev.response_id === rid);
  const timing = evs.find((e) => e.type === 'prism.turn.timing' && e.response_id === rid)?.timing;
  const stopped = win.slice(0, created.get(rid)).filter((e) => e.ev.type === 'input_audio_buffer.speech_stopped').at(-1);
  rec.speculative = timing?.speculative === true;
  rec.serverA = timing?.turn_detected_to_first_audio_ms;
  rec.serverB = timing?.speech_end_to_first_audio_ms;
  const tl = timing?.timeline_ms ?? {};
  if (tl.first_token !== undefined && tl.turn_detected !== undefined) rec.serverToken = tl.first_token - tl.turn_detected;
  if (!firstAudio) return rec;  // completed without audio
  rec.answered = true;
  rec.clientB = firstAudio.at - speechEnd;
  if (stopped) {
    rec.clientA = firstAudio.at - stopped.at;
    rec.detect = stopped.at - speechEnd;
  }
  return rec;
}

// ------------------------------------------------------------------ statistics
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const stats = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (!v.length) return null;
  return { n: v.length, p50: percentile(v, 50), p95: percentile(v, 95), mean: v.reduce((a, b) => a + b, 0) / v.length,
    min: Math.min(...v), max: Math.max(...v) };
};
const ms = (x) => (x === undefined || x === null ? '–' : Math.round(x).toString());

// ------------------------------------------------------------------ brains
// Random weights speak gibberish. Seed 0's emit only 'ˀ' (nothing speakable:
// prism completes such a response without audio); seed 4's emit ASCII
// letters ("GQGQ...") with no space or punctuation, so the clause chunker
// releases a single clause when the reply ends: the engine's figures are the
// cost of the whole max_output_tokens reply, more than a real model whose
// first clause ends after a few words.
const ENGINE_SEED = '4';

async function ensureCheckpoint() {
  const dir = path.join(modelsDir, `smolvlm-256m-random-seed${ENGINE_SEED}`);
  if (existsSync(path.join(dir, 'model.safetensors')) && existsSync(path.join(dir, 'config.json'))) return;
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`generating the random-weight 256M checkpoint in ${dir} (once, 1 GB)\n`);
  execFileSync(prismBin, ['gen-checkpoint', '--shape', '256M', '--out', tmp, '--seed', ENGINE_SEED], { stdio: 'ignore' });
  renameSync(tmp, dir);
}

async function startBrain(brain) {
  if (brain === 'upstream') {
    const up = await new FakeUpstream('brain', { reply: UPSTREAM_REPLY }).start();
    const prism = await startPrism(upstreamModel(up, { quality: 0.8 }), { args: ['--log-level', 'warn'] });
    return { prism, timeoutMs: 15000, stop: async () => { await prism.stop(); await up.stop(); } };
  }
  await ensureCheckpoint();
  const prism = await startPrism(`[local]\nmodels_dir = "${modelsDir}"\n`, { args: ['--log-level', 'warn'] });
  return { prism, timeoutMs: 60000, stop: () => prism.stop() };
}

// prism's CPU seconds so far (Linux /proc; null elsewhere).
function processCpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;  // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ runs
let clips = null;

// N sessions, staggered so that their turns spread over one cycle; each
// speaks `perSession` sentences. Returns the turns (and send lags).
async function talk(brain, vad, n, perSession, label, { record = true } = {}) {
  const cycle = LEAD_MS + clips.reduce((a, c) => a + c.durationMs, 0) / clips.length + (PRESETS[vad]?.silence_duration_ms ?? 500) + 500;
  const sessions = Array.from({ length: n }, (_, i) => new VoiceSession(brain.prism, `${label} s${i}`));
  await Promise.all(sessions.map((s) => s.open(vad, brain.timeoutMs)));
  const cpu0 = process.cpuUsage();
  const prismCpu0 = processCpuSeconds(brain.prism.child.pid);
  const wall0 = performance.now();
  const turnsOut = [];
  await Promise.all(sessions.map(async (s, i) => {
    await sleep((i * cycle) / n);
    for (let t = 0; t < perSession; t++) {
      const clip = clips[(i * 3 + t) % clips.length];
      const rec = await s.turn(clip);
      rec.session = i;
      if (record) turnsOut.push(rec);
      process.stderr.write(`[${label}${n > 1 ? ` s${i}` : ''}] ${record ? `turn ${t + 1}/${perSession}` : 'warm-up'}: ` +
        (rec.answered ? `b ${ms(rec.clientB)} ms, a ${ms(rec.clientA)} ms (server ${ms(rec.serverA)})` : (rec.timedOut ? 'LOST (timed out)' : 'LOST')) +
        `${rec.speculative ? ', speculative' : ''}${rec.commits > 1 ? `, split in ${rec.commits}` : ''}` +
        `, WER ${(rec.wer * 100).toFixed(0)}% "${rec.transcript}"` +
        `${rec.errors.length ? `, errors: ${rec.errors.join(' | ')}` : ''}\n`);
    }
  }));
  const lags = sessions.flatMap((s) => s.sendLags());
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  const clientCpu = (cpu.user + cpu.system) / 1000 / wall;  // cores
  const prismCpu1 = processCpuSeconds(brain.prism.child.pid);
  const prismCpu = prismCpu0 === null || prismCpu1 === null ? null : ((prismCpu1 - prismCpu0) * 1000) / wall;
  await Promise.all(sessions.map((s) => s.close()));
  return { turns: turnsOut, lags, clientCpu, prismCpu, load: os.loadavg()[0] };
}

function summarise(turns, lags) {
  const answered = turns.filter((t) => t.answered);
  return {
    turns: turns.length,
    answered: answered.length,
    lost: turns.length - answered.length,
    split: turns.filter((t) => t.commits > 1).length,
    cancelled: turns.reduce((a, t) => a + t.cancelled, 0),
    speculative: answered.filter((t) => t.speculative).length,
    errors: turns.reduce((a, t) => a + t.errors.length, 0),
    wer: turns.length ? turns.reduce((a, t) => a + t.wer, 0) / turns.length : 0,
    serverA: stats(answered.map((t) => t.serverA)),
    clientA: stats(answered.map((t) => t.clientA)),
    clientB: stats(answered.map((t) => t.clientB)),
    serverB: stats(answered.map((t) => t.serverB)),
    serverToken: stats(answered.map((t) => t.serverToken)),
    detect: stats(answered.map((t) => t.detect)),
    lagP99: lags.length ? percentile(lags, 99) : 0,
  };
}

const results = [];
const started = performance.now();
for (const brainName of brains) {
  const brain = await startBrain(brainName);
  try {
    if (!clips) clips = pauses ? await preparePausedClips(brain.prism) : await Promise.all(SENTENCES.map((s) => prepareClip(brain.prism, s)));
    const warmN = Math.max(...sessionCounts);
    await talk(brain, vads[0], warmN, 1, `${brainName} ${vads[0]}`, { record: false });
    for (const vad of vads) {
      for (const n of sessionCounts) {
        const perSession = capacity ? Math.max(Math.ceil(turns / n), Math.min(turns, 8)) : turns;
        const perRun = [];
        for (let r = 0; r < runs; r++) {
          const label = `${brainName} ${vad}${capacity ? ` N=${n}` : ''}${runs > 1 ? ` run ${r + 1}/${runs}` : ''}`;
          perRun.push(await talk(brain, vad, n, perSession, label));
        }
        const all = perRun.flatMap((x) => x.turns);
        results.push({ brain: brainName, vad, sessions: n, runs, perRunB: perRun.map((x) => summarise(x.turns, x.lags).clientB),
          clientCpu: perRun.reduce((a, x) => a + x.clientCpu, 0) / perRun.length,
          prismCpu: perRun.some((x) => x.prismCpu === null) ? null : perRun.reduce((a, x) => a + x.prismCpu, 0) / perRun.length,
          load: Math.max(...perRun.map((x) => x.load)),
          ...summarise(all, perRun.flatMap((x) => x.lags)), raw: all });
      }
    }
  } finally {
    await brain.stop();
  }
}
const minutes = (performance.now() - started) / 60000;

// ------------------------------------------------------------------ report
const table = (header, rows) => {
  console.log('| ' + header.join(' | ') + ' |');
  console.log('|' + header.map(() => '---').join('|') + '|');
  for (const r of rows) console.log('| ' + r.join(' | ') + ' |');
  console.log('');
};
const statRow = (s) => (s ? [s.n, ms(s.p50), ms(s.p95), ms(s.mean), ms(s.min), ms(s.max)] : [0, '–', '–', '–', '–', '–']);

console.log(`realtime voice latency: ${capacity ? `sessions ${sessionCounts.join(',')}` : `${turns} turns`} per config, ` +
  `${runs} run(s), max_output_tokens ${maxTokens}, ${minutes.toFixed(1)} min\n`);
const pair = (x) => (x ? `${ms(x.p50)} / ${ms(x.p95)}` : '–');
console.log('Summary, p50 / p95 ms ((b) true end of speech -> first audio delta; (a) end of turn detected -> first audio byte)\n');
table(['brain', 'turn detection', ...(capacity ? ['sessions'] : []), 'answered', '(b) client', '(a) client', '(a) server', 'end of speech -> speech_stopped', 'WER'],
  results.map((r) => [r.brain, r.vad, ...(capacity ? [r.sessions] : []), `${r.answered}/${r.turns}`, pair(r.clientB), pair(r.clientA),
    pair(r.serverA), pair(r.detect), `${(r.wer * 100).toFixed(1)}%`]));
console.log('Turns (split: the detector committed one sentence in pieces; send lag: how late the client\'s 20 ms frames went out, p99)\n');
table(['brain', 'turn detection', ...(capacity ? ['sessions'] : []), 'turns', 'answered', 'lost', 'split', 'cancelled', 'speculative', 'errors', 'WER', 'send lag p99 ms'],
  results.map((r) => [r.brain, r.vad, ...(capacity ? [r.sessions] : []), r.turns, r.answered, r.lost, r.split, r.cancelled,
    r.speculative, r.errors, `${(r.wer * 100).toFixed(1)}%`, r.lagP99.toFixed(1)]));

if (pauses) {
  console.log('False turn ends (sentences with 300-700 ms thinking pauses: a turn committed at a pause, before the sentence ended)\n');
  table(['brain', 'turn detection', ...(capacity ? ['sessions'] : []), 'turns', 'false turn ends', 'rate'],
    results.map((r) => [r.brain, r.vad, ...(capacity ? [r.sessions] : []), r.turns, r.split, `${((100 * r.split) / r.turns).toFixed(1)}%`]));
}
console.log('Latency, ms ((a) end of turn detected -> first audio byte; (b) true end of speech -> first audio byte)\n');
const rows = [];
for (const r of results) {
  const tag = [r.brain, r.vad, ...(capacity ? [r.sessions] : [])];
  rows.push([...tag, '(b) client: end of speech -> first audio delta', ...statRow(r.clientB)]);
  rows.push([...tag, '(a) client: speech_stopped -> first audio delta', ...statRow(r.clientA)]);
  rows.push([...tag, 'client: end of speech -> speech_stopped arrives', ...statRow(r.detect)]);
  rows.push([...tag, '(a) server: turn_detected_to_first_audio_ms', ...statRow(r.serverA)]);
  rows.push([...tag, 'server estimate: speech_end_to_first_audio_ms', ...statRow(r.serverB)]);
  rows.push([...tag, 'server: turn detected -> first token (< 0: speculation)', ...statRow(r.serverToken)]);
}
table(['brain', 'turn detection', ...(capacity ? ['sessions'] : []), 'measure', 'n', 'p50', 'p95', 'mean', 'min', 'max'], rows);

if (runs > 1) {
  console.log('(b) per run, p50 / p95 ms\n');
  table(['brain', 'turn detection', ...(capacity ? ['sessions'] : []), ...Array.from({ length: runs }, (_, i) => `run ${i + 1}`)],
    results.map((r) => [r.brain, r.vad, ...(capacity ? [r.sessions] : []), ...r.perRunB.map((s) => (s ? `${ms(s.p50)} / ${ms(s.p95)}` : '–'))]));
}

if (capacity) {
  for (const brainName of brains) for (const vad of vads) {
    const level = results.filter((r) => r.brain === brainName && r.vad === vad);
    const base = level.find((r) => r.sessions === 1) ?? level[0];
    if (!base?.clientB) continue;
    console.log(`Capacity, ${brainName} brain, ${vad}: p95 relative to ${base.sessions} session(s)\n`);
    table(['sessions', '(b) p50', '(b) p95', '(b) p95 / base', '(a) client p50', '(a) client p95', '(a) server p95', 'lost', 'prism CPU (cores)', 'bench client CPU (cores)', 'load avg 1 min'],
      level.map((r) => [r.sessions, ms(r.clientB?.p50), ms(r.clientB?.p95), r.clientB ? (r.clientB.p95 / base.clientB.p95).toFixed(2) : '–',
        ms(r.clientA?.p50), ms(r.clientA?.p95), ms(r.serverA?.p95), r.lost,
        r.prismCpu === null ? '–' : r.prismCpu.toFixed(2), r.clientCpu.toFixed(2), r.load.toFixed(1)]));
    const over = level.find((r) => r.sessions > base.sessions && (!r.clientB || r.clientB.p95 > 2 * base.clientB.p95));
    const held = level.filter((r) => !over || r.sessions < over.sessions).at(-1);
    console.log(over
      ? `p95 of (b) first exceeds twice its ${base.sessions}-session value at ${over.sessions} sessions: the cores hold ${held.sessions} concurrent sessions before p95 doubles.\n`
      : `p95 of (b) stays under twice its ${base.sessions}-session value up to ${level.at(-1).sessions} sessions (the most tried).\n`);
  }
}

if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify({ turns, runs, maxTokens, sessionCounts, results }, null, 1));
  console.log(`raw turns written to ${jsonOut}`);
}
