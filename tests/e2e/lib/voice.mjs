// Helpers for the voice tests: speech from prism's own /v1/audio/speech,
// word error rate, PCM loudness, the official SDK's realtime client pointed
// at prism, and validation of server events against the OpenAPI spec.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import OpenAI from 'openai';
import { repoRoot } from './prism.mjs';
import { assertMatchesSchema } from './openapi.mjs';

// Raw PCM16 LE mono 24 kHz (or a WAV) of `text`, synthesized by prism (Flite).
export async function speak(prism, text, { format = 'pcm', voice = 'alloy', apiKey } = {}) {
  const res = await fetch(prism.url('/v1/audio/speech'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ model: 'tts-1', input: text, voice, response_format: format }),
  });
  if (res.status !== 200) throw new Error(`speech failed: ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

function words(text) {
  return text.toLowerCase().replace(/[^a-z0-9' ]+/g, ' ').split(/\s+/).filter(Boolean);
}

// Word error rate: word-level edit distance / reference length.
export function wordErrorRate(reference, hypothesis) {
  const r = words(reference);
  const h = words(hypothesis);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1));
    prev = cur;
  }
  return r.length ? prev[h.length] / r.length : (h.length ? 1 : 0);
}

// Root mean square of PCM16 LE samples, in full-scale units (0..1).
export function pcmRms(buf) {
  const n = Math.floor(buf.length / 2);
  if (!n) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) { const s = buf.readInt16LE(i * 2) / 32768; sum += s * s; }
  return Math.sqrt(sum / n);
}

// The SDK's realtime WebSocket client (wss:// by construction). Against an
// HTTPS prism it connects to the real wss:// URL, trusting prism's
// certificate through ws's `ca` option; against a plain-HTTP prism it goes
// over a plain TCP connection: `createConnection` is ws's documented hook,
// so the SDK's own socket, framing, auth header and event handling are used.
export function realtimeClient(prism, { model = 'router', apiKey = 'sk-none', headers = {} } = {}) {
  const client = new OpenAI({ baseURL: prism.url('/v1'), apiKey, maxRetries: 0 });
  const options = prism.scheme === 'https'
    ? { headers, ...(prism.ca ? { ca: prism.ca } : {}) }
    : { headers, createConnection: () => net.connect(prism.port, '127.0.0.1') };
  const rt = new OpenAIRealtimeWS({ model, options }, client);
  return rt;
}

// Collects every server event of a realtime client, in order, with its
// arrival time (times[i], performance.now()), and checks each against its
// schema (failures in schemaErrors, for the test to assert empty).
export function recordServerEvents(rt) {
  const events = [];
  const times = [];
  const schemaErrors = [];
  rt.on('event', (ev) => {
    events.push(ev);
    times.push(performance.now());
    try { checkServerEvent(ev); } catch (e) { schemaErrors.push(`${ev.type}: ${e.message}`); }
  });
  rt.on('error', () => { /* error events are asserted through `events` */ });
  return { events, times, schemaErrors };
}

// Closes the client's socket and waits until it is closed.
export function closeAndWait(rt) {
  return new Promise((resolve) => {
    if (rt.socket.readyState === rt.socket.CLOSED) return resolve();
    rt.socket.once('close', resolve);
    rt.close();
  });
}

// Event type -> its RealtimeServerEvent* schema name, read from the spec.
let eventSchemas = null;
export function serverEventSchemas() {
  if (eventSchemas) return eventSchemas;
  const file = path.join(repoRoot, 'tests', 'fixtures', 'openai-openapi', 'openapi.yaml');
  const spec = YAML.parse(readFileSync(file, 'utf8'), { maxAliasCount: -1 });
  eventSchemas = new Map();
  for (const [name, schema] of Object.entries(spec.components.schemas)) {
    if (!name.startsWith('RealtimeServerEvent') || name === 'RealtimeServerEvent') continue;
    const type = schema?.properties?.type;
    const value = type?.enum?.[0] ?? type?.const;
    if (typeof value === 'string' && !eventSchemas.has(value)) eventSchemas.set(value, name);
  }
  return eventSchemas;
}

// A copy without null-valued properties. The spec copy does not mark as
// nullable fields that OpenAI's server sends as null (status_details,
// usage, transcription, noise_reduction...), which the SDK's types accept.
function withoutNulls(value) {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
}

// Validates a server event against its schema (nulls aside, see above);
// returns the schema name, or null when the spec has none for its type
// (prism.turn.timing and others).
export function checkServerEvent(event) {
  const name = serverEventSchemas().get(event.type);
  if (!name) return null;
  assertMatchesSchema(name, withoutNulls(event));
  return name;
}

// Resolves with the next event of `type` (and matching `pred`) from `rt`;
// listens on the SDK's catch-all 'event' channel, which errors reach too.
export function nextEvent(rt, type, { timeoutMs = 20000, pred = () => true } = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { rt.off('event', on); reject(new Error(`no ${type} within ${timeoutMs} ms`)); }, timeoutMs);
    const on = (ev) => {
      if (ev.type === type && pred(ev)) { clearTimeout(timer); rt.off('event', on); resolve(ev); }
    };
    rt.on('event', on);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
