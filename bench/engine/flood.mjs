// A flood on one local model: 64 streamed chat completions sent at once to a
// prism whose KV pool is sized for 8 sequences ([local] kv_cache_mib,
// max_waiting, queue_timeout_ms), each with a client-side timeout. Counts
// answers (200 with a usage chunk), 429s (with their Retry-After), other
// errors and timeouts, with the time each took; polls /health every 100 ms
// all the while (worst latency, failures); reports the server's peak RSS
// (/proc/<pid>/status VmHWM, read before it stops; VmRSS sampled at each
// poll) beside the configured pool and the weights' size. The gateway's own
// cap ([server] max_inflight_requests) is set above --requests so that what
// is measured is the engine's queue. Same model as bench/engine/streams.mjs.
//
//   PRISM_BIN=build/src/cli/prism node bench/engine/flood.mjs [--requests 64] [--max-tokens 64]
//     [--timeout-ms 60000] [--pool-for 8] [--kv-cache-mib N] [--max-waiting 16] [--queue-timeout-ms 10000]
//     [--threads 2] [--models-dir /tmp/prism-bench-models] [--seed 0]
// --kv-cache-mib (0: computed) defaults to --pool-for sequences of 64 prompt + max_tokens
// positions in 16-position f32 blocks of the 256M shape (30 layers x 2 x 192
// floats a position = 45 KiB). A prism that does not know the pool keys
// (before issue 12) refuses them at start: the bench then runs without them
// and says so.
// (PRISM_BIN defaults to build/src/cli/prism; run `npm ci` in tests/e2e first.)
// Progress goes to stderr, the report to stdout.
import { ensureModel, fixed, log, median, metricLines, MODEL_ID, modelBytes, options, percentile, pollHealth, printTable,
  prismBin, procStatusKb, startEngine, streamChat } from './lib.mjs';

const opt = options('node bench/engine/flood.mjs [--requests 64] [--max-tokens 64] [--timeout-ms 60000] [--pool-for 8] ' +
  '[--kv-cache-mib N] [--max-waiting 16] [--queue-timeout-ms 10000] [--threads 2] [--models-dir DIR] [--seed 0]',
{ requests: 64, maxTokens: 64, timeoutMs: 60000, poolFor: 8, kvCacheMib: 0, maxWaiting: 16, queueTimeoutMs: 10000,
  threads: 2, modelsDir: '/tmp/prism-bench-models', seed: 0 });

const BLOCK = 16, PROMPT_BUDGET = 64, BYTES_PER_POSITION = 30 * 2 * 192 * 4;
const blocksPerSequence = Math.ceil((PROMPT_BUDGET + opt.maxTokens) / BLOCK);
const kvCacheMib = opt.kvCacheMib > 0 ? opt.kvCacheMib
  : Math.ceil((opt.poolFor * blocksPerSequence * BLOCK * BYTES_PER_POSITION) / 2 ** 20);
const poolKeys = { kv_cache_mib: kvCacheMib, max_waiting: opt.maxWaiting, queue_timeout_ms: opt.queueTimeoutMs };

const modelFile = ensureModel(opt.modelsDir, { seed: opt.seed });
const server = { max_inflight_requests: opt.requests + 16 };
let prism, poolApplied = true;
try {
  prism = await startEngine(modelFile, { threads: opt.threads, server, local: poolKeys });
} catch (e) {
  const m = String(e.message).match(/local\.(\w+) is not a known setting/);
  if (!m) throw e;
  log(`this prism refuses local.${m[1]} (no KV pool settings before issue 12): running without the [local] pool keys`);
  poolApplied = false;
  prism = await startEngine(modelFile, { threads: opt.threads, server });
}

try {
  log('warm-up: one request');
  await streamChat(prism, { model: MODEL_ID, max_tokens: 4, messages: [{ role: 'user', content: 'Hello there.' }] });
  const rssBeforeKb = procStatusKb(prism.pid).VmRSS;
  let rssPeakKb = rssBeforeKb;
  const health = pollHealth(prism, { intervalMs: 100, onPoll: () => { rssPeakKb = Math.max(rssPeakKb, procStatusKb(prism.pid).VmRSS ?? 0); } });

  log(`flood: ${opt.requests} requests at once, max_tokens ${opt.maxTokens}, client timeout ${opt.timeoutMs} ms`);
  let finished = 0;
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: opt.requests }, (_, i) =>
    streamChat(prism, { model: MODEL_ID, temperature: 0, max_tokens: opt.maxTokens,
      messages: [{ role: 'user', content: `Request ${i + 1} of the flood: write a short note about the number ${i + 1}.` }] },
    { timeoutMs: opt.timeoutMs }).then((r) => {
      finished++;
      if (finished % 8 === 0 || finished === opt.requests) log(`  ${finished}/${opt.requests} done after ${fixed((performance.now() - t0) / 1000)} s`);
      return r;
    })));
  const wallS = (performance.now() - t0) / 1000;
  const hs = await health.stop();
  const status = procStatusKb(prism.pid);
  const metrics = await metricLines(prism, 'prism_engine_');

  const answered = results.filter((r) => r.status === 200 && !r.error);
  const rejected = results.filter((r) => r.status === 429);
  const timedOut = results.filter((r) => r.timedOut);
  const others = results.filter((r) => !answered.includes(r) && !rejected.includes(r) && !timedOut.includes(r));
  const retryAfter = {};
  for (const r of rejected) retryAfter[r.retryAfter ?? 'absent'] = (retryAfter[r.retryAfter ?? 'absent'] ?? 0) + 1;
  const errors = {};
  for (const r of others) { const k = `HTTP ${r.status}: ${r.error}`; errors[k] = (errors[k] ?? 0) + 1; }
  const times = (rs) => (rs.length ? `p50 ${fixed(median(rs.map((r) => r.endMs)) / 1000, 2)} s, max ${fixed(Math.max(...rs.map((r) => r.endMs)) / 1000, 2)} s` : '-');
  const mib = (kb) => (kb == null ? '-' : fixed(kb / 1024, 0));
  const weightsMib = modelBytes(modelFile) / 2 ** 20;

  console.log(`engine flood: ${opt.requests} requests at once on ${MODEL_ID} (${modelFile}), ${opt.threads} engine threads, ` +
    `max_tokens ${opt.maxTokens}, client timeout ${opt.timeoutMs} ms, ${prismBin}\n`);
  console.log(poolApplied
    ? `[local] kv_cache_mib = ${kvCacheMib}${opt.kvCacheMib > 0 ? '' : ` (for ${opt.poolFor} sequences of ${blocksPerSequence} blocks)`}, ` +
      `max_waiting = ${opt.maxWaiting}, queue_timeout_ms = ${opt.queueTimeoutMs}\n`
    : `[local] pool keys NOT applied: this prism refuses them (would be kv_cache_mib = ${kvCacheMib}, max_waiting = ${opt.maxWaiting}, ` +
      `queue_timeout_ms = ${opt.queueTimeoutMs})\n`);
  printTable(['outcome', 'requests', 'time to outcome', 'detail'], [
    ['answered (200)', answered.length, times(answered),
      answered.length ? `completion tokens p50 ${median(answered.map((r) => r.usage.completion_tokens))}, prompt tokens p50 ${median(answered.map((r) => r.usage.prompt_tokens))}` : ''],
    ['429', rejected.length, times(rejected), Object.entries(retryAfter).map(([v, c]) => `Retry-After ${v}: ${c}`).join(', ')],
    ['other error', others.length, times(others), Object.entries(errors).map(([e, c]) => `${c} x ${e}`).join('; ').slice(0, 400)],
    ['client timeout', timedOut.length, times(timedOut), `after ${opt.timeoutMs} ms`],
  ]);
  console.log(`\nflood wall time ${fixed(wallS, 1)} s; every request answered or refused (429) within its timeout: ` +
    `${answered.length + rejected.length === opt.requests ? 'yes' : 'NO'}`);
  console.log(`/health: ${hs.latencies.length} polls, p50 ${fixed(percentile(hs.latencies, 50))} ms, p99 ${fixed(percentile(hs.latencies, 99))} ms, ` +
    `max ${fixed(Math.max(...hs.latencies))} ms, ${hs.failures.length} failures${hs.failures.length ? ` (first: ${hs.failures[0]})` : ''}`);
  console.log(`RSS: ${mib(rssBeforeKb)} MiB before the flood, ${mib(rssPeakKb)} MiB peak sampled, VmHWM ${mib(status.VmHWM)} MiB ` +
    `(growth ${mib(status.VmHWM - rssBeforeKb)} MiB); ` +
    `weights ${fixed(weightsMib, 0)} MiB + kv_cache_mib ${poolApplied ? kvCacheMib : '(not applied)'} = ` +
    `${poolApplied ? `${fixed(weightsMib + kvCacheMib, 0)} MiB, VmHWM ${status.VmHWM / 1024 <= weightsMib + kvCacheMib ? 'under' : 'OVER'} it` : '-'}`);
  console.log(`\n/metrics, prism_engine_*:${metrics.length ? '' : ' (none: this server exports no engine metrics)'}`);
  for (const line of metrics) console.log(line);
} finally {
  await prism.stop();
}
