// Concurrent streams on one local model: N streamed chat completions at once
// (N = 1, 2, 4, 8, 16), each with its own short prompt, temperature 0, through
// the HTTP API, on the random-weight SmolVLM2 of the real 256M shape stored as
// Q8_0 GGUF (generated once into --models-dir), prism's engine on 2 threads.
// Per concurrency, medians over the runs of: p50 / p95 time to first token,
// p50 per-stream generation rate ((completion_tokens - 1) / (last token -
// first token)), aggregate rate (all completion tokens / wall time of the
// round, first request sent to last response ended) and that aggregate over
// the 1-stream one. Random weights rarely stop early, but the token counts
// are the usage chunk's, and the shortest answer is shown.
//
//   PRISM_BIN=build/src/cli/prism node bench/engine/streams.mjs [--streams 1,2,4,8,16] [--runs 3]
//     [--max-tokens 64] [--threads 2] [--models-dir /tmp/prism-bench-models] [--seed 0]
// (PRISM_BIN defaults to build/src/cli/prism; run `npm ci` in tests/e2e first.)
// Progress goes to stderr, the table to stdout.
import { cpus } from 'node:os';
import { ensureModel, fixed, log, median, MODEL_ID, options, percentile, positiveList, printTable, prismBin, startEngine,
  streamChat, streamTokPerS } from './lib.mjs';

const opt = options('node bench/engine/streams.mjs [--streams 1,2,4,8,16] [--runs 3] [--max-tokens 64] [--threads 2] ' +
  '[--models-dir DIR] [--seed 0]', { streams: '1,2,4,8,16', runs: 3, maxTokens: 64, threads: 2, modelsDir: '/tmp/prism-bench-models', seed: 0 });
const levels = positiveList(opt.streams);

const TOPICS = ['apples', 'rivers', 'trains', 'violins', 'glaciers', 'owls', 'bread', 'lighthouses', 'comets', 'bees',
  'deserts', 'chess', 'coral', 'kites', 'volcanoes', 'tea', 'bridges', 'whales', 'clocks', 'maps'];
let promptCount = 0;  // every prompt of the whole bench is distinct, so none is answered from another's prefix alone
const nextPrompt = () => `Question ${++promptCount}: tell me three facts about ${TOPICS[promptCount % TOPICS.length]}.`;

const modelFile = ensureModel(opt.modelsDir, { seed: opt.seed });
const prism = await startEngine(modelFile, { threads: opt.threads });
const ask = (maxTokens) => streamChat(prism, { model: MODEL_ID, temperature: 0, max_tokens: maxTokens,
  messages: [{ role: 'user', content: nextPrompt() }] });

// One round: n streams sent at once.
async function round(n) {
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: n }, () => ask(opt.maxTokens)));
  const wallS = (performance.now() - t0) / 1000;
  const failed = results.filter((r) => r.status !== 200 || r.error);
  if (failed.length) throw new Error(`${failed.length} of ${n} streams failed: HTTP ${failed[0].status} ${failed[0].error}`);
  const tokens = results.map((r) => r.usage.completion_tokens);
  const ttft = results.map((r) => r.firstMs);
  return {
    ttftP50: percentile(ttft, 50), ttftP95: percentile(ttft, 95),
    streamTps: median(results.map(streamTokPerS)),
    aggregateTps: tokens.reduce((a, b) => a + b, 0) / wallS,
    minTokens: Math.min(...tokens), wallS,
  };
}

try {
  log('warm-up: one request');
  await ask(4);
  const rows = [];
  let base = null;
  for (const n of levels) {
    const samples = [];
    for (let r = 0; r < opt.runs; r++) {
      const s = await round(n);
      samples.push(s);
      log(`streams ${n} run ${r + 1}/${opt.runs}: ttft p50 ${fixed(s.ttftP50, 0)} ms, per stream ${fixed(s.streamTps)} tok/s, ` +
        `aggregate ${fixed(s.aggregateTps)} tok/s, ${fixed(s.wallS, 2)} s`);
    }
    const m = (key) => median(samples.map((s) => s[key]));
    base ??= { n, tps: m('aggregateTps') };
    rows.push([n, fixed(m('ttftP50'), 0), fixed(m('ttftP95'), 0), fixed(m('streamTps')), fixed(m('aggregateTps')),
      fixed(m('aggregateTps') / base.tps, 2), Math.min(...samples.map((s) => s.minTokens))]);
  }
  console.log(`engine streams: ${MODEL_ID} (${modelFile}), ${opt.threads} engine threads, max_tokens ${opt.maxTokens}, ` +
    `${opt.runs} runs (medians), ${prismBin}, ${cpus().length} CPUs: ${cpus()[0]?.model}\n`);
  printTable(['streams', 'TTFT p50 ms', 'TTFT p95 ms', 'per-stream tok/s (p50)', 'aggregate tok/s', `x ${base.n}-stream`, 'min tokens'], rows);
} finally {
  await prism.stop();
}
