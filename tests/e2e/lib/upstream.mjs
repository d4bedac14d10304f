// A real OpenAI-compatible HTTP server on loopback that stands in for a
// remote provider. Its behaviour is set per test: answer (streamed or not),
// slowly or quickly, fail with 500 or 429, stall before the first token, or
// drop the connection mid-stream. It records what it received.
//
// Every answer, error bodies included, is framed the way the chosen real
// server would frame it (`framing`, see FRAMINGS), so a client bug that only
// one framing triggers shows up in the tests.
import http from 'node:http';
import https from 'node:https';

// How a body is delimited on the wire:
//  'content-length' — a Content-Length header (OpenAI, vLLM and llama-server
//                     for JSON answers; Python's and Go's servers);
//  'chunked'        — Transfer-Encoding: chunked (Node's default, most SSE);
//  'close'          — an HTTP/1.0 answer without a length: the body ends when
//                     the server closes the connection.
export const FRAMINGS = ['content-length', 'chunked', 'close'];

const STATUS_TEXT = { 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class FakeUpstream {
  // `tls` = { key, cert } (PEM) serves HTTPS instead of HTTP.
  constructor(name, behaviour = {}, { tls = null, framing = 'chunked' } = {}) {
    if (!FRAMINGS.includes(framing)) throw new Error(`unknown framing ${framing}`);
    this.name = name;
    this.tls = tls;
    this.framing = framing;
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

  // Sends `pieces` (strings) as one body in this upstream's framing, waiting
  // `delayMs` before each piece after the first. `cutAfter` = n destroys the
  // connection after n pieces; `stopAfter` = n sends n pieces and then hangs.
  async respond(res, status, headers, pieces, { delayMs = 0, cutAfter = Infinity, stopAfter = Infinity } = {}) {
    const total = pieces.reduce((n, p) => n + Buffer.byteLength(p), 0);
    let write, end;
    if (this.framing === 'close') {
      // Node's response object always speaks HTTP/1.1, so the HTTP/1.0 answer
      // is written on the socket itself, as Python's http.server does.
      const socket = res.socket;
      const head = [`HTTP/1.0 ${status} ${STATUS_TEXT[status] ?? 'Status'}`, 'Connection: close',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
      socket.write(head + '\r\n\r\n');
      write = (p) => socket.write(p);
      end = () => socket.end();
    } else {
      const h = { ...headers };
      if (this.framing === 'content-length') h['content-length'] = String(total);
      res.writeHead(status, h);
      res.flushHeaders();
      write = (p) => res.write(p);
      end = () => res.end();
    }
    for (let i = 0; i < pieces.length; i++) {
      if (i >= stopAfter) return;
      if (i >= cutAfter) { res.socket.destroy(); return; }
      if (i && delayMs) await sleep(delayMs);
      write(pieces[i]);
    }
    if (stopAfter <= pieces.length) return;
    end();
  }

  async handle(req, res) {
    let body = '';
    for await (const chunk of req) body += chunk;
    let json = null;
    try { json = JSON.parse(body); } catch { /* recorded as null */ }
    this.requests.push({ method: req.method, url: req.url, headers: req.headers, body: json });
    const b = this.behaviour;
    const jsonType = { 'content-type': 'application/json' };
    const error = (status, error, extraHeaders = {}) =>
      this.respond(res, status, { ...jsonType, ...extraHeaders }, [JSON.stringify({ error })]);
    if (req.url !== '/v1/chat/completions') { await this.respond(res, 404, { 'content-type': 'text/plain' }, ['not found']); return; }
    if (b.delayMs) await sleep(b.delayMs);
    switch (b.mode) {
      case 'fail500':
        await error(500, { message: `${this.name} is broken`, type: 'server_error', param: null, code: null });
        return;
      case 'rate429':
        await error(429, { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
          { 'retry-after': String(b.retryAfter ?? 30) });
        return;
      case 'bad400':
        await error(400, { message: 'temperature is wrong', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' });
        return;
      case 'stall':  // accept, never answer
        return;
      case 'stallAfterHeaders':
        await this.respond(res, 200, { 'content-type': 'text/event-stream' }, ['data: {}\n\n'], { stopAfter: 0 });
        return;
      default:
        break;
    }
    const words = b.reply.split(' ');
    const id = `chatcmpl-${this.name}-${this.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: 11, completion_tokens: words.length, total_tokens: 11 + words.length };
    if (!json?.stream) {
      await this.respond(res, 200, jsonType, [JSON.stringify({
        id, object: 'chat.completion', created, model: json?.model ?? 'unknown',
        choices: [{ index: 0, message: { role: 'assistant', content: b.reply, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage,
      })]);
      return;
    }
    const event = (obj) => `data: ${JSON.stringify(obj)}\n\n`;
    const chunk = (delta, finish = null) => event({
      id, object: 'chat.completion.chunk', created, model: json.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    // The role chunk, one chunk per word, the finish chunk, usage, [DONE].
    const pieces = [chunk({ role: 'assistant', content: '' }), ...words.map((w, i) => chunk({ content: (i ? ' ' : '') + w })),
      chunk({}, 'stop')];
    if (json.stream_options?.include_usage) pieces.push(event({ id, object: 'chat.completion.chunk', created, model: json.model, choices: [], usage }));
    pieces.push('data: [DONE]\n\n');
    const cutAfter = b.mode === 'dropMidStream' ? 1 + Math.floor(words.length / 2) : Infinity;
    await this.respond(res, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, pieces,
      { delayMs: b.chunkDelayMs, cutAfter });
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
