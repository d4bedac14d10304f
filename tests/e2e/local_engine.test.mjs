// The local engine behind the gateway: the tiny checkpoints as catalog
// models, images and videos as OpenAI content parts, and bad media that
// must be a 400 while the server keeps serving.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertMatchesSchema } from './lib/openapi.mjs';
import { getJson, postJson, readSse, repoRoot, startPrism } from './lib/prism.mjs';

const inputs = path.join(repoRoot, 'tests/fixtures/smolvlm/cases/tiny-a/inputs');
const png = readFileSync(path.join(inputs, 'image.png'));
const dataUrl = (bytes, type = 'image/png') => `data:${type};base64,${bytes.toString('base64')}`;

describe('local engine through the gateway', () => {
  let prism;
  before(async () => {
    prism = await startPrism(`
[local]
models_dir = "tests/fixtures/smolvlm"
allowed_media_dir = "${inputs}"
`);
  });
  after(async () => prism?.stop());

  it('lists every checkpoint folder as a local model with vision and video', async () => {
    const models = await getJson(prism, '/v1/models');
    const byId = Object.fromEntries(models.json.data.filter((m) => m.owned_by !== 'prism-router').map((m) => [m.id, m]));
    assert.deepEqual(Object.keys(byId).sort(), ['tiny-a', 'tiny-b']);
    assert.deepEqual(byId['tiny-a'].capabilities.sort(), ['text', 'video', 'vision']);
    assert.equal(byId['tiny-a'].owned_by, 'prism-local');
  });

  it('answers about an image (data URL), streamed, in the OpenAI chunk shape', async () => {
    const res = await fetch(prism.url('/v1/chat/completions'), {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny-a', stream: true, max_tokens: 5, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(png) } },
          { type: 'text', text: 'Describe the image.' }] }] }) });
    assert.equal(res.status, 200);
    const events = await readSse(res);
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    for (const c of chunks) assertMatchesSchema('CreateChatCompletionStreamResponse', c);
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'length');
    assert.equal(chunks.at(-1).usage.completion_tokens, 5);
  });

  it('reads a video by path under the allowed folder, and refuses paths outside it', async () => {
    const ok = await postJson(prism, '/v1/chat/completions', { model: 'tiny-a', max_tokens: 3,
      messages: [{ role: 'user', content: [{ type: 'video_url', video_url: { url: `file://${path.join(inputs, 'video.avi')}` } },
        { type: 'text', text: 'What happens?' }] }] });
    assert.equal(ok.status, 200, ok.text);
    assertMatchesSchema('CreateChatCompletionResponse', ok.json);
    assert.ok(ok.json.usage.prompt_tokens > 16, 'the frames are in the prompt');

    const outside = await postJson(prism, '/v1/chat/completions', { model: 'tiny-a', max_tokens: 3,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: '/etc/passwd' } }] }] });
    assert.equal(outside.status, 400);
    assertMatchesSchema('ErrorResponse', outside.json);
  });

  it('a truncated or undecodable image is a 400 naming the problem; the server keeps serving', async () => {
    for (const bytes of [png.subarray(0, 200), Buffer.from('not an image at all'), Buffer.alloc(0)]) {
      const r = await postJson(prism, '/v1/chat/completions', { model: 'tiny-b', max_tokens: 2,
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(bytes) } }] }] });
      assert.equal(r.status, 400, r.text);
      assertMatchesSchema('ErrorResponse', r.json);
      assert.ok(r.json.error.message.length > 10);
    }
    const after = await postJson(prism, '/v1/chat/completions', { model: 'tiny-b', max_tokens: 2,
      messages: [{ role: 'user', content: 'still there?' }] });
    assert.equal(after.status, 200);
  });
});
