// Starts a real `prism serve` process on a free loopback port with a given
// TOML configuration (over TLS when given a certificate), and stops it with
// SIGTERM.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');
export const prismBin = process.env.PRISM_BIN || path.join(repoRoot, 'build', 'src', 'cli', 'prism');

export function tempDir(prefix = 'prism-e2e-') {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

// A throwaway self-signed certificate for 127.0.0.1 (the openssl CLI), as
// PEM files in `dir`; the certificate is its own CA.
export function selfSignedCert(dir = tempDir('prism-tls-'), name = 'server') {
  const keyFile = path.join(dir, `${name}-key.pem`);
  const certFile = path.join(dir, `${name}-cert.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { keyFile, certFile, key: readFileSync(keyFile), cert: readFileSync(certFile) };
}

export class PrismProcess {
  constructor(child, port, dir, { scheme = 'http', ca = null } = {}) {
    this.child = child;
    this.port = port;
    this.dir = dir;
    this.scheme = scheme;
    this.ca = ca;  // PEM that verifies prism's certificate (https only)
    this.baseUrl = `${scheme}://127.0.0.1:${port}`;
    this.stderr = '';
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  url(p) { return this.baseUrl + p; }

  // The JSON log lines printed so far.
  logLines() {
    return this.stderr.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return { raw: l }; } });
  }

  async stop(signal = 'SIGTERM') {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill(signal);
    return this.exited;
  }
}

// `config` is TOML text without [server].port/decision_log: they are added.
// `tls` = selfSignedCert(): served over HTTPS (--tls-cert/--tls-key), or
// `ca` alone when the config names the files itself.
export async function startPrism(config, { dir = tempDir(), args = [], env = {}, tls = null, ca = tls?.cert ?? null } = {}) {
  const configPath = path.join(dir, 'prism.toml');
  const decisionLog = path.join(dir, 'decisions.jsonl');
  const text = config.includes('[server]')
    ? config.replace('[server]', `[server]\nport = 0\ndecision_log = "${decisionLog}"`)
    : `[server]\nport = 0\ndecision_log = "${decisionLog}"\n` + config;
  writeFileSync(configPath, text);
  const tlsArgs = tls ? ['--tls-cert', tls.certFile, '--tls-key', tls.keyFile] : [];
  const child = spawn(prismBin, ['serve', '--config', configPath, ...tlsArgs, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; if (proc) proc.stderr = stderr; });
  let proc = null;
  const { scheme, port } = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prism did not start:\n${stderr}`)), 20000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/listening on (https?):\/\/[^:]+:(\d+)/);
      if (m) { clearTimeout(timer); resolve({ scheme: m[1], port: Number(m[2]) }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`prism exited with ${code}:\n${stderr}`)); });
  });
  proc = new PrismProcess(child, port, dir, { scheme, ca });
  proc.stderr = stderr;
  proc.decisionLog = decisionLog;
  proc.configPath = configPath;
  return proc;
}

// Fetch helpers.
export async function postJson(prism, p, body, headers = {}) {
  const res = await fetch(prism.url(p), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

export async function getJson(prism, p, headers = {}) {
  const res = await fetch(prism.url(p), { headers });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

// Reads an SSE response into its data payloads.
export async function readSse(res) {
  const text = await res.text();
  return text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
