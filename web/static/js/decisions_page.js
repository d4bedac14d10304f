// The decisions page: the newest decision records (GET
// /v1/router/decisions), filterable by the model that answered; a row
// opens into the whole record.
import { h, clear, replaceChildren } from './dom.js';
import * as format from './format.js';
import { renderDecision } from './decision_view.js';

export class DecisionsPage {
  constructor(root, { api }) {
    this.api = api;
    this.root = root;
    this.filter = root.querySelector('#decision-model');
    this.limit = root.querySelector('#decision-limit');
    this.rows = root.querySelector('#decision-rows');
    this.status = root.querySelector('#decision-status');
    root.querySelector('#decision-refresh').addEventListener('click', () => this.load());
    this.filter.addEventListener('change', () => this.load());
    this.limit.addEventListener('change', () => this.load());
  }

  // models: /v1/models "data"; only catalog models can answer a request.
  setModels(models) {
    const current = this.filter.value;
    clear(this.filter).append(h('option', { value: '' }, 'any model'),
      ...models.filter((m) => m.owned_by !== 'prism-router').map((m) => h('option', { value: m.id }, m.id)));
    this.filter.value = [...this.filter.options].some((o) => o.value === current) ? current : '';
  }

  async load() {
    replaceChildren(this.status, 'Loading…');
    try {
      const { data } = await this.api.decisions({ limit: Number(this.limit.value), model: this.filter.value });
      clear(this.rows);
      for (const record of data) this.#addRow(record);
      replaceChildren(this.status, data.length
        ? `${data.length} most recent decision${data.length === 1 ? '' : 's'}${this.filter.value ? ` answered by ${this.filter.value}` : ''}.`
        : 'No decisions recorded yet.');
    } catch (e) {
      clear(this.rows);
      replaceChildren(this.status, h('span', { class: 'notice error', role: 'alert' }, `Could not load the decisions: ${e.message}`));
    }
  }

  #addRow(record) {
    const o = record.outcome ?? {};
    const details = h('tr', { class: 'decision-details', hidden: true },
      h('td', { colspan: 8 }, renderDecision(record)));
    const toggle = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false' }, format.time(record.time));
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      details.hidden = !open;
    });
    const status = o.status === 'ok' ? 'ok' : `${o.status ?? '?'}${o.http_status ? ` ${o.http_status}` : ''}`;
    this.rows.append(h('tr', { class: `decision-row ${o.status === 'ok' ? '' : 'failed'}`, dataset: { id: record.id } },
      h('td', {}, toggle),
      h('td', {}, record.route),
      h('td', {}, record.requested_model),
      h('th', { scope: 'row' }, record.chosen ?? '—'),
      h('td', {}, status),
      h('td', {}, format.ms(o.time_to_first_token_ms)),
      h('td', {}, format.ms(o.total_ms)),
      h('td', {}, format.usd(o.cost_usd))), details);
  }
}
