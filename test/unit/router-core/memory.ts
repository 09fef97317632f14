/**
 * An in-memory exchange and upstream for driving core without sockets: a ResponseSink that
 * records what it is told (and can apply backpressure or be abandoned), an Upstream that plays a
 * script per attempt, and a real router runtime (identifier, dtab, interpreter, route and client
 * caches, balancer, budgets) whose every endpoint reaches that Upstream.
 */
import { PassThrough } from 'node:stream';
import { Dtab, Path } from '../../../src/index.js';
import { defaultInterpreter } from '../../../src/namers/default-interpreter.js';
import { ClientCache } from '../../../src/router/core/client-cache.js';
import { OverridePolicy } from '../../../src/router/core/dtab-override-policy.js';
import type {
  Exchange,
  HeaderList,
  Protocol,
  RequestBody,
  RequestHead,
  ResponseSink,
  Synthetic,
  Upstream,
  UpstreamController,
  UpstreamHandler,
  UpstreamRequest,
} from '../../../src/router/core/exchange.js';
import { buildIdentifier } from '../../../src/router/core/identifier.js';
import { LocalDtabReader } from '../../../src/router/core/local-dtab-reader.js';
import { RouteCache } from '../../../src/router/core/route-cache.js';
import type { RequestSettings, RouterRuntime } from '../../../src/router/core/runtime.js';
import { RouterStats } from '../../../src/router/core/stats.js';
import { P2cEwmaBalancer } from '../../../src/router/policy/balancer.js';
import { DEFAULT_GRPC_CLASSIFIER, grpcClassifier } from '../../../src/router/policy/grpc-classifier.js';
import { responseClassifier } from '../../../src/router/policy/response-classifier.js';
import { RetryBudget } from '../../../src/router/policy/retry-budget.js';
import { grpcSemantics } from '../../../src/router/protocol/grpc/semantics.js';
import { MetricsRegistry } from '../../../src/telemetry/metrics.js';

export type SinkEvent =
  | { readonly type: 'continue' }
  | { readonly type: 'start'; readonly status: number; readonly headers: HeaderList }
  | { readonly type: 'write'; readonly chunk: string }
  | { readonly type: 'end'; readonly trailers: HeaderList | undefined }
  | { readonly type: 'abort' }
  | { readonly type: 'rescue'; readonly failure: Synthetic };

export class RecordingSink implements ResponseSink {
  readonly events: SinkEvent[] = [];
  started = false;
  finished = false;
  /** Writes answer false (full) while this is true. */
  full = false;
  #drains: (() => void)[] = [];
  #abandons = new Set<() => void>();
  #settled: (() => void) | undefined;
  /** Resolves when the response has ended, been cut or rescued. */
  readonly done = new Promise<void>((r) => (this.#settled = r));

  continue(): void {
    this.events.push({ type: 'continue' });
  }
  start(status: number, headers: HeaderList): void {
    this.started = true;
    this.events.push({ type: 'start', status, headers: [...headers] });
  }
  write(chunk: Uint8Array): boolean {
    this.events.push({ type: 'write', chunk: Buffer.from(chunk).toString() });
    return !this.full;
  }
  onDrain(callback: () => void): void {
    this.#drains.push(callback);
  }
  /** The caller's buffer emptied. */
  drain(): void {
    this.full = false;
    const all = this.#drains;
    this.#drains = [];
    for (const f of all) f();
  }
  end(trailers?: HeaderList): void {
    this.finished = true;
    this.events.push({ type: 'end', trailers });
    this.#settled?.();
  }
  abort(): void {
    this.finished = true;
    this.events.push({ type: 'abort' });
    this.#settled?.();
  }
  rescue(failure: Synthetic): void {
    this.finished = true;
    this.events.push({ type: 'rescue', failure });
    this.#settled?.();
  }
  onAbandon(callback: () => void): () => void {
    this.#abandons.add(callback);
    return () => this.#abandons.delete(callback);
  }
  /** The caller went away. */
  abandon(): void {
    for (const f of [...this.#abandons]) f();
  }
  get abandonListeners(): number {
    return this.#abandons.size;
  }
  kinds(): string[] {
    return this.events.map((e) => e.type);
  }
  rescued(): Synthetic | undefined {
    const e = this.events.find((x) => x.type === 'rescue');
    return e?.type === 'rescue' ? e.failure : undefined;
  }
}

export function head(overrides: Partial<RequestHead> = {}): RequestHead {
  return {
    protocol: 'http/1.1',
    method: 'GET',
    authority: 'web',
    path: '/',
    headers: ['Host', 'web'],
    remoteAddress: '127.0.0.1',
    http10: false,
    duplicateHost: false,
    expectContinue: false,
    via: undefined,
    hasBody: false,
    contentLength: undefined,
    ctxDtab: undefined,
    userDtab: undefined,
    deadline: undefined,
    grpcTimeout: undefined,
    grpc: false,
    ...overrides,
  };
}

/** A body the test feeds by hand; `received` counts what was written into it. */
export class MemoryBody implements RequestBody {
  readonly stream = new PassThrough();
  complete = false;
  #received = 0;
  feed(chunk: string): void {
    this.#received += chunk.length;
    this.stream.write(chunk);
  }
  finish(): void {
    this.complete = true;
    this.stream.end();
  }
  received(): number {
    return this.#received;
  }
}

export function exchange(h: RequestHead = head(), body: RequestBody | null = null): Exchange & { sink: RecordingSink } {
  return { head: h, body, sink: new RecordingSink(), started: performance.now() };
}

/** What one attempt sees: its request, the handler to drive, and what core asked of the controller. */
export class ScriptedAttempt implements UpstreamController {
  readonly calls: string[] = [];
  abortedWith: Error | undefined;
  constructor(
    readonly request: UpstreamRequest,
    readonly handler: UpstreamHandler,
  ) {}
  pause(): void {
    this.calls.push('pause');
  }
  resume(): void {
    this.calls.push('resume');
  }
  abort(reason: Error): void {
    this.calls.push('abort');
    this.abortedWith = reason;
  }
}

export type Step = (a: ScriptedAttempt) => void;

export const steps = {
  notSent: (): Step => (a) => queueMicrotask(() => a.handler.onError(new Error('ECONNREFUSED'), 'not-sent')),
  sentFailure: (): Step => (a) => queueMicrotask(() => a.handler.onError(new Error('reset'), 'sent')),
  rejected: (): Step => (a) => queueMicrotask(() => a.handler.onError(new Error('bad header'), 'rejected')),
  respond:
    (status: number, body = '', trailers: HeaderList | null = null): Step =>
    (a) =>
      queueMicrotask(() => {
        a.handler.onHead(status, ['content-type', 'text/plain', 'connection', 'x-hop', 'x-hop', '1']);
        if (body !== '') a.handler.onData(Buffer.from(body));
        a.handler.onEnd(trailers);
      }),
  /** Never answers; the test (or core) decides what happens next. */
  stall: (): Step => () => {},
};

/** An Upstream that plays one step per attempt (the last one again when the script runs out). */
export class ScriptedUpstream implements Upstream {
  readonly attempts: ScriptedAttempt[] = [];
  constructor(
    private readonly script: Step[],
    readonly protocol: Protocol = 'http/1.1',
  ) {}
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    const a = new ScriptedAttempt(request, handler);
    this.attempts.push(a);
    handler.onStart(a);
    const step = this.script[Math.min(this.attempts.length - 1, this.script.length - 1)]!;
    step(a);
  }
  async close(): Promise<void> {}
  async destroy(): Promise<void> {}
}

export const SETTINGS: RequestSettings = {
  bindingTimeoutMs: 2_000,
  totalTimeoutMs: Number.POSITIVE_INFINITY,
  attemptTimeoutMs: Number.POSITIVE_INFINITY,
  maxCallDepth: 10,
  clearContext: false,
  maxRequeues: 5,
  maxRetries: 3,
  responseTimeoutMs: Number.POSITIVE_INFINITY,
  bodyIdleTimeoutMs: Number.POSITIVE_INFINITY,
};

export interface MemoryRouter {
  readonly rt: RouterRuntime;
  /** Upstreams handed out, by `protocol host:port`. */
  readonly acquired: string[];
  close(): void;
}

/**
 * A real runtime over `/svc/web => /$/inet/127.0.0.1/8080` (and whatever `dtab` adds) whose
 * endpoints all reach `upstream`. Failure accrual is off so a scripted run of failures does not
 * take the one endpoint out.
 */
export function memoryRouter(
  upstream: Upstream,
  settings: Partial<RequestSettings> = {},
  options: {
    classifier?: string;
    grpcClassifier?: string;
    retryableCodes?: number[];
    dtab?: string;
    missing?: Protocol;
  } = {},
): MemoryRouter {
  const acquired: string[] = [];
  const source = {
    acquire(host: string, port: number, protocol: Protocol): Upstream {
      // As the pools do for a protocol with no client factory.
      if (protocol === options.missing) throw new Error(`no upstream client for ${protocol}`);
      acquired.push(`${protocol} ${host}:${port}`);
      return upstream;
    },
    release(): void {},
  };
  const interpreter = defaultInterpreter();
  const clients = new ClientCache(source, () => new P2cEwmaBalancer({ failureAccrual: false }), 60_000);
  const routes = new RouteCache(interpreter, clients, {
    idleTtlMs: 60_000,
    maxEntries: 100,
    maxWeight: 1_000,
    failedTtlMs: 1_000,
  });
  const dtab = Dtab.read(`/svc/web => /$/inet/127.0.0.1/8080;${options.dtab ?? ''}`);
  const base = { dtab, key: 'g1', shown: dtab.show() };
  const budgets = new Map<string, RetryBudget>();
  const rt: RouterRuntime = {
    identify: buildIdentifier([{ kind: 'io.l5d.header.token', header: 'Host' }], Path.read('/svc')),
    base: () => base,
    localDtabs: new LocalDtabReader(new OverridePolicy(undefined, interpreter)),
    routes,
    stats: new RouterStats(new MetricsRegistry(), 'mem'),
    settings: { ...SETTINGS, ...settings },
    classifier: responseClassifier(options.classifier ?? 'io.l5d.http.retryableRead5XX')!,
    grpc: grpcSemantics(
      grpcClassifier(options.grpcClassifier ?? '', options.retryableCodes) ?? DEFAULT_GRPC_CLASSIFIER,
    ),
    retryBudget: (service) => {
      let b = budgets.get(service);
      if (b === undefined) budgets.set(service, (b = new RetryBudget()));
      return b;
    },
    requeueBudget: new RetryBudget(),
  };
  return {
    rt,
    acquired,
    close() {
      routes.close();
      clients.close();
    },
  };
}
