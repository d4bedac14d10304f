// `prism pull` against a Hub test server on loopback (tests/e2e/lib/hub.mjs):
// the cache it writes is the one huggingface_hub writes, `--model org/name`
// answers from it with no server and no network, and every fault (a cut
// connection, a 500, a wrong checksum, a gated repo, a missing repo,
// revision or file, a slow server, Ctrl-C) gets its clear message and loses
// nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FakeHub, folderFiles, gitBlobSha1, tinyGguf } from './lib/hub.mjs';
import { getJson, postJson, prismBin, repoRoot, sleep, startPrism, tempDir } from './lib/prism.mjs';

const fixtures = path.join(repoRoot, 'tests/fixtures/smolvlm');
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const ggufName = 'SmolVLM2-256M-Video-Instruct';

// Runs prism to its end; `onStart(child)` may act while it runs.
function prism(args, env, { onStart = null, timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(prismBin, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`prism ${args.join(' ')} hung:\n${stderr}`)); }, timeoutMs);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    onStart?.(child, () => stderr);
  });
}

// Every entry of a repo's cache folder, checked against huggingface_hub's rules.
function checkCache(cache, repo, commit, expectedFiles) {
  const root = path.join(cache, `models--${repo.replace('/', '--')}`);
  assert.equal(readFileSync(path.join(root, 'refs', 'main'), 'utf8'), commit, 'refs/main holds the commit, no newline');
  const blobs = readdirSync(path.join(root, 'blobs'));
  assert.deepEqual(blobs.filter((b) => b.endsWith('.incomplete')), [], 'no .incomplete left');
  const snap = path.join(root, 'snapshots', commit);
  for (const [file, data] of Object.entries(expectedFiles)) {
    const entry = path.join(snap, file);
    assert.ok(lstatSync(entry).isSymbolicLink(), `${file} is a symlink`);
    const target = readlinkSync(entry);
    assert.ok(!path.isAbsolute(target), `${file} links relatively (${target})`);
    const depth = file.split('/').length + 1;
    const etag = /\.(safetensors|gguf)$/.test(file) ? sha256(data) : gitBlobSha1(data);
    assert.equal(target, `${'../'.repeat(depth)}blobs/${etag}`, `${file} -> blobs/{etag}`);
    assert.ok(readFileSync(entry).equals(data), `${file} has the Hub's bytes`);
  }
  assert.deepEqual(readdirSync(snap).sort(), Object.keys(expectedFiles).sort(), 'the snapshot holds the pulled files only');
  return root;
}

describe('prism pull', () => {
  let hub;
  let tinyA;
  let tinyB;
  let gguf;
  // The Q8_0 pair is real (tiny-a as `prism quantize` writes it, side files
  // left behind, as a GGUF repo holds it); the f16 one only has to be listed.
  const quantized = tempDir('prism-pull-gguf-');
  const ggufFiles = {
    [`${ggufName}-f16.gguf`]: tinyGguf({ 'general.architecture': 'llama', 'general.name': ggufName, 'general.file_type': 1 }, 400000),
    'README.md': Buffer.from('# GGUF\n'),
  };
  const tinyAFiles = folderFiles(path.join(fixtures, 'tiny-a'));
  const tinyBFiles = folderFiles(path.join(fixtures, 'tiny-b'));
  let cache;
  let env;

  before(async () => {
    const q = await prism(['quantize', path.join(fixtures, 'tiny-a'), '--out', path.join(quantized, 'text.gguf'),
      '--mmproj', path.join(quantized, 'mmproj.gguf'), '--type', 'q8_0'], {});
    assert.equal(q.code, 0, q.stderr);
    ggufFiles[`${ggufName}-Q8_0.gguf`] = readFileSync(path.join(quantized, 'text.gguf'));
    ggufFiles[`mmproj-${ggufName}-f16.gguf`] = readFileSync(path.join(quantized, 'mmproj.gguf'));
    hub = await new FakeHub().start();
    tinyA = hub.addRepo('prism-test/tiny-a', tinyAFiles);
    tinyB = hub.addRepo('prism-test/tiny-b-gated', tinyBFiles, { gated: true });
    gguf = hub.addRepo(`ggml-org/${ggufName}-GGUF`, ggufFiles);
  });
  after(async () => hub?.stop());
  beforeEach(() => {
    hub.clearFaults();
    hub.requests.length = 0;
    hub.cdnRequests.length = 0;
    cache = tempDir('prism-hf-cache-');
    // HF_HOME too, so that no token file of the person running the tests is read.
    env = { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cache, HF_HOME: tempDir('prism-hf-home-'), HF_TOKEN: '' };
  });

  it('pulls a checkpoint into the Hub cache layout, and `run --model org/name` answers from it offline', async () => {
    const pulled = await prism(['pull', 'prism-test/tiny-a'], env);
    assert.equal(pulled.code, 0, pulled.stderr);
    const count = Object.keys(tinyAFiles).length;
    assert.match(pulled.stdout, new RegExp(`pulled prism-test/tiny-a \\(main = ${tinyA.commit}\\): ${count} files`));
    checkCache(cache, 'prism-test/tiny-a', tinyA.commit, tinyAFiles);
    // The LFS file came from the CDN, which never saw a token; the request named prism.
    assert.ok(hub.cdnRequests.some((r) => r.url.startsWith(`/blobs/${sha256(tinyAFiles['model.safetensors'])}`)));
    assert.ok(hub.requests.every((r) => r.headers['user-agent'].startsWith('prism/')));

    // No server, no Hub: the hub is told to fail everything, and HF_ENDPOINT points nowhere.
    hub.set({ api500: 1000, cdn500: 1000 });
    const offline = { ...env, HF_ENDPOINT: 'http://127.0.0.1:1' };
    const fromRepo = await prism(['run', '--model', 'prism-test/tiny-a', '--max-tokens', '6', 'Describe the weather.'], offline);
    assert.equal(fromRepo.code, 0, fromRepo.stderr);
    assert.ok(fromRepo.stdout.trim().length > 0, 'an answer');
    const fromFolder = await prism(['run', '--model', path.join(fixtures, 'tiny-a'), '--max-tokens', '6', 'Describe the weather.'], offline);
    assert.equal(fromRepo.stdout, fromFolder.stdout, 'the same answer as from the fixture folder');

    const inspect = await prism(['inspect', 'prism-test/tiny-a', '--json'], offline);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(JSON.parse(inspect.stdout).name, 'prism-test/tiny-a');

    // @revision by commit hash, and by branch.
    const byCommit = await prism(['run', '--model', `prism-test/tiny-a@${tinyA.commit}`, '--max-tokens', '6', 'Describe the weather.'], offline);
    assert.equal(byCommit.stdout, fromFolder.stdout, byCommit.stderr);

    // Pulled again: nothing to download, not even a HEAD.
    hub.clearFaults();
    hub.requests.length = 0;
    hub.cdnRequests.length = 0;
    const again = await prism(['pull', 'prism-test/tiny-a'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`0 B downloaded, ${count} already cached`));
    assert.deepEqual(hub.requests.map((r) => r.method), ['GET']);
    assert.equal(hub.cdnRequests.length, 0);

    // HF_HUB_OFFLINE: the cache answers alone.
    const off = await prism(['pull', 'prism-test/tiny-a'], { ...offline, HF_HUB_OFFLINE: '1' });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /HF_HUB_OFFLINE is set; using the cached snapshot/);
    const offMissing = await prism(['pull', 'prism-test/absent'], { ...offline, HF_HUB_OFFLINE: '1' });
    assert.equal(offMissing.code, 1);
    assert.match(offMissing.stderr, /HF_HUB_OFFLINE is set and prism-test\/absent .* is not in the Hugging Face cache/);
  });

  it('serves [[models]] path = "org/name" from the cache', async () => {
    assert.equal((await prism(['pull', 'prism-test/tiny-a', '--quiet'], env)).code, 0);
    const server = await startPrism(`
[[models]]
id = "tiny"
backend = "local"
path = "prism-test/tiny-a"
capabilities = ["text", "vision"]
context_window = 2048
`, { env: { ...env, HF_ENDPOINT: 'http://127.0.0.1:1' } });
    try {
      const models = await getJson(server, '/v1/models');
      assert.ok(models.json.data.some((m) => m.id === 'tiny'));
      const r = await postJson(server, '/v1/chat/completions', { model: 'tiny', max_tokens: 4, messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.usage.completion_tokens, 4);
    } finally {
      await server.stop();
    }
    // A configured repo that is not in the cache stops the start, naming the pull.
    await assert.rejects(startPrism(`
[[models]]
id = "absent"
backend = "local"
path = "prism-test/not-pulled"
capabilities = ["text"]
context_window = 2048
`, { env }), /run: prism pull prism-test\/not-pulled/);
  });

  it('names the pull command when --model is a repo id that is not in the cache', async () => {
    const r = await prism(['run', '--model', 'prism-test/not-pulled', 'Hi'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /'prism-test\/not-pulled' is neither a folder nor a model in the Hugging Face cache .*run: prism pull prism-test\/not-pulled/);
    const i = await prism(['inspect', 'prism-test/not-pulled@v2'], env);
    assert.match(i.stderr, /run: prism pull prism-test\/not-pulled --revision v2/);
  });

  it('resumes with Range after the connection is cut mid-file, and the blob is right', async () => {
    hub.set({ cut: { file: 'model.safetensors', afterBytes: 300000, times: 1 } });
    const r = await prism(['pull', 'prism-test/tiny-a'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /retrying model\.safetensors from byte 300000/);
    const gets = hub.cdnRequests.filter((q) => q.method === 'GET');
    assert.equal(gets.length, 2);
    assert.equal(gets[0].headers.range, undefined);
    assert.equal(gets[1].headers.range, 'bytes=300000-');
    checkCache(cache, 'prism-test/tiny-a', tinyA.commit, tinyAFiles);
  });

  it('Ctrl-C stops cleanly, keeps the partial file, links nothing partial; the next pull resumes it', async () => {
    hub.set({ slow: { chunkBytes: 16384, delayMs: 40 } });
    const root = path.join(cache, 'models--prism-test--tiny-a');
    const partial = path.join(root, 'blobs', `${sha256(tinyAFiles['model.safetensors'])}.incomplete`);
    const r = await prism(['pull', 'prism-test/tiny-a'], env, {
      onStart: async (child) => {
        while (child.exitCode === null && !(existsSync(partial) && statSync(partial).size > 100000)) await sleep(20);
        child.kill('SIGINT');
      },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /pull of prism-test\/tiny-a interrupted; the partial downloads are kept in .*run the same command to resume/);
    const held = statSync(partial).size;
    assert.ok(held > 100000 && held < tinyAFiles['model.safetensors'].length, `partial: ${held} bytes`);
    assert.ok(!existsSync(path.join(root, 'snapshots', tinyA.commit, 'model.safetensors')), 'no link to a partial blob');
    assert.ok(!existsSync(path.join(root, 'refs', 'main')), 'no ref to an unfinished snapshot');
    for (const e of readdirSync(path.join(root, 'snapshots', tinyA.commit))) realpathSync(path.join(root, 'snapshots', tinyA.commit, e));

    hub.clearFaults();
    hub.cdnRequests.length = 0;
    const again = await prism(['pull', 'prism-test/tiny-a'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`downloading model.safetensors \\(979.1 KiB, resuming at`));
    assert.equal(hub.cdnRequests[0].headers.range, `bytes=${held}-`);
    checkCache(cache, 'prism-test/tiny-a', tinyA.commit, tinyAFiles);
  });

  it('a write that fails (a full disk; here a file size limit) keeps the partial file, and the next pull resumes', async () => {
    const root = path.join(cache, 'models--prism-test--tiny-a');
    const partial = path.join(root, 'blobs', `${sha256(tinyAFiles['model.safetensors'])}.incomplete`);
    const limited = await new Promise((resolve) => {
      const child = spawn('bash', ['-c', 'ulimit -f 500 && exec "$0" "$@"', prismBin, 'pull', 'prism-test/tiny-a'],
        { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    assert.equal(limited.code, 1, limited.stderr);
    assert.match(limited.stderr, /cannot write .*\.incomplete: File too large \(the partial download is kept: make room and run the same command to resume\)/);
    assert.equal(statSync(partial).size, 500 * 1024);
    assert.ok(!existsSync(path.join(root, 'snapshots', tinyA.commit, 'model.safetensors')));
    const again = await prism(['pull', 'prism-test/tiny-a'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(hub.cdnRequests.at(-1).headers.range, `bytes=${500 * 1024}-`);
    checkCache(cache, 'prism-test/tiny-a', tinyA.commit, tinyAFiles);
  });

  it('retries a 500 and succeeds; a Hub that keeps failing is named, with nothing partial linked', async () => {
    hub.set({ cdn500: 1, api500: 1 });
    const ok = await prism(['pull', 'prism-test/tiny-a'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /retrying .*HTTP 500/);

    cache = tempDir('prism-hf-cache-');
    hub.set({ cdn500: 1000 });
    const bad = await prism(['pull', 'prism-test/tiny-a'], { ...env, HF_HUB_CACHE: cache });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /answered HTTP 500 for prism-test\/tiny-a file 'model.safetensors'/);
    const snap = path.join(cache, 'models--prism-test--tiny-a', 'snapshots', tinyA.commit);
    assert.ok(!existsSync(path.join(snap, 'model.safetensors')));
    assert.ok(existsSync(path.join(snap, 'config.json')), 'the files that came are kept');
  });

  it('deletes a blob whose sha256 is wrong and says so', async () => {
    hub.set({ corrupt: true });
    const r = await prism(['pull', 'prism-test/tiny-a'], env);
    assert.equal(r.code, 1);
    const sum = sha256(tinyAFiles['model.safetensors']);
    assert.match(r.stderr, new RegExp(`prism-test/tiny-a file 'model.safetensors': checksum mismatch: the Hub names it sha256 ${sum} .*the bad download was deleted`));
    const blobs = readdirSync(path.join(cache, 'models--prism-test--tiny-a', 'blobs'));
    assert.ok(!blobs.some((b) => b.startsWith(sum)), 'neither the blob nor its .incomplete is left');
    assert.ok(!existsSync(path.join(cache, 'models--prism-test--tiny-a', 'snapshots', tinyA.commit, 'model.safetensors')));
  });

  it('a gated repo names itself and says to set HF_TOKEN; with the token (env or file) it pulls', async () => {
    const denied = await prism(['pull', 'prism-test/tiny-b-gated'], env);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /prism-test\/tiny-b-gated is a gated repo \(HTTP 401\): accept its conditions at .*\/prism-test\/tiny-b-gated, then set HF_TOKEN/);

    const wrong = await prism(['pull', 'prism-test/tiny-b-gated'], { ...env, HF_TOKEN: 'hf_wrong' });
    assert.match(wrong.stderr, /the token from HF_TOKEN has no access to it/);

    hub.requests.length = 0;
    const ok = await prism(['pull', 'prism-test/tiny-b-gated'], { ...env, HF_TOKEN: hub.token });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(hub.requests.length > 0 && hub.requests.every((q) => q.headers.authorization === `Bearer ${hub.token}`));
    assert.ok(hub.cdnRequests.every((q) => !q.headers.authorization), 'the token never goes to the CDN');
    checkCache(cache, 'prism-test/tiny-b-gated', tinyB.commit, tinyBFiles);

    // The file `huggingface-cli login` writes.
    const home = tempDir('prism-hf-home-');
    writeFileSync(path.join(home, 'token'), `${hub.token}\n`);
    const viaFile = await prism(['pull', 'prism-test/tiny-b-gated'], { ...env, HF_HOME: home, HF_HUB_CACHE: tempDir('prism-hf-cache-') });
    assert.equal(viaFile.code, 0, viaFile.stderr);
  });

  it('names a missing repo, revision or file', async () => {
    const repo = await prism(['pull', 'prism-test/nope'], env);
    assert.equal(repo.code, 1);
    assert.match(repo.stderr, /no repo prism-test\/nope on http:\/\/127\.0\.0\.1:\d+ \(check the name/);
    const rev = await prism(['pull', 'prism-test/tiny-a', '--revision', 'v9'], env);
    assert.equal(rev.code, 1);
    assert.match(rev.stderr, /prism-test\/tiny-a has no revision 'v9' \(no such branch, tag or commit\)/);
    hub.set({ listMissingFile: 'extra/notes.json' });
    const file = await prism(['pull', 'prism-test/tiny-a'], env);
    assert.equal(file.code, 1);
    assert.match(file.stderr, /prism-test\/tiny-a has no file 'extra\/notes.json' at revision '[0-9a-f]{40}'/);
    const bad = await prism(['pull', 'not a repo'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /'not a repo' is not a Hugging Face repo id/);
  });

  it('shows progress from a slow server and completes', async () => {
    hub.set({ slow: { chunkBytes: 32768, delayMs: 80 } });
    const r = await prism(['pull', 'prism-test/tiny-a', '--include', '*.safetensors', '--include', 'config.json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /downloading model.safetensors \(979.1 KiB\)/);
    assert.match(r.stderr, /total +\d+% \[#*\.*\] [\d.]+ KiB \/ 980.4 KiB  [\d.]+ KiB\/s, \d:\d\d left/);
    assert.match(r.stderr, /done model.safetensors  979.1 KiB in [\d.]+ s/);
    assert.match(r.stdout, /2 files/);
  });

  it('--include/--exclude pick the files', async () => {
    const r = await prism(['pull', 'prism-test/tiny-a', '--include', '*.json', '--exclude', 'tokenizer*', '--quiet'], env);
    assert.equal(r.code, 0, r.stderr);
    const snap = path.join(cache, 'models--prism-test--tiny-a', 'snapshots', tinyA.commit);
    const want = Object.keys(tinyAFiles).filter((f) => f.endsWith('.json') && !f.startsWith('tokenizer'));
    assert.deepEqual(readdirSync(snap).sort(), want.sort());
    const none = await prism(['pull', 'prism-test/tiny-a', '--include', '*.bin'], env);
    assert.match(none.stderr, /no file of prism-test\/tiny-a matches the --include\/--exclude patterns/);
  });

  it('a GGUF repo with :QUANT pulls that file and its mmproj; the engine answers from them alone', async () => {
    const repo = `ggml-org/${ggufName}-GGUF`;
    const r = await prism(['pull', `${repo}:q8_0`], env);
    assert.equal(r.code, 0, r.stderr);
    const picked = [`${ggufName}-Q8_0.gguf`, `mmproj-${ggufName}-f16.gguf`];
    checkCache(cache, repo, gguf.commit, Object.fromEntries(picked.map((f) => [f, ggufFiles[f]])));
    // Tokenizer, chat template and image settings from the metadata give the
    // answer the checkpoint's own files give.
    const image = path.join(fixtures, 'cases/tiny-a/inputs/image.png');
    const ask = ['--max-tokens', '8', '--image', image, 'What is this?'];
    const run = await prism(['run', '--model', repo, ...ask], env);
    assert.equal(run.code, 0, run.stderr);
    const withFiles = await prism(['run', '--model', path.join(quantized, 'text.gguf'), ...ask], env);
    assert.equal(withFiles.code, 0, withFiles.stderr);
    assert.ok(run.stdout.length > 0);
    assert.equal(run.stdout, withFiles.stdout);
    const missing = await prism(['pull', `${repo}:Q4_K_M`], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /has no GGUF file of type Q4_K_M; it has: Q8_0, f16/);
    const notGguf = await prism(['pull', 'prism-test/tiny-a:Q8_0'], env);
    assert.match(notGguf.stderr, /prism-test\/tiny-a has no GGUF files, so ':Q8_0' picks nothing/);
  });

  it('uses a snapshot another tool left with nested paths and a .no_exist marker', async () => {
    // As huggingface_hub leaves it: exercised by the unit tests in detail; here through the CLI.
    const root = path.join(cache, 'models--other-tool--tiny-a');
    const commit = 'abcdef0123456789abcdef0123456789abcdef01';
    mkdirSync(path.join(root, 'blobs'), { recursive: true });
    mkdirSync(path.join(root, 'snapshots', commit), { recursive: true });
    mkdirSync(path.join(root, 'refs'), { recursive: true });
    mkdirSync(path.join(root, '.no_exist', commit), { recursive: true });
    writeFileSync(path.join(root, '.no_exist', commit, 'video_preprocessor_config.json'), '');
    for (const [file, data] of Object.entries(tinyAFiles)) {
      const etag = file.endsWith('.safetensors') ? sha256(data) : gitBlobSha1(data);
      writeFileSync(path.join(root, 'blobs', etag), data);
      symlinkSync(`../../blobs/${etag}`, path.join(root, 'snapshots', commit, file));
    }
    writeFileSync(path.join(root, 'refs', 'main'), commit);
    const r = await prism(['run', '--model', 'other-tool/tiny-a', '--max-tokens', '3', 'Hi'], { ...env, HF_ENDPOINT: 'http://127.0.0.1:1' });
    assert.equal(r.code, 0, r.stderr);
  });
});
