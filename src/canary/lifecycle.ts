/**
 * Starting, resuming, aborting and describing runs from what namerd holds. A new run refuses a
 * namespace where another run is still open; resume and abort act only when the run's own
 * version is still the newest (otherwise someone else has written since, which is a conflict
 * to look at, not to overwrite).
 */

import { Dtab } from '../dtab/dtab.js';
import { escapeControls } from '../store/write-message.js';
import type { RunPosition } from './controller.js';
import { CanaryExit } from './events.js';
import { jsonBody, type NamerdApi, refusedWith } from './namerd-api.js';
import type { CanarySpec } from './spec.js';
import { type FoundState, latestState, OPEN_PHASES, stateMessage, stateProblem } from './state.js';

/** A run that cannot start, resume or abort: the message says why, the code is the exit code. */
export class CanaryRefusal extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CanaryRefusal';
  }
}

async function current(client: NamerdApi, ns: string) {
  try {
    return await client.get(ns);
  } catch (e) {
    if (refusedWith(e) === 404) {
      throw new CanaryRefusal(`namespace ${ns} does not exist in namerd`, CanaryExit.failure);
    }
    throw e;
  }
}

function describe(found: FoundState): string {
  const s = found.state;
  return `step ${s.step}/${s.spec.steps.length} (${s.spec.steps[s.step - 1]}%), ${s.phase}, version ${found.at.number}`;
}

/** A new run from the namespace's current version. */
export async function newRun(client: NamerdApi, spec: CanarySpec): Promise<RunPosition> {
  const problem = stateProblem(spec);
  if (problem !== null) throw new CanaryRefusal(problem, CanaryExit.usage);
  const now = await current(client, spec.namespace);
  const found = latestState(await client.versions(spec.namespace));
  if (found !== null && OPEN_PHASES.includes(found.state.phase) && found.since.length === 0) {
    throw new CanaryRefusal(
      `a canary run is open on ${spec.namespace} (${describe(found)}): continue it with ` +
        `'namectl canary resume ${spec.namespace}' or end it with 'namectl canary abort ${spec.namespace}'`,
      CanaryExit.failure,
    );
  }
  if (now.number === null) {
    throw new CanaryRefusal(
      'namerd did not answer a numbered version: the canary needs switchyard namerd',
      CanaryExit.failure,
    );
  }
  return { spec, base: { number: now.number, dtab: now.dtab }, etag: now.version, resumedAt: 0 };
}

/** The open run whose version is still the newest; a refusal otherwise. */
export async function openRun(client: NamerdApi, ns: string): Promise<FoundState> {
  const found = latestState(await client.versions(ns));
  if (found === null) throw new CanaryRefusal(`no canary run in the history of ${ns}`, CanaryExit.failure);
  if (found.since.length > 0) {
    const last = found.since[0]!;
    throw new CanaryRefusal(
      `${ns} was changed after the canary's last write (version ${found.at.number}): it is now version ${last.number}, ` +
        `written ${escapeControls(last.time)}${last.message === undefined ? '' : ` with the message "${escapeControls(last.message)}"`}. ` +
        'Nothing was written; look at the dtab (namectl dtab get) before starting again.',
      CanaryExit.conflict,
    );
  }
  if (!OPEN_PHASES.includes(found.state.phase)) {
    throw new CanaryRefusal(
      `the canary run on ${ns} has ended (${describe(found)}): nothing to continue`,
      CanaryExit.failure,
    );
  }
  return found;
}

/** Where a resumed run goes on: the dtab it started from (or, pruned from the history, the current one without the canary's dentry). */
export async function resumePosition(client: NamerdApi, found: FoundState, spec: CanarySpec): Promise<RunPosition> {
  const s = found.state;
  let base: Dtab;
  try {
    base = (await client.get(spec.namespace, String(s.base))).dtab;
  } catch (e) {
    if (!(refusedWith(e) === 404)) throw e;
    const now = await current(client, spec.namespace);
    base = new Dtab(now.dtab.dentries.slice(0, -1));
  }
  return { spec, base: { number: s.base, dtab: base }, etag: found.at.version, resumedAt: s.step };
}

/** Ends an open run: writes the run's starting dtab back, by compare-and-set. */
export async function abortRun(client: NamerdApi, ns: string): Promise<{ from: number; version: number | null }> {
  const found = await openRun(client, ns);
  const position = await resumePosition(client, found, found.state.spec);
  const message = stateMessage({ ...found.state, phase: 'aborted' });
  const body = jsonBody(position.base.dtab);
  try {
    const written = await client.update(ns, body, { ifMatch: found.at.version, message });
    return { from: found.state.step, version: written.number };
  } catch (e) {
    if (refusedWith(e) === 412) {
      throw new CanaryRefusal(
        `${ns} was changed by someone else while aborting: nothing was written`,
        CanaryExit.conflict,
      );
    }
    throw e;
  }
}
