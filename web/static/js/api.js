// prism's HTTP API as the page uses it: the API key on every call (kept in
// this browser only, see settings.js), OpenAI-shaped errors turned into
// ApiError, and streamed chat completions read event by event.
import { readEventData } from './sse.js';

export class ApiError extends Error {
  // status: HTTP status (0: no answer); code/type/param: OpenAI's fields.
  constructor(message, { status = 0, code = null, type = null, param = null, decisionId = null, body = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.type = type;
    this.param = param;
    this.decisionId = decisionId;
    this.body = body;
  }
}

// A stream that ended before [DONE]: the connection dropped, or the server
// ended it with an error event (`serverError` then holds its message).
export class StreamInterrupted extends Error {
  constructor(message, { serverError = null, code = null } = {}) {
    super(message);
    this.name = 'StreamInterrupted';
    this.serverError = serverError;
    this.code = code;
  }
}

export class Api {
  constructor(getKey) {
    this.getKey = getKey;
  }

  headers(extra = {}) {
    const key = this.getKey();
    return { ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra };
  }

  async request(method, path, body) {
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(`prism did not answer (${e.message}); is the server running?`);
    }
    if (!res.ok) throw await errorFrom(res);
    return res.json();
  }

  playgroundSettings() { return this.request('GET', '/playground.json'); }
  models() { return this.request('GET', '/v1/models'); }
  decision(id) { return this.request('GET', `/v1/router/decisions/${encodeURIComponent(id)}`); }
  explain(body) { return this.request('POST', '/v1/router/explain', body); }
  decisions({ limit = 50, model = '' } = {}) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (model) query.set('model', model);
    return this.request('GET', `/v1/router/decisions?${query}`);
  }

  // Streams a chat completion. `onStart({decisionId, model})` once the
  // answer begins, `onDelta(text)` per piece of content, `onUsage(usage)`.
  // Resolves with {finishReason, decisionId} at [DONE]; rejects with
  // ApiError (refused), StreamInterrupted (ended early) or an AbortError.
  async streamChat(body, { signal, onStart = () => {}, onDelta = () => {}, onUsage = () => {} } = {}) {
    let res;
    try {
      res = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: this.headers({ 'content-type': 'application/json' }),
        body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
        signal,
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(`prism did not answer (${e.message}); is the server running?`);
    }
    if (!res.ok) throw await errorFrom(res);
    const decisionId = res.headers.get('x-prism-decision-id');
    onStart({ decisionId, model: res.headers.get('x-prism-model') });
    let finishReason = null;
    try {
      for await (const data of readEventData(res.body, signal)) {
        if (data === '[DONE]') return { finishReason, decisionId };
        let event;
        try { event = JSON.parse(data); } catch { continue; }
        if (event.error) {
          throw new StreamInterrupted(event.error.message || 'the server ended the stream with an error',
            { serverError: event.error.message, code: event.error.code });
        }
        if (event.usage) onUsage(event.usage);
        for (const choice of event.choices ?? []) {
          if (choice.delta?.content) onDelta(choice.delta.content);
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
      }
    } catch (e) {
      if (e instanceof StreamInterrupted || signal?.aborted) throw signal?.aborted ? abortError() : e;
      throw new StreamInterrupted(`the connection dropped before the answer finished (${e.message})`);
    }
    if (signal?.aborted) throw abortError();
    throw new StreamInterrupted('the connection dropped before the answer finished');
  }
}

function abortError() {
  return new DOMException('stopped', 'AbortError');
}

async function errorFrom(res) {
  const text = await res.text().catch(() => '');
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  const e = body?.error;
  const message = e?.message || text.trim() || res.statusText || 'request failed';
  return new ApiError(message, {
    status: res.status, code: e?.code ?? null, type: e?.type ?? null, param: e?.param ?? null,
    decisionId: res.headers.get('x-prism-decision-id') ?? e?.decision_id ?? null, body,
  });
}
