// Routing end to end: prism in front of three upstream test servers with
// different quality and prices; each mode, constraint and explanation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertMatchesSchema } from './lib/openapi.mjs';
import { getJson, postJson, readSse, startPrism } from './lib/prism.mjs';
import { FakeUpstream, FRAMINGS, upstreamModel } from './lib/upstream.mjs';

const user = (content) => ({ role: 'user', content });

// Each upstream frames its answers one way; every framing a real server
// uses gets the whole file.
for (const framing of FRAMINGS) {
  describe(`routing (${framing} framing)`, () => {
    let cheap, mid, premium, prism;
    before(async () => {
      cheap = await new FakeUpstream('cheap', {}, { framing }).start();
      mid = await new FakeUpstream('mid', {}, { framing }).start();
      premium = await new FakeUpstream('premium', {}, { framing }).start();
      prism = await startPrism(`
  [router]
  quality_band = 0.10
  [router.profiles.fast]
  mode = "latency"
  [router.profiles.thrifty]
  mode = "cost"
  max_cost_usd = 0.5
  ` + upstreamModel(cheap, { quality: 0.6, priceIn: 0.1, priceOut: 0.2 })
        + upstreamModel(mid, { quality: 0.85, priceIn: 1, priceOut: 2, extra: 'latency_hint_ms = 300' })
        + upstreamModel(premium, { quality: 0.9, priceIn: 10, priceOut: 30, caps: ['text', 'vision', 'tools', 'json_schema'],
          context: 128000 }));
    });
    after(async () => {
      await prism?.stop();
      for (const u of [cheap, mid, premium]) await u?.stop();
    });

    it('balanced picks the cheapest model within the quality band of the best', async () => {
      const r = await postJson(prism, '/v1/chat/completions', { model: 'router', messages: [user('hello there')] });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.model, 'mid');
      assertMatchesSchema('CreateChatCompletionResponse', r.json);
      assert.equal(r.json.choices[0].message.content, 'hello from mid');
      // The upstream got its own model name.
      assert.equal(mid.requests.at(-1).body.model, 'mid-upstream');
      const id = r.headers.get('x-prism-decision-id');
      assert.match(id, /^dec_/);
      const d = await getJson(prism, `/v1/router/decisions/${id}`);
      assert.equal(d.status, 200);
      assert.equal(d.json.chosen, 'mid');
      assert.equal(d.json.policy.mode, 'balanced');
      const byModel = Object.fromEntries(d.json.policy.candidates.map((c) => [c.model, c]));
      assert.equal(byModel.mid.rank, 1);
      assert.equal(byModel.premium.rank, 2);
      assert.equal(byModel.cheap.in_quality_band, false);
      assert.equal(d.json.outcome.status, 'ok');
      assert.equal(d.json.outcome.prompt_tokens, 11);  // reported by the upstream
      assert.ok(d.json.outcome.cost_usd > 0);
      assert.equal(d.json.analysis.category, 'chat');
    });

    it('quality, cost and latency modes choose accordingly (body and header)', async () => {
      const q = await postJson(prism, '/v1/chat/completions', { model: 'router', routing: { mode: 'quality' }, messages: [user('hi')] });
      assert.equal(q.json.model, 'premium');
      const c = await postJson(prism, '/v1/chat/completions', { model: 'router', messages: [user('hi')] }, { 'x-prism-routing-mode': 'cost' });
      assert.equal(c.json.model, 'cheap');
      const l = await postJson(prism, '/v1/chat/completions', { model: 'router:fast', messages: [user('hi')] });
      assert.equal(l.status, 200);
      const d = await getJson(prism, `/v1/router/decisions/${l.headers.get('x-prism-decision-id')}`);
      assert.equal(d.json.route, 'router:fast');
      assert.equal(d.json.policy.mode, 'latency');
    });

    it('a needed capability excludes models with a reason', async () => {
      const r = await postJson(prism, '/v1/chat/completions', {
        model: 'router',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }],
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.model, 'premium');
      const d = await getJson(prism, `/v1/router/decisions/${r.headers.get('x-prism-decision-id')}`);
      assert.deepEqual(d.json.analysis.capabilities_needed, ['text', 'vision']);
      const cheapC = d.json.policy.candidates.find((c) => c.model === 'cheap');
      assert.equal(cheapC.eligible, false);
      assert.match(cheapC.excluded, /lacks capability 'vision'/);
    });

    it('max_cost_usd and min_quality filter with numbers in the reason; nothing left is a 422 with the explanation', async () => {
      const r = await postJson(prism, '/v1/chat/completions', {
        model: 'router', routing: { mode: 'quality', max_cost_usd: 0.001 }, messages: [user('hi')] });
      assert.equal(r.status, 200);
      assert.notEqual(r.json.model, 'premium');
      const d = await getJson(prism, `/v1/router/decisions/${r.headers.get('x-prism-decision-id')}`);
      const p = d.json.policy.candidates.find((c) => c.model === 'premium');
      assert.match(p.excluded, /estimated cost \$0\.\d+ exceeds max_cost_usd \$0\.001000/);

      const none = await postJson(prism, '/v1/chat/completions', { model: 'router', messages: [user('hi')] },
        { 'x-prism-min-quality': '0.95' });
      assert.equal(none.status, 422);
      assertMatchesSchema('ErrorResponse', none.json);
      assert.equal(none.json.error.code, 'no_model_satisfies_constraints');
      assert.match(none.json.error.message, /premium: quality 0\.90 for 'chat' is below min_quality 0\.95/);
      assert.ok(none.json.error.decision.policy.candidates.length === 3);
    });

    it('a prompt beyond a context window excludes that model', async () => {
      const long = 'word '.repeat(20000);  // ~25k tokens by the 4-chars rule
      const r = await postJson(prism, '/v1/router/explain', { model: 'router', messages: [user(long)] });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.would_try, ['premium']);
      const mid = r.json.policy.candidates.find((c) => c.model === 'mid');
      assert.match(mid.excluded, /but its context window is 16000/);
    });

    it('explain answers without calling any backend', async () => {
      const before = cheap.requests.length + mid.requests.length + premium.requests.length;
      const r = await postJson(prism, '/v1/router/explain', {
        model: 'router:thrifty', messages: [user('Write a python function that parses CSV')], max_tokens: 100 });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.object, 'router.explanation');
      assert.equal(r.json.analysis.category, 'code');
      assert.equal(r.json.analysis.expected_output_tokens, 100);
      assert.equal(r.json.constraints.max_cost_usd, 0.5);
      assert.equal(r.json.would_try[0], 'cheap');
      assert.equal(cheap.requests.length + mid.requests.length + premium.requests.length, before);
    });

    it('a named model goes straight there and is still recorded', async () => {
      const r = await postJson(prism, '/v1/chat/completions', { model: 'cheap', messages: [user('hi')] });
      assert.equal(r.json.model, 'cheap');
      const d = await getJson(prism, `/v1/router/decisions/${r.headers.get('x-prism-decision-id')}`);
      assert.equal(d.json.route, 'direct');
      assert.equal(d.json.policy.candidates.length, 1);
      const list = await getJson(prism, '/v1/router/decisions?limit=2&model=cheap');
      assert.equal(list.json.object, 'list');
      assert.ok(list.json.data.every((x) => x.chosen === 'cheap'));
    });

    it('streams chunks that match the OpenAI schema and end with [DONE]', async () => {
      mid.set({ reply: 'one two three four five' });
      const res = await fetch(prism.url('/v1/chat/completions'), {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'router', stream: true, stream_options: { include_usage: true }, messages: [user('count')] }),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /text\/event-stream/);
      assert.match(res.headers.get('x-prism-decision-id'), /^dec_/);
      const events = await readSse(res);
      assert.equal(events.at(-1), '[DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      for (const c of chunks) {
        assertMatchesSchema('CreateChatCompletionStreamResponse', c);
        assert.equal(c.model, 'mid');
      }
      const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      assert.equal(text, 'one two three four five');
      assert.deepEqual(chunks.at(-1).choices, []);
      assert.equal(chunks.at(-1).usage.completion_tokens, 5);
      mid.set({ reply: 'hello from mid' });
    });

    it('routing errors are 400s that name the field; unknown models are 404s', async () => {
      const bad = await postJson(prism, '/v1/chat/completions', { model: 'router', routing: { mode: 'fastest' }, messages: [user('x')] });
      assert.equal(bad.status, 400);
      assertMatchesSchema('ErrorResponse', bad.json);
      assert.match(bad.json.error.message, /routing\.mode must be one of/);
      const badHeader = await postJson(prism, '/v1/chat/completions', { model: 'router', messages: [user('x')] },
        { 'x-prism-max-latency-ms': 'soon' });
      assert.equal(badHeader.status, 400);
      const profile = await postJson(prism, '/v1/chat/completions', { model: 'router:nope', messages: [user('x')] });
      assert.equal(profile.status, 400);
      assert.match(profile.json.error.message, /unknown routing profile 'nope'/);
      const unknown = await postJson(prism, '/v1/chat/completions', { model: 'gpt-9', messages: [user('x')] });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.error.code, 'model_not_found');
      assertMatchesSchema('ErrorResponse', unknown.json);
    });

    it('lists models and exposes Prometheus metrics', async () => {
      const models = await getJson(prism, '/v1/models');
      assert.deepEqual(models.json.data.filter((m) => m.owned_by !== 'prism-router').map((m) => m.id).sort(), ['cheap', 'mid', 'premium']);
      // Then the router itself and each profile, so model pickers offer them.
      const routed = Object.fromEntries(models.json.data.filter((m) => m.owned_by === 'prism-router').map((m) => [m.id, m]));
      assert.deepEqual(Object.keys(routed), ['router', 'router:fast', 'router:thrifty']);
      assert.equal(routed['router:thrifty'].routing.mode, 'cost');
      assert.equal(routed['router:thrifty'].routing.max_cost_usd, 0.5);
      assert.equal((await getJson(prism, '/v1/models/router:fast')).json.routing.mode, 'latency');
      const res = await fetch(prism.url('/metrics'));
      const text = await res.text();
      assert.match(res.headers.get('content-type'), /text\/plain; version=0\.0\.4/);
      assert.match(text, /# TYPE prism_requests_total counter/);
      assert.match(text, /prism_requests_total\{model="mid",route="router",outcome="ok"\} \d+/);
      assert.match(text, /prism_request_duration_seconds_bucket\{model="premium",le="\+Inf"\} \d+/);
      assert.match(text, /prism_router_choices_total\{route="router",model="mid"\}/);
      assert.match(text, /prism_tokens_total\{model="mid",direction="completion"\}/);
      assert.match(text, /prism_cost_usd_total\{model="premium"\}/);
    });
  });
}
