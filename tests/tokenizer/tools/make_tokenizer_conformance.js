#!/usr/bin/env node
// Writes tokenizer_conformance.json: random texts encoded, and random id
// sequences decoded, by the real Rust tokenizers library (npm package
// `tokenizers` 0.23.2) for the fixture tokenizers and for tiny-a with extra
// added tokens using every matching flag. The C++ tokenizer must agree.
//
// Run (from tests/tokenizer): npm install tokenizers@0.23.2 (anywhere on the
// NODE_PATH), then: node tools/make_tokenizer_conformance.js > tokenizer_conformance.json
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');

const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'smolvlm');

// Deterministic PRNG (mulberry32) so the file is reproducible.
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXTRA_ADDED = [
  { id: 700, content: '<mask>', single_word: false, lstrip: true, rstrip: false, normalized: false, special: true },
  { id: 701, content: '[R]', single_word: false, lstrip: false, rstrip: true, normalized: false, special: true },
  { id: 702, content: 'cat', single_word: true, lstrip: false, rstrip: false, normalized: true, special: false },
  { id: 703, content: '<mask>long', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  { id: 704, content: ' dog', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
];

const FRAGMENTS = ['<image>', '<|im_start|>', '<end_of_utterance>', '<fake_token_around_image>', '<row_1_col_2>',
  '<global-img>', "'s", "'ll", "n't", '  ', '\n\n', '\t', ' \n', '12345', '٣٤', '²', 'Ⅻ', '<mask>', '<mask>long',
  '[R]', 'cat', 'concat', ' dog', 'dogs', '  cat  ', '\u00a0', '\u3000', '\u2028', 'e\u0301', 'ﬁ', 'İ'];
const RANGES = [[0x20, 0x7e], [0x20, 0x7e], [0x20, 0x7e], [0x09, 0x0d], [0xa0, 0x24f], [0x370, 0x3ff],
  [0x400, 0x4ff], [0x600, 0x6ff], [0x900, 0x97f], [0x3040, 0x30ff], [0x4e00, 0x4fff], [0xac00, 0xacff],
  [0x1f300, 0x1f64f], [0x2000, 0x206f], [0x660, 0x669], [0xff10, 0xff5a]];

function randomText(next) {
  let s = '';
  const n = Math.floor(next() * 40);
  for (let i = 0; i < n; i++) {
    if (next() < 0.15) {
      s += FRAGMENTS[Math.floor(next() * FRAGMENTS.length)];
    } else {
      const [lo, hi] = RANGES[Math.floor(next() * RANGES.length)];
      s += String.fromCodePoint(lo + Math.floor(next() * (hi - lo + 1)));
    }
  }
  return s;
}

async function main() {
  const sources = {
    'tiny-a': JSON.parse(fs.readFileSync(path.join(fixtures, 'tiny-a', 'tokenizer.json'), 'utf8')),
    'tiny-b': JSON.parse(fs.readFileSync(path.join(fixtures, 'tiny-b', 'tokenizer.json'), 'utf8')),
  };
  const flagged = JSON.parse(JSON.stringify(sources['tiny-a']));
  flagged.added_tokens.push(...EXTRA_ADDED);
  sources['tiny-a+flags'] = flagged;

  const out = { generator: 'tests/tokenizer/tools/make_tokenizer_conformance.js', tokenizers_npm: '0.23.2',
                extra_added_tokens: EXTRA_ADDED, encode: [], decode: [] };
  let seed = 1;
  for (const [name, json] of Object.entries(sources)) {
    const tokenizer = Tokenizer.fromString(JSON.stringify(json));
    const vocabSize = tokenizer.getVocabSize(true);
    const next = rng(seed++);
    for (let i = 0; i < 400; i++) {
      const text = randomText(next);
      const encoding = await tokenizer.encode(text, null, { addSpecialTokens: false });
      out.encode.push({ tokenizer: name, text, ids: encoding.getIds() });
    }
    for (let i = 0; i < 150; i++) {
      const ids = [];
      const n = Math.floor(next() * 12);
      for (let j = 0; j < n; j++) ids.push(Math.floor(next() * (vocabSize + 5)));
      out.decode.push({ tokenizer: name, ids, keep_special: await tokenizer.decode(ids, false),
                        skip_special: await tokenizer.decode(ids, true) });
    }
  }
  process.stdout.write(JSON.stringify(out, null, 0) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
