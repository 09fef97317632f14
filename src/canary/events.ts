/**
 * What a run reports as it goes, one event at a time: printed for people (report.ts), written
 * as ndjson for CI (`--json`, one JSON object per line, the last one `end`), logged by the
 * long-lived controller, and kept as the status its admin port serves.
 */
import type { SideWindow } from './client-metrics.js';
import type { Verdict } from './judge.js';

export type Outcome = 'promoted' | 'rolled-back' | 'conflict' | 'paused' | 'aborted';

/** The exit code of each outcome (docs/canary.md#exit-codes). */
export const CanaryExit = {
  promoted: 0,
  aborted: 0,
  failure: 1,
  usage: 2,
  'rolled-back': 3,
  conflict: 4,
  paused: 5,
} as const;

export type Side = SideWindow & { readonly errorRate: number };

export type CanaryEvent =
  | {
      readonly event: 'start';
      readonly namespace: string;
      readonly service: string;
      readonly primary: string;
      readonly canary: string;
      readonly steps: readonly number[];
      readonly base: number;
      /** The step a resumed run goes on from, 0 for a new run. */
      readonly resumedAt: number;
    }
  | {
      readonly event: 'step';
      readonly step: number;
      readonly of: number;
      readonly percent: number;
      readonly dentry: string;
      readonly version: number | null;
    }
  | { readonly event: 'routers'; readonly routers: readonly string[]; readonly behind: readonly string[] }
  | {
      readonly event: 'window';
      readonly step: number;
      readonly percent: number;
      readonly seconds: number;
      readonly verdict: Verdict;
      readonly reasons: readonly string[];
      readonly notes: readonly string[];
      readonly canary: Side;
      readonly primary: Side;
      readonly pValue: number | null;
      readonly alpha: number;
      readonly unreadable: readonly { readonly router: string; readonly error: string }[];
    }
  | { readonly event: 'rollback'; readonly step: number; readonly reason: string; readonly version: number | null }
  | { readonly event: 'promoted'; readonly version: number | null }
  | { readonly event: 'paused'; readonly step: number; readonly percent: number; readonly namespace: string }
  | {
      readonly event: 'conflict';
      readonly expected: number | null;
      readonly current: number | null;
      readonly time?: string;
      readonly message?: string;
    }
  | { readonly event: 'end'; readonly outcome: Outcome; readonly exitCode: number };
