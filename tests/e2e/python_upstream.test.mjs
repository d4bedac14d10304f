// An upstream written with Python's standard library (http.server): HTTP/1.0,
// Content-Length on JSON answers, streams that end with the connection. The
// strict framing real servers use, not a double of our own making.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertMatchesSchema } from './lib/openapi.mjs';
import { getJson, postJson, readSse, repoRoot, startPrism } from './lib/prism.mjs';

async function startPythonUpstream() {
  const child = spawn('python3', [path.join(repoRoot, 'tests/e2e/upstreams/python_upstream.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.on('exit', (code) => reject(new Error(`python upstream exited with ${code}`)));
    child.stdout.on('data', (d) => { out += d; const m = out.match(/listening on (\d+)/); if (m) resolve(Number(m[1])); });
  });
  return { child, baseUrl: `http://127.0.0.1:${port}/v1` };
}

const model = (id, upstreamModel, quality, baseUrl) => `
[[models]]
id = "${id}"
backend = "upstream"
base_url = "${baseUrl}"
upstream_model = "${upstreamModel}"
capabilities = ["text"]
context_window = 8000
quality = ${quality}
`;

describe('an upstream written with Python\'s http.server', () => {
  let py, prism;
  before(async () => {
    py = await startPythonUpstream();
    prism = await startPrism(`
[router]
max_attempts = 3
` + model('py-limited', 'py-429', 0.9, py.baseUrl) + model('py-broken', 'py-500', 0.8, py.baseUrl)
      + model('py', 'py-ok', 0.7, py.baseUrl));
  });
  after(async () => {
    await prism?.stop();
    py?.child.kill();
  });

  const ask = (extra = {}) => ({ messages: [{ role: 'user', content: 'hello' }], ...extra });
  const decision = async (r) => (await getJson(prism, `/v1/router/decisions/${r.headers.get('x-prism-decision-id')}`)).json;

  it('answers a non-streaming request framed with Content-Length', async () => {
    const r = await postJson(prism, '/v1/chat/completions', ask({ model: 'py' }));
    assert.equal(r.status, 200, r.text);
    assertMatchesSchema('CreateChatCompletionResponse', r.json);
    assert.equal(r.json.choices[0].message.content, 'hello from python');
  });

  it('relays a stream that ends when the connection closes', async () => {
    const res = await fetch(prism.url('/v1/chat/completions'), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask({ model: 'py', stream: true })) });
    assert.equal(res.status, 200);
    const events = await readSse(res);
    assert.equal(events.at(-1), '[DONE]');
    const text = events.slice(0, -1).map((e) => JSON.parse(e)).map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'hello from python');
  });

  it('reads Retry-After from a 429, falls back past a 500, and keeps the limited model out', async () => {
    const r = await postJson(prism, '/v1/chat/completions', ask({ model: 'router', routing: { mode: 'quality' } }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.model, 'py');
    const d = await decision(r);
    assert.deepEqual(d.attempts.map((a) => [a.model, a.http_status ?? null]), [['py-limited', 429], ['py-broken', 500], ['py', null]]);
    assert.match(d.attempts[0].error, /python says slow down/);
    const explained = await postJson(prism, '/v1/router/explain', ask({ model: 'router', routing: { mode: 'quality' } }));
    const limited = explained.json.policy.candidates.find((c) => c.model === 'py-limited');
    assert.match(limited.excluded, /rate limited by the upstream \(429 Retry-After\); available again in (29|30)\.\d s/);
  });
});
