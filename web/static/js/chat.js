// The chat: sends the composer's message with the conversation so far,
// streams the answer into the view, and keeps every conversation in
// IndexedDB. Also the "Explain" dry run of the same request.
import { ApiError, StreamInterrupted } from './api.js';
import { contentParts } from './attachments.js';
import { newConversation, randomId, titleFor } from './conversation_store.js';
import * as format from './format.js';
import { isRouted } from './model_picker.js';

export class Chat {
  // parts: { api, store, view, list (ConversationList), attachments, options,
  //   picker, composer: { form, message, send, stop, error }, limits: () => ({ maxBodyBytes }) }
  constructor(parts) {
    Object.assign(this, parts);
    this.conversation = null;
    this.running = null;  // { controller, message } while an answer streams
    const { form, message, stop } = this.composer;
    form.addEventListener('submit', (e) => { e.preventDefault(); this.send(); });
    message.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.send(); }
    });
    stop.addEventListener('click', () => this.running?.controller.abort());
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && this.running) this.running.controller.abort(); });
    // The box grows with what is typed, up to its CSS max-height.
    message.addEventListener('input', () => this.#fitMessageBox());
  }

  #fitMessageBox() {
    const box = this.composer.message;
    box.style.height = 'auto';
    box.style.height = `${box.scrollHeight + 2}px`;
  }

  async open(id) {
    if (this.running) this.running.controller.abort();
    const stored = id ? await this.store.get(id) : null;
    this.conversation = stored ?? newConversation();
    // An answer that was streaming when the page closed did not finish.
    for (const m of this.conversation.messages) {
      if (m.status === 'streaming') {
        m.status = 'interrupted';
        m.error = { message: 'the page was closed before the answer finished' };
      }
    }
    this.view.show(this.conversation);
    this.system.value = this.conversation.system ?? '';
    this.list.select(stored ? this.conversation.id : null);
  }

  setSystemPrompt(text) {
    if (!this.conversation) return;
    this.conversation.system = text;
    if (this.conversation.messages.length) this.#save();
  }

  showError(text) {
    this.composer.error.textContent = text;
    this.composer.error.hidden = !text;
  }

  // The request body for the conversation plus `draft` (not yet stored).
  body(draft) {
    const model = this.picker.value;
    const messages = [];
    if (this.conversation.system?.trim()) messages.push({ role: 'system', content: this.conversation.system.trim() });
    for (const m of [...this.conversation.messages, ...(draft ? [draft] : [])]) {
      if (m.role === 'user') messages.push({ role: 'user', content: contentParts(m.text, m.attachments) });
      else if (m.text && m.status !== 'error') messages.push({ role: 'assistant', content: m.text });
    }
    const body = { model, messages, ...this.options.sampling() };
    const routing = isRouted(model) ? this.options.routing() : undefined;
    if (routing) body.routing = routing;
    return body;
  }

  // Null when the body fits the server's limit, else why it does not.
  tooLarge(body) {
    const limit = this.limits().maxBodyBytes;
    const size = new TextEncoder().encode(JSON.stringify(body)).length;
    if (!limit || size <= limit) return null;
    return `This request would be ${format.bytes(size)}; the server accepts at most ${format.bytes(limit)} ` +
      '(max_body_bytes). Remove an attachment, or start a new chat (earlier images are sent again with each message).';
  }

  draft() {
    const text = this.composer.message.value.trim();
    if (!text && this.attachments.empty) return null;
    return { id: randomId(), role: 'user', text, attachments: this.attachments.items };
  }

  async send() {
    if (this.running) return;
    this.showError('');
    const draft = this.draft();
    if (!draft) return;
    if (!this.picker.value) { this.showError('Choose a model first (the list is empty until the server answers).'); return; }
    const body = this.body(draft);
    const refusal = this.tooLarge(body);
    if (refusal) { this.showError(refusal); return; }

    draft.attachments = this.attachments.take();
    this.composer.message.value = '';
    this.#fitMessageBox();
    const answer = { id: randomId(), role: 'assistant', text: '', chunks: 0, model: body.model, status: 'streaming' };
    const conversation = this.conversation;
    conversation.messages.push(draft, answer);
    conversation.title = titleFor(conversation);
    this.view.add(draft);
    this.view.add(answer);
    await this.#save();

    const controller = new AbortController();
    this.running = { controller, message: answer };
    this.#busy(true);
    const started = performance.now();
    try {
      const end = await this.api.streamChat(body, {
        signal: controller.signal,
        onStart: ({ decisionId, model }) => {
          answer.decisionId = decisionId;
          if (model) answer.model = model;
          this.view.update(answer);
        },
        onDelta: (text) => {
          answer.ttftMs ??= performance.now() - started;
          answer.text += text;
          answer.chunks++;
          this.view.textChanged(answer);
        },
        onUsage: (usage) => { answer.usage = usage; },
      });
      answer.status = 'done';
      answer.finishReason = end.finishReason;
    } catch (e) {
      if (e.name === 'AbortError') {
        answer.status = 'stopped';
      } else if (e instanceof StreamInterrupted) {
        answer.status = 'interrupted';
        answer.error = { message: e.message, code: e.code };
      } else {
        answer.status = 'error';
        answer.error = { message: e.message, status: e.status, code: e.code };
        if (e instanceof ApiError && e.decisionId) answer.decisionId = e.decisionId;
        if (e.code === 'no_model_satisfies_constraints' && conversation.messages.some((m) => m.attachments?.length)) {
          answer.error.hint = 'The images and videos earlier in this conversation are sent again with each message; ' +
            'start a New chat to ask a model without vision.';
        }
      }
    } finally {
      answer.totalMs = performance.now() - started;
      this.running = null;
      this.#busy(false);
      this.view.update(answer);
      await this.#save(conversation);
      this.composer.message.focus();
    }
  }

  // POST /v1/router/explain with what Send would send now.
  async explain() {
    const draft = this.draft() ?? (this.conversation.messages.length ? null : undefined);
    if (draft === undefined) throw new Error('Type a message first: the explanation is for the request Send would make.');
    const body = this.body(draft);
    if (!isRouted(body.model) && !this.picker.model(body.model)) throw new Error('Choose a model first.');
    return this.api.explain(body);
  }

  #busy(busy) {
    this.composer.send.hidden = busy;
    this.composer.stop.hidden = !busy;
  }

  // `conversation`: the one an answer belongs to, which may no longer be
  // the one shown (the user switched while it streamed).
  async #save(conversation = this.conversation) {
    conversation.updated = Date.now();
    const first = !(await this.store.get(conversation.id));
    await this.store.put(conversation);
    await this.list.refresh();
    if (first && conversation === this.conversation) this.list.select(conversation.id);
  }

  async remove(id) {
    await this.store.delete(id);
    await this.list.refresh();
    if (this.conversation?.id === id) await this.open(null);
  }
}
