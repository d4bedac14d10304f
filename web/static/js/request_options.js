// The sampling fields and routing controls of the settings panel, turned
// into the fields of a chat request. An empty field is left out (the
// server's or the profile's default applies). Values are remembered.
import * as settings from './settings.js';

const SAMPLING = [
  ['temperature', 'number'],
  ['top_p', 'number'],
  ['max_tokens', 'integer'],
  ['seed', 'integer'],
];
const ROUTING_NUMBERS = ['max_latency_ms', 'max_cost_usd', 'min_quality'];
export const CAPABILITIES = ['vision', 'video', 'audio', 'tools', 'json_schema'];

export class RequestOptions {
  // form: the settings <form>; its fields are named after the request fields.
  constructor(form) {
    this.form = form;
    const saved = settings.load('options', {});
    for (const el of form.elements) {
      if (!el.name || !(el.name in saved)) continue;
      if (el.type === 'checkbox') el.checked = saved[el.name].includes?.(el.value) ?? false;
      else el.value = saved[el.name];
    }
    form.addEventListener('input', () => this.#save());
    form.addEventListener('submit', (e) => e.preventDefault());
  }

  #field(name) { return this.form.elements.namedItem(name); }

  #save() {
    const values = {};
    for (const el of this.form.elements) {
      if (!el.name) continue;
      if (el.type === 'checkbox') (values[el.name] ??= []).push(...(el.checked ? [el.value] : []));
      else values[el.name] = el.value;
    }
    settings.save('options', values);
  }

  // {temperature, top_p, max_tokens, seed, stop} as far as they are set.
  sampling() {
    const out = {};
    for (const [name, kind] of SAMPLING) {
      const value = numberFrom(this.#field(name), kind);
      if (value !== undefined) out[name] = value;
    }
    const stop = this.#field('stop').value.split(',').map((s) => s.trim()).filter(Boolean);
    if (stop.length) out.stop = stop;
    return out;
  }

  // The request's "routing" object, or undefined when nothing is set.
  routing() {
    const out = {};
    const mode = this.#field('mode').value;
    if (mode) out.mode = mode;
    for (const name of ROUTING_NUMBERS) {
      const value = numberFrom(this.#field(name), 'number');
      if (value !== undefined) out[name] = value;
    }
    const require = CAPABILITIES.filter((c) => this.form.querySelector(`input[name="require"][value="${c}"]`).checked);
    if (require.length) out.require = require;
    return Object.keys(out).length ? out : undefined;
  }

  // Routing controls apply to "router" and "router:<profile>" only.
  setRoutingEnabled(enabled) {
    this.form.querySelector('#routing-controls').disabled = !enabled;
  }
}

function numberFrom(input, kind) {
  const text = input.value.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  return kind === 'integer' ? Math.trunc(value) : value;
}
