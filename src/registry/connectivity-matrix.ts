/**
 * Who reaches whom (docs/connectivity.md): per label, one row per reporting peer (the source)
 * with, per destination, the last HISTORY samples and the running histogram Goldpinger's
 * metrics are drawn from. Rows and columns belong to registered pods only: every read and every
 * write first drops the pods the registry no longer holds, so a peer that deregisters or is
 * removed by a cleanup vanishes from the matrix, its series with it. Memory only: samples are
 * minutes old at most, and a registry that restarts has a full matrix again after one round.
 */
import { createError } from '../errors.js';
import { type ConnectivityReport, MAX_ROW } from './connectivity-report.js';

export const HISTORY = 30;
/** Most sources over all labels (each holds at most MAX_ROW pairs). */
export const MAX_SOURCES = 256;
/** Goldpinger's buckets for goldpinger_peers_response_time_s, in seconds. */
export const BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** A registered pod, as the matrix names it. */
export interface Member {
  readonly address: string;
  readonly pod: string;
}

export interface Sample {
  readonly time: number;
  readonly latencyMs: number;
  readonly healthy: boolean;
  readonly error: string | null;
  readonly status: number | null;
}

export interface Pair {
  readonly history: Sample[];
  /** Healthy answers per bucket (not cumulative), then their sum (s) and count. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

export interface Row {
  intervalMs: number;
  timeoutMs: number;
  via: string | null;
  lastReport: number;
  readonly pairs: Map<string, Pair>;
  /** Pings made and pings failed, since the row opened (Goldpinger's stats and errors). */
  made: number;
  errors: number;
}

export interface ReportAnswer {
  readonly accepted: number;
  /** Destinations that are not registered pods of the label (skipped, not an error: lists lag). */
  readonly ignored: readonly string[];
  /** The label's pods, as the peer should ping them next round. */
  readonly peers: readonly string[];
}

/** `host:port` ordered by host, then by port as a number. */
export function byAddress(a: string, b: string): number {
  const [ha, pa] = [a.slice(0, a.lastIndexOf(':')), Number(a.slice(a.lastIndexOf(':') + 1))];
  const [hb, pb] = [b.slice(0, b.lastIndexOf(':')), Number(b.slice(b.lastIndexOf(':') + 1))];
  return ha < hb ? -1 : ha > hb ? 1 : pa - pb;
}

export class ConnectivityMatrix {
  /** label → source → row. */
  readonly #labels = new Map<string, Map<string, Row>>();
  /** label → destination → healthy pings it answered (Goldpinger's `received`). */
  readonly #received = new Map<string, Map<string, number>>();
  readonly #members: (label: string) => readonly Member[];
  readonly #labelsOf: () => readonly string[];
  readonly #now: () => number;

  constructor(members: (label: string) => readonly Member[], labels: () => readonly string[], now = Date.now) {
    this.#members = members;
    this.#labelsOf = labels;
    this.#now = now;
  }

  /** Stores one source's row; the caller has checked that the source is registered and sent it. */
  record(label: string, source: string, report: ConnectivityReport): ReportAnswer {
    this.prune();
    const members = new Set(this.#members(label).map((m) => m.address));
    let rows = this.#labels.get(label);
    if (rows?.has(source) !== true) {
      if ((rows?.size ?? 0) >= MAX_ROW) {
        throw createError('SY_ERR_CONNECTIVITY_FULL', [`label ${label} holds rows of ${MAX_ROW} sources`]);
      }
      if (this.sources() >= MAX_SOURCES) {
        throw createError('SY_ERR_CONNECTIVITY_FULL', [`the registry holds rows of ${MAX_SOURCES} sources`]);
      }
    }
    if (rows === undefined) this.#labels.set(label, (rows = new Map()));
    const now = this.#now();
    let row = rows.get(source);
    if (row === undefined) {
      row = { intervalMs: 0, timeoutMs: 0, via: null, lastReport: now, pairs: new Map(), made: 0, errors: 0 };
      rows.set(source, row);
    }
    Object.assign(row, {
      intervalMs: report.intervalMs,
      timeoutMs: report.timeoutMs,
      via: report.via,
      lastReport: now,
    });
    const ignored: string[] = [];
    let received = this.#received.get(label);
    if (received === undefined) this.#received.set(label, (received = new Map()));
    for (const r of report.results) {
      if (r.destination === source || !members.has(r.destination)) {
        ignored.push(r.destination);
        continue;
      }
      let pair = row.pairs.get(r.destination);
      if (pair === undefined) {
        pair = { history: [], buckets: BUCKETS_S.map(() => 0), sum: 0, count: 0 };
        row.pairs.set(r.destination, pair);
      }
      pair.history.push({ time: now, ...r });
      if (pair.history.length > HISTORY) pair.history.shift();
      row.made++;
      if (!r.healthy) row.errors++;
      else {
        // Goldpinger times successful calls only.
        const s = r.latencyMs / 1000;
        const i = BUCKETS_S.findIndex((le) => s <= le);
        if (i >= 0) pair.buckets[i]!++;
        pair.sum += s;
        pair.count++;
        received.set(r.destination, (received.get(r.destination) ?? 0) + 1);
      }
    }
    return {
      accepted: report.results.length - ignored.length,
      ignored,
      peers: [...members].sort(byAddress),
    };
  }

  /** Drops labels, rows and columns of pods that are no longer registered. */
  prune(): void {
    const live = new Set(this.#labelsOf());
    for (const [label, rows] of this.#labels) {
      const members = live.has(label) ? new Set(this.#members(label).map((m) => m.address)) : new Set<string>();
      for (const [source, row] of rows) {
        if (!members.has(source)) rows.delete(source);
        else for (const destination of row.pairs.keys()) if (!members.has(destination)) row.pairs.delete(destination);
      }
      const received = this.#received.get(label);
      for (const destination of received?.keys() ?? []) if (!members.has(destination)) received!.delete(destination);
      if (rows.size === 0) {
        this.#labels.delete(label);
        this.#received.delete(label);
      }
    }
  }

  sources(): number {
    let n = 0;
    for (const rows of this.#labels.values()) n += rows.size;
    return n;
  }

  /** Labels that have rows, after pruning. */
  labels(): string[] {
    this.prune();
    return [...this.#labels.keys()];
  }

  rows(label: string): ReadonlyMap<string, Row> {
    return this.#labels.get(label) ?? new Map();
  }

  received(label: string, destination: string): number {
    return this.#received.get(label)?.get(destination) ?? 0;
  }

  members(label: string): readonly Member[] {
    return this.#members(label);
  }

  /** A row is stale when its source has not reported for three of its intervals (and 1 s). */
  stale(row: Row): boolean {
    return this.#now() - row.lastReport > 3 * row.intervalMs + row.timeoutMs + 1000;
  }

  now(): number {
    return this.#now();
  }
}
