// prism serve over TLS (HTTPS and WSS) with a throwaway self-signed
// certificate made by the openssl CLI at test time. The official openai SDK,
// trusting that certificate as a deployment would (NODE_EXTRA_CA_CERTS, read
// by Node only at startup, hence a child process), gets a completion and a
// stream; the SDK's realtime client connects to the real wss:// URL; keep-
// alive, limits and graceful drain hold over TLS; plain HTTP, garbage and
// refused or stalled handshakes are closed while a TLS stream alongside goes
// on; bad certificate and key files stop `prism serve` with a message naming
// the file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { prismBin, repoRoot, selfSignedCert, sleep, startPrism, tempDir } from './lib/prism.mjs';
import { FakeUpstream, upstreamModel } from './lib/upstream.mjs';
import { nextEvent, realtimeClient } from './lib/voice.mjs';

const execFileP = promisify(execFile);
const e2eDir = path.dirname(fileURLToPath(import.meta.url));
const REPLY = 'w1 w2 w3 w4 w5 w6 w7 w8';
const chat = (extra = {}) => ({ model: 'up', messages: [{ role: 'user', content: 'hello' }], ...extra });

// One HTTPS request, verified against prism's certificate; the whole body.
// Without an agent the connection is not kept (Connection: close).
function httpsRequest(prism, p, { method = 'GET', body, agent = false, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(prism.url(p), {
      method, agent, ca: prism.ca,
      headers: body ? { 'content-type': 'application/json', ...headers } : headers,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, reusedSocket: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

const sseData = (text) => text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
const sseText = (data) => data.slice(0, -1).map((e) => JSON.parse(e).choices[0]?.delta?.content ?? '').join('');

// A streamed completion over HTTPS: resolves once the first bytes of the
// stream arrived, with `done` resolving to its data payloads.
function openStream(prism) {
  return new Promise((resolve, reject) => {
    const req = https.request(prism.url('/v1/chat/completions'), {
      method: 'POST', agent: false, ca: prism.ca, headers: { 'content-type': 'application/json' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      const done = new Promise((ok, fail) => { res.on('end', () => ok(sseData(text))); res.on('error', fail); });
      res.once('data', () => resolve({ status: res.statusCode, done }));
      res.on('data', (d) => { text += d; });
    });
    req.on('error', reject);
    req.end(JSON.stringify(chat({ stream: true })));
  });
}

// Writes `bytes` (if any) on a new TCP or TLS connection; resolves with what
// the server sent before the connection closed.
function exchange(connect, bytes) {
  return new Promise((resolve) => {
    const socket = connect();
    let data = '';
    socket.on('data', (d) => { data += d; });
    socket.on('error', () => {});
    socket.on('close', () => resolve(data));
    if (bytes) socket.write(bytes);
  });
}

// The unmodified SDK (its own fetch) in a child process that trusts the
// certificate through NODE_EXTRA_CA_CERTS.
const SDK_SCRIPT = `
import OpenAI from 'openai';
const client = new OpenAI({ baseURL: process.env.PRISM_URL, apiKey: 'sk-none', maxRetries: 0 });
const messages = [{ role: 'user', content: 'hello' }];
const completion = await client.chat.completions.create({ model: 'up', messages });
const stream = await client.chat.completions.create({ model: 'up', messages, stream: true });
const deltas = [];
for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta?.content ?? '');
console.log(JSON.stringify({ content: completion.choices[0].message.content, model: completion.model, deltas }));
`;

async function waitForLog(prism, pred) {
  for (let i = 0; i < 100; i++) {
    const line = prism.logLines().find(pred);
    if (line) return line;
    await sleep(50);
  }
  return null;
}

describe('HTTPS and WSS', () => {
  let up, cert, prism;
  before(async () => {
    cert = selfSignedCert();
    up = await new FakeUpstream('up', { reply: REPLY, chunkDelayMs: 60 }).start();
    prism = await startPrism(upstreamModel(up), { tls: cert });
  });
  after(async () => {
    await prism?.stop();
    await up?.stop();
  });

  it('announces https and the official SDK gets a completion and a stream', async () => {
    assert.equal(prism.scheme, 'https');
    const { stdout } = await execFileP(process.execPath, ['--input-type=module', '-e', SDK_SCRIPT], {
      cwd: e2eDir, timeout: 60000,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.certFile, PRISM_URL: prism.url('/v1') },
    });
    const out = JSON.parse(stdout);
    assert.equal(out.content, REPLY);
    assert.equal(out.model, 'up');
    assert.ok(out.deltas.length > 1, 'the answer came in several chunks');
    assert.equal(out.deltas.join(''), REPLY);
    // The same SDK without the certificate trusted refuses to connect:
    // verification is on, and it is prism's certificate that is checked.
    const untrusting = new OpenAI({ baseURL: prism.url('/v1'), apiKey: 'sk-none', maxRetries: 0 });
    await assert.rejects(untrusting.chat.completions.create(chat()), OpenAI.APIConnectionError);
  });

  it('keeps a TLS connection alive across an SSE stream and the next request', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const stream = await httpsRequest(prism, '/v1/chat/completions', { method: 'POST', body: chat({ stream: true }), agent });
      assert.equal(stream.status, 200);
      assert.match(stream.headers['content-type'], /^text\/event-stream/);
      const data = sseData(stream.text);
      assert.equal(data.at(-1), '[DONE]');
      assert.equal(sseText(data), REPLY);
      const health = await httpsRequest(prism, '/health', { agent });
      assert.equal(health.status, 200);
      assert.ok(health.reusedSocket, 'the second request went over the same TLS connection');
    } finally {
      agent.destroy();
    }
  });

  it('the SDK realtime client connects to wss:// and updates its session; the upgrade is logged as 101', async () => {
    const rt = realtimeClient(prism);
    assert.equal(rt.url.protocol, 'wss:');
    rt.on('error', () => { /* asserted through the events */ });
    const created = await nextEvent(rt, 'session.created');
    assert.equal(created.session.type, 'realtime');
    rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Answer briefly.' } });
    const updated = await nextEvent(rt, 'session.updated');
    assert.equal(updated.session.instructions, 'Answer briefly.');
    await new Promise((resolve) => { rt.socket.once('close', resolve); rt.close(); });
    const line = await waitForLog(prism, (l) => l.msg === 'request' && l.path === '/v1/realtime');
    assert.ok(line, 'the upgrade request is in the access log');
    assert.equal(line.status, 101);
  });

  it('closes plain HTTP, garbage and refused handshakes while a TLS stream goes on', async () => {
    const stream = await openStream(prism);
    assert.equal(stream.status, 200);

    // Plain HTTP to the TLS port: a clear answer in the clear, then close.
    const plain = await new Promise((resolve, reject) => {
      http.get(`http://127.0.0.1:${prism.port}/health`, { agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text) }));
      }).on('error', reject);
    });
    assert.equal(plain.status, 400);
    assert.equal(plain.json.error.code, 'tls_required');
    assert.match(plain.json.error.message, /https:\/\//);

    // Bytes that are not a TLS ClientHello: closed (at most a TLS alert back).
    const junk = await exchange(() => net.connect(prism.port, '127.0.0.1'), Buffer.from('\x16\x03\x01\x00\x05junk-junk-junk'));
    assert.doesNotMatch(junk, /HTTP\//);
    // A client that refuses prism's certificate drops the connection.
    const refused = await new Promise((resolve) => {
      const s = tls.connect({ port: prism.port, host: '127.0.0.1' });
      s.on('error', resolve);
      s.on('secureConnect', () => resolve(new Error('connected without trusting the certificate')));
    });
    assert.equal(refused.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    // A client that connects and leaves before saying anything.
    await new Promise((resolve) => net.connect(prism.port, '127.0.0.1', function () { this.destroy(); resolve(); }));

    // A TLS 1.2 client is served, and ALPN settles on http/1.1.
    const t12 = await new Promise((resolve, reject) => {
      const s = tls.connect({ port: prism.port, host: '127.0.0.1', ca: prism.ca, maxVersion: 'TLSv1.2', ALPNProtocols: ['h2', 'http/1.1'] },
        () => { resolve({ protocol: s.getProtocol(), alpn: s.alpnProtocol }); s.end(); });
      s.on('error', reject);
    });
    assert.deepEqual(t12, { protocol: 'TLSv1.2', alpn: 'http/1.1' });

    const data = await stream.done;
    assert.equal(data.at(-1), '[DONE]', 'the stream alongside completed');
    assert.equal(sseText(data), REPLY);
    assert.equal((await httpsRequest(prism, '/health')).status, 200);
    assert.ok(await waitForLog(prism, (l) => l.msg === 'plain HTTP request on the TLS port; answered 400'));
    assert.ok(await waitForLog(prism, (l) => l.msg === 'TLS handshake failed' && l.error && l.peer),
      'failed handshakes are logged with the peer');
  });
});

describe('TLS from the config file, with tight limits', () => {
  let up, prism;
  before(async () => {
    const cert = selfSignedCert();
    up = await new FakeUpstream('up', { reply: REPLY }).start();
    prism = await startPrism(`
[server]
tls_cert = "${cert.certFile}"
tls_key = "${cert.keyFile}"
request_timeout_ms = 500
max_header_bytes = 2048
max_body_bytes = 4096
` + upstreamModel(up), { ca: cert.cert });
  });
  after(async () => {
    await prism?.stop();
    await up?.stop();
  });

  it('serves https from [server] tls_cert and tls_key', async () => {
    assert.equal(prism.scheme, 'https');
    const r = await httpsRequest(prism, '/v1/chat/completions', { method: 'POST', body: chat() });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.text).choices[0].message.content, REPLY);
  });

  it('cuts off a client that never starts its handshake, and one that never finishes its request', async () => {
    assert.equal(await exchange(() => net.connect(prism.port, '127.0.0.1')), '');
    assert.ok(await waitForLog(prism, (l) => l.msg === 'TLS handshake failed' && /no handshake within 500 ms/.test(l.error)));
    // After the handshake, a slow-loris request is cut off as over plain TCP.
    const slow = tls.connect({ port: prism.port, host: '127.0.0.1', ca: prism.ca });
    const closed = new Promise((resolve) => slow.on('close', resolve));
    slow.on('error', () => {});
    slow.on('secureConnect', () => slow.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n'));
    const drip = setInterval(() => { if (!slow.destroyed) slow.write('X-A: b\r\n'); }, 100);
    assert.equal((await httpsRequest(prism, '/health')).status, 200);
    await closed;
    clearInterval(drip);
  });

  it('header and body limits hold over TLS', async () => {
    const big = await exchange(() => tls.connect({ port: prism.port, host: '127.0.0.1', ca: prism.ca }),
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(5000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431/);
    const r = await httpsRequest(prism, '/v1/chat/completions', { method: 'POST', body: chat({ messages: [{ role: 'user', content: 'x'.repeat(10000) }] }) });
    assert.equal(r.status, 413);
  });
});

describe('graceful drain over TLS', () => {
  let up;
  before(async () => { up = await new FakeUpstream('up', { reply: REPLY, chunkDelayMs: 100 }).start(); });
  after(async () => up?.stop());

  it('finishes the stream in flight, closes idle connections and WebSockets, exits 0', async () => {
    const prism = await startPrism(upstreamModel(up), { tls: selfSignedCert() });
    try {
      // An idle keep-alive TLS connection.
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      const idleClosed = new Promise((resolve) => agent.once('free', (socket) => socket.once('close', resolve)));
      assert.equal((await httpsRequest(prism, '/health', { agent })).status, 200);
      // An open wss session.
      const rt = realtimeClient(prism);
      rt.on('error', () => {});
      await nextEvent(rt, 'session.created');
      const wsClosed = new Promise((resolve) => rt.socket.once('close', (code) => resolve(code)));
      // A stream in flight.
      const stream = await openStream(prism);

      prism.child.kill('SIGTERM');
      const data = await stream.done;
      assert.equal(data.at(-1), '[DONE]', 'the stream in flight completed');
      assert.equal(sseText(data), REPLY);
      assert.equal(await wsClosed, 1001);
      await idleClosed;
      assert.equal((await prism.exited).code, 0);
      agent.destroy();
    } finally {
      await prism.stop();
    }
  });
});

describe('bad certificate and key files', () => {
  let dir, cert, other, configPath;
  before(() => {
    dir = tempDir('prism-tls-bad-');
    cert = selfSignedCert(dir, 'good');
    other = selfSignedCert(dir, 'other');
    configPath = path.join(dir, 'prism.toml');
    writeFileSync(configPath, '[server]\nport = 0\ndecision_log = ""\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a certificate\n');
  });

  // Runs `prism serve`, which must exit non-zero; resolves with its stderr.
  async function serveFails(args, config = configPath) {
    try {
      await execFileP(prismBin, ['serve', '--config', config, '--port', '0', ...args], { cwd: repoRoot, timeout: 20000 });
    } catch (e) {
      assert.ok(e.code !== 0 && e.code !== undefined && !e.killed, `prism should exit with an error, got ${e.code}`);
      return e.stderr;
    }
    assert.fail('prism serve started with bad TLS files');
  }

  const cases = [
    ['a missing certificate', () => ['--tls-cert', path.join(dir, 'missing.pem'), '--tls-key', cert.keyFile],
      () => new RegExp(`TLS certificate file '${path.join(dir, 'missing.pem')}' does not exist`)],
    ['a certificate that is not PEM', () => ['--tls-cert', path.join(dir, 'notes.txt'), '--tls-key', cert.keyFile],
      () => /TLS certificate file '.*notes\.txt' is not a PEM certificate/],
    ['a key that is not PEM', () => ['--tls-cert', cert.certFile, '--tls-key', path.join(dir, 'notes.txt')],
      () => /TLS key file '.*notes\.txt' is not a PEM private key/],
    ['a key that does not match the certificate', () => ['--tls-cert', cert.certFile, '--tls-key', other.keyFile],
      () => /TLS key file '.*other-key\.pem' does not match the certificate in '.*good-cert\.pem'/],
    ['certificate and key swapped', () => ['--tls-cert', cert.keyFile, '--tls-key', cert.certFile],
      () => /holds a private key, not a certificate/],
    ['a certificate without a key', () => ['--tls-cert', cert.certFile],
      () => /TLS needs both a certificate and a key/],
  ];
  for (const [name, args, message] of cases) {
    it(`${name}: prism serve exits with a message naming the file`, async () => {
      const stderr = await serveFails(args());
      assert.match(stderr, message());
    });
  }

  it('a missing file named in the config: the same message', async () => {
    const bad = path.join(dir, 'bad.toml');
    writeFileSync(bad, `[server]\nport = 0\ndecision_log = ""\ntls_cert = "${path.join(dir, 'nope.pem')}"\ntls_key = "${cert.keyFile}"\n`);
    assert.match(await serveFails([], bad), /TLS certificate file '.*nope\.pem' does not exist/);
  });
});
