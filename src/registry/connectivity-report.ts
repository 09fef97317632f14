/**
 * A peer's connectivity report (docs/connectivity.md#what-a-peer-reports): the row of the
 * matrix it measured in one round. Validated whole before anything is stored, every problem
 * listed: the registry keeps what the report says only after it has judged all of it.
 */
import { createError } from '../errors.js';

/** Most destinations one report may carry, and most sources one label's matrix holds. */
export const MAX_ROW = 64;
/** An error text is cut here: it is shown in a table cell, not a log. */
const MAX_ERROR = 200;
const ADDRESS = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/;
const REPORT_KEYS = new Set(['intervalMs', 'timeoutMs', 'via', 'results']);
const RESULT_KEYS = new Set(['destination', 'latencyMs', 'healthy', 'error', 'status']);

export interface PingResult {
  readonly destination: string;
  /** Time until the answer (or the failure); the timeout when none came. */
  readonly latencyMs: number;
  readonly healthy: boolean;
  readonly error: string | null;
  /** The HTTP status of the answer; null when none came. */
  readonly status: number | null;
}

export interface ConnectivityReport {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** The router the pings went through; null for direct pings. */
  readonly via: string | null;
  readonly results: readonly PingResult[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function number(v: unknown, key: string, min: number, max: number, problems: string[]): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    problems.push(`${key}: must be a number from ${min} to ${max}, got ${JSON.stringify(v)?.slice(0, 40)}`);
    return min;
  }
  return v;
}

function result(raw: unknown, at: string, problems: string[]): PingResult | undefined {
  if (!isObject(raw)) return void problems.push(`${at}: must be an object`);
  for (const key of Object.keys(raw)) if (!RESULT_KEYS.has(key)) problems.push(`${at}.${key}: unknown key`);
  const { destination, healthy, error, status } = raw;
  if (typeof destination !== 'string' || !ADDRESS.test(destination) || destination.length > 300) {
    problems.push(`${at}.destination: must be host:port, got ${JSON.stringify(destination)?.slice(0, 80)}`);
  }
  if (typeof healthy !== 'boolean') problems.push(`${at}.healthy: must be true or false`);
  if (error !== undefined && error !== null && typeof error !== 'string')
    problems.push(`${at}.error: must be a string`);
  if (healthy === true && typeof error === 'string') problems.push(`${at}.error: a healthy result has no error`);
  const code = status === undefined || status === null ? null : number(status, `${at}.status`, 100, 599, problems);
  return {
    destination: destination as string,
    latencyMs: number(raw.latencyMs, `${at}.latencyMs`, 0, 600_000, problems),
    healthy: healthy === true,
    error: typeof error === 'string' ? error.slice(0, MAX_ERROR) : healthy === true ? null : 'unhealthy',
    status: code === null ? null : Math.trunc(code),
  };
}

/** Throws SY_ERR_INVALID_CONNECTIVITY_REPORT listing every problem; never half-accepts. */
export function parseConnectivityReport(raw: unknown): ConnectivityReport {
  if (!isObject(raw)) {
    throw createError('SY_ERR_INVALID_CONNECTIVITY_REPORT', ['the body must be a JSON object with results']);
  }
  const problems: string[] = [];
  for (const key of Object.keys(raw)) if (!REPORT_KEYS.has(key)) problems.push(`${key}: unknown key`);
  const intervalMs = number(raw.intervalMs, 'intervalMs', 1, 3_600_000, problems);
  const timeoutMs = number(raw.timeoutMs, 'timeoutMs', 1, 600_000, problems);
  const via = raw.via === undefined || raw.via === null ? null : raw.via;
  if (via !== null && (typeof via !== 'string' || via.length > 300)) problems.push('via: must be a string');
  const list = raw.results;
  if (!Array.isArray(list)) problems.push('results: must be a list');
  else if (list.length > MAX_ROW) problems.push(`results: at most ${MAX_ROW} destinations, got ${list.length}`);
  const results: PingResult[] = [];
  const seen = new Set<string>();
  if (Array.isArray(list) && list.length <= MAX_ROW) {
    list.forEach((r, i) => {
      const parsed = result(r, `results[${i}]`, problems);
      if (parsed === undefined) return;
      if (seen.has(parsed.destination)) problems.push(`results[${i}].destination: ${parsed.destination} twice`);
      seen.add(parsed.destination);
      results.push(parsed);
    });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    const more = problems.length > 10 ? `; and ${problems.length - 10} more` : '';
    throw createError('SY_ERR_INVALID_CONNECTIVITY_REPORT', [`${shown}${more}`]);
  }
  return { intervalMs, timeoutMs, via: via as string | null, results };
}
