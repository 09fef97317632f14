/**
 * namerd's ndjson watch stream (docs/namerd-api.md#the-ndjson-format) read back into
 * typed events. Chunks split lines and UTF-8 sequences anywhere, so bytes are decoded and
 * buffered until a newline; a line that never ends is capped so a broken peer cannot grow the
 * buffer without bound. Anything that is not one of the known events is reported, not thrown
 * away silently: the caller decides whether it is worth reconnecting over.
 */
import { StringDecoder } from 'node:string_decoder';

export type WatchEvent =
  | {
      readonly type: 'dtab';
      readonly namespace: string;
      readonly version: string;
      readonly number?: number;
      readonly time?: string;
      readonly message?: string;
      readonly dtab: string;
    }
  | { readonly type: 'deleted'; readonly namespace: string }
  | { readonly type: 'heartbeat'; readonly time?: string }
  /** namerd's store failed; namerd ends the stream after it. */
  | { readonly type: 'error'; readonly message: string }
  /**
   * A line this client does not understand: `json` is true for a well-formed object (an event a
   * newer namerd added, safe to skip), false for anything else (namerd's plain-text failure).
   */
  | { readonly type: 'unknown'; readonly line: string; readonly json: boolean };

/** Far above any real dtab; a line longer than this is a broken stream. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** The stream's lines (without the newline); a trailing partial line at the end is dropped. */
export async function* readLines(body: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n', start)) {
      const line = buffer.slice(start, i).replace(/\r$/, '');
      start = i + 1;
      if (line !== '') yield line;
    }
    buffer = buffer.slice(start);
    if (buffer.length > MAX_LINE_CHARS) throw new Error(`watch stream line longer than ${MAX_LINE_CHARS} characters`);
  }
}

const KNOWN_TYPES = new Set(['dtab', 'deleted', 'heartbeat', 'error']);

export function parseEvent(line: string): WatchEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { type: 'unknown', line, json: false };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { type: 'unknown', line, json: false };
  const v = value as Record<string, unknown>;
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  switch (v.type) {
    case 'dtab': {
      const namespace = str('namespace');
      const version = str('version');
      const dtab = str('dtab');
      if (namespace === undefined || version === undefined || dtab === undefined) break;
      return {
        type: 'dtab',
        namespace,
        version,
        dtab,
        ...(typeof v.number === 'number' ? { number: v.number } : {}),
        ...(str('time') === undefined ? {} : { time: str('time')! }),
        ...(str('message') === undefined ? {} : { message: str('message')! }),
      };
    }
    case 'deleted':
      if (str('namespace') !== undefined) return { type: 'deleted', namespace: str('namespace')! };
      break;
    case 'heartbeat':
      return str('time') === undefined ? { type: 'heartbeat' } : { type: 'heartbeat', time: str('time')! };
    case 'error':
      return { type: 'error', message: str('message') ?? 'namerd reported an error' };
  }
  // A known type with missing fields is a broken line, not a newer event.
  return { type: 'unknown', line, json: typeof v.type === 'string' && !KNOWN_TYPES.has(v.type) };
}
