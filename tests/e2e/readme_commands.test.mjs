// Every command line the README shows, run as printed: the README is the
// first thing a newcomer tries, so a command in it that fails is a defect.
// Only placeholders are filled in (photo.png is a fixture image, cert.pem and
// key.pem a fresh self-signed pair, <id> the decision id the command before
// printed). A line this test does not know how to run fails it, so a new
// README command cannot go untested.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { prismBin, repoRoot, selfSignedCert } from './lib/prism.mjs';

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

// The README's shell lines: indented code blocks, `\` continuations and
// lines inside an open quote joined, comments and blank lines dropped.
function readmeCommands(markdown) {
  const commands = [];
  let current = null;
  for (const line of markdown.split('\n')) {
    const code = line.startsWith('    ') ? line.slice(4) : null;
    if (current === null) {
      if (code === null || !code.trim() || code.trim().startsWith('#')) continue;
      current = code.replace(/\s+#[^'"]*$/, '').trim();
    } else if (quoteOpen(current)) {
      current += '\n' + (code ?? line);
    } else {
      current += ' ' + (code ?? line).trim();
    }
    if (current.endsWith('\\')) { current = current.slice(0, -1).trimEnd(); continue; }
    if (quoteOpen(current)) continue;
    commands.push(current);
    current = null;
  }
  return commands;
}

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const commands = readmeCommands(readme);
const tls = selfSignedCert();
const photo = path.join(repoRoot, 'tests/fixtures/smolvlm/cases/tiny-a/inputs/image.png');

function fillIn(command, vars = {}) {
  let c = command.replaceAll('./build/src/cli/prism', prismBin)
    .replaceAll('photo.png', photo).replaceAll('cert.pem', tls.certFile).replaceAll('key.pem', tls.keyFile);
  for (const [k, v] of Object.entries(vars)) c = c.replaceAll(`<${k}>`, v);
  return c;
}

function runToEnd(command, vars) {
  const r = spawnSync('bash', ['-c', fillIn(command, vars)], { cwd: repoRoot, encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `README command failed (exit ${r.status}): ${command}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// Starts a server command, waits until it listens, runs `whileUp`, then
// stops it with SIGTERM and expects a clean exit.
async function runServer(command, whileUp = async () => {}) {
  const child = spawn('bash', ['-c', `exec ${fillIn(command)}`], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start listening:\n${out}\n${err}`)), 180000);
    child.stdout.on('data', (d) => { out += d; if (/listening on/.test(out)) { clearTimeout(timer); resolve(); } });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`${command} exited with ${code}:\n${out}\n${err}`)); });
  });
  try { await whileUp(); } finally { child.kill('SIGTERM'); }
  const { code } = await exited;
  assert.equal(code, 0, `${command} did not exit cleanly:\n${err}`);
}

const isServe = (c) => c === './scripts/serve.sh' || / serve( |$)/.test(c);
const isCurl = (c) => c.startsWith('curl ');
const isOneShot = (c) => c.startsWith('./build/src/cli/prism ') && !isServe(c);
// The test command is what runs this test; running it again inside itself
// would recurse.
const isTestSuite = (c) => c === './scripts/test.sh';

describe('README commands', () => {
  it('knows how to run every command line in the README', () => {
    assert.ok(commands.includes('./scripts/serve.sh') && commands.includes('./scripts/test.sh'), 'the two commands are shown');
    const unknown = commands.filter((c) => !isServe(c) && !isCurl(c) && !isOneShot(c) && !isTestSuite(c));
    assert.deepEqual(unknown, []);
  });

  it('./scripts/serve.sh starts the server, and the curl lines get answers from it', async () => {
    await runServer('./scripts/serve.sh', async () => {
      const vars = {};
      for (const c of commands.filter(isCurl)) {
        const out = runToEnd(c + ' --fail-with-body --silent --show-error', vars);
        const id = out.match(/x-prism-decision-id: (\S+)/i);
        if (id) vars.id = id[1];
      }
      assert.ok(vars.id, 'a curl line printed a decision id');
    });
  });

  for (const c of commands.filter((x) => isServe(x) && x !== './scripts/serve.sh')) {
    it(`starts and stops cleanly: ${c}`, () => runServer(c));
  }

  for (const c of commands.filter(isOneShot)) {
    it(`exits 0: ${c}`, () => { runToEnd(c); });
  }
});
