/**
 * What the toxics rolled for one attempt do to it, combined: every toxic of every matching rule
 * that came up (each drawn on its own toxicity) folds into one plan per direction, so the
 * attempt's wrapper (faulty-upstream.ts) applies them together rather than as a chain, as
 * `switchyard toxiproxy` does for TCP: latencies add, the thinnest bandwidth and the smallest
 * limit win, the first `down` or `abort` decides the answer.
 */
import type { Stream, Toxic } from '../../chaos/toxics.js';

export interface DirectionPlan {
  /** Added delay, ms. */
  latencyMs: number;
  /** Bytes per ms (= KB/s); 0 for no limit. */
  rate: number;
  /** Delay of the end, ms. */
  closeDelayMs: number;
  /** Body bytes passed before the cut; -1 for no limit. */
  limit: number;
  /** Hold everything, then fail after this many ms (0: hold until the attempt ends); -1 for none. */
  timeoutMs: number;
}

export interface AbortPlan {
  readonly stream: Stream;
  /** HTTP status (0: 503). */
  readonly status: number;
  /** gRPC status for gRPC calls (0: derived from `status`). */
  readonly grpcStatus: number;
  readonly message: string;
  /** `rule/toxic`, for the `l5d-fault` header. */
  readonly label: string;
}

export interface FaultPlan {
  down: { readonly mode: 'refuse' | 'reset'; readonly label: string } | null;
  abort: AbortPlan | null;
  readonly upstream: DirectionPlan;
  readonly downstream: DirectionPlan;
}

const direction = (): DirectionPlan => ({ latencyMs: 0, rate: 0, closeDelayMs: 0, limit: -1, timeoutMs: -1 });

export function emptyPlan(): FaultPlan {
  return { down: null, abort: null, upstream: direction(), downstream: direction() };
}

const min = (current: number, next: number) => (current < 0 ? next : Math.min(current, next));

/** Folds one toxic that came up into `plan`; `random` draws its jitter. */
export function addToPlan(plan: FaultPlan, rule: string, t: Toxic, random: () => number): void {
  const a = t.attributes;
  const d = plan[t.stream];
  const label = `${rule}/${t.name}`;
  switch (t.type) {
    case 'latency': {
      const jitter = a.jitter as number;
      const ms = (a.latency as number) + (jitter > 0 ? Math.round((random() * 2 - 1) * jitter) : 0);
      d.latencyMs += Math.max(0, ms);
      return;
    }
    case 'bandwidth': {
      const rate = a.rate as number;
      if (rate > 0) d.rate = d.rate === 0 ? rate : Math.min(d.rate, rate);
      return;
    }
    case 'slow_close':
      d.closeDelayMs += a.delay as number;
      return;
    case 'timeout':
      // 0 holds without end, so it is the longest: the smallest non-zero timeout ends the hold first.
      d.timeoutMs =
        d.timeoutMs <= 0 ? (a.timeout as number) : Math.min(d.timeoutMs, (a.timeout as number) || d.timeoutMs);
      return;
    case 'limit_data':
      if ((a.bytes as number) > 0) d.limit = min(d.limit, a.bytes as number);
      return;
    case 'down':
      plan.down ??= { mode: a.mode as 'refuse' | 'reset', label };
      return;
    case 'abort':
      plan.abort ??= {
        stream: t.stream,
        status: a.status as number,
        grpcStatus: a.grpc_status as number,
        message: a.message as string,
        label,
      };
      return;
  }
}
