// The "Routing decision" region under each answer: a one-line summary
// (chosen model, route, first token, cost) that opens into the whole
// decision record, fetched from /v1/router/decisions/{id}.
import { h, replaceChildren } from './dom.js';
import { decisionSummary, renderDecision } from './decision_view.js';

export function routingPanel(api, decisionId) {
  const details = h('div', { class: 'routing-details', hidden: true });
  const summary = h('span', { class: 'routing-summary' }, 'loading the decision…');
  const toggle = h('button', { type: 'button', class: 'routing-toggle', 'aria-expanded': 'false' },
    h('span', { class: 'routing-label' }, 'Routing'), summary);
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    details.hidden = !open;
  });
  const region = h('section', { class: 'routing', 'aria-label': 'Routing decision', dataset: { decisionId } }, toggle, details);
  api.decision(decisionId).then((record) => {
    replaceChildren(summary, decisionSummary(record));
    replaceChildren(details, renderDecision(record));
    region.dataset.chosen = record.chosen ?? '';
  }, (e) => {
    replaceChildren(summary, `the decision could not be loaded: ${e.message}`);
  });
  return region;
}
