/**
 * A latency histogram that travels: log-linear buckets in the manner of HdrHistogram (128 exact
 * one-microsecond buckets, then 128 per power of two, so any quantile is within 1/128 of the
 * true value), with a sparse JSON form that survives a trip to the registry's locker and merges
 * there by adding counts. Percentiles cannot be averaged across pods; bucket counts can, which
 * is why the traffic generator ships the buckets and not just p50/p99.
 */

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
/** Largest exponent kept; 2^40 µs is about 12 days, and anything longer lands in the last bucket. */
const MAX_EXP = 40;
const MAX_US = 2 ** MAX_EXP - 1;
const SIZE = SUB + (MAX_EXP - SUB_BITS + 1) * SUB;

/** The quantiles every summary reports (slow_cooker's and the set). */
export const REPORTED_QUANTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p999', 0.999],
] as const;

export type QuantileKey = (typeof REPORTED_QUANTILES)[number][0];

/** A summary in milliseconds (three decimals), what people read. */
export type LatencySummary = {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly max: number;
} & { readonly [K in QuantileKey]: number };

/** The wire form: totals plus `[index, count, index, count, …]` for the non-empty buckets. */
export interface HistogramJson {
  readonly count: number;
  readonly sumUs: number;
  readonly minUs: number;
  readonly maxUs: number;
  readonly buckets: readonly number[];
}

function indexOf(us: number): number {
  if (us < SUB) return us;
  const exp = us <= 0xffff_ffff ? 31 - Math.clz32(us) : Math.floor(Math.log2(us));
  const shift = exp - SUB_BITS;
  return SUB + shift * SUB + (Math.floor(us / 2 ** shift) - SUB);
}

/** The largest value that falls in bucket `index` (HdrHistogram's "highest equivalent value"). */
function highestOf(index: number): number {
  if (index < 2 * SUB) return index;
  const shift = Math.floor((index - SUB) / SUB);
  const sub = (index - SUB) % SUB;
  return (sub + SUB) * 2 ** shift + 2 ** shift - 1;
}

const ms = (us: number) => Math.round(us) / 1000;

export class LatencyHistogram {
  #counts: Float64Array | undefined;
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  get count(): number {
    return this.#count;
  }

  /** Records one latency in microseconds; negative values count as 0, fractions are rounded. */
  record(us: number): void {
    const v = us <= 0 ? 0 : us >= MAX_US ? MAX_US : Math.round(us);
    // Allocated on first use: many histograms (one per interval) stay empty.
    const counts = (this.#counts ??= new Float64Array(SIZE));
    counts[indexOf(v)]!++;
    this.#count++;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  /** The value at quantile `q` (0..1) in microseconds, never above the largest value recorded. */
  quantile(q: number): number {
    const counts = this.#counts;
    if (counts === undefined || this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += counts[i]!;
      if (seen >= rank) return Math.min(highestOf(i), this.#max);
    }
    return this.#max;
  }

  summary(): LatencySummary {
    const empty = this.#count === 0;
    const out: Record<string, number> = {
      count: this.#count,
      min: empty ? 0 : ms(this.#min),
      mean: empty ? 0 : ms(this.#sum / this.#count),
      max: ms(this.#max),
    };
    for (const [key, q] of REPORTED_QUANTILES) out[key] = ms(this.quantile(q));
    return out as LatencySummary;
  }

  /** Adds another histogram's counts to this one. */
  merge(other: LatencyHistogram | HistogramJson): this {
    const json = other instanceof LatencyHistogram ? other.toJSON() : other;
    if (json.count === 0) return this;
    const counts = (this.#counts ??= new Float64Array(SIZE));
    for (let i = 0; i + 1 < json.buckets.length; i += 2) {
      const index = json.buckets[i]!;
      if (Number.isInteger(index) && index >= 0 && index < SIZE) counts[index]! += json.buckets[i + 1]!;
    }
    this.#count += json.count;
    this.#sum += json.sumUs;
    this.#min = Math.min(this.#min, json.minUs);
    this.#max = Math.max(this.#max, json.maxUs);
    return this;
  }

  toJSON(): HistogramJson {
    const buckets: number[] = [];
    const counts = this.#counts;
    if (counts !== undefined) {
      for (let i = 0; i < SIZE; i++) if (counts[i]! > 0) buckets.push(i, counts[i]!);
    }
    return {
      count: this.#count,
      sumUs: this.#sum,
      minUs: this.#count === 0 ? 0 : this.#min,
      maxUs: this.#max,
      buckets,
    };
  }

  static fromJSON(json: HistogramJson): LatencyHistogram {
    return new LatencyHistogram().merge(json);
  }

  /** True when `value` has the shape of HistogramJson (input from other processes is checked first). */
  static isJson(value: unknown): value is HistogramJson {
    if (value === null || typeof value !== 'object') return false;
    const v = value as Record<string, unknown>;
    return (
      typeof v.count === 'number' &&
      typeof v.sumUs === 'number' &&
      typeof v.minUs === 'number' &&
      typeof v.maxUs === 'number' &&
      Array.isArray(v.buckets) &&
      v.buckets.every((n) => typeof n === 'number')
    );
  }
}
