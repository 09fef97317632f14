/**
 * The canary controller: it moves a namespace's dtab through the spec's steps and judges each one.
 * Every write is a compare-and-set on the version the run wrote last, so a change made by anyone
 * else meanwhile stops the run with a conflict instead of being overwritten; the state travels
 * in the versions' messages (state.ts), so a run survives its controller. A pause (the signal)
 * leaves the dtab at the step it reached and records that in the history.
 */

import type { Dtab } from '../dtab/dtab.js';
import { etagToVersion } from '../store/versioned-dtab.js';
import { type Scrape, scrapeClients, windowOf } from './client-metrics.js';
import { type CanaryEvent, CanaryExit, type Outcome } from './events.js';
import { judge } from './judge.js';
import { jsonBody, type NamerdApi, refusedWith } from './namerd-api.js';
import { boundIds, routersFromRegistry, waitForVersion } from './routers.js';
import type { CanarySpec } from './spec.js';
import { type CanaryState, type Phase, specId, stateMessage } from './state.js';
import { stepDentry, stepDtab } from './step-dentry.js';

export interface ControllerOptions {
  readonly client: NamerdApi;
  readonly emit: (event: CanaryEvent) => void;
  /** Pauses the run: the dtab stays at the step reached. */
  readonly signal?: AbortSignal;
  /** Per router request (default 5 s). */
  readonly scrapeTimeoutMs?: number;
}

/** Thrown to end a run with a conflict: someone else wrote the namespace. */
class Conflict extends Error {}

/** Where a run starts: a fresh run at step 1, or a resumed one re-judging the step it reached. */
export interface RunPosition {
  readonly spec: CanarySpec;
  readonly base: { readonly number: number; readonly dtab: Dtab };
  /** The ETag of the run's last write (resume) or of the base (a new run). */
  readonly etag: string;
  /** 0 for a new run; else the step whose dtab is written already. */
  readonly resumedAt: number;
}

export class CanaryRun {
  readonly #o: ControllerOptions;
  readonly #p: RunPosition;
  #etag: string;
  #step = 0;

  constructor(position: RunPosition, options: ControllerOptions) {
    this.#p = position;
    this.#o = options;
    this.#etag = position.etag;
  }

  async run(): Promise<Outcome> {
    const { spec, base, resumedAt } = this.#p;
    const s = spec;
    this.#o.emit({
      event: 'start',
      namespace: s.namespace,
      service: s.service,
      primary: s.primary,
      canary: s.canary,
      steps: s.steps,
      base: base.number,
      resumedAt,
    });
    try {
      return this.#end(await this.#steps(resumedAt));
    } catch (e) {
      if (e instanceof Conflict) return this.#end('conflict');
      throw e;
    }
  }

  async #steps(resumedAt: number): Promise<Outcome> {
    const { spec } = this.#p;
    const n = spec.steps.length;
    for (let step = Math.max(1, resumedAt); step <= n; step++) {
      this.#step = step;
      const percent = spec.steps[step - 1]!;
      // A pause is noticed while waiting (in #window), once the step's dtab is in place, so the
      // history never says "paused at step N" for a step that was not written.
      if (step !== resumedAt) {
        const last = step === n;
        const dentry = stepDentry(spec, percent, spec.fallback);
        const version = await this.#write(
          stepDtab(this.#p.base.dtab, spec, percent, spec.fallback),
          last ? 'promoted' : 'step',
        );
        this.#o.emit({ event: 'step', step, of: n, percent, dentry: dentry.show(), version });
        if (last) {
          this.#o.emit({ event: 'promoted', version });
          return 'promoted';
        }
      }
      const verdict = await this.#window(step, percent);
      if (verdict === 'paused') return this.#pause();
      if (verdict !== 'pass') {
        const version = await this.#write(this.#p.base.dtab, 'rolled-back', verdict);
        this.#o.emit({ event: 'rollback', step, reason: verdict, version });
        return 'rolled-back';
      }
    }
    return 'promoted';
  }

  get #paused(): boolean {
    return this.#o.signal?.aborted === true;
  }

  /** Waits out one step's window (extended while evidence is short); 'pass', 'paused', or why it failed. */
  async #window(step: number, percent: number): Promise<string> {
    const { spec } = this.#p;
    const limits = { timeoutMs: this.#o.scrapeTimeoutMs ?? 5_000, ...this.#signal() };
    const routers = await this.#routers(limits);
    const behind = await waitForVersion(routers, spec.namespace, this.#etag, Math.min(spec.intervalMs, 10_000), limits);
    if (this.#paused) return 'paused';
    this.#o.emit({ event: 'routers', routers, behind });
    const ids = await this.#ids(routers, limits);
    const started = Date.now();
    const start = await this.#scrape(routers, [...ids.canary, ...ids.primary], limits);
    for (let extension = 0; ; extension++) {
      if (!(await sleep(spec.intervalMs, this.#o.signal))) return 'paused';
      await this.#checkUnchanged();
      const end = await this.#scrape(routers, [...ids.canary, ...ids.primary], limits);
      if (this.#paused) return 'paused';
      const unreadable = [...end.errors, ...start.errors.filter((e) => !end.errors.some((f) => f.router === e.router))];
      const j = judge(
        windowOf(start.scrapes, end.scrapes, ids.canary),
        windowOf(start.scrapes, end.scrapes, ids.primary),
        spec.gates,
      );
      const reasons = [...j.reasons];
      if (ids.canary.length === 0) reasons.unshift(`no router binds ${spec.canary}`);
      const out = j.verdict === 'wait' && extension >= spec.maxExtensions ? 'fail' : j.verdict;
      this.#o.emit({
        event: 'window',
        step,
        percent,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        verdict: out,
        reasons,
        notes: j.notes,
        canary: j.canary,
        primary: j.primary,
        pValue: j.pValue,
        alpha: spec.gates.alpha,
        unreadable,
      });
      if (out === 'pass') return 'pass';
      if (out === 'fail') return reasons.join('; ');
    }
  }

  #signal(): { signal?: AbortSignal } {
    return this.#o.signal === undefined ? {} : { signal: this.#o.signal };
  }

  async #routers(limits: { timeoutMs: number; signal?: AbortSignal }): Promise<string[]> {
    const { spec } = this.#p;
    const found = new Set(spec.routers);
    if (spec.registry !== null) {
      try {
        for (const r of await routersFromRegistry(spec.registry, spec.routerLabel, limits)) found.add(r);
      } catch {
        // The registry being away costs this window its registry-found routers, not the run.
      }
    }
    return [...found];
  }

  /** The canary's and the primary's bound ids, from the first router that explains both paths. */
  async #ids(
    routers: readonly string[],
    limits: { timeoutMs: number },
  ): Promise<{ canary: string[]; primary: string[] }> {
    for (const r of routers) {
      try {
        const [canary, primary] = await Promise.all([
          boundIds(r, this.#p.spec.canary, limits),
          boundIds(r, this.#p.spec.primary, limits),
        ]);
        if (canary.length > 0 && primary.length > 0) {
          return { canary, primary: primary.filter((id) => !canary.includes(id)) };
        }
      } catch {
        // Try the next router.
      }
    }
    return { canary: [], primary: [] };
  }

  async #scrape(routers: readonly string[], ids: readonly string[], limits: { timeoutMs: number }) {
    const scrapes = new Map<string, Scrape>();
    const errors: { router: string; error: string }[] = [];
    await Promise.all(
      routers.map(async (router) => {
        try {
          scrapes.set(router, await scrapeClients(router, ids, limits));
        } catch (e) {
          errors.push({ router, error: (e as Error).message });
        }
      }),
    );
    return { scrapes, errors };
  }

  /** A version written by anyone else during the window ends the run before it judges or writes. */
  async #checkUnchanged(): Promise<void> {
    const now = await this.#o.client.get(this.#p.spec.namespace).catch((e: unknown) => {
      if (refusedWith(e) === 404) return null;
      throw e;
    });
    if (now?.version !== this.#etag) await this.#conflict();
  }

  async #pause(): Promise<Outcome> {
    const { spec } = this.#p;
    const step = Math.max(1, this.#step);
    // Recorded with the same dtab, so the history says the run is paused, not running.
    const current = await this.#o.client.get(spec.namespace);
    if (current.version !== this.#etag) await this.#conflict();
    await this.#write(current.dtab, 'paused');
    this.#o.emit({ event: 'paused', step, percent: spec.steps[step - 1]!, namespace: spec.namespace });
    return 'paused';
  }

  /** A compare-and-set on the run's last version; a 412 is a conflict. */
  async #write(dtab: Dtab, phase: Phase, detail = ''): Promise<number | null> {
    const { spec, base } = this.#p;
    const state: CanaryState = { phase, step: Math.max(1, this.#step), base: base.number, id: specId(spec), spec };
    const body = jsonBody(dtab);
    try {
      const written = await this.#o.client.update(spec.namespace, body, {
        ifMatch: this.#etag,
        message: stateMessage(state, detail),
      });
      if (written.version !== null) this.#etag = written.version;
      return written.number;
    } catch (e) {
      if (refusedWith(e) === 412 || refusedWith(e) === 404) await this.#conflict();
      throw e;
    }
  }

  async #conflict(): Promise<never> {
    const latest = await this.#o.client
      .versions(this.#p.spec.namespace)
      .then((v) => v[0])
      .catch(() => undefined);
    this.#o.emit({
      event: 'conflict',
      expected: etagToVersion(this.#etag),
      current: latest?.number ?? null,
      ...(latest?.time === undefined ? {} : { time: latest.time }),
      ...(latest?.message === undefined ? {} : { message: latest.message }),
    });
    throw new Conflict();
  }

  #end(outcome: Outcome): Outcome {
    this.#o.emit({ event: 'end', outcome, exitCode: CanaryExit[outcome] });
    return outcome;
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
