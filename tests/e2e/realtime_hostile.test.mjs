// Issue #10's sequence: while sessions hold normal spoken turns (speech in
// real time, 20 ms frames), a hostile client sends every kind of bad input
// and 10 s of speech at 20x real time, a frame over the size limit, and
// other clients vanish (TCP reset) mid-response. prism must stay up: every
// bad event gets an `error` naming its event_id and the session goes on,
// only the oversized frame closes its socket (1009), the talkers' turns are
// all answered, /health stays 200, and the decoders come back to the pool.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getJson, startPrism } from './lib/prism.mjs';
import { FakeUpstream, upstreamModel } from './lib/upstream.mjs';
import { speak } from './lib/voice.mjs';
import { RealtimeSocket, SERVER_VAD_AUDIO_SESSION, silence24k, stream } from './lib/realtime_socket.mjs';

const SENTENCES = ['What is the weather like in Paris today', 'Please tell me a story about a dog', 'How far away is the moon'];
const REPLY = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen';

async function audioSession(prism) {
  const s = await RealtimeSocket.open(prism);
  s.send({ type: 'session.update', session: SERVER_VAD_AUDIO_SESSION });
  await s.next('session.updated');
  return s;
}

// Speaks `turns` sentences in real time, each answered before the next.
async function talker(prism, speech, turns) {
  const s = await audioSession(prism);
  const completed = [];
  for (let t = 0; t < turns; t++) {
    const done = s.next('response.done', { timeoutMs: 60000 });
    await stream(s, Buffer.concat([silence24k(300), speech[t % speech.length], silence24k(900)]));
    completed.push((await done).response.status);
  }
  await s.close();
  return completed;
}

// Opens a session, speaks, and resets the connection once the answer's
// audio has begun.
async function vanisher(prism, speech) {
  const s = await audioSession(prism);
  const audio = s.next('response.output_audio.delta', { timeoutMs: 60000 });
  await stream(s, Buffer.concat([silence24k(300), speech, silence24k(900)]));
  await audio;
  await s.reset();
}

async function hostile(prism, speech) {
  const s = await RealtimeSocket.open(prism);
  const expectError = async (id, send) => {
    const err = s.next('error', { pred: (e) => e.error.event_id === id || (id === null && e.error.event_id === null) });
    send();
    return (await err).error;
  };
  const found = [];
  found.push(await expectError(null, () => s.sendRaw('this is not JSON {')));
  found.push(await expectError(null, () => s.sendRaw(Buffer.from([0, 1, 2, 3, 4, 5]))));
  found.push(await expectError('evt_h_unknown', () => s.send({ type: 'no.such.event', event_id: 'evt_h_unknown' })));
  found.push(await expectError('evt_h_b64', () => s.send({ type: 'input_audio_buffer.append', event_id: 'evt_h_b64', audio: '%%%not base64%%%' })));
  found.push(await expectError('evt_h_noaudio', () => s.send({ type: 'input_audio_buffer.append', event_id: 'evt_h_noaudio' })));
  found.push(await expectError('evt_h_format', () => s.send({
    type: 'session.update', event_id: 'evt_h_format',
    session: { type: 'realtime', audio: { input: { format: { type: 'audio/opus', rate: 48000 } } } },
  })));
  // The session goes on: a valid update, then 10 s of speech at 20x.
  s.send({ type: 'session.update', session: SERVER_VAD_AUDIO_SESSION });
  await s.next('session.updated');
  const tenSeconds = [];
  for (let ms = 0; ms < 10000;) {
    const piece = Buffer.concat([speech[tenSeconds.length % speech.length], silence24k(450)]);
    tenSeconds.push(piece);
    ms += piece.length / 48;
  }
  await stream(s, Buffer.concat(tenSeconds).subarray(0, 48 * 10000), { speed: 20 });
  await new Promise((r) => setTimeout(r, 1500));
  // Only a frame over the limit closes the socket.
  s.sendRaw(JSON.stringify({ type: 'input_audio_buffer.append', event_id: 'evt_h_huge', audio: 'A'.repeat(16 << 20) }));
  const code = await s.closed;
  return { found, code, events: s.events };
}

describe('realtime: a hostile client and vanishing ones while others talk (issue #10)', () => {
  let up, prism;
  before(async () => {
    up = await new FakeUpstream('brain', { reply: REPLY, chunkDelayMs: 30 }).start();
    prism = await startPrism(upstreamModel(up, { quality: 0.8 }));
  });
  after(async () => {
    await prism?.stop();
    await up?.stop();
  });

  it('keeps the server, the other sessions and the bad session alive', async () => {
    const speech = await Promise.all(SENTENCES.map((t) => speak(prism, t)));
    const talkers = [talker(prism, speech, 3), talker(prism, speech.slice(1), 3)];
    const others = [hostile(prism, speech), vanisher(prism, speech[0]), vanisher(prism, speech[2]), vanisher(prism, speech[1])];
    const results = await Promise.allSettled([...talkers, ...others]);
    assert.equal(prism.child.exitCode, null, `prism exited:\n${prism.stderr.split('\n').slice(-20).join('\n')}`);
    assert.equal(prism.child.signalCode, null, `prism died (${prism.child.signalCode}):\n${prism.stderr.split('\n').slice(-20).join('\n')}`);
    for (const r of results) assert.equal(r.status, 'fulfilled', r.reason?.stack);
    for (const statuses of results.slice(0, 2).map((r) => r.value)) assert.deepEqual(statuses, ['completed', 'completed', 'completed']);

    const { found, code } = results[2].value;
    assert.equal(found.length, 6);
    for (const e of found) assert.ok(e.type && e.code && e.message, JSON.stringify(e));
    assert.ok([1009, 1006].includes(code), `closed with ${code}`);

    assert.equal((await getJson(prism, '/health')).status, 200);
    // Every decoder is back in its pool once the sessions have closed.
    let inUse = null;
    for (let i = 0; i < 50; i++) {
      const m = (await getJson(prism, '/metrics')).text.match(/^prism_voice_recognizers_in_use (\d+)$/m);
      inUse = m ? Number(m[1]) : null;
      if (inUse === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(inUse, 0, 'recognizers still in use (or no prism_voice_recognizers_in_use gauge)');
  });
});
