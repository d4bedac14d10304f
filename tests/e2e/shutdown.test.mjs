// Graceful shutdown and the decision log's durability: SIGTERM lets a
// stream in flight finish, refuses new connections, exits 0, and every
// decision acknowledged to a client is in the JSON Lines file and readable
// again after a restart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { getJson, postJson, readSse, sleep, startPrism } from './lib/prism.mjs';
import { FakeUpstream, upstreamModel } from './lib/upstream.mjs';

describe('graceful shutdown', () => {
  let up;
  before(async () => { up = await new FakeUpstream('up', { reply: 'w1 w2 w3 w4 w5 w6 w7 w8', chunkDelayMs: 100 }).start(); });
  after(async () => up?.stop());

  it('finishes the stream in flight, then exits; the decision survives a restart', async () => {
    const config = upstreamModel(up);
    const prism = await startPrism(config);
    const quick = await postJson(prism, '/v1/chat/completions', { model: 'up', messages: [{ role: 'user', content: 'x' }] });
    const quickId = quick.headers.get('x-prism-decision-id');

    const res = await fetch(prism.url('/v1/chat/completions'), {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'router', stream: true, messages: [{ role: 'user', content: 'count' }] }) });
    const streamId = res.headers.get('x-prism-decision-id');
    const events = readSse(res);
    await sleep(150);
    prism.child.kill('SIGTERM');
    await sleep(100);
    await assert.rejects(fetch(prism.url('/health')), 'new connections are refused while draining');
    const data = await events;
    assert.equal(data.at(-1), '[DONE]', 'the stream in flight completed');
    const text = data.slice(0, -1).map((e) => JSON.parse(e).choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'w1 w2 w3 w4 w5 w6 w7 w8');
    const exit = await prism.exited;
    assert.equal(exit.code, 0);

    const lines = readFileSync(prism.decisionLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.id), [quickId, streamId]);
    assert.equal(lines[1].outcome.status, 'ok');

    const again = await startPrism(config, { dir: prism.dir });
    try {
      const d = await getJson(again, `/v1/router/decisions/${streamId}`);
      assert.equal(d.status, 200);
      assert.equal(d.json.chosen, 'up');
      const list = await getJson(again, '/v1/router/decisions');
      assert.deepEqual(list.json.data.map((x) => x.id), [streamId, quickId]);
    } finally {
      await again.stop();
    }
  });
});
