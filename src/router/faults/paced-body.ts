/**
 * The request body under upstream-stream toxics: paced to a bandwidth, its end held back
 * (slow_close), or cut after a number of bytes (limit_data, which fails the attempt as a
 * connection closed mid-request would). Backpressure passes through: the caller's body is read
 * only as fast as the paced stream is drained.
 */
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type { DirectionPlan } from './fault-plan.js';

class PacedBody extends Transform {
  #seen = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly plan: DirectionPlan) {
    super();
  }

  #after(ms: number, callback: () => void): void {
    if (ms <= 0) {
      callback();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      callback();
    }, ms);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const { limit, rate } = this.plan;
    let data = chunk;
    let cut = false;
    if (limit >= 0 && this.#seen + data.length > limit) {
      data = data.subarray(0, Math.max(0, limit - this.#seen));
      cut = true;
    }
    this.#seen += data.length;
    if (data.length > 0) this.push(data);
    const wait = rate > 0 ? data.length / rate : 0;
    this.#after(wait, () => {
      callback();
      // The bytes let through leave first (the upstream's client writes them as they come); then the cut.
      if (cut) setImmediate(() => this.destroy(new Error(`limit_data: request body cut after ${limit} bytes`)));
    });
  }

  override _flush(callback: TransformCallback): void {
    this.#after(this.plan.closeDelayMs, () => callback());
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    callback(error);
  }
}

export function pacedBody(source: Readable, plan: DirectionPlan): Readable {
  const paced = new PacedBody(plan);
  source.on('error', (e) => paced.destroy(e));
  return source.pipe(paced);
}
