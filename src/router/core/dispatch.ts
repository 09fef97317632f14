/**
 * One exchange, start to end, whatever protocol it came in on: check the head, resolve it to a
 * target (resolve.ts), tell a caller waiting on `Expect: 100-continue` to send its body, then
 * attempts through the endpoints' Upstreams (attempt.ts), with requeues on connection failures
 * and classified retries within budget while nothing has reached the caller, inside the total
 * timeout and the caller's l5d-ctx-deadline. Every failure the router itself produces leaves
 * through rescue.ts and the sink's `rescue`.
 */
import { createError } from '../../errors.js';
import {
  DEADLINE_HEADER,
  type Deadline,
  formatDeadline,
  outgoingDeadline,
  readDeadlineHeader,
} from '../policy/deadline.js';
import { attemptTimeoutMs, requestDeadlineMs } from '../policy/timeouts.js';
import { type AttemptOptions, attempt } from './attempt.js';
import type { Exchange, HeaderList, RequestBody, ResponseSink, Upstream, UpstreamRequest } from './exchange.js';
import { upstreamHeaders } from './header-policy.js';
import { ReplayBuffer } from './replay-buffer.js';
import { checkRequestTarget } from './request-target.js';
import { rescue } from './rescue.js';
import { resolve, type Target, type WarmRoute } from './resolve.js';
import type { RouterRuntime } from './runtime.js';
import type { ScopeStats } from './stats.js';

/** `retryBufferSize.requestBytes` when the settings leave it out. */
const DEFAULT_RETRY_BUFFER_BYTES = 8192;

/** Serves one exchange; never rejects (failures are rendered on the sink and counted). */
export async function serve(rt: RouterRuntime, ex: Exchange): Promise<void> {
  const head = ex.head;
  // The service once the name found a route: failures before that are counted on `other`.
  let service: string | undefined;
  let status: number;
  // One async function for the whole exchange: no promise, closures or state object of its own per request.
  try {
    const host = checkRequestTarget(head);
    const resolved = resolve(rt, head, ex.started);
    // Once a route and its client are warm, resolving takes no await (and no microtask hop).
    const target = resolved instanceof Promise ? await resolved : resolved;
    service = target.service;
    // Only now that the request has somewhere to go is the caller told to send its body.
    if (head.expectContinue) ex.sink.continue();
    try {
      status = await dispatch(rt, ex, target, host);
    } catch (error) {
      // A gRPC call the router answers itself (deadline, no endpoint) is counted on its service too.
      if (head.grpc) target.route.stats.grpcStatus(rescue(error).grpcStatus).inc();
      throw error;
    }
    target.route.stats.record(status, status > 0 && status < 500, performance.now() - ex.started);
  } catch (error) {
    const failure = rescue(error);
    ex.sink.rescue(failure);
    const failed = failure.status;
    const latency = performance.now() - ex.started;
    rt.stats.server.record(failed, false, latency);
    rt.stats.protocol(head.protocol, false);
    if (head.grpc) rt.stats.server.grpcStatus(failure.grpcStatus).inc();
    // Names that found no route share one series: what callers send cannot mint series.
    if (service === undefined && failed >= 500) {
      rt.stats.other.record(failed, false, latency);
      // …and per name in a capped family of their own, so a mistyped Host or a missing rule shows by name.
      if (failure.code === 'SY_ERR_NO_BROKERS' || failure.code === 'SY_ERR_BINDING_TIMEOUT') {
        const identified = rt.identify(head);
        if (typeof identified !== 'string') rt.stats.unrouted(identified.name.show());
      }
    }
    const events = rt.events;
    if (events !== undefined) {
      events.answered(head, failure);
      events.access?.write(head, service, failed, latency);
    }
    return;
  }
  const latency = performance.now() - ex.started;
  const ok = status > 0 && status < 500;
  rt.stats.server.record(status, ok, latency);
  rt.stats.protocol(head.protocol, ok);
  rt.events?.access?.write(head, service, status, latency);
}

/**
 * Runs the attempts for one exchange on its target; resolves with the status the caller got
 * (0 when it went away), or rejects with the failure to rescue.
 */
export async function dispatch(rt: RouterRuntime, ex: Exchange, t: Target, host?: string): Promise<number> {
  const s = rt.settings;
  const head = ex.head;
  const sink = ex.sink;
  const method = head.method;
  // gRPC calls are judged by grpc-status and carry their deadline in grpc-timeout too.
  const grpc = head.grpc ? rt.grpc : null;
  const body = head.hasBody ? ex.body : null;
  const now = Date.now();
  const incoming =
    grpc !== null
      ? grpc.callerDeadline(head, now)
      : head.deadline === undefined
        ? null
        : readDeadlineHeader(head.deadline);
  const deadline = requestDeadlineMs(now, s.totalTimeoutMs, incoming);
  if (deadline <= now) throw createError('SY_ERR_DEADLINE_EXCEEDED', [t.service]);
  // A body is kept for a retry only where one can happen: a gRPC call on a router that retries.
  const replay =
    body !== null && grpc !== null && s.maxRetries > 0
      ? new ReplayBuffer(body.stream, s.retryBufferBytes ?? DEFAULT_RETRY_BUFFER_BYTES)
      : null;
  const protocol = s.upstreamProtocol ?? head.protocol;
  const headers = upstreamHeaders(head.headers, {
    service: t.service,
    client: t.client.id,
    residual: t.bound.residual.isEmpty ? undefined : t.bound.residual.show(),
    ctxDtab: t.local?.shown,
    clientIp: head.remoteAddress,
    clearContext: s.clearContext,
    inbound: head.protocol,
    upstream: protocol,
    authority: head.authority,
    host,
  });
  const outgoing = outgoingDeadline(incoming, s.totalTimeoutMs, now);
  if (grpc === null && outgoing !== null && outgoing !== incoming)
    replaceHeader(headers, DEADLINE_HEADER, formatDeadline(outgoing));
  const budget = t.route.budget;
  budget.deposit();
  t.client.stats ??= rt.stats.client(t.client.id, t.client.accrualCounters);
  const clientStats = t.client.stats;
  let requeues = 0;
  const responseBy = performance.now() + s.responseTimeoutMs;
  const request: { -readonly [K in keyof UpstreamRequest]: UpstreamRequest[K] } = {
    method,
    path: t.url ?? head.path,
    authority: head.authority,
    headers,
    body: body === null ? null : (replay?.first ?? body.stream),
  };
  // One options object for every attempt of this exchange: its retry test is a method, not a closure.
  const plan = new AttemptPlan(rt, method, grpc, body, replay, budget, request, sink);
  for (let n = 0; ; n++) {
    const pick = t.client.pick();
    if (pick === null) throw createError('SY_ERR_NO_BROKERS', [t.service, t.base.shown, t.local?.shown ?? '']);
    const { endpoint } = pick;
    const attemptStarted = performance.now();
    const wallNow = Date.now();
    const timeout = attemptTimeoutMs(wallNow, deadline, s.attemptTimeoutMs);
    if (n > 0) {
      // A retry or requeue starts only with time left, and sends the body again from the buffer.
      if (timeout <= 0) {
        pick.done(0, null);
        throw deadlineFailure(incoming, t, endpoint.key);
      }
      if (replay !== null) request.body = replay.replay();
    }
    // What is left of the deadline when this attempt leaves, as grpc-timeout and l5d-ctx-deadline.
    if (grpc !== null) request.headers = grpc.withDeadline(headers, outgoing, wallNow);
    let upstream: Upstream;
    try {
      upstream = endpoint.upstream(protocol);
    } catch (e) {
      // No client for that protocol: the endpoint is not to blame, and the pick must be settled.
      pick.done(0, null);
      throw e;
    }
    // With no live fault rule this is the whole cost of faults: one property read.
    const faults = rt.faults;
    if (faults?.active) upstream = faults.wrap(upstream, t.service, t.client.id, head);
    plan.timeoutMs = Number.isFinite(timeout) ? Math.max(1, timeout) : 0;
    plan.responseTimeoutMs = Number.isFinite(responseBy) ? Math.max(1, responseBy - performance.now()) : 0;
    const result = await attempt(upstream, plan);
    const latency = performance.now() - attemptStarted;
    switch (result.kind) {
      case 'responded': {
        let ok: boolean;
        if (grpc === null) ok = result.ok && rt.classifier.classify(method, result.status, body !== null) === 'success';
        else {
          // A gRPC call is judged at its trailers; one cut midway is a reset, whatever came before.
          const outcome = result.ok
            ? grpc.statusOfResponse(result.status, result.headers ?? [], result.trailers)
            : 'reset';
          ok = grpc.classifier.classify(outcome) === 'success';
          if (outcome !== 'reset') countGrpc(rt, t, clientStats, outcome === 'no-status' ? -1 : outcome);
        }
        pick.done(latency, ok);
        clientStats.record(result.status, ok, latency);
        return result.status;
      }
      case 'retryable':
        pick.done(latency, false);
        clientStats.record(result.status, false, latency);
        if (grpc !== null) clientStats.grpcStatus(plan.headGrpcStatus).inc();
        plan.retries++;
        clientStats.retried();
        continue;
      case 'failed': {
        pick.done(latency, false);
        clientStats.record(0, false, latency);
        const requeue =
          !result.sent && canResend(body, replay) && requeues < s.maxRequeues && rt.requeueBudget.tryWithdraw();
        rt.events?.upstreamFailed(t.client.id, endpoint.key, result.sent, result.error.message, requeue);
        if (requeue) {
          requeues++;
          rt.stats.requeues.inc();
          continue;
        }
        const code = result.sent ? 'SY_ERR_UPSTREAM_FAILED' : 'SY_ERR_UPSTREAM_CONNECT';
        const failure = rescue(createError(code, [endpoint.key, result.error.message]), !result.sent);
        sink.rescue(failure);
        if (grpc !== null) {
          t.route.stats.grpcStatus(failure.grpcStatus).inc();
          rt.stats.server.grpcStatus(failure.grpcStatus).inc();
        }
        return failure.status;
      }
      case 'abandoned':
        // The caller's patience says nothing about the upstream: no verdict, no latency sample.
        pick.done(latency, null);
        clientStats.record(0, false, latency);
        sink.abort();
        return 0;
      case 'body-stalled':
        pick.done(latency, null);
        clientStats.record(0, false, latency);
        throw createError('SY_ERR_REQUEST_TIMEOUT', ['body', s.bodyIdleTimeoutMs]);
      case 'rejected':
        pick.done(latency, null);
        clientStats.record(0, false, latency);
        throw createError('SY_ERR_BAD_REQUEST', [result.error.message]);
      case 'timeout':
        pick.done(latency, result.bodyPending ? null : false);
        clientStats.record(0, false, latency);
        throw deadlineFailure(incoming, t, endpoint.key);
    }
  }
}

/** What every attempt of one exchange is given, and the retry decision on a response head. */
class AttemptPlan implements AttemptOptions {
  timeoutMs = 0;
  responseTimeoutMs = 0;
  readonly bodyIdleTimeoutMs: number;
  readonly clearContext: boolean;
  readonly #maxRetries: number;
  retries = 0;
  /** The gRPC status of the last head a retry was decided on (trailers-only or non-gRPC answers). */
  headGrpcStatus = -1;

  constructor(
    private readonly rt: RouterRuntime,
    private readonly method: string,
    private readonly grpc: RouterRuntime['grpc'] | null,
    readonly body: RequestBody | null,
    private readonly replay: ReplayBuffer | null,
    private readonly budget: WarmRoute['budget'],
    readonly request: UpstreamRequest,
    readonly sink: ResponseSink,
  ) {
    const s = rt.settings;
    this.bodyIdleTimeoutMs = Number.isFinite(s.bodyIdleTimeoutMs) ? s.bodyIdleTimeoutMs : 0;
    this.clearContext = s.clearContext;
    this.#maxRetries = s.maxRetries;
  }

  retryStatus(status: number, responseHeaders: HeaderList): boolean {
    const maxRetries = this.#maxRetries;
    const grpc = this.grpc;
    if (grpc === null) {
      return (
        this.body === null &&
        this.retries < maxRetries &&
        this.rt.classifier.classify(this.method, status, false) === 'retryable-failure' &&
        this.budget.tryWithdraw()
      );
    }
    const code = grpc.statusOfHead(status, responseHeaders);
    if (code === undefined) return false;
    this.headGrpcStatus = code;
    return (
      this.retries < maxRetries &&
      grpc.classifier.classify(code) === 'retryable-failure' &&
      canResend(this.body, this.replay) &&
      this.budget.tryWithdraw()
    );
  }
}

/** The body can go again when there is none, or when all of it is held in the replay buffer. */
function canResend(body: RequestBody | null, replay: ReplayBuffer | null): boolean {
  return body === null || replay?.replayable === true;
}

/** Out of time: the caller's own deadline (DEADLINE_EXCEEDED) or the router's timeouts (UPSTREAM_TIMEOUT). */
function deadlineFailure(incoming: Deadline | null, t: Target, endpoint: string): Error {
  const byDeadline = incoming !== null && Date.now() >= incoming.deadlineMs;
  return byDeadline
    ? createError('SY_ERR_DEADLINE_EXCEEDED', [t.service])
    : createError('SY_ERR_UPSTREAM_TIMEOUT', [endpoint, Math.round(performance.now() - t.started)]);
}

/** One gRPC status the caller got, on the client, service and server scopes (-1: none, counted as `unknown`). */
function countGrpc(rt: RouterRuntime, t: Target, client: ScopeStats, code: number): void {
  client.grpcStatus(code).inc();
  t.route.stats.grpcStatus(code).inc();
  rt.stats.server.grpcStatus(code).inc();
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
