// Barge-in over the realtime socket with the official SDK client: while a
// long answer is still being generated and spoken, the user starts a second
// utterance (real Flite speech streamed in real time, like a microphone).
// prism must announce speech_started, cancel the answer (response.done
// "cancelled", reason turn_detected) with nothing more of its audio after
// the detection, keep in the conversation only the words whose audio went
// out, and answer the second utterance. Every server event is checked
// against the OpenAPI schemas. No wall-clock assertions: the order of events
// is what is checked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPrism } from './lib/prism.mjs';
import { FakeUpstream, upstreamModel } from './lib/upstream.mjs';
import { closeAndWait, nextEvent, realtimeClient, recordServerEvents, speak } from './lib/voice.mjs';
import { SERVER_VAD_AUDIO_SESSION } from './lib/realtime_socket.mjs';

const FIRST = 'Tell me a long story about the sea';
const SECOND = 'Stop please what time is it';
// About 320 words at 30 ms each: ~10 s of generation, so even a sanitizer
// build is still answering when the second utterance is detected.
const LONG_REPLY = Array.from({ length: 40 }, (_, i) => `This is sentence number ${i + 1} of a long answer.`).join(' ');
const SHORT_REPLY = 'It is ten past four.';
const FRAME_BYTES = 960;  // 20 ms of PCM16 mono 24 kHz
const SILENCE = Buffer.alloc(FRAME_BYTES).toString('base64');

// A microphone: 20 ms frames on a real-time clock (frame n goes out once
// captured, at start + 20(n+1) ms), silence whenever nothing is being said.
function microphone(rt) {
  const queue = [];
  let sent = 0;
  let timer = null;
  let stopped = false;
  const origin = performance.now();
  const tick = () => {
    if (stopped) return;
    while (origin + (sent + 1) * 20 <= performance.now()) {
      rt.send({ type: 'input_audio_buffer.append', audio: queue.length ? queue.shift() : SILENCE });
      sent++;
    }
    timer = setTimeout(tick, Math.max(0, origin + (sent + 1) * 20 - performance.now()));
  };
  tick();
  return {
    say(pcm) {
      for (let off = 0; off < pcm.length; off += FRAME_BYTES) {
        const frame = Buffer.alloc(FRAME_BYTES);
        pcm.copy(frame, 0, off, Math.min(pcm.length, off + FRAME_BYTES));
        queue.push(frame.toString('base64'));
      }
    },
    stop() { stopped = true; clearTimeout(timer); },
  };
}

describe('realtime barge-in over WebSocket', () => {
  let up, prism;
  before(async () => {
    up = await new FakeUpstream('brain', { reply: LONG_REPLY, chunkDelayMs: 30 }).start();
    prism = await startPrism(upstreamModel(up, { quality: 0.8 }));
  });
  after(async () => {
    await prism?.stop();
    await up?.stop();
  });

  it('cancels a playing answer when the user speaks, keeps only what was sent, answers the new utterance', async () => {
    const [first, second] = [await speak(prism, FIRST), await speak(prism, SECOND)];
    const rt = realtimeClient(prism);
    const { events, schemaErrors } = recordServerEvents(rt);
    await nextEvent(rt, 'session.created');
    const updated = nextEvent(rt, 'session.updated');
    rt.send({ type: 'session.update', session: SERVER_VAD_AUDIO_SESSION });
    await updated;
    const mic = microphone(rt);
    try {
      // First utterance; wait until its answer is audibly playing.
      mic.say(Buffer.concat([Buffer.alloc(FRAME_BYTES * 15), first]));
      const firstAudio = await nextEvent(rt, 'response.output_audio.delta', { timeoutMs: 60000 });
      const longId = firstAudio.response_id;
      // Requests from now on (the second turn's) get the short answer; the
      // long one in flight keeps its own.
      up.set({ reply: SHORT_REPLY, chunkDelayMs: 0 });

      // The user cuts in while the answer is still going.
      const cancelled = nextEvent(rt, 'response.done', { timeoutMs: 60000, pred: (e) => e.response.id === longId });
      const answered = nextEvent(rt, 'response.done', { timeoutMs: 90000, pred: (e) => e.response.id !== longId });
      mic.say(Buffer.concat([Buffer.alloc(FRAME_BYTES * 10), second]));
      const done = await cancelled;
      assert.equal(done.response.status, 'cancelled', JSON.stringify(done.response.status_details));
      assert.equal(done.response.status_details?.reason, 'turn_detected');

      const created = events.findIndex((e) => e.type === 'response.created' && e.response.id === longId);
      const startedAt = events.findIndex((e, i) => i > created && e.type === 'input_audio_buffer.speech_started');
      const doneAt = events.indexOf(done);
      assert.ok(startedAt > created, 'no speech_started while the answer was playing');
      assert.ok(doneAt > startedAt, 'the answer ended before the second utterance was detected');
      // Generation and synthesis stop at the detection: at most one audio
      // frame of the old answer may still go out after speech_started.
      const lateAudio = events.slice(startedAt + 1).filter((e) => e.type === 'response.output_audio.delta' && e.response_id === longId);
      console.log(`# audio deltas of the cancelled answer after speech_started: ${lateAudio.length}`);
      assert.ok(lateAudio.length <= 1, `${lateAudio.length} audio deltas after speech_started`);

      // The second utterance gets its own answer.
      const next = await answered;
      assert.equal(next.response.status, 'completed', JSON.stringify(next.response.status_details));
      const nextCreated = events.findIndex((e) => e.type === 'response.created' && e.response.id === next.response.id);
      assert.ok(nextCreated > doneAt, 'the new answer started before the old one ended');
      const heard = events.filter((e) => e.type === 'conversation.item.input_audio_transcription.completed').at(-1).transcript;
      console.log(`# second utterance heard as "${heard}"`);
      assert.ok(heard.length > 0);
      assert.equal(next.response.output[0].content[0].transcript.trim(), SHORT_REPLY);
      assert.ok(events.some((e) => e.type === 'response.output_audio.delta' && e.response_id === next.response.id),
        'the new answer has no audio');
      // Nothing of the cancelled answer after its response.done.
      const stray = events.slice(doneAt + 1).filter((e) => e.response_id === longId || e.response?.id === longId);
      assert.deepEqual(stray.map((e) => e.type), []);

      // Only what was sent stays: the transcript deltas that went out, a
      // prefix of the answer, well short of all of it.
      const sent = events.filter((e) => e.type === 'response.output_audio_transcript.delta' && e.response_id === longId)
        .map((e) => e.delta).join('');
      const itemId = done.response.output[0].id;
      assert.equal(done.response.output[0].content[0].transcript, sent);
      assert.ok(sent.length > 0, 'nothing of the long answer was sent');
      assert.ok(sent.length < LONG_REPLY.length / 2, `${sent.length} of ${LONG_REPLY.length} characters kept`);
      assert.ok(LONG_REPLY.startsWith(sent), `kept "${sent}"`);
      console.log(`# kept ${sent.length} of ${LONG_REPLY.length} characters of the cancelled answer`);
      const retrieved = nextEvent(rt, 'conversation.item.retrieved', { timeoutMs: 20000 });
      rt.send({ type: 'conversation.item.retrieve', item_id: itemId });
      const item = (await retrieved).item;
      assert.equal(item.status, 'incomplete');
      assert.equal(item.content[0].transcript, sent);
      // The brain saw the truncated turn when answering the second utterance.
      const history = up.requests.at(-1).body.messages;
      assert.ok(history.some((m) => m.role === 'assistant' && m.content === sent), JSON.stringify(history));

      assert.deepEqual(events.filter((e) => e.type === 'error').map((e) => e.error.message), []);
      assert.deepEqual(schemaErrors, []);
    } finally {
      mic.stop();
      await closeAndWait(rt);
      up.set({ reply: LONG_REPLY, chunkDelayMs: 30 });
    }
  });
});
