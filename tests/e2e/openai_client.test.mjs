// The official `openai` npm package talks to prism unchanged: a plain
// completion, a streamed one, reading the chosen model and the decision id
// back; against an upstream and against the local engine (tiny checkpoint).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, startPrism } from './lib/prism.mjs';
import { FakeUpstream, upstreamModel } from './lib/upstream.mjs';

describe('official openai client', () => {
  let up, prism, client;
  before(async () => {
    up = await new FakeUpstream('remote', { reply: 'The answer is 42.' }).start();
    prism = await startPrism(`
[[api_keys]]
name = "sdk"
key = "sk-sdk-test-key-1"

[local]
models_dir = "tests/fixtures/smolvlm"
quality = 0.3
` + upstreamModel(up, { quality: 0.8, caps: ['text'] }));
    client = new OpenAI({ baseURL: prism.url('/v1'), apiKey: 'sk-sdk-test-key-1', maxRetries: 0 });
  });
  after(async () => {
    await prism?.stop();
    await up?.stop();
  });

  it('creates a completion and reads the chosen model and decision back', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'router', messages: [{ role: 'user', content: 'What is the answer?' }] })
      .withResponse();
    assert.equal(data.choices[0].message.content, 'The answer is 42.');
    assert.equal(data.model, 'remote');
    const decisionId = response.headers.get('x-prism-decision-id');
    const decision = await client.get(`/router/decisions/${decisionId}`);
    assert.equal(decision.chosen, data.model);
  });

  it('streams a completion', async () => {
    const stream = await client.chat.completions.create({
      model: 'router', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'What is the answer?' }] });
    let text = '';
    let usage = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
      assert.equal(chunk.model, 'remote');
    }
    assert.equal(text, 'The answer is 42.');
    assert.equal(usage.completion_tokens, 4);
  });

  it('lists models and maps errors to the SDK exception classes', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.deepEqual(ids.filter((id) => !id.startsWith('router')).sort(), ['remote', 'tiny-a', 'tiny-b']);
    assert.ok(ids.includes('router'));
    await assert.rejects(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
    await assert.rejects(new OpenAI({ baseURL: prism.url('/v1'), apiKey: 'wrong-key-123', maxRetries: 0 })
      .chat.completions.create({ model: 'router', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof OpenAI.AuthenticationError);
    await assert.rejects(client.chat.completions.create({ model: 'router', messages: [{ role: 'user', content: 'x' }],
      // @ts-ignore prism's routing extension
      routing: { min_quality: 0.99 } }), (e) => e instanceof OpenAI.UnprocessableEntityError);
  });

  it('an image routes to a local vision model, which answers through the engine', async () => {
    const png = readFileSync(path.join(repoRoot, 'tests/fixtures/smolvlm/cases/tiny-a/inputs/image.png')).toString('base64');
    const { data, response } = await client.chat.completions.create({
      model: 'router', max_tokens: 6,
      messages: [{ role: 'user', content: [
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
        { type: 'text', text: 'What is in this image?' }] }],
    }).withResponse();
    assert.ok(['tiny-a', 'tiny-b'].includes(data.model));
    assert.equal(data.usage.completion_tokens, 6);
    assert.equal(data.choices[0].finish_reason, 'length');
    const decision = await client.get(`/router/decisions/${response.headers.get('x-prism-decision-id')}`);
    assert.match(decision.policy.candidates.find((c) => c.model === 'remote').excluded, /lacks capability 'vision'/);
  });
});
