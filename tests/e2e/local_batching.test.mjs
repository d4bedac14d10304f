// The local engine serving many users at once: concurrent streams are
// batched and each gets the answer it gets alone, a conversation's next
// turn reuses its image encoding and its prefix, and a flood is answered
// or refused with 429 + Retry-After while /health keeps answering.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertMatchesSchema } from './lib/openapi.mjs';
import { postJson, readSse, repoRoot, sleep, startPrism } from './lib/prism.mjs';

const inputs = path.join(repoRoot, 'tests/fixtures/smolvlm/cases/tiny-a/inputs');
const dataUrl = `data:image/png;base64,${readFileSync(path.join(inputs, 'image.png')).toString('base64')}`;

async function metric(prism, name, labels = 'model="tiny-a"') {
  const text = await (await fetch(prism.url('/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : undefined;
}

// Steps whose forward pass held more than `bound` sequences (a bucket bound
// of prism_engine_step_sequences).
async function stepsWithMoreThan(prism, bound) {
  const all = (await metric(prism, 'prism_engine_step_sequences_count')) ?? 0;
  const within = (await metric(prism, 'prism_engine_step_sequences_bucket', `model="tiny-a",le="${bound}"`)) ?? 0;
  return all - within;
}

async function streamAnswer(prism, body) {
  const res = await fetch(prism.url('/v1/chat/completions'), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }) });
  assert.equal(res.status, 200);
  const chunks = (await readSse(res)).slice(0, -1).map((e) => JSON.parse(e));
  for (const c of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', c);
  return { text: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), usage: chunks.at(-1).usage };
}

describe('local engine batching', () => {
  let prism;
  before(async () => {
    prism = await startPrism(`
[local]
models_dir = "tests/fixtures/smolvlm"
allowed_media_dir = "${inputs}"
max_batch_sequences = 8
`);
  });
  after(async () => prism?.stop());

  it('twelve concurrent streams each get the answer they get alone, in shared steps', async () => {
    const request = (i) => ({ model: 'tiny-a', max_tokens: 160,  // long enough to overlap
      messages: [{ role: 'user', content: `Question number ${i}: what comes next?` }] });
    const alone = [];
    for (let i = 0; i < 12; i++) alone.push((await postJson(prism, '/v1/chat/completions', request(i))).json);
    const shared0 = await stepsWithMoreThan(prism, 2);
    const together = await Promise.all(alone.map((_, i) => streamAnswer(prism, request(i))));
    for (let i = 0; i < 12; i++) {
      assert.equal(together[i].text, alone[i].choices[0].message.content, `stream ${i}`);
      assert.equal(together[i].usage.completion_tokens, alone[i].usage.completion_tokens);
    }
    // How much the streams overlap depends on how fast they arrive, so the
    // check is only that some steps carried several of them at once.
    const shared = (await stepsWithMoreThan(prism, 2)) - shared0;
    assert.ok(shared > 0, `no step held more than 2 of 12 concurrent sequences`);
    let running = 1;  // the figures are published at the end of the step that answered
    for (let i = 0; i < 50 && running > 0; i++, await sleep(20)) running = await metric(prism, 'prism_engine_running_sequences');
    assert.equal(running, 0);
  });

  it("a conversation's next turn takes its image and its prefix from the caches", async () => {
    const hits0 = (await metric(prism, 'prism_engine_image_cache_hits_total')) ?? 0;
    const messages = [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl } },
      { type: 'text', text: 'Describe the image.' }] }];
    const first = await postJson(prism, '/v1/chat/completions', { model: 'tiny-a', max_tokens: 6, messages });
    assert.equal(first.status, 200, first.text);
    messages.push(first.json.choices[0].message, { role: 'user', content: 'And the colours?' });
    const second = await postJson(prism, '/v1/chat/completions', { model: 'tiny-a', max_tokens: 6, messages });
    assert.equal(second.status, 200, second.text);
    assertMatchesSchema('CreateChatCompletionResponse', second.json);
    const cached = second.json.usage.prompt_tokens_details.cached_tokens;
    assert.ok(cached >= first.json.usage.prompt_tokens - 16, `cached ${cached} of ${second.json.usage.prompt_tokens}`);
    assert.ok((await metric(prism, 'prism_engine_image_cache_hits_total')) > hits0);
  });
});

describe('local engine under a flood', () => {
  let prism;
  before(async () => {
    prism = await startPrism(`
[server]
max_inflight_requests = 100
[local]
models_dir = "tests/fixtures/smolvlm"
max_batch_sequences = 2
max_waiting = 2
queue_timeout_ms = 20000
`);
  });
  after(async () => prism?.stop());

  it('every request gets its answer or a 429 with Retry-After; /health answers throughout', async () => {
    let healthy = true;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const h = await fetch(prism.url('/health')).catch(() => ({ status: 0 }));
        if (h.status !== 200) healthy = false;
        await sleep(20);
      }
    })();
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => postJson(prism, '/v1/chat/completions',
      { model: 'tiny-b', max_tokens: 400, messages: [{ role: 'user', content: `flood ${i}` }] })));
    polling = false;
    await poller;
    const refused = results.filter((r) => r.status === 429);
    assert.deepEqual(results.filter((r) => r.status !== 200 && r.status !== 429).map((r) => r.text), []);
    assert.ok(refused.length > 0, 'a pool for 4 refuses some of 24');
    assert.ok(results.some((r) => r.status === 200));
    for (const r of refused) {
      assertMatchesSchema('ErrorResponse', r.json);
      assert.equal(r.json.error.code, 'engine_overloaded');
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
    }
    assert.ok(healthy, '/health failed during the flood');
  });

  it('a client that leaves mid-stream frees its place at once', async () => {
    const controller = new AbortController();
    const res = await fetch(prism.url('/v1/chat/completions'), {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: controller.signal,
      body: JSON.stringify({ model: 'tiny-b', stream: true, max_tokens: 4000,
        messages: [{ role: 'user', content: 'go on for a long time' }] }) });
    const reader = res.body.getReader();
    await reader.read();
    controller.abort();
    let running = 1;
    for (let i = 0; i < 100 && running > 0; i++) {
      await sleep(20);
      running = await metric(prism, 'prism_engine_running_sequences', 'model="tiny-b"');
    }
    assert.equal(running, 0);
    assert.equal(await metric(prism, 'prism_engine_kv_blocks', 'model="tiny-b",state="in_use"'), 0);
  });
});
