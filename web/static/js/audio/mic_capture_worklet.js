// AudioWorklet processor: the microphone as 24 kHz mono PCM16, posted to
// the page in frames of `frameMs` (an Int16Array each, its buffer moved).
// The context usually already runs at 24 kHz (the browser resamples the
// microphone); at any other rate this low-passes and resamples itself.
class MicCapture extends AudioWorkletProcessor {
  constructor({ processorOptions = {} }) {
    super();
    this.targetRate = processorOptions.targetRate ?? 24000;
    this.frameSamples = Math.round((this.targetRate * (processorOptions.frameMs ?? 20)) / 1000);
    this.frame = new Int16Array(this.frameSamples);
    this.filled = 0;
    this.step = sampleRate / this.targetRate;  // input samples per output sample
    this.position = 0;                         // of the next output sample, in input samples since `previous`
    this.previous = 0;
    this.lowpass = this.step > 1 ? lowpassCascade(sampleRate, 0.45 * this.targetRate) : null;
    this.port.onmessage = (e) => { if (e.data === 'stop') this.stopped = true; };
  }

  process(inputs) {
    if (this.stopped) return false;
    const channels = inputs[0];
    if (!channels?.length) return true;
    const n = channels[0].length;
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (const channel of channels) x += channel[i];
      x /= channels.length;
      if (this.lowpass) x = this.lowpass(x);
      if (this.step === 1) { this.emit(x); continue; }
      // Linear interpolation between the previous input sample and this one.
      while (this.position <= 1) {
        this.emit(this.previous + (x - this.previous) * this.position);
        this.position += this.step;
      }
      this.position -= 1;
      this.previous = x;
    }
    return true;
  }

  emit(x) {
    const s = Math.max(-1, Math.min(1, x));
    this.frame[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
    if (this.filled === this.frameSamples) {
      this.port.postMessage(this.frame, [this.frame.buffer]);
      this.frame = new Int16Array(this.frameSamples);
      this.filled = 0;
    }
  }
}

// Two Butterworth biquads (24 dB/octave) below `cutoff`, so that resampling
// down does not fold the upper band into speech.
function lowpassCascade(rate, cutoff) {
  const stages = [biquad(rate, cutoff, 0.5412), biquad(rate, cutoff, 1.3066)];
  return (x) => stages[1](stages[0](x));
}

function biquad(rate, cutoff, q) {
  const w = (2 * Math.PI * cutoff) / rate;
  const alpha = Math.sin(w) / (2 * q);
  const cos = Math.cos(w);
  const a0 = 1 + alpha;
  const b0 = (1 - cos) / 2 / a0, b1 = (1 - cos) / a0, b2 = b0;
  const a1 = (-2 * cos) / a0, a2 = (1 - alpha) / a0;
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  return (x) => {
    const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1; x1 = x; y2 = y1; y1 = y;
    return y;
  };
}

registerProcessor('mic-capture', MicCapture);
