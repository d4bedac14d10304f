// Conversations kept in this browser's IndexedDB: one record each, with its
// messages (and their attachments as data URLs) inside.
//
// conversation: { id, title, created, updated, system, messages: [message] }
// message: { id, role: 'user'|'assistant', text, attachments: [{kind, name,
//   type, url, size}], model, decisionId, status: 'done'|'streaming'|
//   'stopped'|'interrupted'|'error', error: {message, status, code}, usage,
//   ttftMs, totalMs, finishReason }
const DB_NAME = 'prism-playground';
const STORE = 'conversations';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { keyPath: 'id' });
      store.createIndex('updated', 'updated');
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export class ConversationStore {
  async #store(mode) {
    this.db ??= await open();
    return this.db.transaction(STORE, mode).objectStore(STORE);
  }

  // Newest first.
  async list() {
    const all = await done((await this.#store('readonly')).index('updated').getAll());
    return all.reverse();
  }

  async get(id) { return done((await this.#store('readonly')).get(id)); }

  // Stores a copy, so later edits of `conversation` are not half-saved.
  async put(conversation) {
    return done((await this.#store('readwrite')).put(structuredClone(conversation)));
  }

  async delete(id) { return done((await this.#store('readwrite')).delete(id)); }
}

export function newConversation() {
  const now = Date.now();
  return { id: randomId(), title: 'New chat', created: now, updated: now, system: '', messages: [] };
}

// The first words of the first user message.
export function titleFor(conversation) {
  const first = conversation.messages.find((m) => m.role === 'user');
  const text = (first?.text || first?.attachments?.map((a) => a.name).join(', ') || 'New chat').trim();
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
}

// crypto.randomUUID exists only on secure pages (https, localhost); a page
// served over plain HTTP on a LAN address still needs ids.
export function randomId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
