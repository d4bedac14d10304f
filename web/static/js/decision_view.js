// A router decision record (GET /v1/router/decisions/{id}, or the dry run
// of POST /v1/router/explain) laid out for a person: what was chosen and
// why, every candidate's score or the reason it was excluded, the attempts
// (fallbacks) and the outcome. Field meanings: docs/ROUTING.md.
import { h } from './dom.js';
import * as format from './format.js';

// One line: "tiny-a · router (balanced) · first token 120 ms · $0.000012".
export function decisionSummary(record) {
  const outcome = record.outcome ?? {};
  const parts = [record.chosen ?? outcome.model ?? 'no model'];
  parts.push(record.route === 'direct' ? 'direct' : `${record.route} (${record.policy?.mode ?? record.constraints?.mode})`);
  if (outcome.time_to_first_token_ms !== undefined) parts.push(`first token ${format.ms(outcome.time_to_first_token_ms)}`);
  if (outcome.total_ms !== undefined) parts.push(`total ${format.ms(outcome.total_ms)}`);
  if (outcome.cost_usd !== undefined) parts.push(format.usd(outcome.cost_usd));
  const candidates = record.policy?.candidates ?? [];
  const excluded = candidates.filter((c) => !c.eligible).length;
  if (candidates.length > 1) parts.push(`${candidates.length} candidates, ${excluded} excluded`);
  return parts.join(' · ');
}

export function renderDecision(record) {
  return h('div', { class: 'decision' },
    chosenBlock(record),
    candidatesTable(record),
    attemptsList(record),
    detailsGrid(record),
    h('p', { class: 'decision-id' }, 'Decision ', h('code', {}, record.id ?? '(dry run)'),
      record.request_id ? [' for request ', h('code', {}, record.request_id)] : null,
      record.time ? ` at ${format.time(record.time)}` : null));
}

function chosenBlock(record) {
  const outcome = record.outcome ?? {};
  const status = outcome.status ?? (record.object === 'router.explanation' ? 'dry run' : 'in progress');
  const facts = [
    ['Chosen model', record.chosen ?? '—'],
    ['Route', record.route === 'direct' ? `direct (asked for ${record.requested_model})` : record.route],
    ...(record.route === 'direct' ? [] : [['Mode', record.policy?.mode ?? record.constraints?.mode]]),
    ['Outcome', outcome.http_status ? `${status} (HTTP ${outcome.http_status})` : status],
  ];
  if (record.would_try) facts.push(['Would try', record.would_try.join(' → ') || 'nothing: no model qualifies']);
  if (outcome.time_to_first_token_ms !== undefined) facts.push(['Time to first token', format.ms(outcome.time_to_first_token_ms)]);
  if (outcome.total_ms !== undefined) facts.push(['Total time', format.ms(outcome.total_ms)]);
  if (outcome.cost_usd !== undefined) {
    facts.push(['Cost', `${format.usd(outcome.cost_usd)}${outcome.usage_estimated ? ' (usage estimated)' : ''}`]);
  }
  if (outcome.prompt_tokens !== undefined) {
    facts.push(['Tokens', `${outcome.prompt_tokens} prompt + ${outcome.completion_tokens} completion`]);
  }
  return h('dl', { class: 'facts' }, facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
}

function candidatesTable(record) {
  const candidates = [...(record.policy?.candidates ?? [])].sort((a, b) =>
    (a.eligible === b.eligible ? (a.rank ?? 0) - (b.rank ?? 0) : a.eligible ? -1 : 1));
  if (!candidates.length) return null;
  const rows = candidates.map((c) => {
    const chosen = c.model === record.chosen;
    const verdict = !c.eligible ? `excluded: ${c.excluded}`
      : chosen ? 'chosen'
      : `eligible${c.in_quality_band === false && record.policy?.mode === 'balanced' ? ' (outside the quality band)' : ''}`;
    return h('tr', { class: chosen ? 'chosen' : c.eligible ? '' : 'excluded' },
      h('td', {}, c.eligible ? String(c.rank) : '–'),
      h('th', { scope: 'row' }, c.model),
      h('td', {}, c.eligible ? format.number(c.score, 4) : '–'),
      h('td', {}, format.number(c.quality)),
      h('td', {}, format.usd(c.estimated_cost_usd)),
      h('td', {}, `${format.ms(c.expected_latency_ms)}`, h('span', { class: 'muted' }, ` ${c.latency_source ?? ''}`)),
      h('td', { class: 'verdict' }, verdict));
  });
  const band = record.policy?.mode === 'balanced' && record.policy.best_quality !== undefined
    ? h('p', { class: 'muted' }, `Balanced: candidates within ${format.number(record.policy.quality_band)} of the best ` +
      `quality (${format.number(record.policy.best_quality)}) come first, cheapest of them winning.`)
    : null;
  return h('div', { class: 'candidates' },
    h('h4', {}, 'Candidates'),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Rank', 'Model', 'Score', 'Quality', 'Est. cost', 'Expected latency', 'Verdict']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))),
    band);
}

function attemptsList(record) {
  const attempts = record.attempts ?? [];
  if (!attempts.length) return null;
  const items = attempts.map((a, i) => {
    if (a.skipped) return h('li', {}, `${a.model}: skipped, ${a.skipped}`);
    if (a.result === 'ok') return h('li', { class: 'ok' }, `${a.model}: answered in ${format.ms(a.elapsed_ms)}`);
    const fellBack = i < attempts.length - 1 ? ', fell back to the next' : '';
    return h('li', { class: 'failed' },
      `${a.model}: failed (${a.error_kind}${a.http_status ? `, HTTP ${a.http_status}` : ''}) after ${format.ms(a.elapsed_ms)}` +
      `${a.streamed_before_failure ? ', mid-stream' : ''}${fellBack}: `, h('q', {}, a.error ?? ''));
  });
  return h('div', { class: 'attempts' }, h('h4', {}, attempts.length > 1 ? 'Attempts and fallbacks' : 'Attempt'), h('ol', {}, items));
}

function detailsGrid(record) {
  const a = record.analysis ?? {};
  const c = record.constraints ?? {};
  const constraint = (v, fmt = String) => (v === null || v === undefined ? 'none' : fmt(v));
  const list = (v) => (v?.length ? v.join(', ') : 'none');
  const analysis = [
    ['Category', `${a.category}${a.features?.category_rule ? ` (${a.features.category_rule})` : ''}`],
    ['Complexity', format.number(a.complexity)],
    ['Prompt tokens (estimate)', a.prompt_tokens_estimate],
    ['Expected output tokens', `${a.expected_output_tokens} (${a.expected_output_from})`],
    ['Capabilities needed', list(a.capabilities_needed)],
  ];
  const constraints = [
    ['Max latency', constraint(c.max_latency_ms, format.ms)],
    ['Max cost', constraint(c.max_cost_usd, format.usd)],
    ['Min quality', constraint(c.min_quality)],
    ['Require', list(c.require)],
    ['Only models', c.models ? list(c.models) : 'any'],
    ['Exclude', list(c.exclude)],
  ];
  const dl = (rows) => h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
  return h('div', { class: 'analysis' },
    h('div', {}, h('h4', {}, 'Request analysis'), dl(analysis)),
    h('div', {}, h('h4', {}, 'Constraints'), dl(constraints)));
}
