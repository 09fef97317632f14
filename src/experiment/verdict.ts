/**
 * The verdict of one run: one JSON object on stdout (one per line with `--every`), with every
 * probe's figures and tolerance before and after the method, each action's result, the
 * rollback's, `passed`, a `reason` a person can read (the failing probe and its figure), and the
 * exit code (docs/experiments.md#exit-codes).
 */
import type { HypothesisResult, ProbeResult } from './hypothesis.js';

/** The exit codes of `switchyard chaos run`, as the canary's: 0 good, 1 judged bad, 2 and up could not judge. */
export const ChaosExit = {
  passed: 0,
  deviated: 1,
  'could-not-run': 2,
  'rollback-failed': 3,
  interrupted: 4,
  usage: 64,
} as const;

export type Status = Exclude<keyof typeof ChaosExit, 'usage'>;

export interface ActionResult {
  readonly index: number;
  readonly action: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly result?: unknown;
  readonly error?: string;
  readonly [key: string]: unknown;
}

export interface RollbackResult {
  readonly action: string;
  readonly ok: boolean;
  readonly result?: string;
  readonly error?: string;
  readonly [key: string]: unknown;
}

export interface Verdict {
  readonly title: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly status: Status;
  readonly passed: boolean;
  readonly reason: string;
  readonly exitCode: number;
  readonly hypothesis: {
    readonly title: string;
    readonly before: HypothesisResult | null;
    readonly after: HypothesisResult | null;
  };
  readonly method: readonly ActionResult[];
  readonly rollback: readonly RollbackResult[];
}

interface Facts {
  readonly title: string;
  readonly hypothesisTitle: string;
  readonly startedAt: string;
  readonly before: HypothesisResult | null;
  readonly after: HypothesisResult | null;
  readonly method: readonly ActionResult[];
  readonly rollback: readonly RollbackResult[];
  readonly error: string | null;
  readonly interrupted: boolean;
}

const deviations = (h: HypothesisResult) => h.probes.flatMap((p) => p.reasons);
const unmeasured = (h: HypothesisResult) =>
  h.probes
    .filter((p): p is ProbeResult & { error: string } => p.ok === null)
    .map((p) => `${p.name}: could not measure: ${p.error}`);

function judged(f: Facts): { status: Status; reason: string } {
  const leftovers = f.rollback.filter((r) => !r.ok);
  if (leftovers.length > 0) {
    const what = leftovers.map((r) => `${r.proxy ?? ''}/${r.toxic ?? ''}: ${r.error}`).join('; ');
    return { status: 'rollback-failed', reason: `the rollback left what it could not remove: ${what}` };
  }
  if (f.interrupted) return { status: 'interrupted', reason: 'interrupted; what the run added was rolled back' };
  if (f.error !== null) return { status: 'could-not-run', reason: f.error };
  if (f.before === null) return { status: 'could-not-run', reason: 'the hypothesis was not checked' };
  if (f.before.ok === false)
    return {
      status: 'deviated',
      reason: `steady state not met before the method, so it did not run: ${deviations(f.before).join('; ')}`,
    };
  if (f.before.ok === null)
    return { status: 'could-not-run', reason: `before the method: ${unmeasured(f.before).join('; ')}` };
  if (f.after === null) return { status: 'could-not-run', reason: 'the hypothesis was not checked after the method' };
  if (f.after.ok === false)
    return { status: 'deviated', reason: `after the method: ${deviations(f.after).join('; ')}` };
  if (f.after.ok === null)
    return { status: 'could-not-run', reason: `after the method: ${unmeasured(f.after).join('; ')}` };
  return { status: 'passed', reason: 'every probe was within its tolerance before and after the method' };
}

export function verdictOf(f: Facts): Verdict {
  const { status, reason } = judged(f);
  return {
    title: f.title,
    startedAt: f.startedAt,
    endedAt: new Date().toISOString(),
    status,
    passed: status === 'passed',
    reason,
    exitCode: ChaosExit[status],
    hypothesis: { title: f.hypothesisTitle, before: f.before, after: f.after },
    method: f.method,
    rollback: f.rollback,
  };
}
