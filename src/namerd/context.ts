/**
 * What namerd's route handlers share: the store, the interpreter for bind/delegate, write auth,
 * the registry of open watch streams and the timing knobs. Built once per server.
 */
import type { NameInterpreter } from '../naming/interpreter.js';
import type { DtabStore } from '../store/dtab-store.js';
import type { WriteAuth } from './auth.js';
import type { NameCache } from './name-cache.js';
import type { OpenStreams } from './watch-stream.js';

export interface NamerdContext {
  readonly store: DtabStore;
  readonly interpreter: NameInterpreter;
  /** Bindings and addresses kept for /bind, /addr, /resolve and /bound-names. */
  readonly names: NameCache;
  readonly auth: WriteAuth;
  readonly streams: OpenStreams;
  /** Heartbeat interval of line-delimited JSON watches. */
  readonly heartbeatMs: number;
  /** How long /delegate and /bind may take before 503 `Request timed out.` (linkerd: 2 s). */
  readonly requestTimeoutMs: number;
  /** Unsent bytes a watch stream may hold before the client is cut off (it reconnects and resyncs). */
  readonly watchHighWaterBytes: number;
  /** Longest write message accepted, in UTF-8 bytes. */
  readonly maxMessageBytes: number;
  /** Dentries a caller's dtab may hold on /bind and /delegate. */
  readonly maxDentries: number;
}
