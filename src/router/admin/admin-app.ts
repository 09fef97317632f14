/**
 * The router's admin port (linkerd's admin endpoints; docs/router.md#admin-port): liveness,
 * readiness and the drain trigger for Kubernetes (docs/router.md#draining), metrics for people and for
 * Prometheus, and the delegator that explains a path with the dtab the router is using right
 * now. It is its own fastify app on its own port so that probes and scrapes never queue behind
 * proxied traffic, and it only reads the router through `RouterAdminDeps`, which keeps it
 * testable with plain values and keeps the data plane free of fastify.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { type ToxiproxyBackend, toxiproxyRoutes } from '../../chaos/api.js';
import { installAdminGuard } from '../../http/admin-guard.js';
import { textApiApp } from '../../http/text-api-app.js';
import type { MetricsRegistry } from '../../telemetry/metrics.js';
import type { EndpointStats } from '../policy/balancer.js';
import type { AnsweredRecord } from '../router-log.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { dtabRoutes } from './dtab-routes.js';
import { lifecycleRoutes } from './lifecycle-routes.js';
import { metricsRoutes } from './metrics-routes.js';

export interface RouterDtabInfo {
  /** The base dtab as text, or null before the first one is in hand. */
  readonly dtab: string | null;
  /** Where it came from: `config`, `file:/etc/dtab`, `namerd:http://…/ns`. */
  readonly source: string;
  /** namerd's version (ETag) or a content hash. */
  readonly version?: string;
  /** When the router obtained it, ISO 8601. */
  readonly updatedAt?: string;
  /** Set when the dtab may be out of date, saying why (e.g. namerd unreachable). */
  readonly stale?: string;
}

export interface RouterAdminDeps {
  readonly metrics: MetricsRegistry;
  /** ready=false before the first base dtab is in hand and while draining; reason says which. */
  readiness(): { ready: boolean; reason?: string };
  /** Starts the drain (idempotent); resolves when draining has begun (not when it ends). */
  startDrain(reason: string): Promise<void>;
  /**
   * True once a drain has ended. The process exits then; if it is still answering, something
   * kept it from exiting and liveness must fail so Kubernetes restarts it.
   */
  drained?(): boolean;
  /** The admin token and body ceiling from the router's `adminSecurity` settings. */
  readonly security?: { readonly token: string | null; readonly bodyLimitBytes: number };
  /**
   * Explains `path` with the router's current dtab ++ extra dtab text; resolves to linkerd's
   * delegate JSON (src/naming/delegate-json.ts JsonDelegateTree). Throws registry errors
   * (SY_ERR_INVALID_PATH / SY_ERR_INVALID_DTAB → 400, SY_ERR_TIMEOUT → 503).
   */
  delegate(path: string, dtab: string | undefined): Promise<unknown>;
  /** The current base dtab and where it came from. */
  currentDtab(): RouterDtabInfo;
  /** Each client (bound id) with its state and its endpoints as the balancer sees them. */
  clients?(): ClientSnapshot[];
  /** The last answers the router gave itself, oldest first (bounded). */
  recentAnswers?(): AnsweredRecord[];
  readonly logger?: FastifyBaseLogger;
  /** The fault rules, driven through Toxiproxy's API under `/toxiproxy/` (docs/chaos.md). */
  readonly faults?: ToxiproxyBackend;
}

export interface ClientSnapshot {
  readonly id: string;
  readonly state: string;
  readonly failure?: string;
  readonly endpoints: EndpointStats[];
  /** Attempts on this client so far, and how many succeeded / failed (the client's metrics). */
  readonly requests?: number;
  readonly success?: number;
  readonly failures?: number;
  /** `rule/toxic` of each fault that selects this client. */
  readonly faults?: string[];
}

export interface AdminAppOptions {
  /** Largest request body (the delegator's, and the registry's and traffic generator's JSON). */
  readonly bodyLimit?: number;
  /** The admin token every state-changing request needs (src/http/admin-guard.ts); null: none. */
  readonly token?: string | null;
}

export function buildAdminApp(deps: RouterAdminDeps, options: AdminAppOptions = {}): FastifyInstance {
  const app = textApiApp({
    ...(deps.logger ? { logger: deps.logger } : {}),
    bodyLimit: options.bodyLimit ?? deps.security?.bodyLimitBytes ?? 1024 * 1024,
    what: 'admin',
  });
  installAdminGuard(app, { token: options.token ?? deps.security?.token ?? null });

  lifecycleRoutes(app, deps);
  metricsRoutes(app, deps.metrics);
  dtabRoutes(app, deps);
  dashboardRoutes(app, deps);
  const faults = deps.faults;
  // Its own plugin scope: Toxiproxy's error bodies and not-found answers, behind the admin guard above.
  if (faults !== undefined)
    void app.register(async (scope) => toxiproxyRoutes(scope, faults), { prefix: '/toxiproxy' });
  return app;
}
