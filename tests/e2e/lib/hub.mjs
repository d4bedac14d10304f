// A Hugging Face Hub test server on loopback that answers the way the real
// Hub does for the endpoints its official client (huggingface_hub) uses:
//   GET  /api/models/{repo}/revision/{revision}  -> { id, sha, siblings: [{ rfilename }] }
//   HEAD/GET /{repo}/resolve/{revision}/{path}   -> X-Repo-Commit, ETag (git blob sha1);
//        LFS files (.safetensors, .gguf): X-Linked-Etag (sha256), X-Linked-Size and a
//        302 to a second server on another port standing in for the CDN
// with X-Error-Code on errors (RepoNotFound, RevisionNotFound, EntryNotFound,
// GatedRepo) and Range support. Faults are set per test: a connection cut
// mid-file, 500s, a wrong checksum, a gated repo, a missing file, slowness.
// It records every request (method, url, headers).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const sha1 = (buf) => createHash('sha1').update(buf).digest('hex');
// The id git gives a file's contents: what the Hub sends as a regular file's ETag.
export const gitBlobSha1 = (buf) => sha1(Buffer.concat([Buffer.from(`blob ${buf.length}\0`), buf]));
const isLfs = (file) => /\.(safetensors|gguf|bin)$/.test(file);

// A GGUF v3 file with no tensors and a few metadata keys, padded to `size`.
export function tinyGguf(metadata, size = 4096) {
  const parts = [];
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
  const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
  const str = (s) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
  parts.push(Buffer.from('GGUF'), u32(3), u64(0), u64(Object.keys(metadata).length));
  for (const [k, v] of Object.entries(metadata)) {
    parts.push(str(k));
    if (typeof v === 'number') parts.push(u32(4), u32(v));  // GGUF_TYPE_UINT32
    else parts.push(u32(8), str(String(v)));                // GGUF_TYPE_STRING
  }
  const head = Buffer.concat(parts);
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length))]);
}

// A checkpoint folder's files as { path: Buffer }.
export function folderFiles(dir) {
  const files = {};
  for (const name of readdirSync(dir).sort()) files[name] = readFileSync(path.join(dir, name));
  return files;
}

export class FakeHub {
  constructor() {
    this.repos = new Map();
    this.token = 'hf_test_token_1234';
    this.requests = [];     // to the Hub
    this.cdnRequests = [];  // to the CDN
    this.faults = {};
    this.sockets = new Set();
    this.hub = http.createServer((req, res) => this.handleHub(req, res).catch((e) => { res.destroy(e); }));
    this.cdn = http.createServer((req, res) => this.handleCdn(req, res).catch((e) => { res.destroy(e); }));
    for (const s of [this.hub, this.cdn])
      s.on('connection', (c) => { this.sockets.add(c); c.on('close', () => this.sockets.delete(c)); });
  }

  // files: { path: Buffer }. revisions: extra { name: commit } refs. gated:
  // only a request with the Bearer token gets in.
  addRepo(id, files, { gated = false } = {}) {
    const entries = Object.entries(files).sort(([a], [b]) => a.localeCompare(b));
    const blobs = new Map(entries.map(([p, data]) => [p, { data, sha256: sha256(data), gitSha1: gitBlobSha1(data), lfs: isLfs(p) }]));
    const commit = sha1(Buffer.from(id + entries.map(([p]) => `${p}:${blobs.get(p).sha256}`).join('\n')));
    const repo = { id, blobs, commit, gated, refs: { main: commit }, listed: entries.map(([p]) => p) };
    this.repos.set(id, repo);
    return repo;
  }

  set(faults) { this.faults = { ...this.faults, ...faults }; }
  clearFaults() { this.faults = {}; }

  async start() {
    await new Promise((r) => this.hub.listen(0, '127.0.0.1', r));
    await new Promise((r) => this.cdn.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${this.hub.address().port}`;
    this.cdnBase = `http://127.0.0.1:${this.cdn.address().port}`;
    return this;
  }

  async stop() {
    for (const s of this.sockets) s.destroy();
    await Promise.all([this.hub, this.cdn].map((s) => new Promise((r) => s.close(r))));
  }

  error(res, status, code, message) {
    res.writeHead(status, { 'content-type': 'application/json', 'x-error-code': code, 'x-error-message': message });
    res.end(JSON.stringify({ error: message }));
  }

  // The repo, after the checks the Hub makes; null when it answered already.
  findRepo(req, res, id, revision) {
    const repo = this.repos.get(id);
    if (!repo) { this.error(res, 404, 'RepoNotFound', 'Repository not found'); return null; }
    if (repo.gated && req.headers.authorization !== `Bearer ${this.token}`) {
      this.error(res, 401, 'GatedRepo', `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      return null;
    }
    const commit = repo.refs[revision] ?? (revision === repo.commit ? repo.commit : null);
    if (!commit) { this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`); return null; }
    return repo;
  }

  async handleHub(req, res) {
    this.requests.push({ method: req.method, url: req.url, headers: req.headers });
    const url = new URL(req.url, this.endpoint);
    const f = this.faults;
    if (f.hubDelayMs) await new Promise((r) => setTimeout(r, f.hubDelayMs));
    let m = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/);
    if (m && req.method === 'GET') {
      if (f.api500 && f.api500-- > 0) { this.error(res, 500, 'InternalError', 'the api is down'); return; }
      const revision = decodeURIComponent(m[2] ?? 'main');
      const repo = this.findRepo(req, res, m[1], revision);
      if (!repo) return;
      const siblings = [...repo.listed, ...(f.listMissingFile ? [f.listMissingFile] : [])].map((rfilename) => ({ rfilename }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ _id: repo.commit.slice(0, 24), id: repo.id, modelId: repo.id, sha: repo.commit, private: false,
        gated: repo.gated ? 'manual' : false, disabled: false, siblings, lastModified: '2026-01-01T00:00:00.000Z' }));
      return;
    }
    m = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    if (m && (req.method === 'HEAD' || req.method === 'GET')) {
      const revision = decodeURIComponent(m[2]);
      const file = m[3].split('/').map(decodeURIComponent).join('/');
      const repo = this.findRepo(req, res, m[1], revision);
      if (!repo) return;
      const blob = repo.blobs.get(file);
      if (!blob) { this.error(res, 404, 'EntryNotFound', `${file} does not exist on "${revision}"`); return; }
      const common = { 'x-repo-commit': repo.commit, 'accept-ranges': 'bytes' };
      if (blob.lfs) {
        // The Hub's ETag of an LFS file is the pointer's; X-Linked-Etag is the content's sha256.
        res.writeHead(302, { ...common, location: `${this.cdnBase}/blobs/${blob.sha256}?file=${encodeURIComponent(file)}`,
          etag: `"${gitBlobSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${blob.sha256}\nsize ${blob.data.length}\n`))}"`,
          'x-linked-etag': `"${blob.sha256}"`, 'x-linked-size': String(blob.data.length), 'content-length': '0' });
        res.end();
        return;
      }
      this.sendBytes(req, res, blob.data, { ...common, etag: `"${blob.gitSha1}"`, 'content-type': 'text/plain; charset=utf-8' }, file);
      return;
    }
    this.error(res, 404, 'RepoNotFound', `no route ${req.method} ${url.pathname}`);
  }

  async handleCdn(req, res) {
    this.cdnRequests.push({ method: req.method, url: req.url, headers: req.headers });
    const url = new URL(req.url, this.cdnBase);
    const m = url.pathname.match(/^\/blobs\/([0-9a-f]{64})$/);
    const blob = m && [...this.repos.values()].flatMap((r) => [...r.blobs.values()]).find((b) => b.sha256 === m[1]);
    if (!blob) { res.writeHead(404).end('NoSuchKey'); return; }
    const f = this.faults;
    if (f.cdn500 && f.cdn500-- > 0) { res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error'); return; }
    let data = blob.data;
    if (f.corrupt) { data = Buffer.from(data); data[data.length >> 1] ^= 0xff; }  // same size, wrong bytes
    await this.sendBytes(req, res, data, { 'content-type': 'application/octet-stream', etag: `"${blob.sha256}"` },
      url.searchParams.get('file'));
  }

  // 200 or 206 (Range: bytes=N-), honouring the cut and slow faults.
  async sendBytes(req, res, data, headers, file) {
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    let start = 0;
    if (range) {
      start = Number(range[1]);
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        return;
      }
    }
    const body = data.subarray(start);
    const status = range ? 206 : 200;
    const h = { ...headers, 'content-length': String(body.length), 'accept-ranges': 'bytes' };
    if (range) h['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    res.writeHead(status, h);
    if (req.method === 'HEAD') { res.end(); return; }
    const f = this.faults;
    const cut = f.cut && f.cut.times > 0 && (!f.cut.file || f.cut.file === file) ? f.cut : null;
    if (cut) cut.times--;
    const chunk = f.slow?.chunkBytes ?? 64 * 1024;
    let sent = 0;
    while (sent < body.length) {
      if (res.destroyed) return;
      let n = Math.min(chunk, body.length - sent);
      if (cut && sent + n > cut.afterBytes) n = Math.max(0, cut.afterBytes - sent);
      if (n > 0) {
        const ok = res.write(body.subarray(sent, sent + n));
        sent += n;
        if (!ok) await new Promise((r) => res.once('drain', r));
      }
      if (cut && sent >= cut.afterBytes) {
        await new Promise((r) => setTimeout(r, 50));  // let the bytes out, then drop the connection
        res.socket?.destroy();
        return;
      }
      if (f.slow?.delayMs) await new Promise((r) => setTimeout(r, f.slow.delayMs));
    }
    res.end();
  }
}
