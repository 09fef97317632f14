/**
 * The load balancer of one client (one bound id): linkerd's default `p2c` with `ewma` costs,
 * i.e. Finagle's `P2CPeakEwma`. Each pick draws two distinct endpoints at random and takes the
 * cheaper, where cost = peak-EWMA latency × (outstanding + 1). Two random choices give nearly
 * the load spread of a full scan at O(1), and the peak-sensitive EWMA steers away from an endpoint
 * the moment it slows down, then forgets over `decayMs` (10 s).
 *
 * Availability comes from failure accrual (failure-accrual.ts): a dead endpoint is skipped, up to
 * `maxEffort` (5) draws, then by a scan of the live ones. When every endpoint is dead the balancer
 * fails open, like linkerd: it picks among all of them by cost, because an answer from a
 * maybe-dead endpoint beats a certain 503 (and a removal is a guess made from recent failures).
 *
 * The hot path allocates nothing: an endpoint's slot is its own pick handle.
 */
import {
  type AccrualState,
  EndpointAccrual,
  type FailureAccrualCounters,
  type FailureAccrualOptions,
  FailureAccrualPolicy,
} from './failure-accrual.js';

export interface BalancerOptions {
  /** Mean lifetime of a latency observation (linkerd `ewma.decayTimeMs`, default 10 000). */
  readonly decayMs?: number;
  /** Random draws that may land on unavailable endpoints before scanning (default 5). */
  readonly maxEffort?: number;
  /** Failure accrual settings, or `false` for linkerd's `none`. */
  readonly failureAccrual?: FailureAccrualOptions | false;
  /** Monotonic clock in ms (e.g. `performance.now`); injected for tests. */
  readonly now?: () => number;
  /** Uniform in [0, 1); injected for tests. Also the failure accrual jitter unless it has its own. */
  readonly random?: () => number;
}

export const BALANCER_DEFAULTS = Object.freeze({ decayMs: 10_000, maxEffort: 5 });

/**
 * What the router gets from `pick()`: the endpoint, and where to report how the request went.
 * It is the endpoint's own slot, shared by all its picks (so a pick costs no allocation): keep
 * per-request state elsewhere and never compare picks by identity.
 */
export interface BalancerPick<E> {
  readonly endpoint: E;
  /**
   * Call exactly once per pick, when the response (or error) arrived: decrements the outstanding
   * count, feeds the latency into the EWMA and the outcome into failure accrual. `ok` is the
   * response classifier's verdict (a retryable failure is a failure). `now` is the balancer's
   * clock: pass the reading the latency was computed from to save a clock read (≈100 ns).
   * `ok` null means no verdict (the client went away or was at fault): only the outstanding
   * count changes, and a probe is handed back so the next request probes again.
   */
  done(latencyMs: number, ok: boolean | null, now?: number): void;
}

/** A snapshot of one endpoint for the admin page and metrics. */
export interface EndpointStats {
  readonly key: string;
  readonly outstanding: number;
  /** The peak-EWMA latency in ms, decayed to now (0: nothing observed, or forgotten). */
  readonly latencyMs: number;
  /** The p2c cost the next pick would see. */
  readonly cost: number;
  readonly state: AccrualState;
}

/**
 * Finagle's penalty for an endpoint with requests in flight and no latency yet: it must lose to
 * any measured endpoint, so a new endpoint gets one request (cost 0 while idle) and then waits
 * for its answer instead of receiving a burst.
 */
const PENALTY = 1e12;
/** Observations are floored at 1 µs: a 0 would read as "never measured" and draw the penalty. */
const MIN_RTT_MS = 0.001;

class Slot<E> implements BalancerPick<E> {
  outstanding = 0;
  /** Peak-EWMA of the round-trip time, ms. */
  ewma = 0;
  /** Clock time of the last decay step. */
  stamp: number;

  constructor(
    public endpoint: E,
    readonly key: string,
    readonly accrual: EndpointAccrual,
    readonly clock: () => number,
    readonly tau: number,
  ) {
    this.stamp = clock();
  }

  /**
   * Finagle's peak-EWMA over an unevenly spaced series: the weight of the old value decays with
   * the time since the last observation, and a slower sample replaces the average outright.
   */
  observe(rtt: number, now: number): void {
    const dt = now - this.stamp;
    // A caller's reading older than the last one (requests overlap) decays nothing and keeps the stamp.
    const w = dt > 0 ? Math.exp(-dt / this.tau) : 1;
    this.ewma = rtt > this.ewma ? rtt : this.ewma * w + rtt * (1 - w);
    if (dt > 0) this.stamp = now;
  }

  /** The p2c cost at `now`: decays first, as Finagle's `get()` observes a 0. */
  cost(now: number): number {
    this.observe(0, now);
    if (this.ewma === 0 && this.outstanding !== 0) return PENALTY + this.outstanding;
    return this.ewma * (this.outstanding + 1);
  }

  // A slot removed by `update` while requests were in flight still settles its own state here.
  done(latencyMs: number, ok: boolean | null, now: number = this.clock()): void {
    if (this.outstanding > 0) this.outstanding--;
    if (ok === null) {
      this.accrual.onNoVerdict(now);
      return;
    }
    this.observe(latencyMs > MIN_RTT_MS ? latencyMs : MIN_RTT_MS, now);
    if (ok) this.accrual.onSuccess();
    else this.accrual.onFailure(now);
  }
}

export class P2cEwmaBalancer<E extends { readonly key: string }> {
  readonly #tau: number;
  readonly #maxEffort: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #accrual: FailureAccrualPolicy;
  #slots: Slot<E>[] = [];

  constructor(options: BalancerOptions = {}) {
    this.#tau = options.decayMs ?? BALANCER_DEFAULTS.decayMs;
    this.#maxEffort = options.maxEffort ?? BALANCER_DEFAULTS.maxEffort;
    this.#now = options.now ?? performance.now.bind(performance);
    this.#random = options.random ?? Math.random;
    if (!(this.#tau > 0)) throw new RangeError('decayMs must be > 0');
    if (!Number.isInteger(this.#maxEffort) || this.#maxEffort < 1) throw new RangeError('maxEffort must be ≥ 1');
    const fa = options.failureAccrual;
    // linkerd's `none`: a threshold no streak reaches, so the endpoint code has no second path.
    this.#accrual = new FailureAccrualPolicy(
      fa === false ? { failures: Number.MAX_SAFE_INTEGER } : { random: this.#random, ...fa },
    );
  }

  /** Removals, revivals and probes of this client's endpoints (all 0 with accrual off). */
  get counters(): FailureAccrualCounters {
    return this.#accrual.counters;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Endpoints the next pick may choose without failing open (O(n): for metrics, not per request). */
  get available(): number {
    const now = this.#now();
    let n = 0;
    for (const s of this.#slots) if (s.accrual.isAvailable(now)) n++;
    return n;
  }

  /**
   * Replaces the endpoint set (a namer pushed new addresses). Endpoints that stay keep their
   * latency, load and accrual state, so an update is not a reset that would let a dead endpoint
   * back in or forget a slow one; duplicates of a key keep the first.
   */
  update(endpoints: readonly E[]): void {
    const old = new Map<string, Slot<E>>();
    for (const s of this.#slots) old.set(s.key, s);
    const next: Slot<E>[] = [];
    const seen = new Set<string>();
    for (const e of endpoints) {
      if (seen.has(e.key)) continue;
      seen.add(e.key);
      const kept = old.get(e.key);
      if (kept) {
        kept.endpoint = e;
        next.push(kept);
      } else {
        next.push(new Slot(e, e.key, new EndpointAccrual(this.#accrual, e.key), this.#now, this.#tau));
      }
    }
    this.#slots = next;
  }

  /**
   * The endpoint for the next request, or null when there is none at all. `now` is a reading of
   * the balancer's clock the caller already has (the request's start time), to save a clock read.
   */
  pick(now: number = this.#now()): BalancerPick<E> | null {
    const slots = this.#slots;
    const n = slots.length;
    if (n === 0) return null;
    let chosen: Slot<E> | undefined;
    if (n === 1) {
      // One endpoint: it is the choice, available or not (fail-open).
      chosen = slots[0]!;
    } else {
      const random = this.#random;
      for (let effort = 0; effort < this.#maxEffort && chosen === undefined; effort++) {
        const i = (random() * n) | 0;
        let j = (random() * (n - 1)) | 0;
        if (j >= i) j++;
        const a = slots[i]!;
        const b = slots[j]!;
        const aUp = a.accrual.isAvailable(now);
        const bUp = b.accrual.isAvailable(now);
        if (aUp && bUp) chosen = this.#cheaper(a, b, now);
        else if (aUp) chosen = a;
        else if (bUp) chosen = b;
      }
      chosen ??= this.#scan(now);
    }
    chosen.outstanding++;
    chosen.accrual.onDispatch(now);
    return chosen;
  }

  /** Snapshots of every endpoint (allocates; for the admin page and metrics). */
  stats(): EndpointStats[] {
    const now = this.#now();
    return this.#slots.map((s) => ({
      key: s.key,
      outstanding: s.outstanding,
      cost: s.cost(now),
      latencyMs: s.ewma,
      state: s.accrual.stateAt(now),
    }));
  }

  #cheaper(a: Slot<E>, b: Slot<E>, now: number): Slot<E> {
    return a.cost(now) <= b.cost(now) ? a : b;
  }

  /**
   * After `maxEffort` unlucky draws (most endpoints dead): p2c among the available ones by rank,
   * O(n) but only in that degraded state; with none available, p2c among all (fail-open).
   */
  #scan(now: number): Slot<E> {
    const slots = this.#slots;
    let up = 0;
    for (const s of slots) if (s.accrual.isAvailable(now)) up++;
    const failOpen = up === 0;
    const count = failOpen ? slots.length : up;
    const ra = (this.#random() * count) | 0;
    let rb = count > 1 ? (this.#random() * (count - 1)) | 0 : -1;
    if (rb >= ra) rb++;
    let a: Slot<E> | undefined;
    let b: Slot<E> | undefined;
    let rank = 0;
    for (const s of slots) {
      if (!failOpen && !s.accrual.isAvailable(now)) continue;
      if (rank === ra) a = s;
      else if (rank === rb) b = s;
      rank++;
    }
    return b === undefined ? a! : this.#cheaper(a!, b, now);
  }
}
