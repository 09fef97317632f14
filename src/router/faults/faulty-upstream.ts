/**
 * An endpoint's Upstream as one attempt sees it under the toxics rolled for it (fault-plan.ts).
 * To the attempt (core/attempt.ts) it is an upstream that misbehaves: it refuses or resets
 * (`down`), answers with a status of its own (`abort`: an HTTP status, or for a gRPC call a
 * trailers-only answer with grpc-status and grpc-message), is slow (`latency`, `bandwidth`,
 * `slow_close`), holds and then drops (`timeout`), or cuts a body (`limit_data`). So retries,
 * requeues, failure accrual and the client's metrics judge a fault as they would a real failure.
 *
 * Downstream events (head, chunks, end, errors) pass through one time-ordered queue: each is
 * delivered at its arrival plus the latency, after the one before it, chunks paced to the
 * bandwidth. The queue is bounded: past QUEUE_HIGH events the real upstream is paused, and a
 * caller that stops reading stops the queue, so a slow toxic costs the router a few chunks.
 */
import type { Readable } from 'node:stream';
import type {
  HeaderList,
  Upstream,
  UpstreamController,
  UpstreamFailure,
  UpstreamHandler,
  UpstreamRequest,
} from '../core/exchange.js';
import { encodeGrpcMessage, grpcStatusFromHttp } from '../protocol/grpc/status.js';
import type { AbortPlan, FaultPlan } from './fault-plan.js';
import { pacedBody } from './paced-body.js';

const QUEUE_HIGH = 64;
const QUEUE_LOW = 8;
/** Bandwidth pieces carry at most this much time's worth of bytes, as Toxiproxy's do. */
const PIECE_MS = 100;

export class FaultyUpstream implements Upstream {
  readonly protocol: Upstream['protocol'];

  constructor(
    private readonly inner: Upstream,
    private readonly plan: FaultPlan,
    private readonly grpc: boolean,
    private readonly method: string,
  ) {
    this.protocol = inner.protocol;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    new FaultyAttempt(this.inner, this.plan, this.grpc, this.method, request, handler).start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

interface Queued {
  readonly at: number;
  readonly run: () => void;
}

class FaultyAttempt implements UpstreamController, UpstreamHandler {
  #inner: UpstreamController | undefined;
  #done = false;
  #outerPaused = false;
  #innerPaused = false;
  readonly #queue: Queued[] = [];
  /** When the last queued event is delivered (performance.now() time). */
  #readyAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #holdTimer: NodeJS.Timeout | undefined;
  /** Downstream: everything from the upstream is dropped (a timeout toxic). */
  #dropping = false;
  #bodySeen = 0;
  /** Under slow_close: the latest chunk, held until the next one or the end. */
  #held: Buffer | null = null;
  #request: UpstreamRequest;
  /** The request body as paced here (never the caller's own stream, which a retry sends again). */
  #paced: Readable | null = null;

  constructor(
    private readonly upstream: Upstream,
    private readonly plan: FaultPlan,
    private readonly grpc: boolean,
    private readonly method: string,
    request: UpstreamRequest,
    private readonly outer: UpstreamHandler,
  ) {
    this.#request = request;
  }

  start(): void {
    this.outer.onStart(this);
    const down = this.plan.down;
    if (down !== null) {
      // Refused: nothing was sent (the router may requeue); reset: it may have been.
      const refused = down.mode === 'refuse';
      const error = new Error(`${refused ? 'connection refused' : 'connection reset'} (fault ${down.label})`);
      this.#fail(error, refused ? 'not-sent' : 'sent');
      return;
    }
    const wait = this.plan.upstream.latencyMs;
    if (wait > 0) this.#holdTimer = setTimeout(() => this.#send(), wait);
    else this.#send();
  }

  #send(): void {
    this.#holdTimer = undefined;
    if (this.#done) return;
    const up = this.plan.upstream;
    const abort = this.plan.abort;
    if (abort !== null && abort.stream === 'upstream') {
      this.#answer(abort);
      return;
    }
    if (up.timeoutMs >= 0) {
      this.#hold(up.timeoutMs);
      return;
    }
    const body = this.#request.body;
    if (body !== null && (up.rate > 0 || up.closeDelayMs > 0 || up.limit >= 0)) {
      this.#paced = pacedBody(body, up);
      this.#request = { ...this.#request, body: this.#paced };
    }
    const down = this.plan.downstream;
    if (down.timeoutMs >= 0) {
      this.#dropping = true;
      if (down.timeoutMs > 0) this.#holdTimer = setTimeout(() => this.#timedOut(), down.timeoutMs);
    }
    try {
      this.upstream.dispatch(this.#request, this);
    } catch (error) {
      this.#fail(error as Error, 'sent');
    }
  }

  /** A timeout toxic: nothing goes through; after `ms` (0: never) the attempt fails as a dropped connection. */
  #hold(ms: number): void {
    if (ms > 0) this.#holdTimer = setTimeout(() => this.#timedOut(), ms);
  }

  #timedOut(): void {
    this.#holdTimer = undefined;
    this.#inner?.abort(new Error('fault timeout'));
    this.#fail(new Error('connection closed (fault timeout)'), 'sent');
  }

  /** The abort toxic's answer, as if the upstream had given it. */
  #answer(abort: AbortPlan): void {
    const bodyless = this.method === 'HEAD';
    if (this.grpc) {
      const code = abort.grpcStatus || grpcStatusFromHttp(abort.status || 503);
      const message = abort.message || `fault injected (${abort.label})`;
      const headers: HeaderList = [
        'content-type',
        'application/grpc',
        'grpc-status',
        String(code),
        'grpc-message',
        encodeGrpcMessage(message),
        'l5d-fault',
        abort.label,
      ];
      this.#enqueue(0, () => this.outer.onHead(200, headers));
      this.#enqueue(0, () => this.#end(null));
      return;
    }
    const status = abort.status || 503;
    const text = Buffer.from(`${abort.message || 'fault injected'} (${abort.label})\n`);
    const empty = bodyless || status === 204 || status === 304;
    const headers: HeaderList = ['content-type', 'text/plain; charset=utf-8', 'l5d-fault', abort.label];
    if (!empty) headers.push('content-length', String(text.length));
    this.#enqueue(0, () => this.outer.onHead(status, headers));
    if (!empty) this.#enqueue(0, () => this.outer.onData(text));
    this.#enqueue(0, () => this.#end(null));
  }

  // ---- the real upstream's events (UpstreamHandler) ----

  onStart(controller: UpstreamController): void {
    this.#inner = controller;
    if (this.#done) controller.abort(new Error('fault: attempt over'));
  }

  onHead(status: number, headers: HeaderList, statusText?: string): void {
    if (this.#done || this.#dropping) return;
    const abort = this.plan.abort;
    if (abort !== null) {
      // A downstream abort: the request reached the upstream; its answer is replaced (and the
      // error its cancelling raises, perhaps at once, is not passed on).
      this.#dropping = true;
      this.#inner?.abort(new Error('fault abort'));
      this.#answer(abort);
      return;
    }
    this.#enqueue(0, () => this.outer.onHead(status, headers, statusText));
  }

  onData(chunk: Buffer): void {
    if (this.#done || this.#dropping) return;
    const down = this.plan.downstream;
    let data = chunk;
    let cut = false;
    if (down.limit >= 0 && this.#bodySeen + data.length > down.limit) {
      data = data.subarray(0, Math.max(0, down.limit - this.#bodySeen));
      cut = true;
    }
    this.#bodySeen += data.length;
    if (down.rate > 0) {
      const piece = Math.max(1, down.rate * PIECE_MS);
      for (let at = 0; at < data.length; at += piece) {
        const part = data.subarray(at, at + piece);
        this.#enqueue(part.length / down.rate, () => this.outer.onData(part));
      }
    } else if (data.length > 0) this.#deliver(data);
    if (cut) {
      this.#dropping = true;
      this.#inner?.abort(new Error('fault limit_data'));
      const error = new Error(`response cut after ${down.limit} bytes (fault limit_data)`);
      // Cut on a later turn: the bytes let through are flushed to the caller before its connection goes.
      this.#enqueue(0, () => setImmediate(() => this.#fail(error, 'sent')));
    }
  }

  /**
   * A chunk on its way to the caller. Under slow_close the latest chunk is held back until the
   * next one (or the end) comes: a caller that knows the length sees the response complete at
   * its last byte, so the last byte must wait with the end.
   */
  #deliver(data: Buffer): void {
    if (this.plan.downstream.closeDelayMs <= 0) {
      this.#enqueue(0, () => this.outer.onData(data));
      return;
    }
    const held = this.#held;
    this.#held = data;
    if (held !== null) this.#enqueue(0, () => this.outer.onData(held));
  }

  onEnd(trailers: HeaderList | null): void {
    if (this.#done || this.#dropping) return;
    const delay = this.plan.downstream.closeDelayMs;
    const held = this.#held;
    this.#held = null;
    if (held !== null) this.#enqueue(0, () => this.outer.onData(held), delay);
    this.#enqueue(0, () => this.#end(trailers), held === null ? delay : 0);
  }

  onError(error: Error, failure: UpstreamFailure): void {
    if (this.#done || this.#dropping) return;
    this.#enqueue(0, () => this.#fail(error, failure));
  }

  // ---- the attempt's controls (UpstreamController) ----

  pause(): void {
    this.#outerPaused = true;
    this.#pauseInner();
  }

  resume(): void {
    this.#outerPaused = false;
    this.#pump();
  }

  abort(reason: Error): void {
    this.#finish();
    this.#inner?.abort(reason);
    this.#paced?.destroy();
  }

  // ---- delivery ----

  /** Queues an event: delivered `extra` ms after the one before it (pacing), plus the latency and `delay`. */
  #enqueue(extra: number, run: () => void, delay = 0): void {
    const now = performance.now();
    const at = Math.max(now + this.plan.downstream.latencyMs, this.#readyAt) + delay;
    this.#readyAt = at + extra;
    this.#queue.push({ at, run });
    if (this.#queue.length > QUEUE_HIGH) this.#pauseInner();
    this.#pump();
  }

  #pump(): void {
    if (this.#timer !== undefined) return;
    const now = performance.now();
    while (this.#queue.length > 0 && !this.#outerPaused && !this.#done) {
      const next = this.#queue[0]!;
      if (next.at > now + 0.5) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, next.at - now);
        return;
      }
      this.#queue.shift();
      next.run();
    }
    if (this.#innerPaused && !this.#outerPaused && this.#queue.length <= QUEUE_LOW) {
      this.#innerPaused = false;
      this.#inner?.resume();
    }
  }

  #pauseInner(): void {
    if (this.#innerPaused) return;
    this.#innerPaused = true;
    this.#inner?.pause();
  }

  #end(trailers: HeaderList | null): void {
    if (this.#done) return;
    this.#finish();
    this.outer.onEnd(trailers);
  }

  #fail(error: Error, failure: UpstreamFailure): void {
    if (this.#done) return;
    this.#finish();
    this.outer.onError(error, failure);
  }

  #finish(): void {
    this.#done = true;
    this.#queue.length = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#holdTimer !== undefined) clearTimeout(this.#holdTimer);
    this.#timer = undefined;
    this.#holdTimer = undefined;
  }
}
