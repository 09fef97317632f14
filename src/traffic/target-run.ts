/**
 * One invocation of a target. Two load models:
 *  - closed loop (no qps): `replicas` workers each send, wait for the answer, pause `delay`, and
 *    send again, as goto and hey do;
 *  - open loop (qps): request i is due at start + i/qps whatever happened before, at most
 *    `replicas` are in flight, and latency counts from the due time, not the send time, as wrk2
 *    and slow_cooker do, so a stalled upstream shows up in the percentiles instead of quietly
 *    slowing the generator down (coordinated omission).
 * Every run is bounded by its request budget and its duration, and stop() ends it within a
 * short grace even when the upstream hangs. In the closed loop each worker owns one undici Client
 * (one connection, as hey's and autocannon's workers do), which costs less per request than
 * sharing a Pool; the open loop shares a Pool capped at `replicas` connections. h2 and gRPC
 * targets multiplex their requests over a few shared sessions instead (h2-sessions.ts).
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { Client, type Dispatcher, Pool } from 'undici';
import { formatGrpcTimeout } from './grpc-codes.js';
import { type H2Result, h2ErrorKind, h2Exchange } from './h2-exchange.js';
import { H2Sessions } from './h2-sessions.js';
import { errorKind, exchange } from './http-exchange.js';
import type { Outcome } from './target-results.js';
import type { Target } from './target-spec.js';

/** What one attempt came to, whatever the protocol. */
type Reply = Pick<H2Result, 'status' | 'headers' | 'trailers' | 'grpcStatus' | 'error'>;

/** Sessions a target's h2 requests may open; each carries as many streams as its server allows. */
const MAX_H2_SESSIONS = 64;

/** The HTTP/2 request head: the target's headers, then what the protocol needs (gRPC's win). */
function h2Head(target: Target): OutgoingHttpHeaders {
  const { spec, url, grpc } = target;
  const head: OutgoingHttpHeaders = Object.create(null);
  for (const [name, value] of Object.entries(spec.headers)) {
    if (name === 'host') head[':authority'] = value;
    else head[name] = value;
  }
  if (grpc === null) {
    head[':method'] = spec.method;
    head[':path'] = `${url.pathname}${url.search}`;
    return head;
  }
  head[':method'] = 'POST';
  head[':path'] = grpc.path;
  head['content-type'] = 'application/grpc';
  head.te = 'trailers';
  head['grpc-timeout'] = formatGrpcTimeout(target.requestTimeoutMs);
  return head;
}

export interface RunSink {
  record(outcome: Outcome): void;
  miss(count: number): void;
}

export interface RunOptions {
  readonly target: Target;
  readonly sink: RunSink;
  /** This run's number, part of the request id sent with `sendID`. */
  readonly invocation: number;
  /** How long in-flight requests may finish after stop() before they are cut off. */
  readonly stopGraceMs?: number;
}

export class TargetRun {
  readonly done: Promise<void>;
  readonly #target: Target;
  readonly #sink: RunSink;
  readonly #invocation: number;
  readonly #grace: number;
  /** One Client per closed-loop worker, or the open loop's one Pool (HTTP/1.1 only). */
  readonly #dispatchers: Dispatcher[];
  /** h2 and gRPC: the run's sessions. */
  readonly #h2: H2Sessions | null;
  readonly #h2Head: OutgoingHttpHeaders | null;
  readonly #h2Body: Buffer | string | null;
  /** The dispatch options of a first attempt without a request id: built once, sent every time. */
  readonly #plain: Dispatcher.DispatchOptions;
  readonly #retriable: ReadonlySet<number>;
  readonly #sleepers = new Set<() => void>();
  #stopped = false;
  #aborting = false;
  #issued = 0;
  #deadline = Number.POSITIVE_INFINITY;
  #finish!: () => void;

  constructor(options: RunOptions) {
    this.#target = options.target;
    this.#sink = options.sink;
    this.#invocation = options.invocation;
    this.#grace = options.stopGraceMs ?? 2000;
    const { url, spec, requestTimeoutMs } = options.target;
    const connect = { timeout: Math.min(requestTimeoutMs, 10_000), lookup: options.target.lookup };
    const h1 = spec.protocol === 'http/1.1';
    this.#dispatchers = !h1
      ? []
      : spec.qps === null
        ? Array.from({ length: spec.replicas }, () => new Client(url.origin, { pipelining: 1, connect }))
        : [new Pool(url.origin, { connections: spec.replicas, pipelining: 1, connect })];
    this.#h2 = h1
      ? null
      : new H2Sessions({
          url,
          lookup: options.target.lookup,
          maxSessions: Math.min(spec.replicas, MAX_H2_SESSIONS),
          connectTimeoutMs: connect.timeout,
        });
    this.#h2Head = h1 ? null : h2Head(options.target);
    this.#h2Body = options.target.grpc?.frame ?? options.target.bodyBytes ?? spec.body;
    this.#plain = {
      path: `${url.pathname}${url.search}`,
      method: spec.method,
      headers: spec.headers,
      body: options.target.bodyBytes ?? spec.body,
      headersTimeout: requestTimeoutMs,
      bodyTimeout: requestTimeoutMs,
    };
    this.#retriable = new Set(spec.retriableStatusCodes);
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  start(): void {
    void this.#run().finally(() => this.#finish());
  }

  /** Ends the run: nothing new is sent; requests in flight get the grace period, then are cut off. */
  stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      for (const wake of this.#sleepers) wake();
      const timer = setTimeout(() => {
        this.#aborting = true;
        for (const d of this.#dispatchers) void d.destroy();
        this.#h2?.destroy();
      }, this.#grace);
      void this.done.then(() => clearTimeout(timer));
    }
    return this.done;
  }

  async #run(): Promise<void> {
    const { target } = this;
    try {
      if (target.initialDelayMs > 0) await this.#sleep(target.initialDelayMs);
      if (this.#stopped) return;
      const start = performance.now();
      this.#deadline = start + target.durationMs;
      if (target.spec.qps === null) {
        const workers = Array.from({ length: target.spec.replicas }, (_, i) => this.#worker(this.#dispatchers[i]));
        await Promise.all(workers);
      } else {
        await this.#paced(start, target.spec.qps);
      }
    } finally {
      await Promise.all([...this.#dispatchers.map((d) => d.close().catch(() => {})), this.#h2?.close()]);
    }
  }

  get target(): Target {
    return this.#target;
  }

  #mayIssue(): boolean {
    return !this.#stopped && this.#issued < this.#target.budget && performance.now() < this.#deadline;
  }

  async #worker(dispatcher: Dispatcher | undefined): Promise<void> {
    const { delayMs } = this.#target;
    while (this.#mayIssue()) {
      const seq = this.#issued++;
      if (delayMs > 0) {
        await this.#sleep(delayMs);
        if (this.#stopped || performance.now() >= this.#deadline) return;
      }
      await this.#send(dispatcher, performance.now(), seq);
    }
  }

  /** The open loop: sends whatever is due, as far as the in-flight cap allows, then sleeps until the next due time. */
  #paced(start: number, qps: number): Promise<void> {
    const gap = 1000 / qps;
    const cap = this.#target.spec.replicas;
    const { budget, durationMs } = this.#target;
    let inFlight = 0;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    return new Promise((resolve) => {
      const finish = () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        if (inFlight > 0 || settled) return;
        settled = true;
        if (!this.#stopped) {
          // Due before the deadline but never sent: the upstream or this process fell behind.
          const due = Math.min(budget, Number.isFinite(durationMs) ? Math.floor((durationMs / 1000) * qps) : budget);
          if (due > this.#issued) this.#sink.miss(due - this.#issued);
        }
        resolve();
      };
      const tick = () => {
        timer = undefined;
        const now = performance.now();
        while (inFlight < cap && this.#mayIssue()) {
          const due = start + this.#issued * gap;
          if (due > now) break;
          if (due >= this.#deadline) break;
          const seq = this.#issued++;
          inFlight++;
          void this.#send(this.#dispatchers[0], due, seq).finally(() => {
            inFlight--;
            if (timer === undefined) tick();
          });
        }
        const next = start + this.#issued * gap;
        if (!this.#mayIssue() || next >= this.#deadline) return finish();
        if (inFlight < cap) timer = setTimeout(tick, Math.max(0, next - now));
      };
      this.#sleepers.add(() => finish());
      tick();
    });
  }

  async #send(dispatcher: Dispatcher | undefined, intendedAt: number, seq: number): Promise<void> {
    const { spec, retryDelayMs } = this.#target;
    const id = spec.sendID ? `${spec.name}-${this.#invocation}-${seq}` : null;
    let retries = 0;
    let retryReason: string | null = null;
    for (;;) {
      // Most requests add nothing: no object is built for them.
      let extra: Record<string, string> | null = null;
      if (id !== null) extra = { 'x-request-id': id };
      if (retries > 0) extra = { ...extra, 'x-retry-count': String(retries) };
      const reply = dispatcher === undefined ? await this.#h2Attempt(extra) : await this.#h1Attempt(dispatcher, extra);
      // Requests cut off by stop() are not the upstream's fault: they are not counted.
      if (reply === null) return;
      const { status, grpcStatus, error } = reply;
      // gRPC: the codes in retriableStatusCodes are grpc-status codes.
      const code = spec.protocol === 'grpc' ? grpcStatus : status;
      const retriable = status === 0 || (code !== null && this.#retriable.has(code));
      if (retriable && retries < spec.retries && !this.#stopped) {
        retries++;
        retryReason = status === 0 ? error : spec.protocol === 'grpc' ? `grpc-status ${code}` : String(status);
        await this.#sleep(retryDelayMs);
        if (!this.#stopped) continue;
      }
      const latencyUs = (performance.now() - intendedAt) * 1000;
      this.#sink.record({ ...reply, latencyUs, retries, retryReason });
      return;
    }
  }

  async #h1Attempt(dispatcher: Dispatcher, extra: Record<string, string> | null): Promise<Reply | null> {
    try {
      const options =
        extra === null ? this.#plain : { ...this.#plain, headers: { ...this.#target.spec.headers, ...extra } };
      const head = await exchange(dispatcher, options);
      return { status: head.status, headers: head.headers, trailers: null, grpcStatus: null, error: null };
    } catch (e) {
      if (this.#aborting) return null;
      return { status: 0, headers: null, trailers: null, grpcStatus: null, error: errorKind(e) };
    }
  }

  async #h2Attempt(extra: Record<string, string> | null): Promise<Reply | null> {
    const lease = await this.#h2!.acquire();
    if (lease === null) return null;
    if ('error' in lease) {
      if (this.#aborting) return null;
      return { status: 0, headers: null, trailers: null, grpcStatus: null, error: h2ErrorKind(lease.error) };
    }
    try {
      const headers = extra === null ? this.#h2Head! : { ...this.#h2Head!, ...extra };
      const timeoutMs = this.#target.requestTimeoutMs;
      const reply = await h2Exchange(lease.session, {
        headers,
        body: this.#h2Body,
        grpc: this.#target.grpc !== null,
        timeoutMs,
      });
      // Cut off by stop() (after the grace): not the upstream's doing, not counted, as for HTTP/1.1.
      return this.#aborting ? null : reply;
    } finally {
      lease.release();
    }
  }

  /** A pause that stop() cuts short. */
  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }
}
