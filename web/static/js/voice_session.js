// A spoken conversation over /v1/realtime (the OpenAI Realtime protocol):
// the microphone goes up as 24 kHz PCM16 from an AudioWorklet, the answer's
// audio is played as it streams, transcripts arrive live, and when the user
// starts speaking over an answer its playback stops at once and the server
// is told how much was heard (conversation.item.truncate). No DOM here: the
// view (voice_view.js) listens to `onChange`.
import { PcmPlayer, base64ToInt16, int16ToBase64 } from './audio/pcm_player.js';

const RATE = 24000;
const FRAME_MS = 20;

export class VoiceSession {
  // model: the picker's model id; apiKey: sent as the
  // openai-insecure-api-key.<key> subprotocol (browsers cannot set headers
  // on a WebSocket); instructions: the system prompt.
  constructor({ model, apiKey, instructions, onChange = () => {} }) {
    this.model = model;
    this.apiKey = apiKey;
    this.instructions = instructions;
    this.onChange = onChange;
    this.status = 'idle';   // idle | connecting | listening | hearing | answering | closed
    this.turns = [];        // see #turn()
    this.errors = [];
    this.level = 0;         // microphone loudness, 0..1
  }

  async start() {
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia || !window.AudioWorkletNode) {
      throw new Error('Voice needs the microphone, which browsers give only to secure pages: open the playground ' +
        'on localhost, or serve prism over TLS (--tls-cert, --tls-key).');
    }
    this.#set('connecting');
    this.#changed();
    // Made before anything is awaited, while the click still counts as the
    // user's gesture: browsers keep a context made later suspended (silent).
    this.context = new AudioContext({ sampleRate: RATE, latencyHint: 'interactive' });
    try {
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({
          audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        });
      } catch (e) {
        throw new Error(`the microphone is not available (${e.message})`);
      }
      await this.#openAudio();
      this.player = new PcmPlayer(this.context, { sampleRate: RATE });
      await this.context.audioWorklet.addModule(new URL('./audio/mic_capture_worklet.js', import.meta.url));
      await this.#connect();
      this.capture = new AudioWorkletNode(this.context, 'mic-capture', {
        numberOfInputs: 1, numberOfOutputs: 0, processorOptions: { targetRate: RATE, frameMs: FRAME_MS },
      });
      this.capture.port.onmessage = (e) => this.#sendAudio(e.data);
      this.source.connect(this.capture);
      // What has been heard changes by itself: redraw it while audio plays.
      this.ticker = setInterval(() => { if (this.player.playing) this.#changed(); }, 200);
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  // A 24 kHz context, so the browser resamples the microphone; where it
  // cannot take a microphone at another rate (Firefox), the device's own
  // rate, and the worklet resamples.
  async #openAudio() {
    try {
      this.source = this.context.createMediaStreamSource(this.stream);
    } catch (e) {
      if (e.name !== 'NotSupportedError') throw e;
      this.context.close();
      this.context = new AudioContext({ latencyHint: 'interactive' });
      this.source = this.context.createMediaStreamSource(this.stream);
    }
    if (this.context.state === 'suspended') await this.context.resume();
  }

  #connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${location.host}/v1/realtime?model=${encodeURIComponent(this.model)}`;
    const protocols = ['realtime', ...(this.apiKey ? [`openai-insecure-api-key.${this.apiKey}`] : [])];
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocket(url, protocols);
      } catch (e) {
        reject(new Error(`this API key cannot be sent over a WebSocket (${e.message})`));
        return;
      }
      this.ws = ws;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.#send({ type: 'session.update', session: this.#sessionConfig() });
        resolve();
      };
      ws.onmessage = (e) => {
        try { this.#handle(JSON.parse(e.data)); } catch (err) { this.#error(`bad event from the server: ${err.message}`); }
      };
      ws.onclose = (e) => {
        if (!opened) {
          reject(new Error('the voice connection was refused (is the API key right, and does the model exist?)'));
          return;
        }
        if (this.status !== 'closed') {
          const why = e.code === 1001 ? 'the server is shutting down'
            : e.code === 1008 ? `the server closed the session: ${e.reason || 'policy'}`
            : `the connection closed (code ${e.code}${e.reason ? `, ${e.reason}` : ''})`;
          this.#error(why);
          this.stop();
        }
      };
    });
  }

  #sessionConfig() {
    return {
      type: 'realtime',
      ...(this.instructions ? { instructions: this.instructions } : {}),
      output_modalities: ['audio'],
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: RATE },
          transcription: { model: 'whisper-1' },
          turn_detection: { type: 'semantic_vad', eagerness: 'auto', create_response: true, interrupt_response: true },
        },
        output: { format: { type: 'audio/pcm', rate: RATE }, voice: 'alloy' },
      },
    };
  }

  async stop() {
    const wasOpen = this.status !== 'closed';
    this.status = 'closed';
    clearInterval(this.ticker);
    this.capture?.port.postMessage('stop');
    this.source?.disconnect();
    this.stream?.getTracks().forEach((t) => t.stop());
    this.player?.stop();
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'user stopped');
    if (this.context && this.context.state !== 'closed') await this.context.close().catch(() => {});
    if (wasOpen) this.#changed();
  }

  #send(event) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(event));
  }

  #sendAudio(samples) {
    let sum = 0;
    for (let i = 0; i < samples.length; i++) sum += (samples[i] / 32768) ** 2;
    this.level = Math.sqrt(sum / samples.length);
    this.#send({ type: 'input_audio_buffer.append', audio: int16ToBase64(samples) });
  }

  // The turn of a user item: { userItemId, userText, userFinal, responseId,
  // itemId (the answer's), answerText, status, receivedMs, timing, truncatedMs, heardMs }.
  #turn(userItemId) {
    let turn = this.turns.find((t) => t.userItemId === userItemId);
    if (!turn) {
      turn = { userItemId, userText: '', userFinal: false, answerText: '', receivedMs: 0 };
      this.turns.push(turn);
    }
    return turn;
  }

  #answerTurn({ response_id: responseId, item_id: itemId }) {
    return this.turns.find((t) => (responseId && t.responseId === responseId) || (itemId && t.itemId === itemId));
  }

  #handle(event) {
    switch (event.type) {
      case 'session.created':
      case 'session.updated':
        if (this.status === 'connecting') this.#set('listening');
        break;
      case 'input_audio_buffer.speech_started':
        if (this.player.playing) this.#bargeIn();
        this.#turn(event.item_id);
        this.#set('hearing');
        break;
      case 'input_audio_buffer.speech_stopped':
        this.#set('listening');
        break;
      case 'input_audio_buffer.committed':
        this.#turn(event.item_id);
        this.lastCommitted = event.item_id;
        break;
      case 'conversation.item.input_audio_transcription.delta':
        if (!this.#turn(event.item_id).userFinal) this.#turn(event.item_id).userText += event.delta ?? '';
        break;
      case 'conversation.item.input_audio_transcription.completed': {
        const turn = this.#turn(event.item_id);
        turn.userText = event.transcript ?? turn.userText;
        turn.userFinal = true;
        break;
      }
      case 'response.created': {
        const user = this.lastCommitted ? this.#turn(this.lastCommitted) : this.#turn(`response:${event.response.id}`);
        user.responseId = event.response.id;
        user.status = 'answering';
        this.#set('answering');
        break;
      }
      case 'response.output_item.added': {
        const turn = this.#answerTurn({ response_id: event.response_id });
        if (turn) turn.itemId = event.item?.id;
        break;
      }
      case 'response.output_audio.delta':
      case 'response.audio.delta': {
        const samples = base64ToInt16(event.delta);
        this.player.enqueue(event.item_id, samples);
        const turn = this.#answerTurn(event);
        if (turn) turn.receivedMs += (samples.length * 1000) / RATE;
        break;
      }
      case 'response.output_audio_transcript.delta':
      case 'response.audio_transcript.delta':
      case 'response.output_text.delta':
      case 'response.text.delta': {
        const turn = this.#answerTurn(event);
        if (turn) turn.answerText += event.delta ?? '';
        break;
      }
      case 'response.done': {
        const turn = this.#answerTurn({ response_id: event.response.id });
        if (turn) {
          turn.status = event.response.status;
          const error = event.response.status_details?.error;
          if (error) turn.failure = error.message;
        }
        if (this.status === 'answering') this.#set('listening');
        break;
      }
      case 'prism.turn.timing': {
        const turn = this.#answerTurn(event);
        if (turn) turn.timing = event.timing;
        break;
      }
      case 'conversation.item.truncated': {
        const turn = this.#answerTurn({ item_id: event.item_id });
        if (turn) turn.truncatedMs = event.audio_end_ms;
        break;
      }
      case 'error':
        this.#error(event.error?.message ?? 'unknown error');
        break;
      default:
        return;
    }
    this.#changed();
  }

  // The user speaks over the answer: silence it now, and tell the server
  // how much was heard, so the conversation keeps only those words.
  #bargeIn() {
    const itemId = this.player.currentItem ?? this.turns.findLast((t) => t.itemId)?.itemId;
    const turn = this.#answerTurn({ item_id: itemId });
    const heard = this.player.playedMs(itemId);
    this.player.stop();
    if (!itemId || !turn) return;
    turn.heardMs = Math.min(heard, Math.floor(turn.receivedMs));
    turn.interrupted = true;
    this.#send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: turn.heardMs });
  }

  // Heard so far of a turn's answer (live while it plays).
  heardMs(turn) {
    if (turn.heardMs !== undefined) return turn.heardMs;
    return turn.itemId && this.player ? this.player.playedMs(turn.itemId) : 0;
  }

  #error(message) {
    this.errors.push(message);
    this.#changed();
  }

  #set(status) {
    if (this.status === 'closed') return;
    this.status = status;
  }

  #changed() { this.onChange(this); }
}
