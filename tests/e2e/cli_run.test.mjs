// `prism run` on the command line: one value per --image flag, so the prompt
// that follows is the prompt and never taken for another file (the README's
// own example used to fail with "media file '.../What is in this image?' does
// not exist").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { prismBin, repoRoot } from './lib/prism.mjs';

const model = path.join(repoRoot, 'tests/fixtures/smolvlm/tiny-a');
const inputs = path.join(repoRoot, 'tests/fixtures/smolvlm/cases/tiny-a/inputs');
const run = (...args) => spawnSync(prismBin, ['run', '--model', model, '--max-tokens', '2', ...args], { encoding: 'utf8' });
const inputIds = (r) => JSON.parse(r.stdout).input_ids.length;

describe('prism run', () => {
  it('takes the prompt after --image as the prompt', () => {
    const r = run('--image', path.join(inputs, 'image.png'), '--json', 'What is in this image?');
    assert.equal(r.status, 0, r.stderr);
    const before = run('--json', 'What is in this image?', '--image', path.join(inputs, 'image.png'));
    assert.equal(before.status, 0, before.stderr);
    assert.deepEqual(JSON.parse(r.stdout).input_ids, JSON.parse(before.stdout).input_ids, 'same prompt either way');
  });

  it('takes several images from a repeated --image flag', () => {
    const one = run('--image', path.join(inputs, 'image.png'), '--json', 'Compare');
    const two = run('--image', path.join(inputs, 'image.png'), '--image', path.join(inputs, 'image2.png'), '--json', 'Compare');
    assert.equal(two.status, 0, two.stderr);
    assert.ok(inputIds(two) > inputIds(one), 'the second image is in the prompt');
  });

  it('refuses two files after one --image with a clear message', () => {
    const r = run('--image', path.join(inputs, 'image.png'), path.join(inputs, 'image2.png'), 'Compare');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, /not expected: Compare/);
  });
});
