// A conversation about one image: turn 1 sends a 512x512 PNG (drawn here)
// and a question; each later turn resends the whole conversation so far (the
// image, every question and answer) plus a new question, as a chat client
// does. Per turn: total time, time to first token, prompt_tokens and
// usage.prompt_tokens_details.cached_tokens (prompt tokens the engine reused
// instead of prefilling), so one can read whether turns 2-10 skip the vision
// encoder and prefill only the new turn. At the end, the /metrics lines that
// start with prism_engine_ (the image and prefix caches' counters).
// Same model and server as bench/engine/streams.mjs (random-weight 256M Q8_0
// GGUF, [local] threads = 2), temperature 0.
//
//   PRISM_BIN=build/src/cli/prism node bench/engine/image_conversation.mjs [--turns 10] [--max-tokens 32]
//     [--size 512] [--threads 2] [--models-dir /tmp/prism-bench-models] [--seed 0]
// (PRISM_BIN defaults to build/src/cli/prism; run `npm ci` in tests/e2e first.)
// Progress goes to stderr, the table to stdout.
import { ensureModel, fixed, log, metricLines, MODEL_ID, options, png, prismBin, printTable, startEngine,
  streamChat } from './lib.mjs';

const opt = options('node bench/engine/image_conversation.mjs [--turns 10] [--max-tokens 32] [--size 512] [--threads 2] ' +
  '[--models-dir DIR] [--seed 0]', { turns: 10, maxTokens: 32, size: 512, threads: 2, modelsDir: '/tmp/prism-bench-models', seed: 0 });

const QUESTIONS = [
  'What is in this image?',
  'What colour is the circle?',
  'Where is the square, left or right?',
  'How many shapes can you see?',
  'Is the background light or dark?',
  'Describe the stripes at the bottom.',
  'Which shape is the largest?',
  'Does anything overlap?',
  'What would you call this picture?',
  'Summarise the image in one sentence.',
];

// A sky-to-grass gradient, a red circle, a blue square and a striped band.
const n = opt.size;
const image = png(n, n, (x, y) => {
  const u = x / n, v = y / n;
  if ((u - 0.3) ** 2 + (v - 0.35) ** 2 < 0.04) return [220, 40, 40];
  if (u > 0.55 && u < 0.85 && v > 0.2 && v < 0.5) return [40, 70, 200];
  if (v > 0.8) return Math.floor(u * 16) % 2 ? [250, 220, 40] : [30, 30, 30];
  return [Math.round(120 + 100 * v), Math.round(180 - 40 * v), Math.round(240 - 160 * v)];
});
const imageUrl = `data:image/png;base64,${image.toString('base64')}`;

const modelFile = ensureModel(opt.modelsDir, { seed: opt.seed });
const prism = await startEngine(modelFile, { threads: opt.threads });
try {
  const messages = [];
  const rows = [];
  for (let t = 0; t < opt.turns; t++) {
    const question = QUESTIONS[t % QUESTIONS.length];
    messages.push({ role: 'user', content: t === 0
      ? [{ type: 'image_url', image_url: { url: imageUrl } }, { type: 'text', text: question }]
      : question });
    const r = await streamChat(prism, { model: MODEL_ID, temperature: 0, max_tokens: opt.maxTokens, messages });
    if (r.status !== 200 || r.error) throw new Error(`turn ${t + 1}: HTTP ${r.status} ${r.error}`);
    messages.push({ role: 'assistant', content: r.text });
    const prompt = r.usage.prompt_tokens;
    const cached = r.usage.prompt_tokens_details?.cached_tokens;
    rows.push([t + 1, fixed(r.endMs, 0), fixed(r.firstMs, 0), prompt, cached ?? '-', cached == null ? '-' : prompt - cached,
      r.usage.completion_tokens]);
    log(`turn ${t + 1}/${opt.turns}: ${fixed(r.endMs, 0)} ms, first token ${fixed(r.firstMs, 0)} ms, ` +
      `prompt ${prompt} tokens (${cached ?? 'no'} cached)`);
  }
  console.log(`image conversation: ${opt.turns} turns about one ${n}x${n} PNG (${image.length} bytes), ${MODEL_ID} ` +
    `(${modelFile}), ${opt.threads} engine threads, max_tokens ${opt.maxTokens}, ${prismBin}\n`);
  printTable(['turn', 'total ms', 'TTFT ms', 'prompt tokens', 'cached tokens', 'prefilled tokens', 'completion tokens'], rows);
  const metrics = await metricLines(prism, 'prism_engine_');
  console.log(`\n/metrics, prism_engine_*:${metrics.length ? '' : ' (none: this server exports no engine metrics)'}`);
  for (const line of metrics) console.log(line);
} finally {
  await prism.stop();
}
