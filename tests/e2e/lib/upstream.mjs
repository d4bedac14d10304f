// A real OpenAI-compatible HTTP server on loopback that stands in for a
// remote provider. Its behaviour is set per test: answer (streamed or not),
// slowly or quickly, fail with 500 or 429, stall before the first token, or
// drop the connection mid-stream. It records what it received.
import http from 'node:http';
import https from 'node:https';

export class FakeUpstream {
  // `tls` = { key, cert } (PEM) serves HTTPS instead of HTTP.
  constructor(name, behaviour = {}, { tls = null } = {}) {
    this.name = name;
    this.tls = tls;
    this.behaviour = { mode: 'ok', reply: `hello from ${name}`, chunkDelayMs: 0, delayMs: 0, ...behaviour };
    this.requests = [];
    this.sockets = new Set();
    const handler = (req, res) => this.handle(req, res);
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    this.baseUrl = `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}/v1`;
    return this;
  }

  async stop() {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  set(behaviour) { this.behaviour = { ...this.behaviour, ...behaviour }; }

  async handle(req, res) {
    let body = '';
    for await (const chunk of req) body += chunk;
    let json = null;
    try { json = JSON.parse(body); } catch { /* recorded as null */ }
    this.requests.push({ method: req.method, url: req.url, headers: req.headers, body: json });
    const b = this.behaviour;
    if (req.url !== '/v1/chat/completions') { res.writeHead(404).end(); return; }
    if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
    switch (b.mode) {
      case 'fail500':
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `${this.name} is broken`, type: 'server_error', param: null, code: null } }));
        return;
      case 'rate429':
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(b.retryAfter ?? 30) });
        res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } }));
        return;
      case 'bad400':
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'temperature is wrong', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } }));
        return;
      case 'stall':  // accept, never answer
        return;
      case 'stallAfterHeaders':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        return;
      default:
        break;
    }
    const words = b.reply.split(' ');
    const id = `chatcmpl-${this.name}-${this.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: 11, completion_tokens: words.length, total_tokens: 11 + words.length };
    if (!json?.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id, object: 'chat.completion', created, model: json?.model ?? 'unknown',
        choices: [{ index: 0, message: { role: 'assistant', content: b.reply, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage,
      }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (obj) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const chunk = (delta, finish = null) => ({
      id, object: 'chat.completion.chunk', created, model: json.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    send(chunk({ role: 'assistant', content: '' }));
    for (let i = 0; i < words.length; i++) {
      if (b.chunkDelayMs) await new Promise((r) => setTimeout(r, b.chunkDelayMs));
      if (b.mode === 'dropMidStream' && i === Math.floor(words.length / 2)) { res.socket.destroy(); return; }
      send(chunk({ content: (i ? ' ' : '') + words[i] }));
    }
    send(chunk({}, 'stop'));
    if (json.stream_options?.include_usage) send({ id, object: 'chat.completion.chunk', created, model: json.model, choices: [], usage });
    res.write('data: [DONE]\n\n');
    res.end();
  }
}

// TOML for one upstream catalog entry.
export function upstreamModel(up, { id = up.name, quality = 0.5, priceIn = 1, priceOut = 2, caps = ['text'],
  context = 16000, extra = '' } = {}) {
  return `
[[models]]
id = "${id}"
backend = "upstream"
base_url = "${up.baseUrl}"
upstream_model = "${up.name}-upstream"
capabilities = ${JSON.stringify(caps)}
context_window = ${context}
price_input = ${priceIn}
price_output = ${priceOut}
quality = ${quality}
${extra}
`;
}
