/**
 * The public JSON of `GET /registry/peers/connectivity[?label=L]` (docs/connectivity.md#the-json):
 * per label, its pods in a stable order (by address) and one entry per ordered pair of distinct
 * pods, destination-major, so a client draws the N×N grid without sorting. A pair nobody has
 * measured yet is there too, with nulls, so the grid is always complete.
 */
import { byAddress, type ConnectivityMatrix, HISTORY } from './connectivity-matrix.js';

export interface PeerView {
  readonly address: string;
  readonly pod: string;
  /** Whether this pod has sent a report recently (false: never, or stale). */
  readonly reporting: boolean;
  readonly lastReport: string | null;
  readonly intervalMs: number | null;
  readonly timeoutMs: number | null;
  readonly via: string | null;
}

export interface PairView {
  readonly source: string;
  readonly destination: string;
  readonly latencyMs: number | null;
  /** null: never measured. */
  readonly healthy: boolean | null;
  readonly error: string | null;
  readonly status: number | null;
  readonly time: string | null;
  /** The source has stopped reporting: this is its last word, not a fresh one. */
  readonly stale: boolean;
  readonly history: readonly {
    readonly time: string;
    readonly latencyMs: number;
    readonly healthy: boolean;
    readonly error: string | null;
  }[];
}

export interface LabelView {
  /** The largest interval and timeout its sources report; null before any report. */
  readonly intervalMs: number | null;
  readonly timeoutMs: number | null;
  readonly peers: readonly PeerView[];
  readonly pairs: readonly PairView[];
  readonly summary: { readonly healthy: number; readonly unhealthy: number; readonly unknown: number };
}

export interface ConnectivityView {
  readonly time: string;
  readonly historySize: number;
  readonly labels: Record<string, LabelView>;
}

const iso = (ms: number) => new Date(ms).toISOString();

function labelView(matrix: ConnectivityMatrix, label: string): LabelView {
  const members = [...matrix.members(label)].sort((a, b) => byAddress(a.address, b.address));
  const rows = matrix.rows(label);
  const peers: PeerView[] = members.map((m) => {
    const row = rows.get(m.address);
    return {
      address: m.address,
      pod: m.pod,
      reporting: row !== undefined && !matrix.stale(row),
      lastReport: row === undefined ? null : iso(row.lastReport),
      intervalMs: row?.intervalMs ?? null,
      timeoutMs: row?.timeoutMs ?? null,
      via: row?.via ?? null,
    };
  });
  const pairs: PairView[] = [];
  const summary = { healthy: 0, unhealthy: 0, unknown: 0 };
  for (const destination of members) {
    for (const source of members) {
      if (source === destination) continue;
      const row = rows.get(source.address);
      const pair = row?.pairs.get(destination.address);
      const last = pair?.history[pair.history.length - 1];
      const stale = row !== undefined && matrix.stale(row);
      if (last === undefined || stale) summary.unknown++;
      else if (last.healthy) summary.healthy++;
      else summary.unhealthy++;
      pairs.push({
        source: source.address,
        destination: destination.address,
        latencyMs: last?.latencyMs ?? null,
        healthy: last?.healthy ?? null,
        error: last?.error ?? null,
        status: last?.status ?? null,
        time: last === undefined ? null : iso(last.time),
        stale,
        history: (pair?.history ?? []).map((s) => ({
          time: iso(s.time),
          latencyMs: s.latencyMs,
          healthy: s.healthy,
          error: s.error,
        })),
      });
    }
  }
  const reported = [...rows.values()];
  const max = (pick: (r: (typeof reported)[number]) => number) =>
    reported.length === 0 ? null : Math.max(...reported.map(pick));
  return {
    intervalMs: max((r) => r.intervalMs),
    timeoutMs: max((r) => r.timeoutMs),
    peers,
    pairs,
    summary,
  };
}

/** Every label with registered pods (or just `label`, empty when it has none). */
export function connectivityView(matrix: ConnectivityMatrix, labels: readonly string[]): ConnectivityView {
  matrix.prune();
  const out = Object.create(null) as Record<string, LabelView>;
  for (const label of [...labels].sort()) out[label] = labelView(matrix, label);
  return { time: iso(matrix.now()), historySize: HISTORY, labels: out };
}
