// A raw realtime WebSocket client (the `ws` package), for tests that send
// what the SDK would never send (non-JSON, binary frames, oversized frames),
// drive many sessions at once, or vanish with a TCP reset.
import WebSocket from 'ws';

export const FRAME_BYTES_24K = 960;  // 20 ms of PCM16 mono 24 kHz

export class RealtimeSocket {
  // Resolves once session.created has arrived.
  static async open(prism, { key = null, model = 'router' } = {}) {
    const protocols = ['realtime', ...(key ? [`openai-insecure-api-key.${key}`] : [])];
    const ws = new WebSocket(`ws://127.0.0.1:${prism.port}/v1/realtime?model=${model}`, protocols,
      { maxPayload: 256 << 20 });
    const socket = new RealtimeSocket(ws);
    await socket.next('session.created', { timeoutMs: 20000 });
    return socket;
  }

  constructor(ws) {
    this.ws = ws;
    this.events = [];
    this.waiters = new Set();
    this.closeCode = null;
    this.closed = new Promise((resolve) => ws.on('close', (code) => { this.closeCode = code; resolve(code); this.#settle(); }));
    ws.on('error', () => { /* a reset or a refused write: seen through `closed` */ });
    ws.on('message', (data, binary) => {
      if (binary) return;
      const ev = JSON.parse(data.toString());
      this.events.push(ev);
      this.#settle();
    });
  }

  get open() { return this.ws.readyState === WebSocket.OPEN; }

  send(event) { if (this.open) this.ws.send(JSON.stringify(event)); }
  sendRaw(data) { if (this.open) this.ws.send(data); }

  errors() { return this.events.filter((e) => e.type === 'error').map((e) => e.error); }
  count(type) { return this.events.filter((e) => e.type === type).length; }

  // The first event of `type` matching `pred` received after index `from`.
  next(type, { pred = () => true, from = this.events.length, timeoutMs = 30000 } = {}) {
    return new Promise((resolve, reject) => {
      const waiter = { type, pred, from, resolve, reject };
      waiter.timer = setTimeout(() => { this.waiters.delete(waiter); reject(new Error(`no ${type} within ${timeoutMs} ms`)); }, timeoutMs);
      this.waiters.add(waiter);
      this.#settle();
    });
  }

  #settle() {
    for (const w of this.waiters) {
      const ev = this.events.slice(w.from).find((e) => e.type === w.type && w.pred(e));
      if (ev) { clearTimeout(w.timer); this.waiters.delete(w); w.resolve(ev); }
      else if (this.closeCode !== null) { clearTimeout(w.timer); this.waiters.delete(w); w.reject(new Error(`socket closed (${this.closeCode}) before ${w.type}`)); }
    }
  }

  // Orderly close; resolves with the close code.
  close() { if (this.open) this.ws.close(); return this.closed; }
  // The client vanishes: a TCP reset, no close frame.
  reset() { this.ws._socket?.resetAndDestroy(); return this.closed; }
}

// Sends PCM16 (24 kHz) as 20 ms appends, `speed` times faster than real time.
export async function stream(socket, pcm, { speed = 1, frameBytes = FRAME_BYTES_24K } = {}) {
  const start = performance.now();
  for (let off = 0, n = 0; off < pcm.length; off += frameBytes, n++) {
    const wait = start + (n * 20) / speed - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (!socket.open) return;
    socket.send({ type: 'input_audio_buffer.append', audio: pcm.subarray(off, off + frameBytes).toString('base64') });
  }
}

export const silence24k = (ms) => Buffer.alloc(Math.round(24 * ms) * 2);

// A spoken session: 24 kHz PCM16 both ways, transcription, server VAD that
// answers and lets the user interrupt (the setting the voice tests speak to).
export const SERVER_VAD_AUDIO_SESSION = {
  type: 'realtime',
  output_modalities: ['audio'],
  audio: {
    input: {
      format: { type: 'audio/pcm', rate: 24000 },
      transcription: { model: 'whisper-1' },
      turn_detection: { type: 'server_vad', silence_duration_ms: 400, create_response: true, interrupt_response: true },
    },
    output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy' },
  },
};
