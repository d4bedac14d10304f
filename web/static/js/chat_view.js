// Draws a conversation's messages: the user's text and attachments, each
// answer as Markdown with its state (streaming, stopped, interrupted,
// failed), its figures and its routing panel.
import { h, clear, replaceChildren } from './dom.js';
import * as format from './format.js';
import { renderMarkdown } from './markdown.js';
import { routingPanel } from './routing_panel.js';

const STATUS_TEXT = {
  streaming: 'answering…',
  stopped: 'stopped',
  interrupted: 'cut off',
  error: 'failed',
  done: '',
};

export class ChatView {
  constructor({ container, api, empty }) {
    this.container = container;
    this.api = api;
    this.empty = empty;
    this.elements = new Map();  // message id -> its element
    this.pending = new Set();   // messages whose text changed since the last frame
    this.frame = 0;
  }

  show(conversation) {
    clear(this.container).append(this.empty);
    this.elements.clear();
    for (const message of conversation.messages) this.add(message, { scroll: false });
    this.empty.hidden = conversation.messages.length > 0;
    this.container.scrollTop = this.container.scrollHeight;
  }

  add(message, { scroll = true } = {}) {
    const el = message.role === 'user' ? userMessage(message) : assistantMessage(message);
    this.elements.set(message.id, el);
    this.container.insertBefore(el, this.empty);
    this.empty.hidden = true;
    if (message.role === 'assistant') this.update(message);
    if (scroll) this.scrollToEnd(true);
    return el;
  }

  remove(message) {
    this.elements.get(message.id)?.remove();
    this.elements.delete(message.id);
  }

  // Re-renders the answer's text at the next animation frame (deltas come
  // faster than a page can usefully redraw).
  textChanged(message) {
    this.pending.add(message);
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      const stick = this.nearEnd();
      for (const m of this.pending) this.#renderText(m);
      this.pending.clear();
      if (stick) this.scrollToEnd();
    });
  }

  #renderText(message) {
    const el = this.elements.get(message.id);
    if (!el) return;
    const body = el.querySelector('.body');
    renderMarkdown(body, message.text);
    el.dataset.chunks = String(message.chunks ?? 0);
  }

  // Status, notices, figures and routing panel of an answer.
  update(message) {
    const el = this.elements.get(message.id);
    if (!el) return;
    this.#renderText(message);
    el.dataset.status = message.status;
    el.setAttribute('aria-busy', String(message.status === 'streaming'));
    replaceChildren(el.querySelector('.model'), message.model ?? '');
    replaceChildren(el.querySelector('.status'), STATUS_TEXT[message.status] ?? message.status);
    replaceChildren(el.querySelector('.notices'), notice(message));
    replaceChildren(el.querySelector('.stats'), stats(message));
    const slot = el.querySelector('.routing-slot');
    if (message.decisionId && message.status !== 'streaming' && slot.dataset.decisionId !== message.decisionId) {
      slot.dataset.decisionId = message.decisionId;
      replaceChildren(slot, routingPanel(this.api, message.decisionId));
    }
  }

  nearEnd() {
    const c = this.container;
    return c.scrollHeight - c.scrollTop - c.clientHeight < 80;
  }

  scrollToEnd(force = false) {
    if (force || this.nearEnd()) this.container.scrollTop = this.container.scrollHeight;
  }
}

function userMessage(message) {
  const media = (message.attachments ?? []).map((a) => (a.kind === 'video'
    ? h('video', { src: a.url, controls: true, preload: 'metadata', 'aria-label': a.name })
    : h('img', { src: a.url, alt: a.name })));
  return h('article', { class: 'message user', 'aria-label': 'You' },
    h('div', { class: 'bubble' },
      media.length ? h('div', { class: 'media' }, media) : null,
      message.text ? h('div', { class: 'text' }, message.text) : null));
}

function assistantMessage(message) {
  return h('article', { class: 'message assistant', 'aria-label': 'Answer' },
    h('header', {}, h('span', { class: 'model' }), h('span', { class: 'status' })),
    h('div', { class: 'body markdown' }),
    h('div', { class: 'notices' }),
    h('footer', { class: 'stats' }),
    h('div', { class: 'routing-slot' }));
}

function notice(message) {
  const e = message.error;
  if (message.status === 'error' && e) {
    const what = e.status ? `Error ${e.status}${e.code ? ` (${e.code})` : ''}` : 'Error';
    return h('p', { class: 'notice error', role: 'alert' }, h('strong', {}, `${what}: `), e.message,
      e.hint ? h('span', { class: 'hint' }, ` ${e.hint}`) : null);
  }
  if (message.status === 'interrupted') {
    return h('p', { class: 'notice warning', role: 'alert' },
      h('strong', {}, 'The answer did not finish: '), `${e?.message ?? 'the stream ended early'}. `,
      message.text ? 'What arrived is kept above.' : 'Nothing had arrived.');
  }
  if (message.status === 'stopped') return h('p', { class: 'notice muted' }, 'Stopped.');
  if (message.finishReason === 'length') {
    return h('p', { class: 'notice muted' }, 'The answer reached max_tokens.');
  }
  return null;
}

function stats(message) {
  const parts = [];
  if (message.ttftMs !== undefined) parts.push(`first token ${format.ms(message.ttftMs)}`);
  const tokens = message.usage?.completion_tokens;
  if (tokens !== undefined) {
    parts.push(`${tokens} tokens`);
    const generating = (message.totalMs ?? 0) - (message.ttftMs ?? 0);
    if (tokens > 1 && generating > 0) parts.push(`${(((tokens - 1) * 1000) / generating).toFixed(1)} tokens/s`);
  }
  if (message.totalMs !== undefined) parts.push(`total ${format.ms(message.totalMs)}`);
  return parts.join(' · ');
}
