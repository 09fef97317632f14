/**
 * The per-request path, outside in: identify → dtab (base ++ l5d-ctx-dtab ++ l5d-dtab) → the
 * cached route for (dtab, name) → a weighted choice of bound name → the client's balancer →
 * forward, with requeues on connection failures and classified retries within budget. Nothing
 * here builds what can be built once: names, parsed headers, routes and clients are all cached.
 * Every failure the router itself produces goes through respondError.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dtab } from '../dtab/dtab.js';
import { createError, SwitchyardError } from '../errors.js';
import type { Bound } from '../naming/bound.js';
import type { Client } from './client.js';
import { respondError } from './error-response.js';
import { attempt } from './forward.js';
import type { Identifier } from './identifier.js';
import type { LocalDtab, LocalDtabReader } from './local-dtab-reader.js';
import { DEADLINE_HEADER, formatDeadline, outgoingDeadline, readDeadlineHeader } from './policy/deadline.js';
import type { ResponseClassifier } from './policy/response-classifier.js';
import type { RetryBudget } from './policy/retry-budget.js';
import { attemptTimeoutMs, requestDeadlineMs } from './policy/timeouts.js';
import { callDepth, upstreamHeaders } from './proxy-headers.js';
import { type RequestHead, readHead } from './request-head.js';
import { checkRequestTarget } from './request-target.js';
import type { Route } from './route.js';
import type { RouteCache } from './route-cache.js';
import type { RouterStats, ScopeStats } from './router-stats.js';

export interface BaseDtab {
  readonly dtab: Dtab;
  /** Changes whenever the dtab does (routes are keyed by it). */
  readonly key: string;
  readonly shown: string;
}

export interface RequestSettings {
  readonly bindingTimeoutMs: number;
  /** Whole request including retries; Infinity for none. */
  readonly totalTimeoutMs: number;
  /** One attempt; Infinity for none. */
  readonly attemptTimeoutMs: number;
  readonly maxCallDepth: number;
  /** Edge routers: drop every l5d-* header both ways without applying it. */
  readonly clearContext: boolean;
  /** Attempts on other endpoints after a connection failure. */
  readonly maxRequeues: number;
  /** Retries of a retryable response (within the budget as well). */
  readonly maxRetries: number;
  /** Until the upstream's response head, from the end of the request body; Infinity for none. */
  readonly responseTimeoutMs: number;
  /** Longest pause in a request body before 408; Infinity for none. */
  readonly bodyIdleTimeoutMs: number;
}

export interface RouterRuntime {
  readonly identify: Identifier;
  base(): BaseDtab | null;
  readonly localDtabs: LocalDtabReader;
  readonly routes: RouteCache;
  readonly stats: RouterStats;
  readonly settings: RequestSettings;
  readonly classifier: ResponseClassifier;
  retryBudget(service: string): RetryBudget;
  readonly requeueBudget: RetryBudget;
  draining(): boolean;
}

export function requestHandler(rt: RouterRuntime): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = performance.now();
    const routed = { done: false };
    handle(rt, req, res, started, routed).then(
      (status) => rt.stats.server.record(status, status > 0 && status < 500, performance.now() - started),
      (error) => {
        // A body still on its way cannot be left in the stream to be read as the next request.
        const close = rt.draining() || !req.complete;
        const status = respondError(res, error, { close });
        const latency = performance.now() - started;
        rt.stats.server.record(status, false, latency);
        // Names that found no route share one series: what callers send cannot mint series.
        if (!routed.done && status >= 500) rt.stats.other.record(status, false, latency);
      },
    );
  };
}

async function handle(
  rt: RouterRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  started: number,
  routed: { done: boolean },
): Promise<number> {
  const head = readHead(req);
  const host = checkRequestTarget(req, head);
  const resolved = resolve(rt, req, head, started);
  // Once a route and its client are warm, resolving takes no await (and no microtask hop).
  const target = resolved instanceof Promise ? await resolved : resolved;
  routed.done = true;
  // Only now that the request has somewhere to go is the client told to send its body.
  if (head.expectContinue && !res.headersSent) res.writeContinue();
  const status = await forward(rt, req, res, head, target, host);
  target.route.stats.record(status, status > 0 && status < 500, performance.now() - started);
  return status;
}

/** Everything up to the choice of bound name: identification, dtabs, the route and a weighted pick. */
export function resolve(
  rt: RouterRuntime,
  req: IncomingMessage,
  head: RequestHead = readHead(req),
  started = performance.now(),
): Target | Promise<Target> {
  const s = rt.settings;
  const depth = callDepth(head.via);
  if (depth >= s.maxCallDepth) throw createError('SY_ERR_MAX_CALL_DEPTH', [depth, s.maxCallDepth]);
  const identified = rt.identify(req, head);
  if (typeof identified === 'string') throw createError('SY_ERR_UNIDENTIFIED', [identified]);
  const base = rt.base();
  if (base === null) throw createError('SY_ERR_BINDING_TIMEOUT', [identified.name.show(), 0]);
  let local: LocalDtab | null = null;
  const name = identified.name;
  const service = name.show();
  let route: Route;
  try {
    if (!s.clearContext && (head.ctxDtab !== undefined || head.userDtab !== undefined)) {
      local = rt.localDtabs.read(head.ctxDtab, head.userDtab);
    }
    const l = local;
    // An override is judged by what it binds to before it is bound (dtab-override-policy.ts).
    route =
      l === null
        ? rt.routes.get(base.key, base.dtab, name)
        : rt.routes.get(`${base.key}\u0001${l.key}`, base.dtab.concat(l.dtab), name, () =>
            rt.localDtabs.judge(base.dtab, l.dtab, name),
          );
  } catch (e) {
    countRefusal(rt, e);
    throw e;
  }
  const settled = route.whenSettled(s.bindingTimeoutMs);
  const pick = (): Target | Promise<Target> => {
    if (route.state === 'pending') throw createError('SY_ERR_BINDING_TIMEOUT', [service, s.bindingTimeoutMs]);
    if (route.state === 'failed') {
      throw route.error ?? createError('SY_ERR_NO_BROKERS', [service, base.shown, local?.shown ?? '']);
    }
    route.stats ??= rt.stats.service(service);
    route.budget ??= rt.retryBudget(service);
    const picked = route.pick();
    if ('none' in picked) throw createError('SY_ERR_NO_BROKERS', [service, base.shown, local?.shown ?? '']);
    const warm = route as WarmRoute;
    const target: Target = {
      service,
      route: warm,
      local,
      base,
      bound: picked.bound,
      client: picked.client,
      started,
      url: identified.url,
    };
    // Before any byte is sent: the leaf was judged, and no address is one of our own listeners.
    const admit = (): Target => {
      try {
        route.admit(service, picked.bound);
      } catch (e) {
        countRefusal(rt, e);
        throw e;
      }
      return target;
    };
    const resolved = picked.client.whenResolved(s.bindingTimeoutMs);
    return resolved === null ? admit() : resolved.then(admit);
  };
  return settled === null ? pick() : settled.then(pick);
}

function countRefusal(rt: RouterRuntime, e: unknown): void {
  if (e instanceof SwitchyardError && (e.code === 'SY_ERR_DTAB_OVERRIDE_DENIED' || e.code === 'SY_ERR_SELF_ADDRESS')) {
    rt.stats.overridesRefused.inc();
  }
}

/** A route whose first request has looked up its metrics and retry budget. */
type WarmRoute = Route & { stats: ScopeStats; budget: RetryBudget };

export interface Target {
  readonly service: string;
  readonly route: WarmRoute;
  readonly base: BaseDtab;
  readonly local: LocalDtab | null;
  readonly bound: Bound;
  readonly client: Client;
  readonly started: number;
  readonly url: string | undefined;
}

async function forward(
  rt: RouterRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  head: RequestHead,
  t: Target,
  host: string | undefined,
): Promise<number> {
  const s = rt.settings;
  const method = req.method ?? 'GET';
  // A request without a body can be sent again; one with a body streams and cannot.
  const body = head.hasBody ? req : null;
  const now = Date.now();
  const incoming = head.deadline === undefined ? null : readDeadlineHeader(head.deadline);
  const deadline = requestDeadlineMs(now, s.totalTimeoutMs, incoming);
  if (deadline <= now) throw createError('SY_ERR_DEADLINE_EXCEEDED', [t.service]);
  const headers = upstreamHeaders(req.rawHeaders, {
    service: t.service,
    client: t.client.id,
    residual: t.bound.residual.isEmpty ? undefined : t.bound.residual.show(),
    ctxDtab: t.local?.shown,
    clientIp: req.socket.remoteAddress,
    clearContext: s.clearContext,
    ...(host === undefined ? {} : { host }),
  });
  const outgoing = outgoingDeadline(incoming, s.totalTimeoutMs, now);
  if (outgoing !== null && outgoing !== incoming) replaceHeader(headers, DEADLINE_HEADER, formatDeadline(outgoing));
  const budget = t.route.budget;
  budget.deposit();
  t.client.stats ??= rt.stats.client(t.client.id, t.client.accrualCounters);
  const clientStats = t.client.stats;
  let requeues = 0;
  let retries = 0;
  const responseBy = performance.now() + s.responseTimeoutMs;
  for (;;) {
    const pick = t.client.pick();
    if (pick === null) throw createError('SY_ERR_NO_BROKERS', [t.service, t.base.shown, t.local?.shown ?? '']);
    const { endpoint } = pick;
    const attemptStarted = performance.now();
    const timeout = attemptTimeoutMs(Date.now(), deadline, s.attemptTimeoutMs);
    const result = await attempt(endpoint.pool, endpoint.origin, {
      method,
      path: t.url ?? req.url ?? '/',
      headers,
      body,
      res,
      timeoutMs: Number.isFinite(timeout) ? Math.max(1, timeout) : 0,
      responseTimeoutMs: Number.isFinite(responseBy) ? Math.max(1, responseBy - performance.now()) : 0,
      bodyIdleTimeoutMs: Number.isFinite(s.bodyIdleTimeoutMs) ? s.bodyIdleTimeoutMs : 0,
      retryStatus: (status) =>
        body === null &&
        retries < s.maxRetries &&
        rt.classifier.classify(method, status, false) === 'retryable-failure' &&
        budget.tryWithdraw(),
      clearContext: s.clearContext,
      closeConnection: () => rt.draining(),
    });
    const latency = performance.now() - attemptStarted;
    switch (result.kind) {
      case 'responded': {
        const ok = result.ok && rt.classifier.classify(method, result.status, body !== null) === 'success';
        pick.done(latency, ok);
        clientStats.record(result.status, ok, latency);
        return result.status;
      }
      case 'retryable':
        pick.done(latency, false);
        clientStats.record(result.status, false, latency);
        retries++;
        clientStats.retried();
        continue;
      case 'failed':
        pick.done(latency, false);
        clientStats.record(0, false, latency);
        if (!result.sent && body === null && requeues < s.maxRequeues && rt.requeueBudget.tryWithdraw()) {
          requeues++;
          rt.stats.requeues.inc();
          continue;
        }
        respondError(
          res,
          createError(result.sent ? 'SY_ERR_UPSTREAM_FAILED' : 'SY_ERR_UPSTREAM_CONNECT', [
            endpoint.key,
            result.error.message,
          ]),
          { retryable: !result.sent, close: rt.draining() },
        );
        return 502;
      case 'abandoned':
        // The client's patience says nothing about the upstream: no verdict, no latency sample.
        pick.done(latency, null);
        clientStats.record(0, false, latency);
        res.destroy();
        return 0;
      case 'body-stalled':
        pick.done(latency, null);
        clientStats.record(0, false, latency);
        throw createError('SY_ERR_REQUEST_TIMEOUT', ['body', s.bodyIdleTimeoutMs]);
      case 'rejected':
        pick.done(latency, null);
        clientStats.record(0, false, latency);
        throw createError('SY_ERR_BAD_REQUEST', [result.error.message]);
      case 'timeout': {
        pick.done(latency, result.bodyPending ? null : false);
        clientStats.record(0, false, latency);
        const byDeadline = incoming !== null && Date.now() >= incoming.deadlineMs;
        throw byDeadline
          ? createError('SY_ERR_DEADLINE_EXCEEDED', [t.service])
          : createError('SY_ERR_UPSTREAM_TIMEOUT', [endpoint.key, Math.round(performance.now() - t.started)]);
      }
    }
  }
}

function replaceHeader(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === name) {
      headers[i + 1] = value;
      return;
    }
  }
  headers.push(name, value);
}
