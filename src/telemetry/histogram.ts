/**
 * A latency histogram for the router's hot path: fixed log-linear buckets in the manner of HDR
 * histograms, so recording is an index computation and an increment (no allocation, no sorting)
 * and any quantile is within ~0.4% of the exact one. Values are milliseconds, kept at microsecond
 * resolution: one linear range of 128 one-microsecond buckets, then 128 buckets per power of two
 * up to 2^32 µs (~71 minutes), which bounds a bucket's width to 1/128 of its lower edge.
 *
 * The buckets are those of latency-histogram.ts (the traffic generator's mergeable histogram, whose
 * counts travel as JSON); this one exists for the hot path: microseconds by shifts into a fixed
 * Uint32Array, ~11 ns per record against ~70 ns there, and an interval it can close and reuse.
 *
 * Two windows, like linkerd's snapshotted stats: `snapshot()` closes the current interval and
 * freezes its summary (what metrics.json reports for the next interval), while a cumulative count
 * and sum keep growing for Prometheus' `_count` and `_sum`, which must be monotonic for `rate()`.
 */

/** Sub-buckets per power of two; the relative width of a bucket is at most 1/SUB. */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
/** Largest recordable value in microseconds; larger values land in the last bucket. */
const MAX_US = 0xffff_ffff;
const BUCKETS = SUB + (31 - SUB_BITS + 1) * SUB;

/** The quantiles every summary carries, in linkerd's order; keys are metrics.json's suffixes. */
export const QUANTILES = [
  { key: 'p50', q: 0.5 },
  { key: 'p90', q: 0.9 },
  { key: 'p95', q: 0.95 },
  { key: 'p99', q: 0.99 },
  { key: 'p9990', q: 0.999 },
  { key: 'p9999', q: 0.9999 },
] as const;

export interface HistogramSummary {
  readonly count: number;
  readonly sum: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  /** In QUANTILES' order. */
  readonly quantiles: readonly number[];
}

export const EMPTY_SUMMARY: HistogramSummary = Object.freeze({
  count: 0,
  sum: 0,
  avg: 0,
  min: 0,
  max: 0,
  quantiles: Object.freeze(QUANTILES.map(() => 0)),
});

/** The bucket a value (in whole microseconds) falls in. */
export function bucketIndex(us: number): number {
  if (us < SUB) return us;
  const exponent = 31 - Math.clz32(us);
  const shift = exponent - SUB_BITS;
  return SUB + shift * SUB + ((us >>> shift) - SUB);
}

/** The lower edge and width, in microseconds, of a bucket. */
export function bucketBounds(index: number): { lower: number; width: number } {
  if (index < SUB) return { lower: index, width: 1 };
  const shift = Math.floor((index - SUB) / SUB);
  const sub = (index - SUB) % SUB;
  return { lower: (SUB + sub) * 2 ** shift, width: 2 ** shift };
}

/**
 * The fixed upper bounds, in ms, of the cumulative buckets exported as a Prometheus histogram
 * (`le` in seconds: 0.5 ms to 10 s, then +Inf). The same bounds on every pod is what lets
 * `histogram_quantile()` aggregate p99 across pods, which a summary's quantiles cannot.
 */
export const EXPORTED_BOUNDS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** Rounds to the microsecond so that printed values do not carry binary noise. */
const toMs = (us: number): number => Math.round(us) / 1000;

export class Histogram {
  // Uint32 counts: an interval would need four billion records to overflow one bucket.
  readonly #counts = new Uint32Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  /** Lowest and highest touched bucket, so summaries and resets scan only what was used. */
  #lo = BUCKETS;
  #hi = -1;
  #totalCount = 0;
  #totalSum = 0;
  /** Records since creation per exported bound (not cumulative across bounds; the last is +Inf). */
  readonly #exported = new Float64Array(EXPORTED_BOUNDS_MS.length + 1);
  #last: HistogramSummary = EMPTY_SUMMARY;

  /** Records one latency in milliseconds. Allocation-free; NaN and ±Infinity are ignored, negatives count as 0. */
  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    if (ms < 0) ms = 0;
    const us = ms * 1000;
    const index = bucketIndex(us < MAX_US ? us >>> 0 : MAX_US);
    this.#counts[index]!++;
    if (index < this.#lo) this.#lo = index;
    if (index > this.#hi) this.#hi = index;
    this.#count++;
    this.#sum += ms;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
    this.#totalCount++;
    this.#totalSum += ms;
    // Most latencies fall in the first few bounds: a short scan beats a binary search here.
    let b = 0;
    while (b < EXPORTED_BOUNDS_MS.length && ms > EXPORTED_BOUNDS_MS[b]!) b++;
    this.#exported[b]!++;
  }

  /** Cumulative counts since creation for each of EXPORTED_BOUNDS_MS, then +Inf (= totalCount). */
  exportedBuckets(): number[] {
    const out: number[] = [];
    let running = 0;
    for (const n of this.#exported) out.push((running += n));
    return out;
  }

  /** Records since creation (Prometheus `_count`). */
  get totalCount(): number {
    return this.#totalCount;
  }

  /** Sum of all records since creation, in ms (Prometheus `_sum`). */
  get totalSum(): number {
    return this.#totalSum;
  }

  /** The summary of the interval closed by the last `snapshot()`; empty before the first one. */
  get last(): HistogramSummary {
    return this.#last;
  }

  /** The summary of the records since the last `snapshot()` (or since creation), computed now. */
  current(): HistogramSummary {
    const count = this.#count;
    if (count === 0) return EMPTY_SUMMARY;
    const quantiles: number[] = [];
    let seen = 0;
    let index = this.#lo;
    for (const { q } of QUANTILES) {
      // Nearest rank, as for exact quantiles of sorted data: the smallest value with rank ≥ q·n.
      const rank = Math.max(1, Math.ceil(q * count));
      while (seen + this.#counts[index]! < rank) seen += this.#counts[index++]!;
      quantiles.push(this.#valueAt(index));
    }
    return {
      count,
      sum: this.#sum,
      avg: this.#sum / count,
      min: this.#min,
      max: this.#max,
      quantiles,
    };
  }

  /** Closes the interval: its summary becomes `last` and the interval's buckets start empty again. */
  snapshot(): HistogramSummary {
    this.#last = this.current();
    if (this.#hi >= this.#lo) this.#counts.fill(0, this.#lo, this.#hi + 1);
    this.#count = 0;
    this.#sum = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = Number.NEGATIVE_INFINITY;
    this.#lo = BUCKETS;
    this.#hi = -1;
    return this.#last;
  }

  /** A bucket's midpoint, kept inside the exact extremes so p0 ≤ pX ≤ max always holds. */
  #valueAt(index: number): number {
    const { lower, width } = bucketBounds(index);
    const mid = toMs(lower + width / 2);
    return Math.min(this.#max, Math.max(this.#min, mid));
  }
}
