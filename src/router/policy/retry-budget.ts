/**
 * Finagle's `RetryBudget` (linkerd `retries.budget`; docs/router.md#retry-budget): retries may add
 * at most `percentCanRetry` (20%) of recent requests, plus a floor of `minRetriesPerSec` (10/s) so
 * a quiet service can still retry. Without a budget, retries multiply load exactly when an upstream
 * is failing; with one, a retry storm is capped at +20%.
 *
 * Same arithmetic as Finagle's `TokenRetryBudget` over `TokenBucket.newLeakyBucket`: every
 * request deposits 1000 tokens, a retry costs 1000 / percentCanRetry (5000), and the bucket
 * holds what was deposited and withdrawn within the last `ttlMs` (10 s, in 10 slices) plus a fixed
 * reserve of minRetriesPerSec × ttl seconds retries. Withdrawals expire too, so the budget
 * refills as the window slides. One budget per service.
 */

export interface RetryBudgetOptions {
  /** How long a deposit counts (linkerd `ttlSecs`, default 10 s). Finagle allows 1 s–60 s. */
  readonly ttlMs?: number;
  /** Retries per second allowed regardless of traffic (default 10). */
  readonly minRetriesPerSec?: number;
  /** Retries allowed as a fraction of requests (default 0.2). Finagle allows 0–1000. */
  readonly percentCanRetry?: number;
  /** Monotonic clock in ms (default `performance.now`); injected for tests. */
  readonly now?: () => number;
}

export const RETRY_BUDGET_DEFAULTS = Object.freeze({ ttlMs: 10_000, minRetriesPerSec: 10, percentCanRetry: 0.2 });

/** Finagle scales tokens by 1000 so fractional percentages stay integer arithmetic. */
const SCALE = 1000;
/** Finagle's WindowedAdder slices; the window covers the current slice and the nine before. */
const SLICES = 10;

export class RetryBudget {
  readonly #deposit: number;
  readonly #withdrawal: number;
  readonly #reserve: number;
  readonly #sliceMs: number;
  readonly #now: () => number;
  readonly #epoch: number;
  /** Net tokens per slice, a ring indexed by absolute slice number mod SLICES. */
  readonly #slices = new Float64Array(SLICES);
  /** Absolute number of the current slice. */
  #head = 0;
  /** Sum of #slices, kept so a withdrawal is O(1) between slice changes. */
  #sum = 0;

  constructor(options: RetryBudgetOptions = {}) {
    const ttlMs = options.ttlMs ?? RETRY_BUDGET_DEFAULTS.ttlMs;
    const minPerSec = options.minRetriesPerSec ?? RETRY_BUDGET_DEFAULTS.minRetriesPerSec;
    const percent = options.percentCanRetry ?? RETRY_BUDGET_DEFAULTS.percentCanRetry;
    // Config is validated where it is read; reaching here with nonsense is a bug.
    if (!(ttlMs >= 1_000 && ttlMs <= 60_000)) throw new RangeError('ttlMs must be within [1000, 60000]');
    if (!(minPerSec >= 0)) throw new RangeError('minRetriesPerSec must be ≥ 0');
    if (!(percent >= 0 && percent <= 1000)) throw new RangeError('percentCanRetry must be within [0, 1000]');
    // With no percentage a retry costs 1 and requests earn nothing: every retry comes from the reserve.
    this.#deposit = percent === 0 ? 0 : SCALE;
    this.#withdrawal = percent === 0 ? 1 : Math.trunc(SCALE / percent);
    this.#reserve = minPerSec * (ttlMs / 1000) * this.#withdrawal;
    this.#sliceMs = ttlMs / SLICES;
    this.#now = options.now ?? performance.now.bind(performance);
    this.#epoch = this.#now();
  }

  /**
   * Every request (not retry) earns its share of a retry. Each method takes an optional reading
   * of the budget's clock, so a caller that has one saves a clock read on the hot path.
   */
  deposit(now: number = this.#now()): void {
    this.#advance(now);
    this.#add(this.#deposit);
  }

  /** Whether a retry may be sent now; if so its cost is taken. */
  tryWithdraw(now: number = this.#now()): boolean {
    this.#advance(now);
    if (this.#sum + this.#reserve < this.#withdrawal) return false;
    this.#add(-this.#withdrawal);
    return true;
  }

  /** Retries that would be allowed right now (a gauge for metrics). */
  get balance(): number {
    this.#advance(this.#now());
    return Math.floor((this.#sum + this.#reserve) / this.#withdrawal);
  }

  #add(tokens: number): void {
    this.#slices[this.#head % SLICES]! += tokens;
    this.#sum += tokens;
  }

  /** Moves to the current slice, dropping the slices that left the window. */
  #advance(now: number): void {
    const slice = Math.floor((now - this.#epoch) / this.#sliceMs);
    // A clock that steps back keeps writing into the current slice.
    if (slice <= this.#head) return;
    const steps = Math.min(slice - this.#head, SLICES);
    for (let k = 1; k <= steps; k++) {
      const i = (this.#head + k) % SLICES;
      this.#sum -= this.#slices[i]!;
      this.#slices[i] = 0;
    }
    this.#head = slice;
  }
}
