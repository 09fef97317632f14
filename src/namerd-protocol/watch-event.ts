/**
 * The events of a namespace watch (docs/namerd-api.md#watching), one type for namerd, which
 * writes them, and every reader (the router's dtab source, namectl's watch). Two wire forms:
 * - switchyard's ndjson (`Accept: application/x-ndjson`): one JSON object per line with a `type`;
 * - namerd's own: a whole JSON dtab per change (no version, nothing on deletion), which linkerd's
 *   namerd sends whatever the Accept header says; it reads as a `dtab` event without a version.
 * A line that is neither is reported as `unknown`, never dropped silently: the reader decides
 * whether it is worth reconnecting over.
 */
import { dtabFromJson } from './dtab-codec.js';

export type WatchEvent =
  | {
      readonly type: 'dtab';
      readonly namespace: string;
      /** The ETag; absent in namerd's own format. */
      readonly version?: string;
      readonly number?: number;
      readonly time?: string;
      readonly message?: string;
      /** The dtab in its text form. */
      readonly dtab: string;
    }
  | { readonly type: 'deleted'; readonly namespace: string }
  | { readonly type: 'heartbeat'; readonly time?: string }
  /** namerd's store failed; namerd ends the stream after it. */
  | { readonly type: 'error'; readonly namespace?: string; readonly message: string }
  /**
   * A line this reader does not understand: `json` is true for a well-formed object (an event a
   * newer namerd added, safe to skip), false for anything else (namerd's plain-text failure).
   */
  | { readonly type: 'unknown'; readonly line: string; readonly json: boolean };

export type WireEvent = Exclude<WatchEvent, { type: 'unknown' }>;

/** One ndjson line (with its newline); fields in a fixed order, absent ones left out. */
export function encodeWatchEvent(event: WireEvent): string {
  return `${JSON.stringify(event)}\n`;
}

const KNOWN_TYPES = new Set(['dtab', 'deleted', 'heartbeat', 'error']);

/**
 * Reads one line of a watch on `namespace`. Every field is checked for its type, so what comes
 * out is exactly the WatchEvent type says, whatever the peer sent.
 */
export function parseWatchEvent(line: string, namespace: string): WatchEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { type: 'unknown', line, json: false };
  }
  if (Array.isArray(value)) {
    try {
      return { type: 'dtab', namespace, dtab: dtabFromJson(value).show() };
    } catch {
      return { type: 'unknown', line, json: false };
    }
  }
  if (typeof value !== 'object' || value === null) return { type: 'unknown', line, json: false };
  const v = value as Record<string, unknown>;
  const str = (k: string) => (Object.hasOwn(v, k) && typeof v[k] === 'string' ? (v[k] as string) : undefined);
  switch (v.type) {
    case 'dtab': {
      const ns = str('namespace');
      const dtab = str('dtab');
      if (ns === undefined || dtab === undefined) break;
      const version = str('version');
      const time = str('time');
      const message = str('message');
      const number = typeof v.number === 'number' && Number.isSafeInteger(v.number) ? v.number : undefined;
      return {
        type: 'dtab',
        namespace: ns,
        ...(version === undefined ? {} : { version }),
        ...(number === undefined ? {} : { number }),
        ...(time === undefined ? {} : { time }),
        ...(message === undefined ? {} : { message }),
        dtab,
      };
    }
    case 'deleted': {
      const ns = str('namespace');
      if (ns !== undefined) return { type: 'deleted', namespace: ns };
      break;
    }
    case 'heartbeat': {
      const time = str('time');
      return time === undefined ? { type: 'heartbeat' } : { type: 'heartbeat', time };
    }
    case 'error': {
      const ns = str('namespace');
      return {
        type: 'error',
        ...(ns === undefined ? {} : { namespace: ns }),
        message: str('message') ?? 'namerd reported an error',
      };
    }
  }
  // A known type with missing fields is a broken line, not a newer event.
  return { type: 'unknown', line, json: typeof v.type === 'string' && !KNOWN_TYPES.has(v.type) };
}
