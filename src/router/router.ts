/**
 * Assembles a router from its validated configuration: the base dtab source, the namers and the
 * interpreter, the caches, the data-plane server and the admin app; and runs its lifecycle:
 * ready once a base dtab is in hand, a drain on `/prestop` or SIGTERM, and an orderly close.
 */

import type { FastifyInstance } from 'fastify';
import { closeNamers, mountNamers } from '../config/mount-namers.js';
import type { RouterConfig } from '../config/router-config.js';
import { Dtab } from '../dtab/dtab.js';
import { Path } from '../dtab/path.js';
import { createError } from '../errors.js';
import { defaultInterpreter } from '../namers/default-interpreter.js';
import { Activity } from '../naming/activity.js';
import { delegateTreeToJson } from '../naming/delegate-json.js';
import { delegate } from '../naming/delegator.js';
import type { Logger } from '../telemetry/logger.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { FileAccessLog } from './access-log.js';
import { buildAdminApp } from './admin/admin-app.js';
import { ClientCache } from './core/client-cache.js';
import { serve } from './core/dispatch.js';
import { OverridePolicy } from './core/dtab-override-policy.js';
import { buildIdentifier } from './core/identifier.js';
import { LocalDtabReader } from './core/local-dtab-reader.js';
import { OwnListeners } from './core/own-listeners.js';
import { rescue } from './core/rescue.js';
import { type Binder, localBinder, RouteCache } from './core/route-cache.js';
import type { BaseDtab, RouterRuntime } from './core/runtime.js';
import { RouterStats } from './core/stats.js';
import type { BaseDtabState } from './dtab-source/base-dtab.js';
import { baseSource } from './dtab-source/base-source.js';
import { FaultTable } from './faults/fault-table.js';
import { NamerdInterpreter } from './interpreter/namerd-interpreter.js';
import { P2cEwmaBalancer } from './policy/balancer.js';
import { DEFAULT_GRPC_CLASSIFIER, grpcClassifier } from './policy/grpc-classifier.js';
import { responseClassifier } from './policy/response-classifier.js';
import { RetryBudget } from './policy/retry-budget.js';
import { grpcSemantics } from './protocol/grpc/semantics.js';
import { http1Handler } from './protocol/http1/exchange.js';
import { rawErrorResponse } from './protocol/http1/raw-error.js';
import { RouterServer } from './protocol/http1/server.js';
import { websocketHandler } from './protocol/http1/websocket.js';
import { H2cServer } from './protocol/http2/h2c-server.js';
import { createDetectingListener } from './protocol/http2/protocol-detect.js';
import { UpstreamPools } from './protocol/upstream/pools.js';
import { RouterLog } from './router-log.js';

export interface RunningRouter {
  readonly url: string;
  readonly adminUrl: string;
  readonly metrics: MetricsRegistry;
  /** The fault rules `/toxiproxy/` drives (shared by every router of the process). */
  readonly faults: FaultTable;
  /** Starts the drain; resolves when it is over (grace period passed, in-flight requests done). */
  drain(reason: string): Promise<void>;
  /** Resolves with the reason when a drain, however started (/prestop, a signal), has ended. */
  readonly drained: Promise<string>;
  /** What /ready says of this router alone. */
  readiness(): Readiness;
  close(): Promise<void>;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reason?: string;
}

const SWEEP_MS = 30_000;
const DELEGATE_TIMEOUT_MS = 2_000;

/**
 * What a caller may add around a router without the router importing it: routes on the admin
 * port (the registry and the traffic generator, which sit beside the router in the layering).
 */
export interface RouterExtensions {
  readonly admin?: (app: FastifyInstance) => void;
  /**
   * For the second and later routers of one process (linkerd's `routers:` list): one admin port
   * per process, as linkerd has, so they count in the first router's metrics (under their own
   * label) and bind no admin port of their own.
   */
  readonly sharedAdmin?: {
    readonly metrics: MetricsRegistry;
    readonly adminUrl: string;
    /** The first router's fault rules: one `/toxiproxy/` per admin port, applied by every router. */
    readonly faults?: FaultTable;
  };
  /** The other routers of the process: the admin port is ready only when they all are. */
  readonly othersReady?: () => Readiness;
  /** Draws fault toxicity and jitter (tests pass a seeded one); Math.random otherwise. */
  readonly faultRandom?: () => number;
}

export async function startRouter(
  config: RouterConfig,
  logger: Logger,
  extensions: RouterExtensions = {},
): Promise<RunningRouter> {
  const shared = extensions.sharedAdmin;
  const metrics = shared?.metrics ?? new MetricsRegistry();
  const limits = config.limits;
  const stats = new RouterStats(metrics, config.label, {
    maxServices: limits.maxServiceSeries,
    maxClients: limits.maxClientSeries,
    idleTtlMs: limits.seriesIdleTtlMs,
  });
  const namers = mountNamers(config.namers, logger);
  const overrides = config.dtabOverrides;
  const viaNamerd =
    config.interpreter.kind === 'io.l5d.namerd.http'
      ? new NamerdInterpreter({ url: config.interpreter.url, namespace: config.interpreter.namespace, logger })
      : null;
  // Binding through namerd, the router knows namerd's namers only by their `/#/` prefix: the
  // override policy judges them as configured namers (allowed), and nothing here looks them up.
  const interpreter = defaultInterpreter({
    namers: viaNamerd === null ? namers : [{ prefix: Path.read('/#'), namer: { lookup: () => Activity.pending } }],
    fallbackOnEmpty: true,
    maxLookups: overrides.maxBindLookups,
  });
  const binder: Binder = viaNamerd ?? localBinder(interpreter);
  const listeners = new OwnListeners();
  // The admin URL as bound; until then the configured one (port 0 reads as unknown).
  let boundAdminUrl: string | undefined;
  const source = baseSource(
    config,
    logger,
    () =>
      boundAdminUrl ??
      (config.admin.port === 0
        ? 'unknown'
        : `http://${config.admin.host.includes(':') ? `[${config.admin.host}]` : config.admin.host}:${config.admin.port}`),
  );
  let baseState: BaseDtabState = { status: 'pending', reason: 'starting' };
  let base: BaseDtab | null = null;
  let generation = 0;
  const watch = source.state.observe((state) => {
    baseState = state;
    if (state.status !== 'ok') return;
    const dtab = state.snapshot.dtab;
    if (base?.dtab === dtab) return;
    base = { dtab, key: `g${++generation}`, shown: dtab.show(), ...(viaNamerd ? { routeKey: 'namerd' } : {}) };
    logger.info(
      { source: state.snapshot.source, version: state.snapshot.version, dentries: dtab.size },
      'base dtab in use',
    );
  });
  source.start();

  const accessLog =
    config.httpAccessLog === null ? null : new FileAccessLog(config.httpAccessLog, config.httpAccessLogFormat);
  const events = new RouterLog(logger, accessLog);
  const faults =
    shared?.faults ??
    new FaultTable({
      metrics,
      log: logger,
      router: config.label,
      ...(extensions.faultRandom ? { random: extensions.faultRandom } : {}),
    });
  const pools = new UpstreamPools();
  const fa = config.failureAccrual;
  const clients = new ClientCache(
    pools,
    (id) =>
      new P2cEwmaBalancer({
        failureAccrual:
          fa === null ? false : { ...fa, onChange: (endpoint, change, ms) => events.accrual(id, endpoint, change, ms) },
      }),
    config.idleTtlMs,
  );
  const routes = new RouteCache(
    binder,
    clients,
    {
      idleTtlMs: config.idleTtlMs,
      maxEntries: overrides.routeCacheMaxEntries,
      maxWeight: overrides.routeCacheMaxWeight,
      failedTtlMs: overrides.failedRouteTtlMs,
    },
    listeners,
  );
  const budgets = new Map<string, RetryBudget>();
  const server: { current?: RouterServer } = {};
  const runtime: RouterRuntime = {
    identify: buildIdentifier(config.identifiers, Path.read(config.dstPrefix)),
    base: () => base,
    localDtabs: new LocalDtabReader(new OverridePolicy(config.dtabOverrides, interpreter), overrides.maxDentries),
    routes,
    stats,
    settings: {
      bindingTimeoutMs: config.bindingTimeoutMs,
      totalTimeoutMs: config.totalTimeoutMs > 0 ? config.totalTimeoutMs : Number.POSITIVE_INFINITY,
      attemptTimeoutMs: config.attemptTimeoutMs > 0 ? config.attemptTimeoutMs : Number.POSITIVE_INFINITY,
      maxCallDepth: config.maxCallDepth,
      clearContext: config.clearContext,
      maxRequeues: 5,
      maxRetries: config.maxRetries,
      retryBufferBytes: config.retryBufferSize.requestBytes,
      responseTimeoutMs: limits.responseTimeoutMs > 0 ? limits.responseTimeoutMs : Number.POSITIVE_INFINITY,
      bodyIdleTimeoutMs: limits.bodyIdleTimeoutMs,
      upstreamProtocol: config.client.protocol === 'inbound' ? null : config.client.protocol,
    },
    classifier: responseClassifier(config.responseClassifier)!,
    // Under an HTTP kind, gRPC calls are still judged by their status, as the default gRPC kind does.
    grpc: grpcSemantics(
      grpcClassifier(config.responseClassifier, config.retryableStatusCodes) ?? DEFAULT_GRPC_CLASSIFIER,
    ),
    retryBudget: (service) => {
      let b = budgets.get(service);
      if (b === undefined) budgets.set(service, (b = new RetryBudget()));
      return b;
    },
    requeueBudget: new RetryBudget(),
    events,
    faults,
  };
  const closingConnections = (): boolean => server.current?.closing ?? false;
  metrics.gauge('rt:bindcache:routes', { rt: config.label }, () => routes.size);
  metrics.gauge('rt:bindcache:weight', { rt: config.label }, () => routes.weight);
  metrics.gauge('rt:bindcache:evictions', { rt: config.label }, () => routes.evictions);
  metrics.gauge('rt:bindcache:clients', { rt: config.label }, () => clients.size);
  metrics.gauge('rt:pools', { rt: config.label }, () => pools.size);
  if (accessLog !== null) metrics.counter('rt:access_log:dropped', { rt: config.label }, () => accessLog.dropped);
  if (viaNamerd !== null) {
    // While a stream is down the router routes on what it last heard; these say so.
    metrics.gauge('rt:namerd:streams', { rt: config.label }, () => viaNamerd.streams.open);
    metrics.gauge('rt:namerd:streams_down', { rt: config.label }, () => viaNamerd.streams.down);
    metrics.counter('rt:namerd:resyncs', { rt: config.label }, () => viaNamerd.streams.reconnects);
  }
  metrics.gauge('rt:server:pending', { rt: config.label }, () => (server.current?.inFlight ?? 0) + h2.streamCount);
  metrics.gauge(
    'rt:server:connections',
    { rt: config.label },
    () => (server.current?.connections ?? 0) + h2.sessionCount + detector.undecided,
  );
  metrics.gauge('rt:server:h2_sessions', { rt: config.label }, () => h2.sessionCount);
  metrics.counter('rt:server:h2_sessions_refused', { rt: config.label }, () => h2.refusedSessions);
  metrics.counter('rt:server:h2_reset_floods', { rt: config.label }, () => h2.resetFloods);
  metrics.counter('rt:server:connections_refused', { rt: config.label }, () => server.current?.refusedConnections ?? 0);

  const routerServer = new RouterServer(http1Handler(runtime, closingConnections), websocketHandler(runtime), {
    maxHeaderBytes: config.maxHeadersKB * 1024,
    keepAliveMs: limits.keepAliveIdleMs,
    headersTimeoutMs: limits.headersTimeoutMs,
    maxConnections: limits.maxConnections,
  });
  server.current = routerServer;
  // h2c with prior knowledge shares the port with HTTP/1.1 (the first bytes decide), or has it alone.
  const h2 = new H2cServer((exchange) => void serve(runtime, exchange), {
    maxConcurrentStreams: config.h2.maxConcurrentStreams,
    initialWindowSize: config.h2.initialWindowSize,
    maxHeaderListBytes: config.h2.maxHeaderListSize,
    sessionIdleMs: limits.keepAliveIdleMs,
    maxSessions: limits.maxConnections,
  });
  const detector = createDetectingListener(
    { http1: config.protocol === 'h2' ? null : routerServer.server, h2: h2.server },
    {
      mode: config.protocol,
      // The head timeout counts from the accept, whichever protocol the bytes turn out to be.
      peekTimeoutMs: limits.headersTimeoutMs,
      silentAnswer: rawErrorResponse(rescue(createError('SY_ERR_REQUEST_TIMEOUT', ['head', limits.headersTimeoutMs]))),
      // One cap over every client connection: HTTP/1.1, h2 sessions and sockets still undecided.
      admit: (socket, undecided) => routerServer.admit(socket, undecided + h2.sessionCount),
    },
  );
  routerServer.listenThrough(detector.server);
  const markDraining = () => {
    routerServer.markDraining();
    h2.markDraining();
  };
  const stopServing = (maxWaitMs: number) => Promise.all([routerServer.stop(maxWaitMs), h2.stop(maxWaitMs)]);

  let drainStarted: Promise<void> | undefined;
  let drainEnded = false;
  let endDrain!: (reason: string) => void;
  const drained = new Promise<string>((r) => (endDrain = r));
  const drain = (reason: string): Promise<void> => {
    if (drainStarted) return drainStarted;
    logger.info({ reason, graceMs: config.drainGraceMs }, 'draining: not ready, still serving');
    markDraining();
    drainStarted = (async () => {
      await new Promise((r) => setTimeout(r, config.drainGraceMs));
      await stopServing(30_000);
      logger.info('drained: no longer accepting connections');
      drainEnded = true;
      endDrain(reason);
    })();
    return drainStarted;
  };

  const readiness = (): Readiness => {
    if (routerServer.draining) return { ready: false, reason: 'draining' };
    if (baseState.status === 'ok') return { ready: true };
    return {
      ready: false,
      reason: baseState.status === 'pending' ? `no base dtab yet: ${baseState.reason}` : baseState.error.message,
    };
  };
  const admin = buildAdminApp({
    metrics,
    readiness: () => {
      const own = readiness();
      return own.ready && extensions.othersReady ? extensions.othersReady() : own;
    },
    startDrain: async (reason) => {
      void drain(reason);
    },
    drained: () => drainEnded,
    security: config.adminSecurity,
    delegate: async (pathText, dtabText) => {
      let path: Path;
      try {
        path = Path.read(pathText);
      } catch (e) {
        throw createError('SY_ERR_INVALID_PATH', [(e as Error).message], e);
      }
      if (viaNamerd !== null) return viaNamerd.delegate(path.show(), dtabText);
      let extra = Dtab.empty;
      try {
        if (dtabText) extra = Dtab.read(dtabText);
      } catch (e) {
        throw createError('SY_ERR_INVALID_DTAB', [(e as Error).message], e);
      }
      const current: BaseDtab | null = base;
      const dtab = (current?.dtab ?? Dtab.empty).concat(extra);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(createError('SY_ERR_TIMEOUT')), DELEGATE_TIMEOUT_MS);
      });
      try {
        return await Promise.race([delegate(interpreter, dtab, path).then((t) => delegateTreeToJson(t)), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    currentDtab: () => {
      const s = baseState;
      if (s.status !== 'ok') return { dtab: null, source: config.baseDtab.kind };
      return {
        dtab: s.snapshot.dtab.show(),
        source: s.snapshot.source,
        ...(s.snapshot.version ? { version: s.snapshot.version } : {}),
        updatedAt: new Date(s.snapshot.updatedAt).toISOString(),
        ...(s.stale ? { stale: s.stale } : {}),
      };
    },
    clients: () =>
      [...clients.values()].map((c) => ({
        id: c.id,
        state: c.state,
        ...(c.failure ? { failure: c.failure.message } : {}),
        endpoints: c.endpointStats(),
        ...(c.stats
          ? { requests: c.stats.requests.value, success: c.stats.success.value, failures: c.stats.failures.value }
          : {}),
        ...((f) => (f.length > 0 ? { faults: f } : {}))(faults.clientFaults(c.id)),
      })),
    faults,
    recentAnswers: () => events.recent(),
    logger,
  });

  // goto-style registries health-check their peers at /health; the router answers like /healthz.
  admin.get('/health', async () => ({ status: 'ok' }));
  extensions.admin?.(admin);

  if (config.admin.port !== 0) listeners.add(config.admin.host, config.admin.port);
  const url = await routerServer.listen(config.listen.host, config.listen.port);
  listeners.add(config.listen.host, Number(new URL(url).port));
  let adminUrl: string;
  try {
    // A router sharing another's admin port builds its app (cheap, never listened on) and binds nothing.
    adminUrl = shared ? shared.adminUrl : await admin.listen({ host: config.admin.host, port: config.admin.port });
    boundAdminUrl = adminUrl;
  } catch (e) {
    await stopServing(0);
    throw e;
  }
  // Routes to either listener are refused, whatever dtab produced them (own-listeners.ts).
  listeners.add(config.admin.host, Number(new URL(adminUrl).port));
  const sweeper = setInterval(
    () => {
      routes.sweep();
      clients.sweep();
      stats.sweep();
    },
    Math.min(SWEEP_MS, Math.max(1_000, limits.seriesIdleTtlMs / 2)),
  ).unref();
  logger.info({ url, adminUrl, label: config.label, dtab: config.baseDtab.kind }, 'router listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    adminUrl,
    metrics,
    faults,
    drain,
    drained,
    readiness,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        await admin.close();
        await stopServing(drainStarted ? 30_000 : 0);
        watch.close();
        await source.close();
        routes.close();
        clients.close();
        await pools.close();
        await accessLog?.close();
        await viaNamerd?.close();
        await closeNamers(namers);
        if (!shared) metrics.close();
      })();
      return closing;
    },
  };
}
