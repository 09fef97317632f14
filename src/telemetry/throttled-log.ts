/**
 * Log lines about things callers can cause (a 502 per request for an unknown host, a refused
 * override) must not let a caller flood the log. Each key (an event and what it concerns) logs
 * its first line at once, then at most one line per interval, which says how many were left out
 * since the last one. The table of keys is bounded; past it, keys share one overflow key, so a
 * caller who mints names mints no memory either.
 */
import type { Logger } from './logger.js';

export interface ThrottledLogOptions {
  /** One line per key per interval (default 1 s). */
  readonly intervalMs?: number;
  /** Keys tracked at once (default 1000). */
  readonly maxKeys?: number;
  /** Lines written per interval by all keys together (default 100). */
  readonly maxLinesPerInterval?: number;
  readonly now?: () => number;
}

type Level = 'info' | 'warn' | 'error';

interface KeyState {
  last: number;
  suppressed: number;
}

const OVERFLOW = '\u0000overflow';

export class ThrottledLog {
  readonly #keys = new Map<string, KeyState>();
  readonly #intervalMs: number;
  readonly #maxKeys: number;
  readonly #maxLines: number;
  readonly #now: () => number;
  #windowStart = -Infinity;
  #windowLines = 0;

  constructor(
    readonly logger: Logger,
    options: ThrottledLogOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#maxKeys = options.maxKeys ?? 1000;
    this.#maxLines = options.maxLinesPerInterval ?? 100;
    this.#now = options.now ?? Date.now;
  }

  /** Logs `msg` with `fields` unless `key` logged within the interval; then only counts it. */
  log(level: Level, key: string, fields: () => Record<string, unknown>, msg: string): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const now = this.#now();
    let k = key;
    let state = this.#keys.get(k);
    if (state === undefined) {
      if (this.#keys.size >= this.#maxKeys) this.#sweep(now);
      if (this.#keys.size >= this.#maxKeys) k = OVERFLOW;
      state = this.#keys.get(k);
      if (state === undefined) {
        state = { last: -Infinity, suppressed: 0 };
        this.#keys.set(k, state);
      }
    }
    if (now - this.#windowStart >= this.#intervalMs) {
      this.#windowStart = now;
      this.#windowLines = 0;
    }
    if (now - state.last < this.#intervalMs || this.#windowLines >= this.#maxLines) {
      state.suppressed++;
      return;
    }
    this.#windowLines++;
    const suppressed = state.suppressed;
    state.last = now;
    state.suppressed = 0;
    const extra = fields();
    this.logger[level](suppressed > 0 ? { ...extra, suppressed } : extra, msg);
  }

  /** Forgets keys quiet for an interval with nothing left to report. */
  #sweep(now: number): void {
    for (const [key, s] of this.#keys) {
      if (s.suppressed === 0 && now - s.last >= this.#intervalMs) this.#keys.delete(key);
    }
  }
}
