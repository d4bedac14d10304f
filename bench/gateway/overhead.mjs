// Gateway overhead: the same fast upstream test server called directly and
// through prism (a named model, and the router), sequentially and with 8
// requests in flight. Prints latency medians / p95 over several runs and the
// ratio to the direct call.
//
//   node bench/gateway/overhead.mjs [--requests 300] [--runs 3]
// (PRISM_BIN defaults to build/src/cli/prism; run `npm ci` in tests/e2e first.)
import { startPrism } from '../../tests/e2e/lib/prism.mjs';
import { FakeUpstream, upstreamModel } from '../../tests/e2e/lib/upstream.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const requests = arg('requests', 300);
const runs = arg('runs', 3);

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const median = (xs) => percentile(xs, 50);

async function timeRequests(url, body, concurrency) {
  const latencies = [];
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      next++;
      const t = process.hrtime.bigint();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), rps: requests / seconds };
}

const upstream = await new FakeUpstream('fast', { reply: 'a short answer of eight words right here' }).start();
const prism = await startPrism(upstreamModel(upstream), { args: ['--log-level', 'warn'] });
const payload = (model, stream) => JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Say something short.' }] });
const targets = [
  ['direct to upstream', `${upstream.baseUrl}/chat/completions`, 'fast'],
  ['prism, named model', prism.url('/v1/chat/completions'), 'fast'],
  ['prism, router', prism.url('/v1/chat/completions'), 'router'],
];

const rows = [];
for (const concurrency of [1, 8]) {
  for (const stream of [false, true]) {
    const results = {};
    for (const [name, url, model] of targets) {
      const samples = [];
      for (let r = 0; r < runs; r++) samples.push(await timeRequests(url, payload(model, stream), concurrency));
      results[name] = { p50: median(samples.map((s) => s.p50)), p95: median(samples.map((s) => s.p95)), rps: median(samples.map((s) => s.rps)) };
    }
    const base = results['direct to upstream'];
    for (const [name] of targets) {
      const x = results[name];
      rows.push([concurrency, stream ? 'stream' : 'json', name, x.p50.toFixed(2), x.p95.toFixed(2), x.rps.toFixed(0),
        (x.p50 / base.p50).toFixed(2), (x.p50 - base.p50).toFixed(2)]);
    }
  }
}
await prism.stop();
await upstream.stop();

const header = ['conc', 'mode', 'path', 'p50 ms', 'p95 ms', 'req/s', 'p50 ratio', 'p50 added ms'];
console.log(`gateway overhead: ${requests} requests x ${runs} runs (medians of the runs)\n`);
console.log('| ' + header.join(' | ') + ' |');
console.log('|' + header.map(() => '---').join('|') + '|');
for (const r of rows) console.log('| ' + r.join(' | ') + ' |');
