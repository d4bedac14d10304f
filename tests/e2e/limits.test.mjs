// Hostile and unlucky clients: oversized bodies and headers, slow-loris
// connections, garbage bytes, saturation, bad API keys, and clients that
// vanish mid-stream. Each gets a clear answer or a clean close, and the
// server goes on serving.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { assertMatchesSchema } from './lib/openapi.mjs';
import { getJson, postJson, sleep, startPrism } from './lib/prism.mjs';
import { FakeUpstream, upstreamModel } from './lib/upstream.mjs';

const chat = (extra = {}) => ({ model: 'router', messages: [{ role: 'user', content: 'hello' }], ...extra });

// Sends raw bytes and resolves with everything the server wrote before closing.
function rawExchange(port, bytes, { waitMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const started = Date.now();
    socket.on('data', (d) => { data += d; });
    socket.on('close', () => resolve({ data, closedAfterMs: Date.now() - started }));
    socket.on('error', () => {});
    socket.setTimeout(waitMs, () => { socket.destroy(); });
    if (bytes) socket.write(bytes);
  });
}

describe('limits and hostile input', () => {
  let up, prism;
  before(async () => {
    up = await new FakeUpstream('up', { reply: 'a b c d e f g h i j', chunkDelayMs: 50 }).start();
    prism = await startPrism(`
[server]
max_body_bytes = 4096
max_header_bytes = 2048
request_timeout_ms = 600
max_inflight_requests = 1
` + upstreamModel(up));
  });
  after(async () => {
    await prism?.stop();
    await up?.stop();
  });

  it('a body over the limit is a 413 in the OpenAI error shape', async () => {
    const r = await postJson(prism, '/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'x'.repeat(10000) }] }));
    assert.equal(r.status, 413);
    assertMatchesSchema('ErrorResponse', r.json);
    assert.match(r.json.error.message, /exceeds the limit of 4096 bytes/);
  });

  it('headers over the limit are a 431', async () => {
    const r = await rawExchange(prism.port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(5000)}\r\n\r\n`);
    assert.match(r.data, /^HTTP\/1\.1 431/);
  });

  it('malformed JSON, wrong types and garbage bytes are 400s; the server stays up', async () => {
    const bad = await postJson(prism, '/v1/chat/completions', '{"model": "router", "messages": [');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_json');
    const types = await postJson(prism, '/v1/chat/completions', chat({ max_tokens: 'many' }));
    assert.equal(types.status, 400);
    assert.equal(types.json.error.param, 'max_tokens');
    const roles = await postJson(prism, '/v1/chat/completions', { model: 'router', messages: [{ role: 'wizard', content: 'x' }] });
    assert.equal(roles.json.error.param, 'messages[0].role');
    const missing = await postJson(prism, '/v1/chat/completions', { messages: [] });
    assert.equal(missing.json.error.param, 'model');
    const garbage = await rawExchange(prism.port, Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x13, 0x0a, 0x0d, 0x0a, 0x0d]));
    assert.match(garbage.data, /^HTTP\/1\.1 400/);
    assert.equal((await getJson(prism, '/health')).status, 200);
  });

  it('a slow-loris client is cut off after request_timeout_ms while others are served', async () => {
    const socket = net.connect(prism.port, '127.0.0.1');
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('error', () => {});
    const started = Date.now();
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.write('X-A: b\r\n'), 100);
    assert.equal((await getJson(prism, '/health')).status, 200);
    await closed;
    clearInterval(drip);
    // The drip never ends, so the close itself shows the deadline acted; it
    // must not act before request_timeout_ms (no upper bound: a loaded
    // machine may be slow to notice).
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 500, `closed after ${elapsed} ms`);
  });

  it('an unknown path is a 404 and a wrong method a 405, both OpenAI-shaped', async () => {
    const r = await getJson(prism, '/v1/nothing');
    assert.equal(r.status, 404);
    assertMatchesSchema('ErrorResponse', r.json);
    const m = await getJson(prism, '/v1/chat/completions');
    assert.equal(m.status, 405);
  });

  it('a saturated server answers 429 with Retry-After', async () => {
    const slow = fetch(prism.url('/v1/chat/completions'), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat({ stream: true })) });
    await sleep(100);
    const r = await postJson(prism, '/v1/chat/completions', chat());
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '1');
    assertMatchesSchema('ErrorResponse', r.json);
    assert.equal(r.json.error.type, 'rate_limit_error');
    await (await slow).text();
    assert.equal((await postJson(prism, '/v1/chat/completions', chat())).status, 200);
  });

  it('a client that disconnects mid-stream is recorded and nothing leaks', async () => {
    const controller = new AbortController();
    const res = await fetch(prism.url('/v1/chat/completions'), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat({ stream: true })),
      signal: controller.signal });
    const id = res.headers.get('x-prism-decision-id');
    const reader = res.body.getReader();
    await reader.read();
    controller.abort();
    let d;
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      d = (await getJson(prism, `/v1/router/decisions/${id}`)).json;
      if (d.outcome) break;
    }
    assert.equal(d.outcome.status, 'client_disconnected');
    const health = await getJson(prism, '/health');
    assert.equal(health.json.inflight_requests, 0);
  });
});

describe('API keys', () => {
  let up, other, prism;
  before(async () => {
    up = await new FakeUpstream('up').start();
    other = await new FakeUpstream('other').start();
    prism = await startPrism(`
[[api_keys]]
name = "team-a"
key = "sk-team-a-0123456789"
models = ["up"]

[[api_keys]]
name = "admin"
key_env = "PRISM_TEST_ADMIN_KEY"
` + upstreamModel(up, { quality: 0.5 }) + upstreamModel(other, { quality: 0.9 }), { env: { PRISM_TEST_ADMIN_KEY: 'sk-admin-abcdefghij' } });
  });
  after(async () => {
    await prism?.stop();
    await up?.stop();
    await other?.stop();
  });

  it('missing or wrong keys are 401s', async () => {
    const none = await postJson(prism, '/v1/chat/completions', chat());
    assert.equal(none.status, 401);
    assertMatchesSchema('ErrorResponse', none.json);
    assert.equal(none.json.error.code, 'invalid_api_key');
    const wrong = await postJson(prism, '/v1/chat/completions', chat(), { authorization: 'Bearer sk-nope-000000000' });
    assert.equal(wrong.status, 401);
    assert.equal((await getJson(prism, '/health')).status, 200, 'health needs no key');
  });

  it('a key only sees and routes to its models', async () => {
    const auth = { authorization: 'Bearer sk-team-a-0123456789' };
    const models = await getJson(prism, '/v1/models', auth);
    // The catalog part: only its models; the router entries follow it for every key.
    assert.deepEqual(models.json.data.filter((m) => m.owned_by !== 'prism-router').map((m) => m.id), ['up']);
    assert.deepEqual(models.json.data.filter((m) => m.owned_by === 'prism-router').map((m) => m.id), ['router']);
    const routed = await postJson(prism, '/v1/chat/completions', chat({ routing: { mode: 'quality' } }), auth);
    assert.equal(routed.json.model, 'up');
    const d = (await getJson(prism, `/v1/router/decisions/${routed.headers.get('x-prism-decision-id')}`, auth)).json;
    assert.equal(d.api_key, 'team-a');
    assert.equal(d.policy.candidates.find((c) => c.model === 'other').excluded, 'not permitted for this API key');
    const direct = await postJson(prism, '/v1/chat/completions', { ...chat(), model: 'other' }, auth);
    assert.equal(direct.status, 403);
    const admin = await postJson(prism, '/v1/chat/completions', chat({ routing: { mode: 'quality' } }),
      { authorization: 'Bearer sk-admin-abcdefghij' });
    assert.equal(admin.json.model, 'other');
  });
});
