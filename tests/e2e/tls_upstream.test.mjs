// An HTTPS upstream: prism speaks TLS to it, checks its certificate unless
// told not to, and fails over when the handshake is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, postJson, readSse, startPrism, tempDir } from './lib/prism.mjs';
import { FakeUpstream, FRAMINGS, upstreamModel } from './lib/upstream.mjs';

function selfSignedCert() {
  const dir = tempDir('prism-tls-');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

// Each upstream frames its answers one way; every framing a real server
// uses gets the whole file.
for (const framing of FRAMINGS) {
  describe(`TLS upstreams (${framing} framing)`, () => {
    let secure, plain;
    before(async () => {
      const tls = selfSignedCert();
      secure = await new FakeUpstream('secure', { reply: 'over tls' }, { tls, framing }).start();
      plain = await new FakeUpstream('plain', { reply: 'in the clear' }, { framing }).start();
    });
    after(async () => {
      await secure?.stop();
      await plain?.stop();
    });

    it('relays a streamed answer over HTTPS', async () => {
      const prism = await startPrism(`[server]\nupstream_tls_verify = false\n` + upstreamModel(secure));
      try {
        const r = await postJson(prism, '/v1/chat/completions', { model: 'secure', messages: [{ role: 'user', content: 'x' }] });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.choices[0].message.content, 'over tls');
        const res = await fetch(prism.url('/v1/chat/completions'), { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'secure', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
        const events = await readSse(res);
        assert.equal(events.at(-1), '[DONE]');
      } finally {
        await prism.stop();
      }
    });

    it('refuses an unverifiable certificate and falls back', async () => {
      const prism = await startPrism(upstreamModel(secure, { quality: 0.9 }) + upstreamModel(plain, { quality: 0.5 }));
      try {
        const r = await postJson(prism, '/v1/chat/completions', { model: 'router', routing: { mode: 'quality' },
          messages: [{ role: 'user', content: 'x' }] });
        assert.equal(r.json.model, 'plain');
        const d = await getJson(prism, `/v1/router/decisions/${r.headers.get('x-prism-decision-id')}`);
        assert.equal(d.json.attempts[0].error_kind, 'connect_error');
        assert.match(d.json.attempts[0].error, /TLS handshake/);
      } finally {
        await prism.stop();
      }
    });
  });
}
