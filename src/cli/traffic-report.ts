/**
 * What `switchyard traffic` prints: a progress line per interval (rps over the interval, its
 * p99, errors so far, the split by tracked header — what someone watching a canary wants at a
 * glance) and the final summary tables (totals, latency percentiles, status codes, each tracked
 * header's values by status, errors by kind), in the spirit of hey's and slow_cooker's reports.
 * gRPC runs show their grpc-status split (codes by name) where HTTP runs show status codes.
 */
import { grpcStatusName } from '../router/protocol/grpc/status.js';
import type { TargetResultsJson } from '../traffic/target-results.js';

const isGrpc = (r: TargetResultsJson) => Object.keys(r.countsByGrpcStatus ?? {}).length > 0;
const byCode = ([a]: [string, unknown], [b]: [string, unknown]) => Number(a) - Number(b);
const codeName = (code: string) => `${code} ${grpcStatusName(Number(code))}`;

const pct = (part: number, whole: number) => (whole === 0 ? '0.0%' : `${((part / whole) * 100).toFixed(1)}%`);
const msText = (ms: number) => `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)}ms`;

/** `v1 80.0% v2 20.0%` for each tracked header. */
function split(results: TargetResultsJson): string {
  return Object.values(results.countsByHeaders)
    .map((h) => {
      const values = Object.entries(h.countsByValues).sort(([a], [b]) => a.localeCompare(b));
      return `${h.header} ${values.map(([v, n]) => `${v} ${pct(n, h.count)}`).join(' ')}`;
    })
    .join('  ');
}

export interface ProgressState {
  lastRequests: number;
  lastAt: number;
}

export function progressLine(results: TargetResultsJson, elapsedMs: number, state: ProgressState): string {
  const seconds = Math.max(elapsedMs - state.lastAt, 1) / 1000;
  const rps = (results.requests - state.lastRequests) / seconds;
  state.lastRequests = results.requests;
  state.lastAt = elapsedMs;
  const last = results.intervals[results.intervals.length - 1];
  const p99 = last?.latency.p99 ?? results.latency.p99;
  const parts = [
    `${(elapsedMs / 1000).toFixed(1)}s`,
    `${results.requests} req`,
    `${Math.round(rps)} rps`,
    `p99 ${msText(p99)}`,
    `errors ${results.bad + results.failed}`,
  ];
  const s = split(results);
  return s === '' ? parts.join('  ') : `${parts.join('  ')}  ${s}`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function summaryTables(url: string, results: TargetResultsJson, elapsedMs: number): string {
  const r = results;
  const seconds = elapsedMs / 1000;
  const l = r.latency;
  const out: string[] = [
    table([
      ['Target', url],
      [
        'Requests',
        `${r.requests} in ${seconds.toFixed(2)}s, ${(r.requests / Math.max(seconds, 0.001)).toFixed(1)} req/s`,
      ],
      [
        'Outcomes',
        `good ${r.good}, bad (${isGrpc(r) ? 'grpc-status not 0' : '5xx'}) ${r.bad}, failed ${r.failed}, missed ${r.missed}, retries ${r.retries}`,
      ],
      [
        'Latency',
        `min ${msText(l.min)}  p50 ${msText(l.p50)}  p90 ${msText(l.p90)}  p99 ${msText(l.p99)}  p99.9 ${msText(l.p999)}  max ${msText(l.max)}`,
      ],
    ]),
  ];
  const statuses = Object.entries(r.countsByStatusCodes).sort(([a], [b]) => a.localeCompare(b));
  if (statuses.length > 0) {
    out.push(table([['Status', 'Count', 'Share'], ...statuses.map(([s, n]) => [s, String(n), pct(n, r.requests)])]));
  }
  const grpc = Object.entries(r.countsByGrpcStatus ?? {}).sort(byCode);
  if (grpc.length > 0) {
    out.push(
      table([['grpc-status', 'Count', 'Share'], ...grpc.map(([c, n]) => [codeName(c), String(n), pct(n, r.requests)])]),
    );
  }
  for (const h of Object.values(r.countsByHeaders)) {
    // gRPC: each value's calls by grpc-status, which says more than the HTTP 200 they all share.
    const byValue = h.countsByValuesGrpcStatus ?? h.countsByValuesStatusCodes;
    const codes = Object.keys(h.countsByGrpcStatus ?? h.countsByStatusCodes).sort((a, b) => Number(a) - Number(b));
    const rows = Object.entries(h.countsByValues)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([value, n]) => [value, String(n), pct(n, h.count), ...codes.map((c) => String(byValue[value]?.[c] ?? 0))]);
    const heads = h.countsByGrpcStatus === undefined ? codes : codes.map((c) => `grpc ${codeName(c)}`);
    out.push(table([[h.header, 'Count', 'Share', ...heads], ...rows]));
  }
  const errors = Object.entries(r.countsByErrors);
  if (errors.length > 0) out.push(table([['Error', 'Count'], ...errors.map(([e, n]) => [e, String(n)])]));
  return `${out.join('\n\n')}\n`;
}
