// The "Model" picker, filled from GET /v1/models: the router and its
// profiles first, then the local models, then the upstreams. The choice is
// remembered in this browser.
import { h, clear } from './dom.js';
import * as settings from './settings.js';

export const isRouted = (id) => id === 'router' || id.startsWith('router:');

const GROUPS = [
  ['Router', (m) => m.owned_by === 'prism-router' || isRouted(m.id)],
  ['Local models', (m) => m.owned_by === 'prism-local'],
  ['Upstream models', () => true],
];

export class ModelPicker {
  constructor(select, { onChange = () => {} } = {}) {
    this.select = select;
    this.models = [];
    this.onChange = onChange;
    select.addEventListener('change', () => {
      settings.save('model', select.value);
      onChange(select.value);
    });
  }

  get value() { return this.select.value; }
  model(id = this.value) { return this.models.find((m) => m.id === id); }

  // models: the "data" of /v1/models.
  fill(models) {
    this.models = models;
    clear(this.select);
    const placed = new Set();
    for (const [label, belongs] of GROUPS) {
      const members = models.filter((m) => !placed.has(m.id) && belongs(m));
      if (!members.length) continue;
      members.forEach((m) => placed.add(m.id));
      this.select.append(h('optgroup', { label }, members.map((m) => h('option', { value: m.id }, describe(m)))));
    }
    const remembered = settings.load('model', 'router');
    this.select.value = models.some((m) => m.id === remembered) ? remembered : (models[0]?.id ?? '');
    this.select.disabled = models.length === 0;
    this.onChange(this.select.value);
  }

  clear(message) {
    this.models = [];
    clear(this.select).append(h('option', { value: '' }, message));
    this.select.disabled = true;
    this.onChange('');
  }
}

function describe(m) {
  if (m.owned_by === 'prism-router') return m.routing?.mode ? `${m.id} (${m.routing.mode})` : m.id;
  const caps = (m.capabilities ?? []).filter((c) => c !== 'text');
  return caps.length ? `${m.id} (${caps.join(', ')})` : m.id;
}
