/**
 * Where a canary run keeps its state: in namerd, in the message of every version it writes.
 * Each message starts with a line a person reads in `namectl dtab history`
 * (`canary gen-growthhack: step 2/4, 20%`) and ends with the run's state as compact JSON after
 * ` | state ` (the spec, the step, the version the run started from). namerd keeps messages
 * with their versions, through restarts, for every store; so a controller that was stopped or
 * killed, or another one, finds the run in the namespace's history and can resume or abort it,
 * and a version written by anyone else after the run's last one shows that the run lost the
 * namespace. A comment in the dtab would not do: dtabs are stored parsed, without comments.
 */
import { createHash } from 'node:crypto';
import type { Raw } from '../config/validation.js';
import { messageProblem } from '../store/write-message.js';
import { type CanarySpec, canaryName, specToRaw, validateSpec } from './spec.js';

export type Phase = 'step' | 'paused' | 'promoted' | 'rolled-back' | 'aborted';
const PHASES: readonly Phase[] = ['step', 'paused', 'promoted', 'rolled-back', 'aborted'];
/** Phases after which the dtab still carries the canary and the run can go on. */
export const OPEN_PHASES: readonly Phase[] = ['step', 'paused'];

export interface CanaryState {
  readonly phase: Phase;
  /** The step whose dtab this version holds (1-based); for rolled-back and aborted, the step it ended at. */
  readonly step: number;
  /** The version number the run started from, whose dtab a rollback writes back. */
  readonly base: number;
  /** A hash of the spec: the long-lived controller knows its own run by it. */
  readonly id: string;
  readonly spec: CanarySpec;
}

const MARK = ' | state ';

export function specId(spec: CanarySpec): string {
  return createHash('sha256')
    .update(JSON.stringify(specToRaw(spec)))
    .digest('hex')
    .slice(0, 12);
}

/** The line a person reads, then the state. */
export function stateMessage(state: CanaryState, detail = ''): string {
  const { spec, step, phase } = state;
  const n = spec.steps.length;
  const percent = spec.steps[step - 1] ?? 0;
  const at = `step ${step}/${n}, ${percent}%`;
  const head = `canary ${canaryName(spec)}: `;
  const human =
    phase === 'step'
      ? `${head}${at}`
      : phase === 'promoted'
        ? `${head}${at}${spec.fallback ? ' with fallback' : ''}, promoted`
        : phase === 'paused'
          ? `${head}paused at ${at}`
          : phase === 'rolled-back'
            ? `${head}rolled back at ${at}, to version ${state.base}`
            : `${head}aborted at ${at}, rolled back to version ${state.base}`;
  const why = detail === '' ? '' : ` (${detail.length > 160 ? `${detail.slice(0, 157)}...` : detail})`;
  const json = JSON.stringify({ v: 1, phase, step, base: state.base, id: state.id, spec: specToRaw(spec) });
  return `${human}${why.replace(/\|/g, '/')}${MARK}${json}`;
}

/** Why the run's messages cannot be stored (too long for namerd), or null. */
export function stateProblem(spec: CanarySpec): string | null {
  const probe: CanaryState = { phase: 'rolled-back', step: spec.steps.length, base: 2 ** 40, id: 'x'.repeat(12), spec };
  const problem = messageProblem(stateMessage(probe, 'x'.repeat(200)));
  return problem === null ? null : `the run's state would not fit in a history message: ${problem}`;
}

/** The state in a version's message, or null when it holds none (or a broken one). */
export function readState(message: string | undefined): CanaryState | null {
  if (typeof message !== 'string') return null;
  const at = message.lastIndexOf(MARK);
  if (at < 0 || !message.startsWith('canary ')) return null;
  let raw: Raw;
  try {
    raw = JSON.parse(message.slice(at + MARK.length)) as Raw;
  } catch {
    return null;
  }
  if (raw === null || typeof raw !== 'object' || raw.v !== 1) return null;
  const phase = raw.phase as Phase;
  const { spec } = validateSpec(raw.spec);
  if (spec === null || !PHASES.includes(phase)) return null;
  const step = raw.step;
  const base = raw.base;
  if (!Number.isInteger(step) || (step as number) < 1 || (step as number) > spec.steps.length) return null;
  if (!Number.isSafeInteger(base) || (base as number) < 1 || typeof raw.id !== 'string') return null;
  return { phase, step: step as number, base: base as number, id: raw.id, spec };
}

export interface VersionLike {
  readonly version: string;
  readonly number: number;
  readonly time: string;
  readonly message?: string;
  readonly deleted?: true;
}

export interface FoundState {
  readonly state: CanaryState;
  /** The version that carries it. */
  readonly at: VersionLike;
  /** Versions written after it (by someone else), newest first. */
  readonly since: readonly VersionLike[];
}

/** The newest canary state in a history (newest first), with what was written after it. */
export function latestState(versions: readonly VersionLike[]): FoundState | null {
  for (let i = 0; i < versions.length; i++) {
    const state = readState(versions[i]!.message);
    if (state !== null) return { state, at: versions[i]!, since: versions.slice(0, i) };
  }
  return null;
}
