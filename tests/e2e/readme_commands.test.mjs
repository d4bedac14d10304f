// Every command line the README shows, run in the README's order as a
// newcomer would: the README is the first thing they try, so a command in it
// that fails is a defect. Only placeholders are filled in: photo.png and
// photo.jpg are fixture images, cert.pem and key.pem a fresh self-signed
// pair, <id> the decision id an earlier command printed; files the README
// shows (a block whose first line names it, "# smolvlm.toml", "// ask.mjs")
// are written to a scratch folder; the Hugging Face Hub is the loopback test
// Hub serving the tiny fixture checkpoint under the README's repo id, into a
// scratch cache. A server command runs until the next one; the commands after
// it talk to it. A line this test does not know how to run fails it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeHub, folderFiles } from './lib/hub.mjs';
import { prismBin, repoRoot, selfSignedCert, tempDir } from './lib/prism.mjs';

// Whether a shell line leaves a quote open (the command goes on in the next line).
function quoteOpen(text) {
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === quote) quote = null; else if (c === '\\' && quote === '"') i++; }
    else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
  }
  return quote !== null;
}

// The README's code, in order: { file, text } for a file it shows, { command }
// for each shell line (`\\` continuations and lines inside an open quote
// joined, comments and blank lines dropped).
function readmeSteps(markdown) {
  const steps = [];
  let current = null;
  let file = null;
  for (const line of markdown.split('\n')) {
    const code = line.startsWith('    ') ? line.slice(4) : null;
    if (file) {
      if (code !== null && code.trim()) { file.text += code + '\n'; continue; }
      steps.push(file);
      file = null;
    }
    if (current === null) {
      if (code === null || !code.trim()) continue;
      const named = code.match(/^(?:#|\/\/)\s*([\w.-]+\.(?:toml|mjs))\s*$/);
      if (named) { file = { file: named[1], text: '' }; continue; }
      if (code.trim().startsWith('#')) continue;
      current = code.replace(/\s+#[^'"]*$/, '').trim();
    } else if (quoteOpen(current)) {
      current += '\n' + (code ?? line);
    } else {
      current += ' ' + (code ?? line).trim();
    }
    if (current.endsWith('\\')) { current = current.slice(0, -1).trimEnd(); continue; }
    if (quoteOpen(current)) continue;
    steps.push({ command: current });
    current = null;
  }
  if (file) steps.push(file);
  return steps;
}

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const steps = readmeSteps(readme);
const commands = steps.filter((s) => s.command).map((s) => s.command);
const files = steps.filter((s) => s.file).map((s) => s.file);

const isServe = (c) => c === './scripts/serve.sh' || / serve( |$)/.test(c);
const isCurl = (c) => c.startsWith('curl ');
const isOneShot = (c) => c.startsWith('./build/src/cli/prism ') && !isServe(c);
const isNodeFile = (c) => files.some((f) => c === `node ${f}`);
// The test command is what runs this test; running it again inside itself
// would recurse.
const isTestSuite = (c) => c === './scripts/test.sh';

// The README's repo ids, served by the test Hub as the tiny fixture.
const repoIds = [...new Set([...readme.matchAll(/prism pull ([\w.-]+\/[\w.-]+)(?=\s|$)/g)].map((m) => m[1]))];

// Scratch files live under tests/e2e so that `import 'openai'` resolves.
const scratch = mkdtempSync(path.join(repoRoot, 'tests', 'e2e', '.readme-'));
const tls = selfSignedCert();
const placeholders = {
  './build/src/cli/prism': prismBin,
  'photo.png': path.join(repoRoot, 'tests/fixtures/smolvlm/cases/tiny-a/inputs/image.png'),
  'photo.jpg': path.join(repoRoot, 'tests/vision/data/reference/decode/q90_444.jpg'),
  'cert.pem': tls.certFile,
  'key.pem': tls.keyFile,
  ...Object.fromEntries(files.map((f) => [f, path.join(scratch, f)])),
};

function fillIn(text, vars = {}) {
  let out = text;
  for (const [from, to] of Object.entries(placeholders)) out = out.replaceAll(from, to);
  for (const [k, v] of Object.entries(vars)) out = out.replaceAll(`<${k}>`, v);
  return out;
}

// Runs a command to its end (asynchronously: the test Hub answers from this
// process) and expects exit 0; resolves to its stdout.
async function runToEnd(command, env, vars) {
  const child = spawn('bash', ['-c', fillIn(command, vars)], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120000);
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  assert.equal(code, 0, `README command failed (exit ${code}): ${command}\n${out}\n${err}`);
  return out;
}

// Starts a server command and waits until it listens; stop() sends SIGTERM
// and expects a clean exit.
async function startServer(command, env) {
  const child = spawn('bash', ['-c', `exec ${fillIn(command)}`], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start listening:\n${out}\n${err}`)), 180000);
    child.stdout.on('data', (d) => { out += d; if (/listening on/.test(out)) { clearTimeout(timer); resolve(); } });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`${command} exited with ${code}:\n${out}\n${err}`)); });
  });
  return {
    async stop() {
      child.kill('SIGTERM');
      const { code } = await exited;
      assert.equal(code, 0, `${command} did not exit cleanly:\n${err}`);
    },
  };
}

describe('README commands', () => {
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('knows how to run every command line in the README', () => {
    assert.ok(commands.includes('./scripts/serve.sh') && commands.includes('./scripts/test.sh'), 'the two commands are shown');
    const unknown = commands.filter((c) => !isServe(c) && !isCurl(c) && !isOneShot(c) && !isNodeFile(c) && !isTestSuite(c));
    assert.deepEqual(unknown, []);
    assert.ok(repoIds.length > 0, 'the README pulls a model');
  });

  it('runs every command as printed, in order', async () => {
    const hub = await new FakeHub().start();
    const fixture = folderFiles(path.join(repoRoot, 'tests/fixtures/smolvlm/tiny-a'));
    for (const id of repoIds) hub.addRepo(id, fixture);
    const env = { ...process.env, HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: tempDir('prism-readme-cache-'),
      HF_HOME: tempDir('prism-readme-home-'), HF_TOKEN: '' };
    const vars = {};
    let server = null;
    let ran = 0;
    try {
      for (const step of steps) {
        if (step.file) { writeFileSync(path.join(scratch, step.file), fillIn(step.text)); continue; }
        const c = step.command;
        if (isTestSuite(c)) continue;
        if (isServe(c)) {
          await server?.stop();
          server = null;
          server = await startServer(c, env);
        } else {
          const addendum = isCurl(c) ? ' --fail-with-body --silent --show-error' : '';
          if ((isCurl(c) || isNodeFile(c)) && !server) assert.fail(`no server is running for: ${c}`);
          const out = await runToEnd(c + addendum, env, vars);
          const id = out.match(/x-prism-decision-id: (\S+)/i);
          if (id) vars.id = id[1];
        }
        ran++;
      }
      await server?.stop();
      server = null;
    } finally {
      if (server) await server.stop().catch(() => {});
      await hub.stop();
    }
    assert.ok(vars.id, 'a curl line printed a decision id');
    assert.equal(ran, commands.filter((c) => !isTestSuite(c)).length);
  });
});
