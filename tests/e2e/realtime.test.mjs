// The realtime voice API end to end: the official `openai` package's
// realtime WebSocket client holds a spoken turn with prism (Flite speech in,
// PocketSphinx transcript, a FakeUpstream brain through the router, Flite
// speech out), every server event checked against the OpenAPI schemas; bad
// input over the socket; a client vanishing mid-response; auth; drain.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { getJson, startPrism } from './lib/prism.mjs';
import { FakeUpstream, upstreamModel } from './lib/upstream.mjs';
import { closeAndWait, nextEvent, pcmRms, realtimeClient, recordServerEvents, serverEventSchemas, sleep, speak, wordErrorRate } from './lib/voice.mjs';

const KEY = 'sk-voice-test-1';
const SENTENCE = 'What is the weather like in Paris today';
const REPLY = 'It is sunny in Paris. Take a hat with you.';
const FRAME_BYTES = 960;  // 20 ms of PCM16 mono 24 kHz

// Opens the SDK client and collects (and schema-checks) every server event.
async function open(prism, opts = {}) {
  const rt = realtimeClient(prism, { apiKey: KEY, ...opts });
  const { events, times, schemaErrors } = recordServerEvents(rt);
  const created = await nextEvent(rt, 'session.created');
  return { rt, events, times, schemaErrors, created };
}

describe('realtime voice over WebSocket', () => {
  let up, prism;
  before(async () => {
    up = await new FakeUpstream('brain', { reply: REPLY }).start();
    prism = await startPrism(`
[[api_keys]]
name = "voice"
key = "${KEY}"
` + upstreamModel(up, { quality: 0.8 }));
  });
  after(async () => {
    await prism?.stop();
    await up?.stop();
  });

  it('holds a whole spoken turn with the official SDK client', async () => {
    const speech = await speak(prism, SENTENCE, { apiKey: KEY });
    const { rt, events, times, schemaErrors, created } = await open(prism);
    assert.equal(created.session.type, 'realtime');
    rt.send({
      type: 'session.update',
      event_id: 'evt_update_1',
      session: {
        type: 'realtime',
        instructions: 'Answer briefly.',
        output_modalities: ['audio'],
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 24000 },
            transcription: { model: 'whisper-1' },
            turn_detection: { type: 'server_vad', threshold: 0.5, silence_duration_ms: 400, prefix_padding_ms: 300, create_response: true },
          },
          output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy' },
        },
      },
    });
    await nextEvent(rt, 'session.updated');
    const decisionsBefore = (await getJson(prism, '/v1/router/decisions?limit=1000', { authorization: `Bearer ${KEY}` })).json.data.length;

    // 300 ms of silence, the sentence, 1.2 s of silence; paced in real time.
    const audio = Buffer.concat([Buffer.alloc(24000 * 2 * 0.3), speech, Buffer.alloc(24000 * 2 * 1.2)]);
    let lastLoud = 0;  // byte offset of the end of speech in `audio`
    for (let i = 0; i + 1 < audio.length; i += 2) if (Math.abs(audio.readInt16LE(i)) > 300) lastLoud = i;
    const done = nextEvent(rt, 'response.done', { timeoutMs: 30000 });
    const start = performance.now();
    let speechEndSentAt = null;
    for (let off = 0, n = 0; off < audio.length; off += FRAME_BYTES, n++) {
      const due = start + n * 20;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      rt.send({ type: 'input_audio_buffer.append', audio: audio.subarray(off, off + FRAME_BYTES).toString('base64') });
      if (speechEndSentAt === null && off + FRAME_BYTES > lastLoud) speechEndSentAt = performance.now();
    }
    const responseDone = await done;
    assert.equal(responseDone.response.status, 'completed', JSON.stringify(responseDone.response.status_details));

    const types = events.map((e) => e.type);
    for (const t of ['input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped', 'input_audio_buffer.committed',
      'conversation.item.input_audio_transcription.completed', 'response.created', 'response.output_item.added',
      'response.content_part.added', 'response.output_audio.delta', 'response.output_audio.done',
      'response.output_audio_transcript.done', 'response.done'])
      assert.ok(types.includes(t), `missing ${t}; got ${types.join(', ')}`);
    console.log('# schema errors:', JSON.stringify(schemaErrors.map((e) => e.split('\n')[0] + ' ' + [...e.matchAll(/"instancePath": "([^"]*)"/g)].map((m) => m[1]).join(','))));
    assert.deepEqual(schemaErrors, []);
    const validated = types.filter((t) => serverEventSchemas().has(t)).length;
    assert.ok(validated >= 10, `only ${validated} events had a schema`);

    const transcript = events.find((e) => e.type === 'conversation.item.input_audio_transcription.completed').transcript;
    const wer = wordErrorRate(SENTENCE, transcript);
    console.log(`# realtime transcript: "${transcript}" WER ${(wer * 100).toFixed(1)}%`);
    assert.ok(wer <= 0.4, `WER ${wer} for "${transcript}"`);

    // The brain got the transcript through the router, streamed.
    const call = up.requests.at(-1).body;
    assert.equal(call.stream, true);
    assert.equal(call.messages.at(-1).role, 'user');
    assert.equal(call.messages.at(-1).content, transcript);
    assert.equal(call.messages[0].role, 'system');
    assert.match(call.messages[0].content, /Answer briefly/);

    const said = events.find((e) => e.type === 'response.output_audio_transcript.done').transcript;
    assert.equal(said.trim(), REPLY);
    const pcm = Buffer.concat(events.filter((e) => e.type === 'response.output_audio.delta').map((e) => Buffer.from(e.delta, 'base64')));
    assert.ok(pcm.length > 24000 * 2 * 0.5, `only ${pcm.length} bytes of reply audio`);
    const rms = pcmRms(pcm);
    assert.ok(rms > 0.02, `reply audio is near silent (rms ${rms})`);

    const firstAudio = times[events.findIndex((e) => e.type === 'response.output_audio.delta')];
    const timing = events.find((e) => e.type === 'prism.turn.timing')?.timing;
    assert.ok(timing, 'no prism.turn.timing event');
    assert.ok(timing.turn_detected_to_first_audio_ms >= 0, JSON.stringify(timing));
    console.log(`# latency: end of speech (client clock) -> first audio delta received ${(firstAudio - speechEndSentAt).toFixed(0)} ms; ` +
      `server: speech_end_to_first_audio_ms ${timing.speech_end_to_first_audio_ms}, turn_detected_to_first_audio_ms ${timing.turn_detected_to_first_audio_ms}`);

    // The reply is a routed request with a decision record; metrics show the turn.
    const decisions = (await getJson(prism, '/v1/router/decisions?limit=1000', { authorization: `Bearer ${KEY}` })).json.data;
    assert.ok(decisions.length > decisionsBefore, 'no decision recorded for the voice turn');
    assert.equal(decisions[0].chosen, 'brain');
    const metrics = (await getJson(prism, '/metrics')).text;
    assert.match(metrics, /prism_voice_turn_seconds_bucket\{[^}]*stage="first_audio_sent"/);
    assert.match(metrics, /prism_voice_first_audio_seconds_count\{from="turn_detected"\} [1-9]/);
    await closeAndWait(rt);
  });

  it('answers bad input with error events naming the event and stays usable', async () => {
    const { rt, events, schemaErrors } = await open(prism);
    const errors = () => events.filter((e) => e.type === 'error').map((e) => e.error);
    rt.socket.send('this is not JSON');
    await nextEvent(rt, 'error');
    rt.socket.send(Buffer.from([1, 2, 3, 4]));
    await nextEvent(rt, 'error', { pred: () => errors().length >= 2 });
    rt.send({ type: 'no.such.event', event_id: 'evt_unknown_1' });
    await nextEvent(rt, 'error', { pred: (ev) => ev.error.event_id === 'evt_unknown_1' });
    rt.send({ type: 'input_audio_buffer.append', event_id: 'evt_b64_1', audio: '***not base64***' });
    await nextEvent(rt, 'error', { pred: (ev) => ev.error.event_id === 'evt_b64_1' });
    rt.send({ type: 'conversation.item.create', event_id: 'evt_missing_1' });
    await nextEvent(rt, 'error', { pred: (ev) => ev.error.event_id === 'evt_missing_1' });
    assert.equal(errors().length, 5);
    for (const e of errors()) assert.ok(e.message && e.type, JSON.stringify(e));

    // Still usable: a text turn gets a full answer.
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello there' }] } });
    rt.send({ type: 'response.create', event_id: 'evt_resp_1' });
    const done = await nextEvent(rt, 'response.done', { timeoutMs: 20000 });
    assert.equal(done.response.status, 'completed');
    assert.equal(up.requests.at(-1).body.messages.at(-1).content, 'Hello there');
    assert.deepEqual(schemaErrors, []);
    await closeAndWait(rt);
  });

  it('keeps serving others when a client vanishes mid-response', async () => {
    up.set({ chunkDelayMs: 40, reply: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen' });
    try {
      const a = await open(prism);
      a.rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Count slowly' }] } });
      a.rt.send({ type: 'response.create' });
      await nextEvent(a.rt, 'response.output_audio_transcript.delta', { timeoutMs: 20000 });
      a.rt.socket.terminate();  // no close frame: the TCP connection just ends

      const b = await open(prism);
      b.rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Are you there?' }] } });
      b.rt.send({ type: 'response.create' });
      const done = await nextEvent(b.rt, 'response.done', { timeoutMs: 20000 });
      assert.equal(done.response.status, 'completed');
      // A's session was released: only B is open.
      const metrics = (await getJson(prism, '/metrics')).text;
      assert.match(metrics, /^prism_realtime_sessions 1$/m);
      assert.ok(prism.logLines().some((l) => l.msg === 'realtime session closed' || l.message === 'realtime session closed'),
        'no log line for the vanished session');
      await closeAndWait(b.rt);
    } finally {
      up.set({ chunkDelayMs: 0, reply: REPLY });
    }
  });

  it('authenticates with the bearer header or the browser subprotocol', async () => {
    const url = `ws://127.0.0.1:${prism.port}/v1/realtime?model=router`;
    const refused = await new Promise((resolve) => {
      const ws = new WebSocket(url, { headers: { authorization: 'Bearer wrong' } });
      ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); ws.terminate(); });
      ws.on('open', () => resolve('open'));
      ws.on('error', () => {});
    });
    assert.equal(refused, 401);
    const ws = new WebSocket(url, ['realtime', `openai-insecure-api-key.${KEY}`]);
    const first = await new Promise((resolve, reject) => {
      ws.on('message', (m) => resolve(JSON.parse(m.toString())));
      ws.on('error', reject);
    });
    assert.equal(ws.protocol, 'realtime');
    assert.equal(first.type, 'session.created');
    await new Promise((resolve) => { ws.once('close', resolve); ws.close(); });
  });

  it('closes a socket that sends a frame over the size limit, and only that one', async () => {
    const url = `ws://127.0.0.1:${prism.port}/v1/realtime?model=router`;
    const ws = new WebSocket(url, ['realtime', `openai-insecure-api-key.${KEY}`]);
    await new Promise((resolve, reject) => { ws.once('message', resolve); ws.on('error', reject); });
    const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => {});
    ws.send('x'.repeat((16 << 20) + 1024));  // over SessionLimits::max_frame_bytes
    // The server answers with a 1009 close frame and ends the connection; the
    // client, still writing, may see the reset first (1006).
    assert.ok([1009, 1006].includes(await closed));
    const { rt } = await open(prism);
    rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'still here' } });
    await nextEvent(rt, 'session.updated');
    await closeAndWait(rt);
  });

  it('closes realtime sockets with a close frame when the server drains', async () => {
    const { rt } = await open(prism);
    const closed = new Promise((resolve) => rt.socket.once('close', (code) => resolve(code)));
    const exited = prism.stop();
    assert.equal(await closed, 1001);
    const { code } = await exited;
    assert.equal(code, 0);
  });
});
