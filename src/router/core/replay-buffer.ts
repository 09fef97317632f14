/**
 * The request body kept for a retry, as linkerd's `retryBufferSize.requestBytes`: the body is teed
 * into a bounded buffer while it streams to the first attempt, so it costs nothing extra to send
 * and a retry or requeue can send the same bytes again. A body longer than the limit is let go
 * (the buffer is dropped at the first byte past it) and the call is not sent twice; neither is one
 * whose end has not arrived yet, since a replay could only send part of it.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';

export class ReplayBuffer {
  #chunks: Buffer[] | null = [];
  #bytes = 0;
  #complete = false;
  /** What the first attempt reads: the caller's body as it arrives, recorded on the way through. */
  readonly first: Readable;

  constructor(
    source: Readable,
    private readonly limit: number,
  ) {
    const self = this;
    const tee = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        self.#record(chunk);
        callback(null, chunk);
      },
      flush(callback: TransformCallback) {
        if (self.#chunks !== null) self.#complete = true;
        callback();
      },
    });
    // An error of the caller's body reaches the attempt reading the tee.
    source.once('error', (error) => tee.destroy(error));
    this.first = source.pipe(tee);
  }

  #record(chunk: Buffer): void {
    if (this.#chunks === null) return;
    this.#bytes += chunk.length;
    if (this.#bytes > this.limit) {
      this.#chunks = null;
      return;
    }
    this.#chunks.push(chunk);
  }

  /** Whether the whole body is held, so it can be sent again. */
  get replayable(): boolean {
    return this.#complete;
  }

  /** Whether the body went past the limit (it will never be replayable). */
  get overflowed(): boolean {
    return this.#chunks === null;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A fresh stream of the whole body, byte for byte; only when `replayable`. */
  replay(): Readable {
    const chunks = this.#chunks;
    if (!this.#complete || chunks === null) throw new Error('the request body cannot be replayed');
    let i = 0;
    return new Readable({
      read() {
        this.push(i < chunks.length ? chunks[i++]! : null);
      },
    });
  }
}
