// Server-Sent Events from a fetch() body: yields each event's data, joined
// across "data:" lines, as the bytes arrive (the stream may split anywhere).
export async function* readEventData(body, signal) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const onAbort = () => reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = eventEnd(buffer)) !== null) {
        const data = dataOf(buffer.slice(0, end.index));
        buffer = buffer.slice(end.index + end.length);
        if (data !== null) yield data;
      }
    }
    const last = dataOf(buffer + decoder.decode());
    if (last !== null) yield last;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}

// Where the first event in `text` ends (a blank line, any line ending).
function eventEnd(text) {
  const match = /\r\n\r\n|\n\n|\r\r/.exec(text);
  return match ? { index: match.index, length: match[0].length } : null;
}

function dataOf(event) {
  const lines = event.split(/\r\n|\n|\r/).filter((l) => l.startsWith('data:'));
  if (!lines.length) return null;
  return lines.map((l) => l.slice(l.startsWith('data: ') ? 6 : 5)).join('\n');
}
