/**
 * The watch stream's framing (docs/k8s-namer.md#the-watch-stream): JSON documents
 * `{"type","object"}`, one per line. The API server flushes only when its queue is empty, and
 * proxies re-chunk at will, so one chunk can hold many events and one event can span many chunks,
 * splitting a UTF-8 sequence anywhere. Bytes are decoded and buffered until a newline; only the new
 * text is searched, so a large event delivered a byte at a time still costs linear time. A line
 * that does not parse ends the stream (the caller reconnects) rather than being skipped: a skipped
 * DELETED would leave a dead pod in the set until the next relist.
 */
import { StringDecoder } from 'node:string_decoder';
import type { K8sObject, WatchEvent, WatchEventType } from './k8s-objects.js';

/** Far above any real object (a 1000-endpoint slice is ~300 KB); past this the stream is broken. */
export const MAX_LINE_CHARS = 32 * 1024 * 1024;

const TYPES = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

export class WatchStreamError extends Error {
  override readonly name = 'WatchStreamError';
}

export class WatchLineParser {
  readonly #decoder = new StringDecoder('utf8');
  /** The unfinished line, as pieces, so appending is not quadratic. */
  #pieces: string[] = [];
  #pending = 0;

  /** The complete events in this chunk (possibly none), in order. Unknown event types are skipped. */
  push(chunk: Buffer | string): WatchEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    const events: WatchEvent[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      let line = text.slice(start, nl);
      if (this.#pieces.length > 0) {
        this.#pieces.push(line);
        line = this.#pieces.join('');
        this.#pieces = [];
        this.#pending = 0;
      }
      start = nl + 1;
      const event = parseLine(line);
      if (event !== null) events.push(event);
    }
    if (start < text.length) {
      this.#pieces.push(text.slice(start));
      this.#pending += text.length - start;
      if (this.#pending > MAX_LINE_CHARS)
        throw new WatchStreamError(`watch event longer than ${MAX_LINE_CHARS} characters`);
    }
    return events;
  }

  /** True when the stream stopped in the middle of a line (a connection dropped mid-event). */
  get partial(): boolean {
    return this.#pending > 0 || this.#decoder.end() !== '';
  }
}

function parseLine(raw: string): WatchEvent | null {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.length === 0 || (line.length < 8 && line.trim() === '')) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new WatchStreamError(`watch stream line is not JSON: ${line.slice(0, 200)}`);
  }
  const v = value as { type?: unknown; object?: unknown };
  if (typeof v !== 'object' || v === null || typeof v.object !== 'object' || v.object === null)
    throw new WatchStreamError(`watch stream line is not an event: ${line.slice(0, 200)}`);
  // A type a newer server added is not ours to act on; the next relist covers whatever it meant.
  if (!TYPES.has(v.type as WatchEventType)) return null;
  return { type: v.type as WatchEventType, object: v.object as K8sObject };
}
