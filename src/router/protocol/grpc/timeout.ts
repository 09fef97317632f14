/**
 * The `grpc-timeout` header (gRPC over HTTP/2: `TimeoutValue TimeoutUnit`, one to eight ASCII
 * digits then one of H M S m u n) and the one-deadline rule (docs/grpc.md#deadlines): a request's
 * deadline is the earliest of its `grpc-timeout`, its `l5d-ctx-deadline` and the router's total
 * timeout; what goes upstream carries what is left of it in both headers, so a gRPC server and a
 * router behind this one agree on when the call ends.
 */
import { DEADLINE_HEADER, type Deadline, formatDeadline, readDeadlineHeader } from '../../policy/deadline.js';
import { incomingDeadline } from '../../policy/timeouts.js';

export const GRPC_TIMEOUT_HEADER = 'grpc-timeout';

/** Milliseconds per unit. */
const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
/** The same, coarsest first: formatting tries the shortest spelling first. */
const UNITS = Object.entries(UNIT_MS);
const MAX_VALUE = 99_999_999;

export type GrpcTimeoutResult =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly error: string; readonly position: number };

/**
 * Reads a `grpc-timeout` value to milliseconds, or says what is wrong and at which character
 * (0-based). Nothing is trimmed or guessed: ` 5S`, `5s`, `5`, `123456789S` are all errors.
 */
export function parseGrpcTimeout(value: string): GrpcTimeoutResult {
  let i = 0;
  while (i < value.length && i <= 8) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  if (i === 0) return fail(value.length === 0 ? 'is empty' : `expected a digit, got ${quote(value, 0)}`, 0);
  if (i > 8) return fail('has more than 8 digits', 8);
  if (i === value.length) return fail('has no unit (H, M, S, m, u or n)', i);
  const unit = Object.hasOwn(UNIT_MS, value[i]!) ? UNIT_MS[value[i]!] : undefined;
  if (unit === undefined) return fail(`expected a unit (H, M, S, m, u or n), got ${quote(value, i)}`, i);
  if (i + 1 !== value.length) return fail(`unexpected ${quote(value, i + 1)} after the unit`, i + 1);
  return { ok: true, ms: Number(value.slice(0, i)) * unit };
}

function fail(what: string, position: number): GrpcTimeoutResult {
  return { ok: false, error: `grpc-timeout ${what} (at character ${position})`, position };
}

function quote(value: string, at: number): string {
  return JSON.stringify(String.fromCodePoint(value.codePointAt(at)!));
}

/**
 * A duration as a `grpc-timeout` value: the shortest exact spelling in at most 8 digits (`5S`,
 * not `5000m`); when no unit is exact, the finest that fits, rounded up as grpc-go does, so the
 * upstream never gives up before the caller. Past the largest value (99999999H) it is capped.
 */
export function formatGrpcTimeout(ms: number): string {
  if (!(ms > 0)) return '0n';
  for (const [unit, size] of UNITS) {
    const v = ms / size;
    const r = Math.round(v);
    if (r > 0 && r <= MAX_VALUE && Math.abs(v - r) <= slack(v, size)) return `${r}${unit}`;
  }
  for (let i = UNITS.length - 1; i >= 0; i--) {
    const [unit, size] = UNITS[i]!;
    const v = ms / size;
    const up = Math.ceil(v - slack(v, size));
    if (up <= MAX_VALUE) return `${up}${unit}`;
  }
  return `${MAX_VALUE}H`;
}

/**
 * What a unit count may be off an integer and still be that integer: float noise (0.1 ms is
 * 100.00000000000001 u) and anything under 0.1 ns, far below what a timer can act on.
 */
function slack(v: number, size: number): number {
  return 1e-7 / size + v * 1e-14;
}

/** The fields of a request head the deadline is read from (core's RequestHead has them). */
export interface DeadlineHints {
  /** `l5d-ctx-deadline` values. */
  readonly deadline: readonly string[] | undefined;
  readonly grpcTimeout: string | undefined;
}

/**
 * The caller's deadline at wall-clock `nowMs`: the strictest of its `l5d-ctx-deadline` values and
 * its `grpc-timeout` (counted from now). A malformed value of either is ignored, as linkerd ignores
 * a malformed `l5d-ctx-deadline`: a hint that cannot be read must not fail the call. Combine the
 * result with the router's own total timeout through policy/timeouts.ts `requestDeadlineMs`.
 */
export function callerDeadline(hints: DeadlineHints, nowMs: number): Deadline | null {
  const l5d = readDeadlineHeader(hints.deadline);
  if (hints.grpcTimeout === undefined) return l5d;
  const t = parseGrpcTimeout(hints.grpcTimeout);
  return incomingDeadline(l5d, t.ok ? t.ms : null, nowMs);
}

/**
 * The deadline headers of an upstream request, as `[name, value, …]` to append to its header
 * list: `l5d-ctx-deadline` always, `grpc-timeout` (what is left, from `nowMs`) for gRPC calls.
 * Empty when the request has no deadline. `deadline` is the one `outgoingDeadline` gave.
 */
export function deadlineHeaders(deadline: Deadline | null, nowMs: number, grpc: boolean): string[] {
  if (deadline === null) return [];
  const out = [DEADLINE_HEADER, formatDeadline(deadline)];
  if (grpc) out.push(GRPC_TIMEOUT_HEADER, formatGrpcTimeout(deadline.deadlineMs - nowMs));
  return out;
}
