// Fallbacks and health: upstream test servers that fail, rate-limit, stall
// or drop mid-stream; prism must move on to the next candidate before it
// has streamed anything, and say so in the decision record.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { assertMatchesSchema } from './lib/openapi.mjs';
import { getJson, postJson, readSse, startPrism } from './lib/prism.mjs';
import { FakeUpstream, FRAMINGS, upstreamModel } from './lib/upstream.mjs';

// Raw HTTP/1.1 on one socket: what arrives until `until` matches the bytes
// read so far (or the server closes).
function readUntil(socket, until) {
  return new Promise((resolve) => {
    let text = '';
    const done = () => { socket.off('data', onData); socket.off('close', done); resolve(text); };
    const onData = (d) => { text += d.toString('latin1'); if (until(text)) done(); };
    socket.on('data', onData);
    socket.on('close', done);
  });
}

const chat = (extra = {}) => ({ model: 'router', routing: { mode: 'quality' }, messages: [{ role: 'user', content: 'hello' }], ...extra });
const timeouts = 'connect_timeout_ms = 500\nfirst_token_timeout_ms = 400\ntotal_timeout_ms = 3000';

// Each upstream frames its answers one way; every framing a real server
// uses gets the whole file.
for (const framing of FRAMINGS) {
  describe(`fallbacks (${framing} framing)`, () => {
    let primary, secondary, tertiary, prism;
    before(async () => {
      primary = await new FakeUpstream('primary', {}, { framing }).start();
      secondary = await new FakeUpstream('secondary', {}, { framing }).start();
      tertiary = await new FakeUpstream('tertiary', {}, { framing }).start();
      prism = await startPrism(`
  [router]
  max_attempts = 3
  circuit_failure_threshold = 10
  circuit_cooldown_ms = 60000
  ` + upstreamModel(primary, { quality: 0.9, extra: timeouts })
        + upstreamModel(secondary, { quality: 0.8, extra: timeouts })
        + upstreamModel(tertiary, { quality: 0.7, extra: timeouts }));
    });
    afterEach(() => { for (const u of [primary, secondary, tertiary]) u.set({ mode: 'ok', delayMs: 0, chunkDelayMs: 0 }); });
    after(async () => {
      await prism?.stop();
      for (const u of [primary, secondary, tertiary]) await u?.stop();
    });

    const decision = async (r) => (await getJson(prism, `/v1/router/decisions/${r.headers.get('x-prism-decision-id')}`)).json;

    it('a 500 moves on to the next candidate and is recorded', async () => {
      primary.set({ mode: 'fail500' });
      const r = await postJson(prism, '/v1/chat/completions', chat());
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.model, 'secondary');
      const d = await decision(r);
      assert.equal(d.attempts.length, 2);
      assert.equal(d.attempts[0].model, 'primary');
      assert.equal(d.attempts[0].error_kind, 'http_status');
      assert.equal(d.attempts[0].http_status, 500);
      assert.match(d.attempts[0].error, /primary is broken/);
      assert.equal(d.attempts[1].result, 'ok');
      assert.equal(d.outcome.model, 'secondary');
      const metrics = await (await fetch(prism.url('/metrics'))).text();
      assert.match(metrics, /prism_fallbacks_total\{from="primary",to="secondary"\} \d/);
    });

    it('a stall before the first token (streaming) falls back after first_token_timeout_ms', async () => {
      primary.set({ mode: 'stall' });
      const res = await fetch(prism.url('/v1/chat/completions'), {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat({ stream: true })) });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-prism-model'), 'secondary');
      const events = await readSse(res);
      assert.equal(events.at(-1), '[DONE]');
      const text = events.slice(0, -1).map((e) => JSON.parse(e)).map((c) => c.choices[0]?.delta?.content ?? '').join('');
      assert.equal(text, 'hello from secondary');
      const d = await decision(res);
      assert.equal(d.attempts[0].error_kind, 'first_token_timeout');
    });

    it('headers then silence also counts as a first-token timeout', async () => {
      primary.set({ mode: 'stallAfterHeaders' });
      const res = await fetch(prism.url('/v1/chat/completions'), {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat({ stream: true })) });
      const events = await readSse(res);
      assert.equal(events.at(-1), '[DONE]');
      assert.equal(JSON.parse(events[0]).model, 'secondary');
    });

    it('a 429 honours Retry-After: the model sits out until then', async () => {
      primary.set({ mode: 'rate429', retryAfter: 30 });
      const r = await postJson(prism, '/v1/chat/completions', chat());
      assert.equal(r.json.model, 'secondary');
      primary.set({ mode: 'ok' });
      const seen = primary.requests.length;
      const again = await postJson(prism, '/v1/chat/completions', chat());
      assert.equal(again.json.model, 'secondary');
      assert.equal(primary.requests.length, seen, 'the rate-limited model was not called again');
      const d = await decision(again);
      const p = d.policy.candidates.find((c) => c.model === 'primary');
      assert.match(p.excluded, /rate limited by the upstream \(429 Retry-After\); available again in (29|30)\.\d s/);
    });

    it('the connection stays usable after a stream that ended with an error event', async () => {
      // The stream said keep-alive and ended with its last chunk: a client
      // reuses the socket, so prism must not close it behind the response.
      // (primary may still sit out the 429 above: every upstream drops.)
      for (const u of [primary, secondary, tertiary]) u.set({ mode: 'dropMidStream', reply: 'one two three four five six', chunkDelayMs: 5 });
      const body = JSON.stringify(chat({ stream: true }));
      const socket = net.connect(Number(new URL(prism.url('/')).port), '127.0.0.1');
      socket.on('error', () => {});
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      const stream = await readUntil(socket, (t) => t.includes('\r\n0\r\n\r\n'));
      assert.match(stream, /upstream_stream_interrupted/);
      assert.doesNotMatch(stream.split('\r\n\r\n')[0], /connection: close/i);
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      const next = await readUntil(socket, (t) => t.includes('\r\n\r\n'));
      socket.destroy();
      assert.match(next, /^HTTP\/1\.1 200/);
    });
  });

  describe(`failures that end a request (${framing} framing)`, () => {
    let a, b, prism;
    before(async () => {
      a = await new FakeUpstream('a', {}, { framing }).start();
      b = await new FakeUpstream('b', {}, { framing }).start();
      prism = await startPrism(`
  [router]
  circuit_failure_threshold = 2
  circuit_cooldown_ms = 60000
  ` + upstreamModel(a, { quality: 0.9, extra: timeouts }) + upstreamModel(b, { quality: 0.8, extra: timeouts })
        + `
  [[models]]
  id = "down"
  backend = "upstream"
  base_url = "http://127.0.0.1:1/v1"
  capabilities = ["text"]
  context_window = 8000
  quality = 0.95
  `);
    });
    after(async () => {
      await prism?.stop();
      await a?.stop();
      await b?.stop();
    });

    it('a connection refused falls back; repeated failures open the circuit', async () => {
      for (let i = 0; i < 2; i++) {
        const r = await postJson(prism, '/v1/chat/completions', chat());
        assert.equal(r.json.model, 'a');
        const d = (await getJson(prism, `/v1/router/decisions/${r.headers.get('x-prism-decision-id')}`)).json;
        assert.equal(d.attempts[0].model, 'down');
        assert.equal(d.attempts[0].error_kind, 'connect_error');
      }
      const r = await postJson(prism, '/v1/router/explain', chat());
      const down = r.json.policy.candidates.find((c) => c.model === 'down');
      assert.match(down.excluded, /circuit open after 2 consecutive failures; available again in \d+\.\d s/);
      const metrics = await (await fetch(prism.url('/metrics'))).text();
      assert.match(metrics, /prism_model_circuit_open\{model="down"\} 1/);
    });

    it("an upstream's own 400 is passed on, not retried elsewhere", async () => {
      a.set({ mode: 'bad400' });
      const seen = b.requests.length;
      const r = await postJson(prism, '/v1/chat/completions', chat({ routing: { mode: 'quality', exclude: ['down'] } }));
      assert.equal(r.status, 400);
      assert.equal(r.json.error.param, 'temperature');
      assert.equal(r.json.error.message, 'temperature is wrong');
      assert.equal(b.requests.length, seen);
      a.set({ mode: 'ok' });
    });

    it('a drop mid-stream ends the stream with an error event (too late to fall back)', async () => {
      a.set({ mode: 'dropMidStream', reply: 'one two three four five six', chunkDelayMs: 20 });
      const res = await fetch(prism.url('/v1/chat/completions'), {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify(chat({ stream: true, routing: { mode: 'quality', exclude: ['down'] } })) });
      assert.equal(res.status, 200);
      const events = await readSse(res);
      assert.notEqual(events.at(-1), '[DONE]');
      const last = JSON.parse(events.at(-1));
      assertMatchesSchema('ErrorResponse', last);
      assert.equal(last.error.code, 'upstream_stream_interrupted');
      const d = (await getJson(prism, `/v1/router/decisions/${res.headers.get('x-prism-decision-id')}`)).json;
      assert.equal(d.attempts.length, 1);
      assert.equal(d.attempts[0].streamed_before_failure, true);
      a.set({ mode: 'ok', chunkDelayMs: 0 });
    });
    // Last: its failures open a's circuit (threshold 2), which the 504 case relies on.
    it('when every candidate fails: 502, or 504 when the last one timed out', async () => {
      a.set({ mode: 'fail500' });
      b.set({ mode: 'fail500' });
      const r = await postJson(prism, '/v1/chat/completions', chat({ routing: { mode: 'quality', exclude: ['down'] } }));
      assert.equal(r.status, 502);
      assertMatchesSchema('ErrorResponse', r.json);
      assert.equal(r.json.error.code, 'upstream_failed');
      assert.match(r.json.error.message, /all 2 attempted model\(s\) failed/);
      b.set({ mode: 'stall' });
      const t = await postJson(prism, '/v1/chat/completions', chat({ routing: { mode: 'quality', exclude: ['down'] } }));
      assert.equal(t.status, 504);
      assert.equal(t.json.error.code, 'upstream_timeout');
      a.set({ mode: 'ok' });
      b.set({ mode: 'ok' });
    });

  });
}
