// `prism bench`: its JSON object is an interface scripts rely on (the keys
// issue #11 names, with sane values), its table prints, and bad arguments
// get a clear error. Figures are not judged here: speed belongs to
// benchmarks, not tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { rmSync } from 'node:fs';
import { prismBin, repoRoot, tempDir } from './lib/prism.mjs';

const model = path.join(repoRoot, 'tests/fixtures/smolvlm/tiny-a');
const image = path.join(repoRoot, 'tests/fixtures/smolvlm/cases/tiny-a/inputs/image.png');
const bench = (...args) => spawnSync(prismBin, ['bench', '--model', model, ...args], { encoding: 'utf8' });

describe('prism bench', () => {
  it('prints one JSON object with the stable keys', () => {
    const r = bench('--prompt', '24', '--gen', '6', '--reps', '3', '--image', image, '--parallel', '1,3',
      '--weights', 'q8_0', '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    for (const key of ['prompt_tokens_per_s', 'gen_tokens_per_s', 'time_to_first_token_ms', 'image_encode_ms_per_tile',
      'peak_rss_mb', 'bandwidth_gbs', 'gen_bandwidth_floor_tokens_per_s']) {
      assert.equal(typeof j[key], 'number', key);
      assert.ok(j[key] > 0 && Number.isFinite(j[key]), `${key} = ${j[key]}`);
    }
    assert.equal(j.prompt_tokens, 24);
    assert.equal(j.gen_tokens, 6);
    assert.equal(j.reps, 3);
    assert.ok(j.image_tiles >= 1, 'the image has tiles');
    assert.equal(j.weights, 'Q8_0', 'every decoder matrix of tiny-a is Q8_0');
    assert.ok(Number.isInteger(j.weights_bytes_per_token) && j.weights_bytes_per_token > 0);
    assert.deepEqual(j.parallel.map((p) => p.streams), [1, 3]);
    for (const p of j.parallel) assert.ok(p.tokens_per_s > 0);
    for (const [key, s] of Object.entries(j.spread)) {
      if (s === null) continue;
      assert.ok(s.min <= s.median && s.median <= s.max, `${key} spread ${JSON.stringify(s)}`);
    }
    assert.equal(j.spread.gen_tokens_per_s.median, j.gen_tokens_per_s);
    assert.ok(Array.isArray(j.cpu.features) && typeof j.cpu.model === 'string');
    assert.match(r.stderr, /rep 3\/3/, 'progress is shown');
  });

  it('prints a table without --json; no image, no bandwidth', () => {
    const r = bench('--prompt', '8', '--gen', '4', '--reps', '1', '--no-bandwidth');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\| prompt \(8 tokens\) +\| +[\d.]+ \|/);
    assert.match(r.stdout, /\| generation \(4 tokens\)/);
    assert.doesNotMatch(r.stdout, /image encode|bandwidth/);
  });

  it('benchmarks the GGUF pair gen-checkpoint --gguf writes for a real shape', () => {
    const dir = tempDir('prism-gen-gguf-');
    try {
      const gen = spawnSync(prismBin, ['gen-checkpoint', '--shape', '256M', '--gguf', 'q4_0', '--out', dir], { encoding: 'utf8' });
      assert.equal(gen.status, 0, gen.stderr);
      const files = gen.stdout.trim().split('\n');
      assert.deepEqual(files.map((f) => path.basename(f)),
        ['SmolVLM2-256M-random-Q4_0.gguf', 'mmproj-SmolVLM2-256M-random-Q4_0.gguf']);
      const r = spawnSync(prismBin, ['bench', '--model', files[0], '--prompt', '8', '--gen', '2', '--reps', '1',
        '--no-bandwidth', '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.weights, 'Q4_0');
      assert.ok(j.gen_tokens_per_s > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what cannot run, with the reason', () => {
    const long = bench('--prompt', '9000', '--gen', '4', '--reps', '1', '--no-bandwidth');
    assert.notEqual(long.status, 0);
    assert.match(long.stderr, /do not fit the context window of 8192/);
    const counts = bench('--parallel', '1,x', '--no-bandwidth');
    assert.notEqual(counts.status, 0);
    assert.match(counts.stderr, /--parallel: 'x' is not a number/);
    const format = bench('--weights', 'q3', '--no-bandwidth');
    assert.notEqual(format.status, 0);
    assert.match(format.stderr, /unknown weight format 'q3'/);
    const missing = spawnSync(prismBin, ['bench', '--model', path.join(repoRoot, 'no-such-model')], { encoding: 'utf8' });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /no-such-model/);
  });
});
