/**
 * The traffic generator of one process (goto's "client"): named targets, at most one running
 * invocation per target, cumulative results per target, and the globally tracked response
 * headers, and the .proto definitions its gRPC targets are encoded with. The /client HTTP API, the `switchyard traffic` command and the peer agent all drive
 * this one object. Listeners hear when an invocation starts and ends, which is when the peer
 * agent begins streaming a target's results to the registry and sends the final snapshot.
 */
import { createError } from '../errors.js';
import { GrpcProtos } from './grpc-protos.js';
import { DEFAULT_TARGET_POLICY, type TargetPolicy } from './target-policy.js';
import { TargetResults, type TargetResultsJson } from './target-results.js';
import { TargetRun } from './target-run.js';
import { checkTarget, parseTarget, type Target, type TargetSpec } from './target-spec.js';

export interface TrafficEvent {
  readonly type: 'started' | 'ended';
  readonly target: string;
}

export interface TrafficClientOptions {
  /** Length of a results interval (per-interval rps and percentiles); default 5 s. */
  readonly intervalMs?: number;
  /** How long requests in flight may finish after a stop; default 2 s. */
  readonly stopGraceMs?: number;
  /** Where targets may point and how fast (default: no link-local or metadata address, 1000 qps). */
  readonly policy?: TargetPolicy;
}

export interface ActiveRun {
  readonly invocation: number;
  readonly requests: number;
  readonly stopRequested: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `a,b` or ['a','b'] → ['a','b'] in lower case; goto's `a|b` cross headers are refused, not half-applied. */
export function parseTrackHeaders(raw: string | readonly string[]): string[] {
  const list = (typeof raw === 'string' ? raw.split(',') : raw).map((h) => h.trim().toLowerCase()).filter(Boolean);
  if (list.some((h) => h.includes('|'))) {
    throw createError('SY_ERR_INVALID_ARGUMENT', [
      'Cross headers (a|b) are not supported; track each header on its own',
    ]);
  }
  const bad = list.filter((h) => !TOKEN.test(h));
  if (bad.length > 0) throw createError('SY_ERR_INVALID_ARGUMENT', [`Not header names: ${bad.join(', ')}`]);
  return [...new Set(list)];
}

/** What countsByURIs counts a target's requests under: the URL's path, or the gRPC call's (`/proto.GenSvc/Gen`). */
const uriOf = (target: Target) => target.grpc?.path ?? target.url.pathname;

export class TrafficClient {
  readonly #targets = new Map<string, Target>();
  readonly #results = new Map<string, TargetResults>();
  readonly #runs = new Map<string, TargetRun>();
  readonly #listeners = new Set<(event: TrafficEvent) => void>();
  readonly #intervalMs: number;
  readonly #stopGraceMs: number;
  readonly #policy: TargetPolicy;
  /** The gob proto and the uploaded ones; gRPC targets are checked and encoded against them. */
  readonly protos = new GrpcProtos();
  #track: string[] = [];
  #invocations = 0;

  constructor(options: TrafficClientOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 5000;
    this.#stopGraceMs = options.stopGraceMs ?? 2000;
    this.#policy = options.policy ?? DEFAULT_TARGET_POLICY;
  }

  get policy(): TargetPolicy {
    return this.#policy;
  }

  /** Validates and adds (or replaces) a target; an `autoInvoke` one starts at once. */
  addTarget(raw: unknown): TargetSpec {
    return this.#add(parseTarget(raw, this.#policy, this.protos));
  }

  /** addTarget with the URL's host resolved and checked first, as the /client API adds them. */
  async addCheckedTarget(raw: unknown): Promise<TargetSpec> {
    return this.#add(await checkTarget(raw, this.#policy, this.protos));
  }

  #add(target: Target): TargetSpec {
    const { name } = target.spec;
    if (this.#runs.has(name)) throw createError('SY_ERR_TARGET_RUNNING', [name]);
    this.#targets.set(name, target);
    if (target.spec.autoInvoke) this.invoke([name]);
    return target.spec;
  }

  hasTarget(name: string): boolean {
    return this.#targets.has(name);
  }

  targets(): Record<string, TargetSpec> {
    return Object.fromEntries([...this.#targets].map(([name, t]) => [name, t.spec]));
  }

  target(name: string): TargetSpec {
    return this.#known([name]).map((n) => this.#targets.get(n)!.spec)[0]!;
  }

  /** Checks every name before anything is done, so an unknown one leaves the others untouched. */
  #known(names: readonly string[] | 'all'): string[] {
    if (names === 'all') return [...this.#targets.keys()];
    const unknown = names.filter((n) => !this.#targets.has(n));
    if (unknown.length > 0) throw createError('SY_ERR_TARGET_NOT_FOUND', [unknown.join(', ')]);
    return [...new Set(names)];
  }

  /** Starts the named targets that are not running yet; answers the names it started. */
  invoke(names: readonly string[] | 'all'): string[] {
    const started: string[] = [];
    for (const name of this.#known(names)) {
      if (this.#runs.has(name)) continue;
      const target = this.#targets.get(name)!;
      const results = this.#resultsFor(name);
      const track = [...new Set([...target.spec.trackHeaders, ...this.#track])];
      results.begin(track, uriOf(target));
      const run = new TargetRun({
        target,
        invocation: ++this.#invocations,
        stopGraceMs: this.#stopGraceMs,
        sink: {
          // Looked up per result: clearing results mid-run swaps the object underneath.
          record: (outcome) => this.#results.get(name)?.record(outcome),
          miss: (count) => this.#results.get(name)?.miss(count),
        },
      });
      this.#runs.set(name, run);
      run.start();
      void run.done.then(() => {
        this.#results.get(name)?.end();
        this.#runs.delete(name);
        this.#emit({ type: 'ended', target: name });
      });
      this.#emit({ type: 'started', target: name });
      started.push(name);
    }
    return started;
  }

  /** Stops the named running targets and waits until they have ended (bounded by the stop grace). */
  async stop(names: readonly string[] | 'all'): Promise<string[]> {
    const running = this.#known(names).filter((n) => this.#runs.has(n));
    await Promise.all(running.map((n) => this.#runs.get(n)?.stop()));
    // Let the `ended` bookkeeping above run before callers look at the results.
    await new Promise((resolve) => setImmediate(resolve));
    return running;
  }

  remove(names: readonly string[]): void {
    const known = this.#known(names);
    const running = known.filter((n) => this.#runs.has(n));
    if (running.length > 0) throw createError('SY_ERR_TARGET_RUNNING', [running.join(', ')]);
    for (const name of known) this.#targets.delete(name);
  }

  clear(): void {
    this.remove([...this.#targets.keys()]);
  }

  /** Resolves when the target's current invocation (if any) has ended. */
  async done(name: string): Promise<void> {
    await this.#runs.get(name)?.done;
    await new Promise((resolve) => setImmediate(resolve));
  }

  running(): string[] {
    return [...this.#runs.keys()];
  }

  active(): Record<string, ActiveRun> {
    const out = Object.create(null) as Record<string, ActiveRun>;
    for (const [name, run] of this.#runs) {
      out[name] = {
        invocation: this.#results.get(name)?.invocationCount ?? 0,
        requests: this.#results.get(name)?.requests ?? 0,
        stopRequested: run.stopped,
      };
    }
    return out;
  }

  trackHeaders(): string[] {
    return [...this.#track];
  }

  /** Sets the headers tracked for every target from its next invocation on. */
  setTrackHeaders(headers: string | readonly string[]): string[] {
    this.#track = parseTrackHeaders(headers);
    return this.trackHeaders();
  }

  results(): Record<string, TargetResultsJson> {
    return Object.fromEntries([...this.#results].map(([name, r]) => [name, r.toJSON()]));
  }

  resultsOf(name: string): TargetResultsJson | undefined {
    return this.#results.get(name)?.toJSON();
  }

  /** Results recorded so far for a target: cheap, for deciding whether a snapshot is worth sending. */
  progressOf(name: string): { requests: number; running: boolean } | undefined {
    const r = this.#results.get(name);
    return r === undefined ? undefined : { requests: r.requests, running: r.running };
  }

  /** Forgets all results; targets that are running go on counting from zero. */
  clearResults(): void {
    for (const name of [...this.#results.keys()]) {
      this.#results.delete(name);
      const run = this.#runs.get(name);
      if (run !== undefined) {
        const fresh = this.#resultsFor(name);
        fresh.begin([...new Set([...run.target.spec.trackHeaders, ...this.#track])], uriOf(run.target));
      }
    }
  }

  subscribe(listener: (event: TrafficEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops everything; the process can then exit. */
  async close(): Promise<void> {
    await this.stop('all');
  }

  #resultsFor(name: string): TargetResults {
    let results = this.#results.get(name);
    if (results === undefined) this.#results.set(name, (results = new TargetResults(name, this.#intervalMs)));
    return results;
  }

  #emit(event: TrafficEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
