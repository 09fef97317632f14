/**
 * How many of its own in-flight streams a caller may reset, per session: a token bucket of
 * `burst` resets, refilled at `perSecond`. "Rapid reset" (opening streams and resetting them at
 * once) costs a client nothing and the router a routing decision and an upstream request per
 * stream, and reset streams no longer count against SETTINGS_MAX_CONCURRENT_STREAMS; a session
 * past its budget is ended with GOAWAY (ENHANCE_YOUR_CALM), as nginx and nghttp2 do. A client
 * that cancels now and then (gRPC deadlines, a user leaving a page) never comes near it.
 */
export interface ResetBudgetOptions {
  /** Resets allowed at once. */
  readonly burst: number;
  /** Resets added back per second, up to `burst`. */
  readonly perSecond: number;
}

export class ResetBudget {
  #tokens: number;
  #at: number;

  constructor(
    private readonly options: ResetBudgetOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = options.burst;
    this.#at = now();
  }

  /** Spends one reset; false once the session has reset more than its budget allows. */
  spend(): boolean {
    const now = this.now();
    const refill = ((now - this.#at) / 1000) * this.options.perSecond;
    this.#tokens = Math.min(this.options.burst, this.#tokens + refill);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
