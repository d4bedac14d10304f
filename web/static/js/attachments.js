// Images and videos attached to the next message: from the file picker,
// dropped on the chat, or pasted into the message box. Each is read as a
// data URL (how the OpenAI API takes inline media), after checking that it
// can fit in one request under the server's body limit.
import { h, clear } from './dom.js';
import * as format from './format.js';

// Bytes a file takes inside the JSON body: base64 (4 bytes per 3) plus the
// "data:<type>;base64," prefix and the content part around it.
export function encodedSize(file) {
  return Math.ceil(file.size / 3) * 4 + typeOf(file).length + 64;
}

// Room left for the rest of the request (messages, options).
const REQUEST_OVERHEAD = 4096;

// Types by extension, for files the browser gives no type (it asks the
// system's MIME table, which may not know .avi or .mkv).
const TYPES_BY_EXTENSION = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp',
  mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime', mkv: 'video/x-matroska', avi: 'video/x-msvideo',
};

export function typeOf(file) {
  return file.type || TYPES_BY_EXTENSION[/\.(\w+)$/.exec(file.name ?? '')?.[1]?.toLowerCase()] || '';
}

export class Attachments {
  // maxBodyBytes: the server's [server] max_body_bytes (from /playground.json).
  constructor({ list, onError, maxBodyBytes }) {
    this.list = list;
    this.onError = onError;
    this.maxBodyBytes = maxBodyBytes;
    this.items = [];
  }

  get empty() { return this.items.length === 0; }

  // Reads `files`; each refused one is reported with its reason.
  async add(files) {
    for (const file of files) {
      const reason = this.refusal(file);
      if (reason) { this.onError(reason); continue; }
      try {
        const type = typeOf(file);
        const url = await readAsDataUrl(file.type ? file : new Blob([file], { type }));
        this.items.push({ kind: type.startsWith('video/') ? 'video' : 'image', name: file.name || 'pasted image',
          type, url, size: file.size });
      } catch (e) {
        this.onError(`${file.name}: could not be read (${e.message})`);
      }
    }
    this.render();
  }

  refusal(file) {
    const name = file.name || 'the pasted file';
    if (!/^(image|video)\//.test(typeOf(file)))
      return `${name} is not an image or a video (${file.type || 'unknown type'}); only those can be attached.`;
    const limit = this.maxBodyBytes;
    if (limit && encodedSize(file) + REQUEST_OVERHEAD > limit) {
      const largest = Math.floor((limit - REQUEST_OVERHEAD) * 3 / 4);
      return `${name} is ${format.bytes(file.size)}: too large to send. This server accepts requests up to ` +
        `${format.bytes(limit)} (max_body_bytes), so a file of at most about ${format.bytes(Math.max(0, largest))} ` +
        'once encoded for upload.';
    }
    return null;
  }

  take() {
    const items = this.items;
    this.items = [];
    this.render();
    return items;
  }

  restore(items) {
    this.items = [...items, ...this.items];
    this.render();
  }

  render() {
    clear(this.list);
    this.list.hidden = this.items.length === 0;
    this.items.forEach((item, index) => {
      const preview = item.kind === 'image'
        ? h('img', { src: item.url, alt: '' })
        : h('video', { src: item.url, muted: true, preload: 'metadata' });
      this.list.append(h('figure', { class: 'attachment' }, preview,
        h('figcaption', {}, `${item.name} · ${format.bytes(item.size)}`),
        h('button', {
          type: 'button', class: 'remove', 'aria-label': `Remove ${item.name}`,
          onclick: () => { this.items.splice(index, 1); this.render(); },
        }, '×')));
    });
  }
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsDataURL(file);
  });
}

// Attachments of a stored message as OpenAI content parts.
export function contentParts(text, attachments) {
  if (!attachments?.length) return text;
  const parts = attachments.map((a) => a.kind === 'video'
    ? { type: 'video_url', video_url: { url: a.url } }
    : { type: 'image_url', image_url: { url: a.url } });
  if (text) parts.push({ type: 'text', text });
  return parts;
}
