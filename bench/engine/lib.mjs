// Shared helpers of the local-engine benchmarks (bench/engine/*.mjs): options,
// the random-weight SmolVLM2 GGUF model generated once, a prism serving it, a
// streamed chat completion timed chunk by chunk, percentiles, a /health
// poller, /proc and /metrics readers, a markdown table and a PNG writer.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { prismBin, startPrism } from '../../tests/e2e/lib/prism.mjs';

export { prismBin };
export const MODEL_ID = 'smolvlm2-256m-random';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const log = (line) => process.stderr.write(`${line}\n`);

// --name value / --name=value options over `defaults` (camelCase keys):
// a boolean default makes a flag, a number default a number, anything else
// (a string, or null for "unset") a string. --help prints `usage`.
export function options(usage, defaults) {
  const out = { ...defaults };
  const fail = (message) => { console.error(`${message}\nusage: ${usage}`); process.exit(2); };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const m = argv[i].match(/^--([a-z][a-z0-9-]*)(?:=(.*))?$/);
    if (argv[i] === '--help' || argv[i] === '-h') { console.log(`usage: ${usage}`); process.exit(0); }
    if (!m) fail(`unexpected argument "${argv[i]}"`);
    const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) fail(`unknown option --${m[1]}`);
    if (typeof defaults[key] === 'boolean') { out[key] = true; continue; }
    const value = m[2] ?? argv[++i];
    if (value === undefined) fail(`--${m[1]} needs a value`);
    if (typeof defaults[key] === 'number') {
      out[key] = Number(value);
      if (!Number.isFinite(out[key]) || out[key] < 0) fail(`--${m[1]} expects a number >= 0, got "${value}"`);
    } else {
      out[key] = value;
    }
  }
  return out;
}

export const positiveList = (text) => text.split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) { console.error(`expected a list of positive integers, got "${text}"`); process.exit(2); }
  return n;
});

export function percentile(xs, p) {
  const s = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
export const median = (xs) => percentile(xs, 50);
export const fixed = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

export function printTable(header, rows) {
  console.log('| ' + header.join(' | ') + ' |');
  console.log('|' + header.map(() => '---').join('|') + '|');
  for (const r of rows) console.log('| ' + r.join(' | ') + ' |');
}

// The random-weight model of the real 256M shape as a GGUF pair (text model +
// mmproj) in `modelsDir`, written once by `prism gen-checkpoint --gguf`.
// Returns the text model's path.
export function ensureModel(modelsDir, { shape = '256M', type = 'Q8_0', seed = 0 } = {}) {
  const dir = path.join(modelsDir, `smolvlm2-${shape.toLowerCase()}-random-${type.toLowerCase()}-seed${seed}`);
  const file = path.join(dir, `SmolVLM2-${shape}-random-${type}.gguf`);
  if (existsSync(file) && existsSync(path.join(dir, `mmproj-SmolVLM2-${shape}-random-${type}.gguf`))) return file;
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(modelsDir, { recursive: true });
  log(`generating the random-weight ${shape} ${type} GGUF pair in ${dir} (once)`);
  execFileSync(prismBin, ['gen-checkpoint', '--shape', shape, '--gguf', type, '--seed', String(seed), '--out', tmp],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(tmp, dir);
  return file;
}

// Bytes of the model's files (the text model and the mmproj beside it).
export function modelBytes(file) {
  const dir = path.dirname(file);
  return [file, path.join(dir, `mmproj-${path.basename(file)}`)].filter(existsSync).reduce((a, f) => a + statSync(f).size, 0);
}

const tomlTable = (table) => Object.entries(table).filter(([, v]) => v != null)
  .map(([k, v]) => `${k} = ${typeof v === 'string' ? JSON.stringify(v) : v}`).join('\n');

// `prism serve` with the model as the catalog's one local model,
// `[local] threads = threads` and any further keys of `[server]`, `[local]`
// and the `[[models]]` entry (null values are left out).
export async function startEngine(modelFile, { threads = 2, server = {}, local = {}, model = {} } = {}) {
  const config = `[server]\n${tomlTable(server)}\n\n[local]\n${tomlTable({ threads, ...local })}\n\n` +
    `[[models]]\nid = "${MODEL_ID}"\nbackend = "local"\npath = ${JSON.stringify(modelFile)}\n` +
    `capabilities = ["text", "vision"]\ncontext_window = 8192\n${tomlTable(model)}\n`;
  log(`starting ${prismBin} serve (${path.basename(modelFile)}, [local] threads = ${threads})`);
  const prism = await startPrism(config, { args: ['--log-level', 'warn'] });
  prism.pid = prism.child.pid;
  return prism;
}

// One streamed chat completion (usage chunk included). Times in ms from the
// request's start: firstMs = first chunk with content, lastMs = the last one
// with content or a finish_reason, endMs = the response's end. A non-200
// answer gives its status, Retry-After and body; `timeoutMs` aborts the
// whole request (timedOut: true).
export async function streamChat(prism, body, { timeoutMs = 0 } = {}) {
  const out = { status: 0, retryAfter: null, firstMs: null, lastMs: null, endMs: null, usage: null, text: '',
    finishReason: null, error: null, timedOut: false };
  const t0 = performance.now();
  try {
    const res = await fetch(prism.url('/v1/chat/completions'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
      signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined,
    });
    out.status = res.status;
    out.retryAfter = res.headers.get('retry-after');
    if (res.status !== 200) {
      out.error = (await res.text()).slice(0, 300);
    } else {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const bytes of res.body) {
        buffer += decoder.decode(bytes, { stream: true });
        for (let i; (i = buffer.indexOf('\n\n')) >= 0;) {
          const event = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
          const chunk = JSON.parse(event.slice(6));
          const now = performance.now() - t0;
          if (chunk.error) out.error = JSON.stringify(chunk.error).slice(0, 300);
          const choice = chunk.choices?.[0];
          if (choice?.delta?.content) {
            out.firstMs ??= now;
            out.lastMs = now;
            out.text += choice.delta.content;
          }
          if (choice?.finish_reason) { out.finishReason = choice.finish_reason; out.lastMs = now; }
          if (chunk.usage) out.usage = chunk.usage;
        }
      }
      if (!out.usage && !out.error) out.error = 'stream ended without a usage chunk';
    }
  } catch (e) {
    out.timedOut = e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError';
    out.error = out.timedOut ? `no complete answer in ${timeoutMs} ms` : String(e?.cause?.message ?? e?.message ?? e);
  }
  out.endMs = performance.now() - t0;
  return out;
}

// Generation rate of one stream: the tokens after the first over the time
// from the first token to the last.
export function streamTokPerS(r) {
  const n = r.usage?.completion_tokens ?? 0;
  return n > 1 && r.lastMs > r.firstMs ? ((n - 1) * 1000) / (r.lastMs - r.firstMs) : NaN;
}

// GET /health every `intervalMs` (each poll waits `timeoutMs` at most) until
// stop(); `onPoll()` runs after each poll. Returns latencies and failures.
export function pollHealth(prism, { intervalMs = 100, timeoutMs = 5000, onPoll = () => {} } = {}) {
  const stats = { latencies: [], failures: [] };
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      try {
        const res = await fetch(prism.url('/health'), { signal: AbortSignal.timeout(timeoutMs) });
        await res.text();
        if (res.status !== 200) stats.failures.push(`HTTP ${res.status}`);
      } catch (e) {
        stats.failures.push(e?.name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : String(e?.cause?.message ?? e?.message ?? e));
      }
      const ms = performance.now() - t;
      stats.latencies.push(ms);
      onPoll();
      await sleep(Math.max(0, intervalMs - ms));
    }
  })();
  return { stats, stop: async () => { running = false; await loop; return stats; } };
}

// Fields of /proc/<pid>/status in kB (VmRSS, VmHWM, ...); {} once it is gone.
export function procStatusKb(pid) {
  try {
    const out = {};
    for (const m of readFileSync(`/proc/${pid}/status`, 'utf8').matchAll(/^(\w+):\s+(\d+) kB$/gm)) out[m[1]] = Number(m[2]);
    return out;
  } catch {
    return {};
  }
}

// The /metrics lines that start with `prefix` (comments left out).
export async function metricLines(prism, prefix = 'prism_engine_') {
  const text = await (await fetch(prism.url('/metrics'))).text();
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

// A PNG (8-bit RGB, no interlace) of width x height with pixel(x, y) -> [r, g, b].
export function png(width, height, pixel) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0, o = 0; y < height; y++) {
    raw[o++] = 0;  // filter: none
    for (let x = 0; x < width; x++) for (const v of pixel(x, y)) raw[o++] = v;
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);  // bit depth 8, colour type RGB, deflate, filter 0, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
