// The web playground in a real browser: Debian's Chromium (headless,
// puppeteer-core) against a real prism serving the page from its binary,
// with the tiny local checkpoints and a loopback upstream behind the router,
// and Chromium's fake microphone speaking a WAV file for the voice turn.
// Elements are found by their accessible names (aria/ selectors), which
// also checks the names the page promises. No fixed sleeps: every step
// waits for what the page shows.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, recordConsole, screenshot, screenshotDir } from './lib/browser.mjs';
import { getJson, repoRoot, startPrism, tempDir } from './lib/prism.mjs';
import { FakeUpstream, upstreamModel } from './lib/upstream.mjs';
import { speak } from './lib/voice.mjs';

const KEY = 'sk-playground-test-1';
const MAX_BODY = 1 << 20;  // 1 MiB, so that an oversized file is cheap to make
const inputs = path.join(repoRoot, 'tests/fixtures/smolvlm/cases/tiny-a/inputs');
const SPOKEN = 'What is the weather like in Paris today';
const MARKDOWN_REPLY = 'Here is **bold** text and a list:\n\n- one\n- two\n\n```js\nconst answer = 42;\n```\n\nThe end.';
// Long enough (~25 s of speech) that the microphone's next sentence comes
// while it still plays: that is the barge-in.
const SPOKEN_REPLY = Array.from({ length: 10 }, (_, i) => `This is sentence number ${i + 1} of the answer.`).join(' ');
const WAIT = { timeout: 60000 };

// A 24 kHz mono PCM16 WAV file.
function wav(pcm, rate = 24000) {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

const silence = (ms) => Buffer.alloc(Math.round(24 * ms) * 2);

// The newest answer once it is no longer streaming.
async function answerAfter(page, countBefore) {
  await page.waitForFunction((n) => {
    const answers = document.querySelectorAll('article.assistant');
    return answers.length > n && answers[answers.length - 1].dataset.status !== 'streaming';
  }, WAIT, countBefore);
  return page.evaluate(() => {
    const el = [...document.querySelectorAll('article.assistant')].at(-1);
    return {
      status: el.dataset.status,
      text: el.querySelector('.body').textContent,
      html: el.querySelector('.body').innerHTML,
      chunks: Number(el.dataset.chunks),
      notice: el.querySelector('.notices').textContent,
      model: el.querySelector('.model').textContent,
    };
  });
}

const answerCount = (page) => page.evaluate(() => document.querySelectorAll('article.assistant').length);

async function send(page, text) {
  const before = await answerCount(page);
  await page.locator('aria/Message[role="textbox"]').fill(text);
  await page.locator('aria/Send[role="button"]').click();
  return before;
}

// The text of the newest "Routing decision" region once its record loaded.
async function lastRoutingPanel(page, { open = false } = {}) {
  await page.waitForFunction(() => [...document.querySelectorAll('section.routing')].at(-1)?.dataset.chosen !== undefined, WAIT);
  const regions = await page.$$('aria/Routing decision[role="region"]');
  assert.ok(regions.length > 0, 'no region named "Routing decision"');
  const region = regions.at(-1);
  if (open) {
    await (await region.$('button[aria-expanded="false"]'))?.click();
    await region.waitForSelector('.routing-details:not([hidden]) .decision');
  }
  const { text, decisionId, chosen } = await region.evaluate((el) =>
    ({ text: el.textContent, decisionId: el.dataset.decisionId, chosen: el.dataset.chosen }));
  return { region, text, decisionId, chosen };
}

describe('web playground in Chromium', () => {
  let up, prism, browser, page, errors;
  const expectedErrors = [];  // console lines a test provoked on purpose
  const unexpected = () => errors.filter((e) => !expectedErrors.some((re) => re.test(e)));

  before(async () => {
    up = await new FakeUpstream('cloud', { reply: MARKDOWN_REPLY, chunkDelayMs: 40 }).start();
    prism = await startPrism(`
[server]
max_body_bytes = ${MAX_BODY}

[router.profiles.fast]
mode = "latency"

[[api_keys]]
name = "playground"
key = "${KEY}"

[local]
models_dir = "tests/fixtures/smolvlm"
` + upstreamModel(up, { quality: 0.8, caps: ['text'] }));
    // The fake microphone: a sentence, then silence long enough to end the turn (looped).
    const speech = await speak(prism, SPOKEN, { apiKey: KEY });
    const dir = tempDir('prism-playground-');
    const microphoneWav = path.join(dir, 'microphone.wav');
    writeFileSync(microphoneWav, wav(Buffer.concat([silence(300), speech, silence(1700)])));
    writeFileSync(path.join(dir, 'big.png'), Buffer.alloc(MAX_BODY + 200000, 7));
    prism.files = { dir, big: path.join(dir, 'big.png') };
    browser = await launchBrowser({ microphoneWav });
    page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 900 });
    errors = recordConsole(page);
  });

  after(async () => {
    await browser?.close();
    await prism?.stop();
    await up?.stop();
    console.log(`# screenshots in ${screenshotDir}`);
  });

  it('serves its files from the binary with types and ETags, without an API key', async () => {
    const page = await fetch(prism.url('/'));
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(page.headers.get('content-security-policy'), /script-src 'self'/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.match(await page.text(), /<title>prism playground<\/title>/);
    const script = await fetch(prism.url('/js/main.js'));
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const etag = script.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    const again = await fetch(prism.url('/js/main.js'), { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const head = await fetch(prism.url('/vendor/marked.esm.js'), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.ok(Number(head.headers.get('content-length')) > 1000);
    assert.equal((await fetch(prism.url('/vendor/LICENSES.md'))).status, 200);
    const settings = await getJson(prism, '/playground.json');
    assert.deepEqual([settings.json.api_key_required, settings.json.max_body_bytes], [true, MAX_BODY]);
    // The API keeps its key.
    assert.equal((await getJson(prism, '/v1/models')).status, 401);
    assert.equal((await fetch(prism.url('/index.html'), { method: 'POST' })).status, 405);
  });

  it('loads without console errors, asks for the API key, and lists the models with the router', async () => {
    await page.goto(prism.url('/'), { waitUntil: 'networkidle0' });
    await page.waitForSelector('body[data-ready]');
    const banner = await page.$eval('#banner', (el) => el.textContent);
    assert.match(banner, /needs an API key/);
    await screenshot(page, '01-asks-for-key');
    await page.locator('aria/API key[role="textbox"]').fill(KEY);
    await page.locator('aria/Use key[role="button"]').click();
    await page.waitForFunction(() => document.querySelectorAll('#model option').length > 3, WAIT);
    const options = await page.$$eval('aria/Model[role="combobox"]', ([el]) => [...el.options].map((o) => o.value));
    for (const id of ['router', 'router:fast', 'tiny-a', 'tiny-b', 'cloud']) assert.ok(options.includes(id), `${id} in ${options}`);
    assert.deepEqual(errors, []);
  });

  it('streams an answer from a local tiny model', async () => {
    await page.select('aria/Model[role="combobox"]', 'tiny-a');
    await page.locator('aria/Max tokens[role="spinbutton"]').fill('24');
    const before = await send(page, 'Hello, who are you?');
    const answer = await answerAfter(page, before);
    assert.equal(answer.status, 'done', answer.notice);
    assert.equal(answer.model, 'tiny-a');
    assert.ok(answer.text.trim().length > 0, 'empty answer');
    assert.ok(answer.chunks > 1, `the answer came in ${answer.chunks} piece(s), not streamed`);
    const panel = await lastRoutingPanel(page);
    assert.match(panel.text, /tiny-a/);
    assert.deepEqual(errors, []);
  });

  it('routes to the upstream under a min quality, streams its answer as it arrives, renders Markdown and code', async () => {
    await page.select('aria/Model[role="combobox"]', 'router');
    await page.locator('aria/Min quality[role="spinbutton"]').fill('0.5');
    up.set({ chunkDelayMs: 100 });  // ~1.3 s of streaming to see it part-way, even on a loaded machine
    const before = await send(page, 'Show me some Markdown');
    // Part of the answer is on the page while it is still streaming.
    await page.waitForFunction((n) => {
      const el = document.querySelectorAll('article.assistant')[n];
      return el?.getAttribute('aria-busy') === 'true' && /Here/.test(el.textContent) && !/The end/.test(el.textContent);
    }, WAIT, before);
    await page.waitForSelector('aria/Stop[role="button"]', WAIT);
    const answer = await answerAfter(page, before);
    assert.equal(answer.status, 'done', answer.notice);
    assert.equal(answer.model, 'cloud');
    assert.match(answer.html, /<strong>bold<\/strong>/);
    assert.match(answer.html, /<li>two<\/li>/);
    assert.match(answer.html, /<code class="[^"]*hljs[^"]*"[^>]*>.*hljs-keyword/s, 'the code block is highlighted');
    assert.match(answer.text, /The end\./);
    const panel = await lastRoutingPanel(page, { open: true });
    assert.equal(panel.chosen, 'cloud');
    assert.match(panel.text, /tiny-a.*excluded: quality 0\.20 for 'chat' is below min_quality 0\.50/s);
    prism.cloudDecision = panel.decisionId;
    await page.evaluate(() => [...document.querySelectorAll('article.user')].at(-1).scrollIntoView({ block: 'start' }));
    up.set({ chunkDelayMs: 40 });
    const shot = await screenshot(page, '02-routed-answer');
    // The README's picture: PRISM_UPDATE_DOCS_SCREENSHOT=1 refreshes it.
    if (process.env.PRISM_UPDATE_DOCS_SCREENSHOT) writeFileSync(path.join(repoRoot, 'docs', 'playground.png'), readFileSync(shot));
    await page.locator('aria/Min quality[role="spinbutton"]').fill('');
    assert.deepEqual(errors, []);
  });

  it('Stop ends an answer and keeps what arrived', async () => {
    await page.select('aria/Model[role="combobox"]', 'cloud');
    up.set({ reply: Array.from({ length: 40 }, (_, i) => `word${i}`).join(' '), chunkDelayMs: 150 });
    const before = await send(page, 'Count slowly');
    await page.waitForFunction((n) => /word1\b/.test(document.querySelectorAll('article.assistant')[n]?.textContent ?? ''),
      WAIT, before);
    await page.locator('aria/Stop[role="button"]').click();
    const answer = await answerAfter(page, before);
    assert.equal(answer.status, 'stopped');
    assert.match(answer.text, /word1/);
    assert.doesNotMatch(answer.text, /word39/);
    await page.waitForSelector('aria/Send[role="button"]');
    up.set({ reply: MARKDOWN_REPLY, chunkDelayMs: 40 });
  });

  it('attaches an image and a video; the routing panel shows the chosen model and why the upstream was excluded', async () => {
    // Its own conversation: the media go again with every later message.
    await page.locator('aria/New chat[role="button"]').click();
    await page.select('aria/Model[role="combobox"]', 'router');
    const [chooser] = await Promise.all([page.waitForFileChooser(WAIT), page.locator('aria/Attach[role="button"]').click()]);
    await chooser.accept([path.join(inputs, 'image.png'), path.join(inputs, 'video.avi')]);
    await page.waitForFunction(() => document.querySelectorAll('#attachments .attachment').length === 2, WAIT);
    const requestsBefore = up.requests.length;
    const before = await send(page, 'What happens in this video?');
    const answer = await answerAfter(page, before);
    assert.equal(answer.status, 'done', answer.notice);
    assert.match(answer.model, /^tiny-[ab]$/);
    assert.equal(up.requests.length, requestsBefore, 'the text-only upstream was not asked');
    const sent = await page.evaluate(() => {
      const user = [...document.querySelectorAll('article.user')].at(-1);
      return { images: user.querySelectorAll('img').length, videos: user.querySelectorAll('video').length };
    });
    assert.deepEqual(sent, { images: 1, videos: 1 });

    const panel = await lastRoutingPanel(page, { open: true });
    assert.match(panel.text, new RegExp(answer.model));
    assert.equal(panel.chosen, answer.model);
    assert.match(panel.text, /cloud.*excluded: lacks capability '(video|vision)'/s);
    assert.match(panel.text, /Time to first token/);
    assert.match(panel.text, /Cost/);
    // The record behind the panel says the same.
    const record = (await getJson(prism, `/v1/router/decisions/${panel.decisionId}`, { authorization: `Bearer ${KEY}` })).json;
    assert.equal(record.chosen, answer.model);
    assert.ok(record.analysis.capabilities_needed.includes('video'));
    await panel.region.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, '03-media-routing-panel');
    assert.deepEqual(errors, []);
  });

  it('takes files dropped on the chat or pasted into the message box', async () => {
    await page.evaluate(async () => {
      const bytes = await (await fetch('favicon.svg')).blob();
      const file = (name) => new File([bytes], name, { type: 'image/svg+xml' });
      const drop = new DataTransfer();
      drop.items.add(file('dropped.svg'));
      document.getElementById('chat').dispatchEvent(new DragEvent('drop', { dataTransfer: drop, bubbles: true, cancelable: true }));
      const paste = new DataTransfer();
      paste.items.add(file('pasted.svg'));
      document.getElementById('message').dispatchEvent(new ClipboardEvent('paste', { clipboardData: paste, bubbles: true, cancelable: true }));
    });
    await page.waitForFunction(() => document.querySelectorAll('#attachments .attachment').length === 2, WAIT);
    await page.locator('aria/Remove dropped.svg[role="button"]').click();
    await page.locator('aria/Remove pasted.svg[role="button"]').click();
    await page.waitForSelector('#attachments', { hidden: true });
  });

  it('sends the routing controls with the request, and Explain shows the dry run', async () => {
    await page.select('aria/Model[role="combobox"]', 'router');
    await page.select('aria/Mode[role="combobox"]', 'cost');
    await page.locator('aria/Max latency (ms)[role="spinbutton"]').fill('60000');
    await page.locator('aria/vision[role="checkbox"]').click();
    await page.locator('aria/Message[role="textbox"]').fill('Which model would answer this?');
    await page.locator('aria/Explain[role="button"]').click();
    await page.waitForFunction(() => /Would try/.test(document.getElementById('explanation').textContent), WAIT);
    const explanation = await page.$eval('aria/Explanation[role="region"]', (el) => el.textContent);
    assert.match(explanation, /Dry run/);
    assert.match(explanation, /Would try\s*tiny-[ab] → tiny-[ab]/);
    assert.match(explanation, /cloud.*excluded: lacks capability '(video|vision)'/s);
    assert.equal((await page.$eval('aria/Message[role="textbox"]', (el) => el.value)), 'Which model would answer this?',
      'explaining does not send');

    const before = await answerCount(page);
    await page.locator('aria/Send[role="button"]').click();
    assert.equal((await answerAfter(page, before)).status, 'done');
    const panel = await lastRoutingPanel(page);
    const record = (await getJson(prism, `/v1/router/decisions/${panel.decisionId}`, { authorization: `Bearer ${KEY}` })).json;
    assert.equal(record.constraints.mode, 'cost');
    assert.equal(record.constraints.max_latency_ms, 60000);
    assert.deepEqual(record.constraints.require, ['vision']);
    assert.equal(record.constraints.min_quality, null, 'a cleared field is left out');
    // Back to no constraints for the tests after this one.
    await page.select('aria/Mode[role="combobox"]', '');
    await page.locator('aria/Max latency (ms)[role="spinbutton"]').fill('');
    await page.locator('aria/vision[role="checkbox"]').click();
  });

  it('shows the upstream\'s 4xx error message', async () => {
    await page.locator('aria/New chat[role="button"]').click();
    up.set({ mode: 'bad400' });
    expectedErrors.push(/status of 400/);
    await page.select('aria/Model[role="combobox"]', 'cloud');
    const before = await send(page, 'This will be refused');
    const answer = await answerAfter(page, before);
    up.set({ mode: 'ok' });
    assert.equal(answer.status, 'error');
    assert.match(answer.notice, /Error 400 \(invalid_value\): temperature is wrong/);
  });

  it('says so when a stream is cut off, and keeps what arrived', async () => {
    up.set({ mode: 'dropMidStream', reply: 'alpha beta gamma delta epsilon zeta eta theta', chunkDelayMs: 20 });
    const before = await send(page, 'This answer will be cut');
    const answer = await answerAfter(page, before);
    up.set({ mode: 'ok', reply: MARKDOWN_REPLY, chunkDelayMs: 40 });
    assert.equal(answer.status, 'interrupted');
    assert.match(answer.text, /alpha/);
    assert.doesNotMatch(answer.text, /theta/);
    assert.match(answer.notice, /did not finish: the model failed mid-stream/);
    assert.match(answer.notice, /What arrived is kept above/);
    await screenshot(page, '04-errors');
  });

  it('refuses a file over the server\'s body limit before uploading it, naming the limit', async () => {
    const decisions = async () => (await getJson(prism, '/v1/router/decisions?limit=1000', { authorization: `Bearer ${KEY}` })).json.data.length;
    const count = await decisions();
    const [chooser] = await Promise.all([page.waitForFileChooser(WAIT), page.locator('aria/Attach[role="button"]').click()]);
    await chooser.accept([prism.files.big]);
    await page.waitForFunction(() => !document.getElementById('composer-error').hidden, WAIT);
    const error = await page.$eval('#composer-error', (el) => el.textContent);
    assert.match(error, /big\.png is 1\.2 MiB: too large to send/);
    assert.match(error, /accepts requests up to 1 MiB \(max_body_bytes\)/);
    assert.equal(await page.$$eval('#attachments .attachment', (els) => els.length), 0);
    assert.equal(await decisions(), count, 'nothing was sent');
  });

  it('says so when the connection to prism drops mid-answer, and keeps what arrived', async () => {
    const slow = await new FakeUpstream('slow', { reply: Array.from({ length: 60 }, (_, i) => `word${i}`).join(' '), chunkDelayMs: 100 }).start();
    const doomed = await startPrism(upstreamModel(slow));
    const tab = await browser.newPage();
    try {
      await tab.goto(doomed.url('/'), { waitUntil: 'networkidle0' });
      await tab.waitForSelector('body[data-ready]');
      await tab.waitForFunction(() => [...document.querySelectorAll('#model option')].some((o) => o.value === 'slow'), WAIT);
      await tab.select('aria/Model[role="combobox"]', 'slow');
      const before = await send(tab, 'Talk slowly');
      await tab.waitForFunction((n) => /word2\b/.test(document.querySelectorAll('article.assistant')[n]?.textContent ?? ''),
        WAIT, before);
      await doomed.stop('SIGKILL');
      const answer = await answerAfter(tab, before);
      assert.equal(answer.status, 'interrupted');
      assert.match(answer.text, /word2/);
      assert.doesNotMatch(answer.text, /word59/);
      assert.match(answer.notice, /did not finish: the connection dropped before the answer finished/);
      assert.match(answer.notice, /What arrived is kept above/);
    } finally {
      await tab.close();
      await doomed.stop();
      await slow.stop();
    }
  });

  it('lists the requests on the decisions page, filterable by model', async () => {
    await page.locator('aria/Decisions[role="link"]').click();
    await page.waitForFunction(() => document.querySelectorAll('#decision-rows tr.decision-row').length >= 6, WAIT);
    await page.select('aria/Answered by[role="combobox"]', 'cloud');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#decision-rows tr.decision-row')];
      return rows.length > 0 && rows.every((r) => r.querySelector('th').textContent === 'cloud');
    }, WAIT);
    const ids = await page.$$eval('#decision-rows tr.decision-row', (rows) => rows.map((r) => r.dataset.id));
    assert.ok(ids.includes(prism.cloudDecision), `${prism.cloudDecision} not in ${ids}`);
    await page.select('aria/Answered by[role="combobox"]', 'tiny-a');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#decision-rows tr.decision-row')];
      return rows.length > 0 && rows.every((r) => r.querySelector('th').textContent === 'tiny-a');
    }, WAIT);
    await page.locator('#decision-rows tr.decision-row button').click();
    await page.waitForSelector('#decision-rows tr.decision-details:not([hidden]) .decision');
    await screenshot(page, '05-decisions');
    await page.locator('aria/Chat[role="link"]').click();
    await page.waitForSelector('#chat-page:not([hidden])');
  });

  it('keeps conversations in the browser and switches between them', async () => {
    await page.reload({ waitUntil: 'networkidle0' });
    await page.waitForSelector('body[data-ready]').catch((e) => { throw new Error(`${e.message}: ${errors.join('; ')}`); });
    const messagesBefore = await page.$$eval('article.message', (els) => els.length);
    assert.ok(messagesBefore >= 4, `${messagesBefore} messages after a reload`);
    await page.locator('aria/New chat[role="button"]').click();
    await page.waitForFunction(() => document.querySelectorAll('article.message').length === 0);
    await page.select('aria/Model[role="combobox"]', 'cloud');
    await send(page, 'A second conversation');
    await page.waitForFunction(() => document.querySelectorAll('#conversation-list button.open').length === 4, WAIT);
    await page.evaluate(() => [...document.querySelectorAll('#conversation-list button.open')]
      .find((b) => b.textContent.startsWith('Hello, who are you?')).click());
    // The first conversation: its five questions and answers, the last one stopped.
    await page.waitForFunction(() => document.querySelectorAll('article.message').length === 6 &&
      document.querySelector('article.assistant:last-of-type')?.dataset.status === 'stopped', WAIT);
  });

  it('holds a spoken turn through Talk: transcript, answer audio, timing, and barge-in', async () => {
    up.set({ reply: SPOKEN_REPLY, chunkDelayMs: 0, mode: 'ok' });
    await page.select('aria/Model[role="combobox"]', 'cloud');
    await page.locator('aria/Talk[role="button"]').click();
    // The first turn: heard, answered, its audio played, its timing shown.
    await page.waitForFunction(() => {
      const turn = document.querySelector('.voice-turn');
      return turn && /paris/i.test(turn.querySelector('.said.user')?.textContent ?? '') &&
        /heard/.test(turn.textContent) && turn.querySelector('.turn-timing');
    }, WAIT);
    const first = await page.$eval('.voice-turn', (el) => ({
      user: el.querySelector('.said.user .transcript').textContent,
      answer: el.querySelector('.answer-transcript').textContent,
      timing: el.querySelector('.turn-timing').textContent,
    }));
    console.log(`# heard "${first.user}"; ${first.timing}`);
    assert.match(first.user, /weather/i);
    assert.ok(SPOKEN_REPLY.startsWith(first.answer.trim().slice(0, 20)), `answer "${first.answer}"`);
    assert.match(first.timing, /First audio [\d.]+ m?s after the (end of speech|turn detected)/);
    // The microphone's sentence comes round again while the answer plays:
    // playback stops and the server confirms the truncation.
    await page.waitForFunction(() => {
      const turn = document.querySelector('.voice-turn[data-interrupted="true"]');
      return turn && /the server keeps \d/.test(turn.textContent);
    }, WAIT);
    const figures = await page.$eval('.voice-turn[data-interrupted="true"] .audio-figures', (el) => el.textContent);
    const [, received, heard, kept] = figures.match(/([\d.]+ m?s) received, ([\d.]+ m?s) heard — interrupted, the server keeps ([\d.]+ m?s)/) ?? [];
    assert.ok(received && heard && kept, figures);
    assert.equal(kept, heard, 'the server keeps what was heard');
    await screenshot(page, '06-voice');
    await page.locator('aria/Talk[role="button"]').click();
    await page.waitForFunction(() => document.getElementById('talk').getAttribute('aria-pressed') === 'false', WAIT);
    assert.deepEqual(unexpected(), []);
  });
});

describe('playground = false', () => {
  let prism;
  before(async () => { prism = await startPrism('[server]\nplayground = false\n'); });
  after(async () => prism?.stop());

  it('serves no page, and the API as before', async () => {
    for (const p of ['/', '/index.html', '/js/main.js', '/playground.json']) {
      const res = await getJson(prism, p);
      assert.equal(res.status, 404, p);
      assert.equal(res.json.error.code, 'unknown_url');
    }
    assert.equal((await getJson(prism, '/v1/models')).status, 200);
  });
});
