/**
 * Failure accrual (linkerd's `io.l5d.consecutiveFailures`, Finagle's `FailureAccrualFactory`):
 * an endpoint that fails `failures` times in a row (default 5) is marked dead and taken out of
 * the balancer's choice for a backoff, `equalJittered(5 s, 300 s)` by default. When the backoff
 * has passed, exactly one request is let through as a probe; its success revives the endpoint
 * (and resets the backoff), its failure kills it again for the next, longer, backoff.
 *
 * There are no timers: "dead until t" is a timestamp compared with the injected clock when the
 * balancer asks, so a dead endpoint becomes probe-able by itself and tests step time by hand.
 * Fail-open (sending to a dead endpoint when every endpoint is dead) is the balancer's decision;
 * this module only says who is available and counts what happened.
 */

/** Where an endpoint is in Finagle's state machine; `probe-open` means "the next request probes". */
export type AccrualState = 'alive' | 'dead' | 'probe-open' | 'probe-closed';

export interface FailureAccrualOptions {
  /** Consecutive failures that mark an endpoint dead (linkerd: `failures`, default 5). */
  readonly failures?: number;
  /** First backoff, and the base the later ones double from (linkerd: `backoff.minMs`, 5000). */
  readonly minBackoffMs?: number;
  /** The cap every backoff reaches after enough removals (linkerd: `backoff.maxMs`, 300000). */
  readonly maxBackoffMs?: number;
  /** Source of jitter in [0, 1); injected so tests can pin the backoff sequence. */
  readonly random?: () => number;
  /**
   * Told when an endpoint is marked dead (`removed`, with its backoff; again after a failed probe)
   * and when a probe brings it back (`revived`), for the log.
   */
  readonly onChange?: (endpoint: string, change: 'removed' | 'revived', backoffMs: number) => void;
}

export const FAILURE_ACCRUAL_DEFAULTS = Object.freeze({
  failures: 5,
  minBackoffMs: 5_000,
  maxBackoffMs: 300_000,
});

/**
 * The `attempt`-th backoff (0-based) of Finagle's `Backoff.equalJittered(min, max)`: the first is
 * `min` exactly; the k-th keeps half of the exponential growth and jitters the other half,
 * `h + [0, h)` with `h = min·2^k`; once a value would reach `max` it is `max` from then on
 * (h only grows, so capping here is the same as Finagle's switch to a constant stream).
 * Stateless, so an endpoint only stores how many removals in a row it has had.
 */
export function equalJitteredBackoffMs(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  if (attempt <= 0) return Math.min(minMs, maxMs);
  // Past 2^62 Finagle stops shifting; any realistic min is capped long before.
  const half = minMs * 2 ** Math.min(attempt, 62);
  if (half >= maxMs) return maxMs;
  return Math.min(maxMs, half + Math.floor(random() * half));
}

/** Plain numbers the router exports as metrics (`failure_accrual/removals`, …), one set per client. */
export class FailureAccrualCounters {
  /** Alive endpoints marked dead (a failed probe is not counted again, as in Finagle). */
  removals = 0;
  /** Probes that succeeded and brought an endpoint back. */
  revivals = 0;
  /** Requests let through to an endpoint whose backoff had passed. */
  probes = 0;
}

/** The shared, validated settings of one client's endpoints. */
export class FailureAccrualPolicy {
  readonly failures: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly random: () => number;
  readonly onChange: FailureAccrualOptions['onChange'];
  readonly counters = new FailureAccrualCounters();

  constructor(options: FailureAccrualOptions = {}) {
    this.failures = options.failures ?? FAILURE_ACCRUAL_DEFAULTS.failures;
    this.minBackoffMs = options.minBackoffMs ?? FAILURE_ACCRUAL_DEFAULTS.minBackoffMs;
    this.maxBackoffMs = options.maxBackoffMs ?? FAILURE_ACCRUAL_DEFAULTS.maxBackoffMs;
    this.random = options.random ?? Math.random;
    this.onChange = options.onChange;
    // Config is validated where it is read; reaching here with nonsense is a bug.
    if (!Number.isInteger(this.failures) || this.failures < 1) throw new RangeError('failures must be an integer ≥ 1');
    if (!(this.minBackoffMs >= 0) || !(this.maxBackoffMs >= this.minBackoffMs)) {
      throw new RangeError('backoff needs 0 ≤ minBackoffMs ≤ maxBackoffMs');
    }
  }
}

/** One endpoint's accrual state. Mutable and allocation-free: the balancer keeps one per endpoint. */
export class EndpointAccrual {
  #consecutiveFailures = 0;
  /** Removals since the last revival: the index into the backoff sequence. */
  #removals = 0;
  #state: 'alive' | 'dead' | 'probe-closed' = 'alive';
  /** While dead: the clock time from which the next request is a probe. */
  #deadUntil = 0;

  constructor(
    readonly policy: FailureAccrualPolicy,
    /** The endpoint's key, for `onChange`. */
    readonly key = '',
  ) {}

  /** The state at `now`; a dead endpoint whose backoff has passed reads as `probe-open`. */
  stateAt(now: number): AccrualState {
    if (this.#state === 'dead' && now >= this.#deadUntil) return 'probe-open';
    return this.#state;
  }

  /** Whether the balancer may choose it: alive, or dead with the backoff passed (a probe). */
  isAvailable(now: number): boolean {
    return this.#state === 'alive' || (this.#state === 'dead' && now >= this.#deadUntil);
  }

  /** When a dead endpoint turns probe-able, for diagnostics. */
  get deadUntil(): number {
    return this.#state === 'alive' ? 0 : this.#deadUntil;
  }

  /**
   * A request is being sent. The first one after the backoff is the probe: the endpoint stops
   * being available until an outcome arrives. Requests sent while dead (fail-open) change nothing.
   */
  onDispatch(now: number): void {
    if (this.#state === 'dead' && now >= this.#deadUntil) {
      this.#state = 'probe-closed';
      this.policy.counters.probes++;
    }
  }

  /**
   * A success resets the failure streak; only a probe's success revives. As in Finagle, a success
   * while dead (a fail-open request) does not revive: the backoff still runs its course.
   */
  onSuccess(): void {
    if (this.#state === 'probe-closed') {
      this.#state = 'alive';
      this.#removals = 0;
      this.policy.counters.revivals++;
      this.policy.onChange?.(this.key, 'revived', 0);
    }
    this.#consecutiveFailures = 0;
  }

  /**
   * A request ended without saying anything about the endpoint (the client gave up or was at
   * fault). The streak is untouched; a probe that ends so is handed back, so the endpoint is
   * probed again by the next request instead of waiting for an outcome that never comes.
   */
  onNoVerdict(now: number): void {
    if (this.#state === 'probe-closed') {
      this.#state = 'dead';
      this.#deadUntil = now;
    }
  }

  /**
   * Failures count while alive or probing; a probe's failure (the streak is still at the
   * threshold) kills again with the next backoff. Failures of requests sent while dead or before
   * the probe is sent are ignored, as in Finagle, so late answers from before the removal do not
   * stretch the backoff.
   */
  onFailure(now: number): void {
    if (this.#state === 'dead') return;
    this.#consecutiveFailures++;
    if (this.#consecutiveFailures >= this.policy.failures) {
      if (this.#state === 'alive') this.policy.counters.removals++;
      const p = this.policy;
      const backoff = equalJitteredBackoffMs(this.#removals++, p.minBackoffMs, p.maxBackoffMs, p.random);
      this.#deadUntil = now + backoff;
      this.#state = 'dead';
      p.onChange?.(this.key, 'removed', backoff);
    } else if (this.#state === 'probe-closed') {
      // Only after a fail-open success reset the streak: Finagle probes again rather than revive.
      this.#deadUntil = now;
      this.#state = 'dead';
    }
  }
}
