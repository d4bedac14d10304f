// Issue #10's last requirement: PocketSphinx runs where its abort cannot
// reach the server. While a session speaks a turn, the test aborts every
// speech worker of the server (SIGABRT, as PocketSphinx's assert does,
// `pgrep -P <server pid>`). The speaking session gets an `error` and stays
// open, its next turn is transcribed, a second session that was open at the
// time never sees an error and is transcribed too, /health is 200, no worker
// is left a zombie, and /metrics counts the restarts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { getJson, startPrism } from './lib/prism.mjs';
import { FakeUpstream, upstreamModel } from './lib/upstream.mjs';
import { speak, wordErrorRate } from './lib/voice.mjs';
import { RealtimeSocket, SERVER_VAD_AUDIO_SESSION, silence24k, stream } from './lib/realtime_socket.mjs';

const FIRST = 'What is the weather like in Paris today';
const SECOND = 'How far away is the moon';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function audioSession(prism) {
  const s = await RealtimeSocket.open(prism);
  s.send({ type: 'session.update', session: SERVER_VAD_AUDIO_SESSION });
  await s.next('session.updated');
  return s;
}

// The server's direct children: its speech workers, with their state letter.
function children(pid) {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  } catch { /* pgrep exits 1 when there are none */ }
  return out.split('\n').filter(Boolean).map(Number).map((child) => {
    let state = '?';
    try { state = readFileSync(`/proc/${child}/stat`, 'utf8').replace(/^.*\) /s, '')[0]; } catch { /* gone */ }
    return { pid: child, state };
  });
}

async function metric(prism, name) {
  const m = (await getJson(prism, '/metrics')).text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : null;
}

async function waitFor(what, check, timeoutMs = 60000) {
  const end = performance.now() + timeoutMs;
  let last;
  while (performance.now() < end) {
    last = await check();
    if (last === true) return;
    await sleep(200);
  }
  assert.fail(`${what}: ${JSON.stringify(last)}`);
}

// One whole turn; resolves with its transcript once the response is done.
async function turn(s, speech) {
  const transcript = s.next('conversation.item.input_audio_transcription.completed', { timeoutMs: 60000 });
  const done = s.next('response.done', { timeoutMs: 60000 });
  await stream(s, Buffer.concat([silence24k(300), speech, silence24k(900)]));
  const t = (await transcript).transcript;
  assert.equal((await done).response.status, 'completed');
  return t;
}

describe('realtime: the speech workers die mid-turn (issue #10)', () => {
  let up, prism;
  before(async () => {
    up = await new FakeUpstream('brain', { reply: 'Sure, here is a short answer.', chunkDelayMs: 20 }).start();
    prism = await startPrism(upstreamModel(up, { quality: 0.8 }));
  });
  after(async () => {
    await prism?.stop();
    await up?.stop();
  });

  it('fails that turn only, and the pools come back', { timeout: 240000 }, async () => {
    const pid = prism.child.pid;
    const [first, second] = await Promise.all([speak(prism, FIRST), speak(prism, SECOND)]);
    // The warm-up: two wideband workers and one narrowband.
    await waitFor('workers started', async () => (await metric(prism, 'prism_voice_recognizers_started')) >= 3 || children(pid));
    assert.equal(await metric(prism, 'prism_voice_recognizer_worker_restarts_total'), 0);

    const speaker = await audioSession(prism);
    const bystander = await audioSession(prism);

    // Half the sentence, then every worker aborts, then the rest.
    const half = first.length / 2 - ((first.length / 2) % 2);
    const failed = speaker.next('error', { timeoutMs: 30000 });
    await stream(speaker, Buffer.concat([silence24k(300), first.subarray(0, half)]));
    const workers = children(pid);
    assert.ok(workers.length >= 3, `workers: ${JSON.stringify(workers)}`);
    for (const w of workers) process.kill(w.pid, 'SIGABRT');
    await stream(speaker, Buffer.concat([first.subarray(half), silence24k(900)]));
    const error = (await failed).error;
    assert.equal(error.code, 'speech_recognition_failed', JSON.stringify(error));
    assert.match(error.message, /speech recognizer worker died \(SIGABRT\)/);

    assert.equal(prism.child.exitCode, null, `prism exited:\n${prism.stderr.split('\n').slice(-20).join('\n')}`);
    assert.equal(prism.child.signalCode, null, `prism died (${prism.child.signalCode})`);
    assert.equal((await getJson(prism, '/health')).status, 200);
    // Every dead worker is reaped and replaced, up to the warmed count.
    await waitFor('workers replaced', async () => {
      const now = children(pid);
      const fresh = now.filter((c) => !workers.some((w) => w.pid === c.pid) && c.state !== 'Z');
      return (now.every((c) => c.state !== 'Z') && fresh.length >= 3) || now;
    });
    assert.ok(await metric(prism, 'prism_voice_recognizer_worker_restarts_total') >= 3);

    // Both sessions are still open and both are understood.
    assert.ok(speaker.open && bystander.open);
    const again = await turn(speaker, first);
    assert.ok(wordErrorRate(FIRST, again) <= 0.4, `speaker's next turn: "${again}"`);
    const heard = await turn(bystander, second);
    assert.ok(wordErrorRate(SECOND, heard) <= 0.4, `bystander's turn: "${heard}"`);
    assert.deepEqual(bystander.errors(), [], 'the other session saw an error');
    assert.equal(speaker.errors().length, 1, JSON.stringify(speaker.errors()));
    // The worker's own last words (if any) and the death reach the server log.
    assert.ok(prism.logLines().some((l) => l.msg === 'speech recognizer worker failed' && /SIGABRT/.test(l.error)));

    await speaker.close();
    await bystander.close();
    await waitFor('recognizers still in use', async () => (await metric(prism, 'prism_voice_recognizers_in_use')) === 0);
  });
});
