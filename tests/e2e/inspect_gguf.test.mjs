// `prism inspect FILE.gguf` on gguf-py's fixture: metadata (long arrays
// summarised), the tensor table and parameters per type, as JSON and text;
// a damaged file is a clear error naming it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { prismBin, repoRoot, tempDir } from './lib/prism.mjs';

const fixture = path.join(repoRoot, 'tests/fixtures/gguf/tiny.gguf');
const inspect = (...args) => spawnSync(prismBin, ['inspect', ...args], { encoding: 'utf8' });

describe('prism inspect FILE.gguf', () => {
  it('prints metadata, tensors and parameter counts as JSON', () => {
    const r = inspect(fixture, '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.format, 'gguf');
    assert.equal(j.version, 3);
    assert.equal(j.architecture, 'llama');
    assert.equal(j.metadata['general.architecture'], 'llama');
    assert.equal(j.metadata['prism.test.u32'], 4000000000);
    assert.equal(j.metadata['prism.test.bool'], true);
    const tokens = j.metadata['tokenizer.ggml.tokens'];
    assert.deepEqual({ type: tokens.type, element_type: tokens.element_type, length: tokens.length },
      { type: 'array', element_type: 'string', length: 11 });
    assert.deepEqual(tokens.first.slice(0, 2), ['<|endoftext|>', '<|im_start|>']);
    assert.deepEqual(j.metadata['tokenizer.ggml.merges'], ['a b', 'Ġ t', 'Ġt he'], 'short arrays in full');
    assert.equal(j.tensors.length, 10);
    const q4k = j.tensors.find((t) => t.name === 't.q4_k');
    assert.deepEqual(q4k, { name: 't.q4_k', shape: [3, 256], type: 'q4_K', bytes: 432, offset: 4576 });
    assert.equal(j.parameters.by_type.q8_0, 384);
    assert.equal(j.parameters.total, 48 + 128 + 256 + 5 * 384 + 2 * 768);
  });

  it('prints a readable table without --json', () => {
    const r = inspect(fixture);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /general\.architecture: llama/);
    assert.match(r.stdout, /tokenizer\.ggml\.tokens: .*"length":11/);
    assert.match(r.stdout, /t\.q6_k\s+q6_K\s+\[3,256\]\s+630 bytes/);
    assert.match(r.stdout, /parameters: 3888/);
  });

  it('names the file and the problem for a truncated file', () => {
    const dir = tempDir();
    const cut = path.join(dir, 'cut.gguf');
    writeFileSync(cut, readFileSync(fixture).subarray(0, 3000));
    const r = inspect(cut, '--json');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /cut\.gguf: tensor 't\.\w+': data .* runs past the end/);
  });
});
