// The list of stored conversations in the sidebar: pick one to continue
// it, or delete it.
import { h, clear } from './dom.js';

export class ConversationList {
  constructor(list, { store, onOpen, onDelete }) {
    this.list = list;
    this.store = store;
    this.onOpen = onOpen;
    this.onDelete = onDelete;
    this.selected = null;
  }

  async refresh() {
    const conversations = await this.store.list();
    clear(this.list);
    if (!conversations.length) this.list.append(h('li', { class: 'muted empty' }, 'No conversations yet.'));
    for (const c of conversations) {
      const open = h('button', { type: 'button', class: 'open', 'aria-current': c.id === this.selected ? 'true' : null },
        h('span', { class: 'title' }, c.title),
        h('span', { class: 'when' }, new Date(c.updated).toLocaleString(undefined,
          { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })));
      open.addEventListener('click', () => this.onOpen(c.id));
      const remove = h('button', { type: 'button', class: 'delete', 'aria-label': `Delete conversation: ${c.title}`, title: 'Delete' }, '×');
      remove.addEventListener('click', () => this.onDelete(c.id));
      this.list.append(h('li', { dataset: { id: c.id } }, open, remove));
    }
  }

  select(id) {
    this.selected = id;
    for (const button of this.list.querySelectorAll('button.open')) {
      const current = button.parentElement.dataset.id === id;
      if (current) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
  }
}
