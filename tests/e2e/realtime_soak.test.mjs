// Realtime fuzz/soak: many sessions at once send random but plausible event
// sequences (appends of random sizes and rates, commits, clears, cancels,
// truncates with random offsets, session.updates switching formats and turn
// detection, well-formed but invalid events, disconnects and TCP resets at
// random points) for a bounded time. It passes when prism is alive, /health
// is 200, every well-formed but invalid event got an `error` naming its
// event_id, and the decoders in use and the memory are back at their idle
// level afterwards.
//
//   PRISM_SOAK_SECONDS (60)  PRISM_SOAK_SESSIONS (8)  PRISM_SOAK_SEED (random, printed)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { getJson, startPrism } from './lib/prism.mjs';
import { FakeUpstream, upstreamModel } from './lib/upstream.mjs';
import { speak } from './lib/voice.mjs';
import { RealtimeSocket } from './lib/realtime_socket.mjs';

const SECONDS = Number(process.env.PRISM_SOAK_SECONDS ?? 60);
const SESSIONS = Number(process.env.PRISM_SOAK_SESSIONS ?? 8);
const SEED = Number(process.env.PRISM_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SENTENCES = ['What is the weather like in Paris today', 'Tell me a story about a dog', 'How far away is the moon'];
const MiB = 1 << 20;

// mulberry32: small, seeded, good enough to pick actions.
function rngFrom(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

// G.711 encoders (ITU-T reference algorithms) for the 8 kHz formats.
function mulaw(s) {
  const sign = s < 0 ? 0x80 : 0;
  let v = Math.min(Math.abs(s), 32635) + 0x84;
  let exp = 7;
  for (let mask = 0x4000; !(v & mask) && exp > 0; mask >>= 1) exp--;
  return ~(sign | (exp << 4) | ((v >> (exp + 3)) & 0x0f)) & 0xff;
}
function alaw(s) {
  const sign = s >= 0 ? 0x80 : 0;
  let v = Math.min(Math.abs(s), 32767) >> 3;
  let out;
  if (v < 32) out = v >> 1;
  else { let exp = 1; while (v >= 64) { v >>= 1; exp++; } out = (exp << 4) | ((v >> 1) & 0x0f); }
  return (out | sign) ^ 0x55;
}

const FORMATS = {
  pcm24: { wire: { type: 'audio/pcm', rate: 24000 }, bytesPer20ms: 960 },
  pcmu: { wire: { type: 'audio/pcmu' }, bytesPer20ms: 160 },
  pcma: { wire: { type: 'audio/pcma' }, bytesPer20ms: 160 },
};

// 24 kHz PCM16 -> the wire bytes of `format` (8 kHz by taking every third sample).
function encode(pcm24, format) {
  if (format === 'pcm24') return pcm24;
  const n = Math.floor(pcm24.length / 6);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (format === 'pcmu' ? mulaw : alaw)(pcm24.readInt16LE(i * 6));
  return out;
}

function noise24k(rng, ms, amplitude) {
  const buf = Buffer.alloc(Math.round(24 * ms) * 2);
  for (let i = 0; i < buf.length; i += 2) buf.writeInt16LE(Math.round((rng.next() * 2 - 1) * amplitude), i);
  return buf;
}

function rssBytes(pid) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return Number(m[1]) * 1024;
}

async function gauge(prism, name) {
  const text = (await getJson(prism, '/metrics')).text;
  const m = text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : null;
}

async function waitFor(what, check, timeoutMs = 30000) {
  const end = performance.now() + timeoutMs;
  let last;
  while (performance.now() < end) {
    last = await check();
    if (last === true) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what}: ${JSON.stringify(last)}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Stats {
  constructor() { Object.assign(this, { sessions: 0, events: 0, invalid: 0, answered: 0, responses: 0, resets: 0, closes: 0, failures: [] }); }
}

// Well-formed events the server must refuse with an `error` naming them.
function invalidEvent(rng, id, format) {
  const cases = [
    () => ({ type: 'no.such.event' }),
    () => ({ type: 'input_audio_buffer.append', audio: '%%not base64%%' }),
    () => ({ type: 'input_audio_buffer.append' }),
    () => ({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/opus' } } } } }),
    () => ({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'loud_vad' } } } } }),
    () => ({ type: 'conversation.item.truncate', content_index: 0, audio_end_ms: 10 }),
    () => ({ type: 'conversation.item.truncate', item_id: 'item_nope', content_index: 0, audio_end_ms: -5 }),
    () => ({ type: 'conversation.item.delete', item_id: `item_missing_${id}` }),
    () => ({ type: 'conversation.item.create' }),
    () => ({ type: 'response.create', response: 5 }),
  ];
  if (format === 'pcm24') cases.push(() => ({ type: 'input_audio_buffer.append', audio: Buffer.from([1, 2, 3]).toString('base64') }));
  return { ...rng.pick(cases)(), event_id: id };
}

function sessionUpdate(rng, format) {
  const turn = rng.pick([
    () => ({ type: 'server_vad', silence_duration_ms: rng.int(200, 800), create_response: rng.chance(0.8), interrupt_response: rng.chance(0.8) }),
    () => ({ type: 'semantic_vad', eagerness: rng.pick(['low', 'medium', 'high', 'auto']) }),
    () => null,
  ])();
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      output_modalities: [rng.pick(['audio', 'audio', 'text'])],
      audio: {
        input: { format: FORMATS[format].wire, transcription: { model: 'whisper-1' }, turn_detection: turn },
        output: { format: rng.pick(Object.values(FORMATS)).wire, voice: rng.pick(['alloy', 'echo', 'fable']) },
      },
    },
  };
}

// One client: sessions one after another until the deadline, each a random
// walk of events, ended by a close or a TCP reset.
async function client(prism, rng, speech, stats, deadline, name) {
  let serial = 0;
  while (performance.now() < deadline) {
    let s;
    try {
      s = await RealtimeSocket.open(prism);
    } catch (e) {
      stats.failures.push(`${name}: cannot open a session: ${e.message}`);
      return;
    }
    stats.sessions++;
    let format = 'pcm24';
    const expected = new Map();  // event_id -> description, until its error arrives
    const send = (ev) => { s.send(ev); stats.events++; };
    const steps = rng.int(10, 120);
    for (let step = 0; step < steps && performance.now() < deadline && s.open; step++) {
      const r = rng.next();
      if (r < 0.22) {  // speech, maybe followed by silence, at 1-5x real time
        const pcm = Buffer.concat([speech[rng.int(0, speech.length - 1)], Buffer.alloc(48 * rng.int(0, 1200))]);
        const bytes = encode(pcm, format);
        const frame = FORMATS[format].bytesPer20ms * rng.pick([1, 1, 2, 5]);
        // Mostly real time: 8 sessions far faster would need more CPU than CI has
        // (the 20x burst is in realtime_hostile.test.mjs).
        const speed = rng.pick([1, 1, 1, 1, 2, 5]);
        const start = performance.now();
        for (let off = 0, n = 0; off < bytes.length && s.open; off += frame, n++) {
          const wait = start + (n * 20 * frame) / FORMATS[format].bytesPer20ms / speed - performance.now();
          if (wait > 0) await sleep(wait);
          send({ type: 'input_audio_buffer.append', audio: bytes.subarray(off, off + frame).toString('base64') });
        }
      } else if (r < 0.32) {  // an append of random size: silence or noise
        const ms = rng.int(1, 400);
        const pcm = rng.chance(0.5) ? Buffer.alloc(48 * ms) : noise24k(rng, ms, rng.pick([100, 3000, 20000]));
        let bytes = encode(pcm, format);
        if (format === 'pcm24' && bytes.length % 2) bytes = bytes.subarray(1);
        send({ type: 'input_audio_buffer.append', audio: bytes.toString('base64') });
      } else if (r < 0.38) send({ type: 'input_audio_buffer.commit', event_id: `c_${name}_${serial++}` });
      else if (r < 0.42) send({ type: 'input_audio_buffer.clear' });
      else if (r < 0.46) send({ type: 'response.create' });
      else if (r < 0.50) send({ type: 'response.cancel', event_id: `x_${name}_${serial++}` });
      else if (r < 0.54) {  // truncate an assistant item at a random offset
        const items = s.events.filter((e) => e.type === 'response.output_item.added').map((e) => e.item.id);
        send({ type: 'conversation.item.truncate', item_id: items.length ? rng.pick(items) : 'item_none', content_index: 0, audio_end_ms: rng.int(0, 4000) });
      } else if (r < 0.57) {
        send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: rng.pick(SENTENCES) }] } });
      } else if (r < 0.63) {
        format = rng.pick(Object.keys(FORMATS));
        send(sessionUpdate(rng, format));
      } else if (r < 0.73) {
        const id = `bad_${name}_${serial++}`;
        const ev = invalidEvent(rng, id, format);
        expected.set(id, ev.type);
        stats.invalid++;
        send(ev);
      } else if (r < 0.75) {
        s.sendRaw(rng.chance(0.5) ? '{"type": "input_audio_buffer.append", "audio": ' : Buffer.from([9, 9, 9]));
        stats.events++;
      } else {
        await sleep(rng.int(0, 1000));  // a quiet client
      }
      if (rng.chance(0.2)) await sleep(rng.int(0, 100));
    }
    // Every invalid event is answered before this client goes away (events
    // are processed in order, so under load this waits for the backlog).
    const answered = () => {
      for (const e of s.errors()) if (e.event_id && expected.delete(e.event_id)) stats.answered++;
      return expected.size === 0;
    };
    const waitUntil = performance.now() + 90000;
    while (!answered() && s.open && performance.now() < waitUntil) await sleep(50);
    if (expected.size) stats.failures.push(`${name}: no error event for ${JSON.stringify([...expected])} (socket ${s.open ? 'open' : `closed ${s.closeCode}`})`);
    if (!s.open) stats.failures.push(`${name}: the server closed the session (${s.closeCode})`);
    stats.responses += s.events.filter((e) => e.type === 'response.done').length;
    if (rng.chance(0.4)) { stats.resets++; await s.reset(); } else { stats.closes++; await s.close(); }
  }
}

describe('realtime soak: random sessions at once', () => {
  let up, prism;
  before(async () => {
    up = await new FakeUpstream('brain', { reply: 'Sure. Here is a short answer for you, with a few words more.', chunkDelayMs: 15 }).start();
    prism = await startPrism(upstreamModel(up, { quality: 0.8 }));
  });
  after(async () => {
    await prism?.stop();
    await up?.stop();
  });

  it(`stays up, answers every invalid event and returns to idle (${SESSIONS} sessions, ${SECONDS} s)`, { timeout: (SECONDS + 240) * 1000 }, async () => {
    console.log(`# soak seed ${SEED} (PRISM_SOAK_SEED=${SEED} repeats the choices), ${SESSIONS} sessions, ${SECONDS} s`);
    const speech = await Promise.all(SENTENCES.map((t) => speak(prism, t)));
    const pid = prism.child.pid;
    // Idle level: after sessions have held a turn at once, so the pools hold
    // their working decoders.
    // (At most 6 at once: the wideband pool lends 8 decoders.)
    const warm = await Promise.all(Array.from({ length: Math.min(SESSIONS, 6) }, () => RealtimeSocket.open(prism)));
    await Promise.all(warm.map(async (s, i) => {
      s.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'],
        audio: { input: { format: FORMATS.pcm24.wire, transcription: { model: 'whisper-1' }, turn_detection: null } } } });
      for (const f of [Buffer.alloc(24000), speech[i % speech.length], Buffer.alloc(48000)]) s.send({ type: 'input_audio_buffer.append', audio: f.toString('base64') });
      s.send({ type: 'input_audio_buffer.commit' });
      await s.next('conversation.item.input_audio_transcription.completed', { timeoutMs: 120000 })
        .catch((e) => assert.fail(`warm-up turn ${i}: ${e.message}; errors ${JSON.stringify(s.errors())}`));
      await s.close();
    }));
    await waitFor('recognizers in use after the warm-up', async () => (await gauge(prism, 'prism_voice_recognizers_in_use')) === 0 || await gauge(prism, 'prism_voice_recognizers_in_use'));
    const idleRss = rssBytes(pid);
    const idleDecoders = await gauge(prism, 'prism_voice_recognizers_started');

    const stats = new Stats();
    const deadline = performance.now() + SECONDS * 1000;
    const started = performance.now();
    await Promise.all(Array.from({ length: SESSIONS }, (_, i) => client(prism, rngFrom(SEED + i), speech, stats, deadline, `s${i}`)));
    const elapsed = (performance.now() - started) / 1000;

    assert.equal(prism.child.exitCode, null, `prism exited:\n${prism.stderr.split('\n').slice(-30).join('\n')}`);
    assert.equal(prism.child.signalCode, null, `prism died (${prism.child.signalCode}):\n${prism.stderr.split('\n').slice(-30).join('\n')}`);
    assert.equal((await getJson(prism, '/health')).status, 200);
    await waitFor('realtime sessions still open', async () => (await gauge(prism, 'prism_realtime_sessions')) === 0 || await gauge(prism, 'prism_realtime_sessions'));
    await waitFor('recognizers still in use', async () => (await gauge(prism, 'prism_voice_recognizers_in_use')) === 0 || await gauge(prism, 'prism_voice_recognizers_in_use'));
    // Memory: back near the idle level, allowing for decoders the pools
    // started since (~100 MiB each, kept warm) and allocator slack.
    const decoders = await gauge(prism, 'prism_voice_recognizers_started');
    const rss = rssBytes(pid);
    const allowed = idleRss * 1.25 + 64 * MiB + Math.max(0, decoders - idleDecoders) * 100 * MiB;
    console.log(`# soak result: ${stats.sessions} sessions (${stats.closes} closed, ${stats.resets} reset), ${stats.events} events ` +
      `(${stats.invalid} invalid, ${stats.answered} answered with their event_id), ${stats.responses} responses, ${elapsed.toFixed(1)} s; ` +
      `RSS idle ${(idleRss / MiB).toFixed(0)} MiB -> after ${(rss / MiB).toFixed(0)} MiB (allowed ${(allowed / MiB).toFixed(0)}), ` +
      `decoders ${idleDecoders} -> ${decoders}; failures ${stats.failures.length}`);
    assert.deepEqual(stats.failures, []);
    assert.equal(stats.answered, stats.invalid);
    assert.ok(rss <= allowed, `RSS ${rss} above ${allowed}`);
  });
});
