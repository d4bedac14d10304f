// The REST companions of the realtime API with the official `openai`
// client: text -> speech (Flite) -> transcription (PocketSphinx) gives the
// words back; real recordings from Debian's pocketsphinx-testdata are
// transcribed within a word error rate floor; bad uploads get OpenAI-shaped
// 400s; the server keeps serving while the speech engines work.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { getJson, postJson, startPrism } from './lib/prism.mjs';
import { pcmRms, wordErrorRate } from './lib/voice.mjs';

const KEY = 'sk-audio-test-1';
const RECORDINGS = '/usr/share/pocketsphinx/test/data/librivox';

function assertOpenAIError(res, status) {
  assert.equal(res.status, status, res.text);
  assert.ok(res.json?.error, res.text);
  for (const k of ['message', 'type', 'param', 'code']) assert.ok(k in res.json.error, `error lacks ${k}: ${res.text}`);
}

async function postRaw(prism, p, body, contentType) {
  const res = await fetch(prism.url(p), {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${KEY}` },
    body,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, text, json };
}

describe('audio REST endpoints', () => {
  let prism, client;
  before(async () => {
    prism = await startPrism(`
[[api_keys]]
name = "audio"
key = "${KEY}"
`);
    client = new OpenAI({ baseURL: prism.url('/v1'), apiKey: KEY, maxRetries: 0 });
  });
  after(async () => { await prism?.stop(); });

  it('speech -> transcription round trip gives the words back', async () => {
    const sentence = 'The quick brown fox jumps over the lazy dog near the river bank';
    const speech = await client.audio.speech.create({ model: 'tts-1', input: sentence, voice: 'alloy', response_format: 'wav' });
    assert.equal(speech.headers.get('content-type'), 'audio/wav');
    const wav = Buffer.from(await speech.arrayBuffer());
    assert.equal(wav.subarray(0, 4).toString(), 'RIFF');
    assert.equal(wav.subarray(8, 12).toString(), 'WAVE');
    assert.equal(wav.readUInt32LE(24), 24000);  // sample rate
    assert.ok(pcmRms(wav.subarray(44)) > 0.02);

    const result = await client.audio.transcriptions.create({ file: await toFile(wav, 'speech.wav'), model: 'whisper-1' });
    const wer = wordErrorRate(sentence, result.text);
    console.log(`# REST round trip (Flite -> PocketSphinx): "${result.text}" WER ${(wer * 100).toFixed(1)}%`);
    assert.ok(wer <= 0.35, `WER ${wer}: "${result.text}"`);

    const pcm = await client.audio.speech.create({ model: 'tts-1', input: 'Hello.', voice: 'echo', response_format: 'pcm' });
    assert.equal(pcm.headers.get('content-type'), 'audio/pcm');
    const raw = Buffer.from(await pcm.arrayBuffer());
    assert.ok(raw.length > 24000 * 2 * 0.2 && raw.subarray(0, 4).toString() !== 'RIFF');

    const text = await client.audio.transcriptions.create({ file: await toFile(wav, 'speech.wav'), model: 'whisper-1', response_format: 'text' });
    assert.equal(typeof text, 'string');
    // Not compared for equality with the first result: pooled decoders keep
    // their own acoustic adaptation, so the same audio may decode differently.
    assert.ok(wordErrorRate(sentence, text) <= 0.35, `text format: "${text}"`);
  });

  it('transcribes real recordings within the word error rate floor', { skip: !existsSync(RECORDINGS) && 'pocketsphinx-testdata not installed' }, async () => {
    const refs = readFileSync(path.join(RECORDINGS, 'transcription'), 'utf8').trim().split('\n').map((line) => {
      const m = line.match(/^<s> (.*) <\/s> \((.*)\)$/);
      return { text: m[1], file: `${m[2]}.wav` };
    });
    let errors = 0, words = 0;
    for (const r of refs) {
      const wav = readFileSync(path.join(RECORDINGS, r.file));
      const result = await client.audio.transcriptions.create({ file: await toFile(wav, r.file), model: 'whisper-1' });
      const n = r.text.split(' ').length;
      errors += wordErrorRate(r.text, result.text) * n;
      words += n;
    }
    const wer = errors / words;
    console.log(`# real recordings (librivox, ${refs.length} files, ${words} words): WER ${(wer * 100).toFixed(1)}%`);
    assert.ok(wer <= 0.4, `WER ${wer}`);
  });

  it('answers bad uploads and bad speech requests with OpenAI-shaped 400s', async () => {
    const b = 'XyZbOuNdArY';
    const part = (name, value, filename) =>
      `--${b}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n${value}\r\n`;
    // Not multipart at all, no boundary, truncated, missing file, missing model, undecodable audio.
    assertOpenAIError(await postRaw(prism, '/v1/audio/transcriptions', '{}', 'application/json'), 400);
    assertOpenAIError(await postRaw(prism, '/v1/audio/transcriptions', 'x', 'multipart/form-data'), 400);
    assertOpenAIError(await postRaw(prism, '/v1/audio/transcriptions', part('model', 'whisper-1') + `--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF`, `multipart/form-data; boundary=${b}`), 400);
    assertOpenAIError(await postRaw(prism, '/v1/audio/transcriptions', 'garbage without any boundary', `multipart/form-data; boundary=${b}`), 400);
    assertOpenAIError(await postRaw(prism, '/v1/audio/transcriptions', part('model', 'whisper-1') + `--${b}--\r\n`, `multipart/form-data; boundary=${b}`), 400);
    assertOpenAIError(await postRaw(prism, '/v1/audio/transcriptions', part('file', 'abc', 'a.wav') + `--${b}--\r\n`, `multipart/form-data; boundary=${b}`), 400);
    const undecodable = await postRaw(prism, '/v1/audio/transcriptions', part('model', 'whisper-1') + part('file', 'this is not audio at all', 'notes.wav') + `--${b}--\r\n`, `multipart/form-data; boundary=${b}`);
    assertOpenAIError(undecodable, 400);
    assert.match(undecodable.json.error.message, /notes\.wav/);
    const badFormat = await postRaw(prism, '/v1/audio/transcriptions', part('model', 'whisper-1') + part('file', 'x', 'a.wav') + part('response_format', 'srt') + `--${b}--\r\n`, `multipart/form-data; boundary=${b}`);
    assertOpenAIError(badFormat, 400);
    assert.equal(badFormat.json.error.param, 'response_format');

    const speech = (body) => postJson(prism, '/v1/audio/speech', body, { authorization: `Bearer ${KEY}` });
    assertOpenAIError(await speech('not json'), 400);
    assertOpenAIError(await speech({ model: 'tts-1', voice: 'alloy' }), 400);
    assertOpenAIError(await speech({ model: 'tts-1', input: 'hi', voice: 'alloy', response_format: 'mp3' }), 400);
    assertOpenAIError(await speech({ model: 'tts-1', input: '', voice: 'alloy' }), 400);
    assertOpenAIError(await speech({ model: 'tts-1', input: 'x'.repeat(5000), voice: 'alloy' }), 400);
    assertOpenAIError(await speech({ model: 'tts-1', input: 'hi', voice: 'nobody' }), 400);
    assertOpenAIError(await speech({ model: 'tts-1', input: 42, voice: 'alloy' }), 400);
    // Without the key: 401.
    assertOpenAIError(await postJson(prism, '/v1/audio/speech', { model: 'tts-1', input: 'hi', voice: 'alloy' }), 401);
  });

  it('keeps serving while the speech engines work', async () => {
    const long = 'This sentence is long enough to keep the synthesizer busy for a while. '.repeat(40);
    const started = performance.now();
    const speech = client.audio.speech.create({ model: 'tts-1', input: long.slice(0, 4000), voice: 'alloy', response_format: 'pcm' })
      .then(async (r) => { await r.arrayBuffer(); return performance.now() - started; });
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const health = await getJson(prism, '/health');
    const healthMs = performance.now() - t0;
    const speechMs = await speech;
    assert.equal(health.status, 200);
    console.log(`# /health took ${healthMs.toFixed(1)} ms while a ${speechMs.toFixed(0)} ms synthesis ran`);
    assert.ok(healthMs < speechMs, `health ${healthMs} ms vs speech ${speechMs} ms`);
  });
});
