// Plays the answer's audio (24 kHz mono PCM16 chunks) as it streams in,
// each chunk scheduled right after the one before, and knows how much of
// each item has been heard, for conversation.item.truncate on barge-in.
export class PcmPlayer {
  constructor(context, { sampleRate = 24000 } = {}) {
    this.context = context;
    this.sampleRate = sampleRate;
    this.chunks = [];  // { itemId, source, start, duration } in context time
    this.nextStart = 0;
    this.receivedMs = new Map();    // item id -> ms of its audio received
    this.itemChunks = new Map();    // item id -> every chunk scheduled for it
  }

  enqueue(itemId, samples) {
    if (!samples.length) return;
    const buffer = this.context.createBuffer(1, samples.length, this.sampleRate);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i++) channel[i] = samples[i] / 32768;
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    // A small lead after a gap, so the first chunk is not clipped.
    const start = Math.max(this.nextStart, this.context.currentTime + 0.05);
    source.start(start);
    const chunk = { itemId, source, start, duration: buffer.duration };
    source.onended = () => { this.chunks = this.chunks.filter((c) => c !== chunk); };
    this.chunks.push(chunk);
    this.nextStart = start + buffer.duration;
    this.receivedMs.set(itemId, (this.receivedMs.get(itemId) ?? 0) + buffer.duration * 1000);
    if (!this.itemChunks.has(itemId)) this.itemChunks.set(itemId, []);
    this.itemChunks.get(itemId).push(chunk);
  }

  // Whether audio is playing or scheduled now.
  get playing() { return this.nextStart > this.#now(); }

  // The item being heard now (or next), if any.
  get currentItem() {
    const now = this.#now();
    return this.chunks.find((c) => c.start + c.duration > now)?.itemId ?? null;
  }

  // Milliseconds of `itemId` heard so far (what reached the speakers,
  // allowing for the output's own latency).
  playedMs(itemId) {
    const now = this.#now();
    let played = 0;
    for (const c of this.itemChunks.get(itemId) ?? []) {
      const end = c.stoppedAt ?? now;
      played += Math.max(0, Math.min(c.duration, end - c.start));
    }
    return Math.floor(played * 1000);
  }

  // Silences everything at once (barge-in, or the session ends).
  stop() {
    const now = this.#now();
    for (const c of this.chunks) {
      c.stoppedAt = Math.min(now, c.start + c.duration);
      try { c.source.stop(); } catch { /* not started yet */ }
      c.source.disconnect();
    }
    this.chunks = [];
    this.nextStart = 0;
  }

  #now() {
    return this.context.currentTime - (this.context.outputLatency || 0);
  }
}

export function base64ToInt16(base64) {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length & ~1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Int16Array(bytes.buffer);
}

export function int16ToBase64(samples) {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
