/**
 * gRPC semantics in core's dispatch, with the in-memory exchange and a scripted Upstream
 * (memory.ts): one deadline from grpc-timeout, l5d-ctx-deadline and the total timeout, forwarded
 * as what is left of it; classification by grpc-status at the trailers (or a trailers-only head);
 * retries of a trailers-only retryable status with the body replayed from the bounded buffer;
 * grpc/status counted per scope.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../../../src/router/core/dispatch.js';
import type { HeaderList, RequestHead } from '../../../src/router/core/exchange.js';
import { GrpcStatus } from '../../../src/router/core/rescue.js';
import { formatDeadline } from '../../../src/router/policy/deadline.js';
import { parseGrpcTimeout } from '../../../src/router/protocol/grpc/timeout.js';
import {
  exchange,
  head,
  MemoryBody,
  type MemoryRouter,
  memoryRouter,
  type ScriptedAttempt,
  ScriptedUpstream,
  type Step,
} from './memory.js';

let router: MemoryRouter | undefined;
afterEach(() => router?.close());

function setup(...args: Parameters<typeof memoryRouter>): MemoryRouter {
  router = memoryRouter(...args);
  return router;
}

function grpcHead(overrides: Partial<RequestHead> = {}): RequestHead {
  const extra = overrides.grpcTimeout === undefined ? [] : ['grpc-timeout', overrides.grpcTimeout];
  return head({
    protocol: 'h2',
    method: 'POST',
    path: '/pkg.Svc/Call',
    headers: ['content-type', 'application/grpc', 'te', 'trailers', ...extra, ...(overrides.headers ?? [])],
    grpc: true,
    ...overrides,
  });
}

function header(list: readonly string[], name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
  return undefined;
}

/** Reads the attempt's request body to its end, then answers. */
function afterBody(answer: (a: ScriptedAttempt) => void): Step {
  return (a) => {
    const chunks: Buffer[] = [];
    const body = a.request.body;
    if (body === null) return queueMicrotask(() => answer(a));
    body.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    body.once('end', () => {
      (a as ScriptedAttempt & { body?: Buffer }).body = Buffer.concat(chunks);
      answer(a);
    });
  };
}

const trailersOnly =
  (code: number): Step =>
  (a) =>
    queueMicrotask(() => {
      a.handler.onHead(200, ['content-type', 'application/grpc', 'grpc-status', String(code)]);
      a.handler.onEnd(null);
    });

function grpcAnswer(a: ScriptedAttempt, code: number, trailers: HeaderList = []): void {
  a.handler.onHead(200, ['content-type', 'application/grpc']);
  a.handler.onData(Buffer.from('msg'));
  a.handler.onEnd(['grpc-status', String(code), ...trailers]);
}

function metric(m: MemoryRouter, key: string): number | undefined {
  return m.rt.stats.registry.toJSON()[key];
}

describe('gRPC dispatch: one deadline', () => {
  it('forwards the earliest of grpc-timeout, l5d-ctx-deadline and totalTimeoutMs as what is left of it', async () => {
    const upstream = new ScriptedUpstream([(a) => queueMicrotask(() => grpcAnswer(a, 0))]);
    const { rt } = setup(upstream, { totalTimeoutMs: 10_000 });
    const now = Date.now();
    const l5d = formatDeadline({ timestampMs: now, deadlineMs: now + 5_000 });
    await serve(rt, exchange(grpcHead({ grpcTimeout: '300m', deadline: [l5d], headers: ['l5d-ctx-deadline', l5d] })));
    const sent = upstream.attempts[0]!.request.headers;
    const timeout = parseGrpcTimeout(header(sent, 'grpc-timeout')!);
    expect(timeout.ok && timeout.ms).toBeGreaterThan(200);
    expect(timeout.ok && timeout.ms).toBeLessThanOrEqual(300);
    const forwarded = header(sent, 'l5d-ctx-deadline')!
      .split(' ')
      .map((v) => Number(v) / 1e6);
    expect(forwarded[1]! - now).toBeGreaterThanOrEqual(299);
    expect(forwarded[1]! - now).toBeLessThan(400);
    expect(sent.filter((n) => n === 'grpc-timeout' || n === 'l5d-ctx-deadline')).toHaveLength(2);
  });

  it('drops a malformed grpc-timeout instead of forwarding it', async () => {
    const upstream = new ScriptedUpstream([(a) => queueMicrotask(() => grpcAnswer(a, 0))]);
    const { rt } = setup(upstream);
    await serve(rt, exchange(grpcHead({ grpcTimeout: '5 S' })));
    expect(header(upstream.attempts[0]!.request.headers, 'grpc-timeout')).toBeUndefined();
  });

  it('answers a past deadline DEADLINE_EXCEEDED without contacting the upstream', async () => {
    const upstream = new ScriptedUpstream([(a) => queueMicrotask(() => grpcAnswer(a, 0))]);
    const m = setup(upstream);
    const past = formatDeadline({ timestampMs: Date.now() - 2_000, deadlineMs: Date.now() - 1_000 });
    const ex = exchange(grpcHead({ deadline: [past] }));
    await serve(m.rt, ex);
    expect(upstream.attempts).toHaveLength(0);
    expect(ex.sink.rescued()).toMatchObject({ grpcStatus: GrpcStatus.DEADLINE_EXCEEDED });
    expect(metric(m, 'rt/mem/server/grpc/status/4')).toBe(1);
  });

  it('cancels the upstream and answers DEADLINE_EXCEEDED when the deadline fires mid-call', async () => {
    const upstream = new ScriptedUpstream([() => {}]);
    const { rt } = setup(upstream);
    const ex = exchange(grpcHead({ grpcTimeout: '50m' }));
    await serve(rt, ex);
    expect(upstream.attempts[0]!.calls).toContain('abort');
    expect(ex.sink.rescued()).toMatchObject({
      code: 'SY_ERR_DEADLINE_EXCEEDED',
      grpcStatus: GrpcStatus.DEADLINE_EXCEEDED,
    });
  });
});

describe('gRPC dispatch: classification at the trailers', () => {
  it('judges a 200 by the grpc-status of its trailers and counts it per scope', async () => {
    const upstream = new ScriptedUpstream([(a) => queueMicrotask(() => grpcAnswer(a, GrpcStatus.NOT_FOUND))]);
    const m = setup(upstream);
    const ex = exchange(grpcHead());
    await serve(m.rt, ex);
    expect(ex.sink.kinds()).toEqual(['start', 'write', 'end']);
    const json = m.rt.stats.registry.toJSON();
    expect(json['rt/mem/client/$/inet/127.0.0.1/8080/failures']).toBe(1);
    expect(json['rt/mem/client/$/inet/127.0.0.1/8080/grpc/status/5']).toBe(1);
    expect(json['rt/mem/service/svc/web/grpc/status/5']).toBe(1);
    expect(json['rt/mem/server/grpc/status/5']).toBe(1);
  });

  it('counts OK as a success', async () => {
    const upstream = new ScriptedUpstream([(a) => queueMicrotask(() => grpcAnswer(a, 0))]);
    const m = setup(upstream);
    await serve(m.rt, exchange(grpcHead()));
    expect(metric(m, 'rt/mem/client/$/inet/127.0.0.1/8080/success')).toBe(1);
    expect(metric(m, 'rt/mem/service/svc/web/grpc/status/0')).toBe(1);
  });

  it('reads a non-gRPC 503 as UNAVAILABLE and retries it', async () => {
    const upstream = new ScriptedUpstream([
      (a) =>
        queueMicrotask(() => {
          a.handler.onHead(503, ['content-type', 'text/plain']);
          a.handler.onEnd(null);
        }),
      (a) => queueMicrotask(() => grpcAnswer(a, 0)),
    ]);
    const m = setup(upstream);
    await serve(m.rt, exchange(grpcHead()));
    expect(upstream.attempts).toHaveLength(2);
    expect(metric(m, 'rt/mem/client/$/inet/127.0.0.1/8080/grpc/status/14')).toBe(1);
    expect(metric(m, 'rt/mem/client/$/inet/127.0.0.1/8080/retries')).toBe(1);
  });

  it('a reset after the head is a failure, never retried, with no status counted', async () => {
    const upstream = new ScriptedUpstream([
      (a) =>
        queueMicrotask(() => {
          a.handler.onHead(200, ['content-type', 'application/grpc']);
          a.handler.onError(new Error('RST_STREAM'), 'sent');
        }),
    ]);
    const m = setup(upstream);
    const ex = exchange(grpcHead());
    await serve(m.rt, ex);
    expect(ex.sink.kinds()).toEqual(['start', 'abort']);
    expect(metric(m, 'rt/mem/client/$/inet/127.0.0.1/8080/failures')).toBe(1);
    expect(Object.keys(m.rt.stats.registry.toJSON()).filter((k) => k.includes('/grpc/status/'))).toEqual([]);
  });

  it.each([
    ['io.l5d.h2.grpc.default', GrpcStatus.UNAVAILABLE, 2],
    ['io.l5d.h2.grpc.default', GrpcStatus.NOT_FOUND, 1],
    ['io.l5d.h2.grpc.neverRetryable', GrpcStatus.UNAVAILABLE, 1],
    ['io.l5d.h2.grpc.alwaysRetryable', GrpcStatus.NOT_FOUND, 2],
    ['io.l5d.h2.grpc.retryableStatusCodes', GrpcStatus.ABORTED, 2],
  ])('%s on a trailers-only %i: %i attempt(s)', async (kind, code, attempts) => {
    const upstream = new ScriptedUpstream([trailersOnly(code), (a) => queueMicrotask(() => grpcAnswer(a, 0))]);
    const { rt } = setup(upstream, {}, { grpcClassifier: kind, retryableCodes: [GrpcStatus.ABORTED] });
    await serve(rt, exchange(grpcHead()));
    expect(upstream.attempts).toHaveLength(attempts);
  });
});

describe('gRPC dispatch: the replay buffer', () => {
  function bodyOf(text: string): MemoryBody {
    const body = new MemoryBody();
    body.feed(text);
    body.finish();
    return body;
  }

  it('replays a complete body within the limit byte for byte on the retry', async () => {
    const upstream = new ScriptedUpstream([
      afterBody((a) => trailersOnly(GrpcStatus.UNAVAILABLE)(a)),
      afterBody((a) => grpcAnswer(a, 0)),
    ]);
    const { rt } = setup(upstream, { retryBufferBytes: 64 });
    const payload = '\u0000\u0000\u0000\u0000\u0005héllo';
    const ex = exchange(grpcHead({ hasBody: true }), bodyOf(payload));
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(2);
    const sent = upstream.attempts.map((a) => (a as ScriptedAttempt & { body?: Buffer }).body);
    expect(sent[1]).toEqual(Buffer.from(payload));
    expect(sent[1]).toEqual(sent[0]);
    expect(header(ex.sink.events[0]!.type === 'start' ? ex.sink.events[0]!.headers : [], 'grpc-status')).toBe(
      undefined,
    );
    expect(ex.sink.events.at(-1)).toMatchObject({ type: 'end', trailers: ['grpc-status', '0'] });
  });

  it('does not retry a body past the limit: the UNAVAILABLE goes to the caller', async () => {
    const upstream = new ScriptedUpstream([
      afterBody((a) => trailersOnly(GrpcStatus.UNAVAILABLE)(a)),
      afterBody((a) => grpcAnswer(a, 0)),
    ]);
    const { rt } = setup(upstream, { retryBufferBytes: 16 });
    const ex = exchange(grpcHead({ hasBody: true }), bodyOf('x'.repeat(17)));
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(1);
    expect(ex.sink.events[0]).toMatchObject({ type: 'start', status: 200 });
    expect(header((ex.sink.events[0] as { headers: string[] }).headers, 'grpc-status')).toBe('14');
  });

  it('does not retry a body whose end has not arrived', async () => {
    const upstream = new ScriptedUpstream([trailersOnly(GrpcStatus.UNAVAILABLE), trailersOnly(0)]);
    const { rt } = setup(upstream);
    const body = new MemoryBody();
    body.feed('part');
    const ex = exchange(grpcHead({ hasBody: true }), body);
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(1);
  });

  it('keeps no buffer and does not requeue a body when maxRetries is 0', async () => {
    const upstream = new ScriptedUpstream([
      (a) => queueMicrotask(() => a.handler.onError(new Error('ECONNREFUSED'), 'not-sent')),
      afterBody((a) => grpcAnswer(a, 0)),
    ]);
    const { rt } = setup(upstream, { maxRetries: 0 });
    const body = bodyOf('abc');
    const ex = exchange(grpcHead({ hasBody: true }), body);
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(1);
    expect(upstream.attempts[0]!.request.body).toBe(body.stream);
    expect(ex.sink.rescued()).toMatchObject({ grpcStatus: GrpcStatus.UNAVAILABLE });
  });

  it('requeues a not-sent call with its buffered body', async () => {
    const upstream = new ScriptedUpstream([
      afterBody((a) => a.handler.onError(new Error('ECONNREFUSED'), 'not-sent')),
      afterBody((a) => grpcAnswer(a, 0)),
    ]);
    const { rt } = setup(upstream);
    await serve(rt, exchange(grpcHead({ hasBody: true }), bodyOf('abc')));
    expect(upstream.attempts).toHaveLength(2);
    expect((upstream.attempts[1] as ScriptedAttempt & { body?: Buffer }).body?.toString()).toBe('abc');
  });
});
