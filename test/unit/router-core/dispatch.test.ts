/**
 * core's dispatch with no sockets: an in-memory exchange and a scripted Upstream (memory.ts)
 * behind a real runtime (dtab, inet namer, route and client caches, balancer, budgets). Requeues
 * on `not-sent`, classified retries within budget and never after a byte reached the caller,
 * timeouts and deadlines as Synthetic failures, abandon → upstream abort, backpressure both ways,
 * trailers through to the sink.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../../../src/router/core/dispatch.js';
import { GrpcStatus } from '../../../src/router/core/rescue.js';
import { exchange, head, MemoryBody, type MemoryRouter, memoryRouter, ScriptedUpstream, steps } from './memory.js';

let router: MemoryRouter | undefined;
afterEach(() => router?.close());

function setup(...args: Parameters<typeof memoryRouter>): MemoryRouter {
  router = memoryRouter(...args);
  return router;
}

/** Resolves once `check` holds, polling the event loop (no fixed sleeps). */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const by = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > by) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('dispatch: requeues', () => {
  it('sends a request that never left again, and answers with the upstream that took it', async () => {
    const upstream = new ScriptedUpstream([
      steps.notSent(),
      steps.notSent(),
      steps.notSent(),
      steps.respond(200, 'ok'),
    ]);
    const { rt, acquired } = setup(upstream);
    const ex = exchange();
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(4);
    expect(ex.sink.kinds()).toEqual(['start', 'write', 'end']);
    expect(acquired).toEqual(['http/1.1 127.0.0.1:8080']);
  });

  it('gives up after maxRequeues with a retryable UPSTREAM_CONNECT (gRPC UNAVAILABLE)', async () => {
    const upstream = new ScriptedUpstream([steps.notSent()]);
    const { rt } = setup(upstream, { maxRequeues: 2 });
    const ex = exchange();
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(3);
    expect(ex.sink.rescued()).toMatchObject({
      code: 'SY_ERR_UPSTREAM_CONNECT',
      status: 502,
      retryable: true,
      grpcStatus: GrpcStatus.UNAVAILABLE,
    });
  });

  it('never requeues a request whose body was streaming', async () => {
    const upstream = new ScriptedUpstream([steps.notSent(), steps.respond(200)]);
    const { rt } = setup(upstream);
    const body = new MemoryBody();
    body.feed('x');
    body.finish();
    const ex = exchange(head({ method: 'POST', hasBody: true }), body);
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(1);
    expect(ex.sink.rescued()?.code).toBe('SY_ERR_UPSTREAM_CONNECT');
  });

  it('does not requeue a request that may have reached the upstream', async () => {
    const upstream = new ScriptedUpstream([steps.sentFailure(), steps.respond(200)]);
    const { rt } = setup(upstream);
    const ex = exchange();
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(1);
    expect(ex.sink.rescued()).toMatchObject({ code: 'SY_ERR_UPSTREAM_FAILED', retryable: false });
  });
});

describe('dispatch: classified retries', () => {
  it('drops a retryable 503 unwritten, aborts that attempt and retries', async () => {
    const upstream = new ScriptedUpstream([steps.respond(503, 'busy'), steps.respond(200, 'ok')]);
    const { rt } = setup(upstream);
    const ex = exchange();
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(2);
    expect(upstream.attempts[0]!.calls).toContain('abort');
    expect(ex.sink.events).toMatchObject([
      { type: 'start', status: 200 },
      { type: 'write', chunk: 'ok' },
      { type: 'end' },
    ]);
  });

  it('stops at maxRetries and passes the last 503 on', async () => {
    const upstream = new ScriptedUpstream([steps.respond(503, 'busy')]);
    const { rt } = setup(upstream, { maxRetries: 2 });
    const ex = exchange();
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(3);
    expect(ex.sink.events[0]).toMatchObject({ type: 'start', status: 503 });
  });

  it('does not retry what the classifier does not call retryable', async () => {
    const upstream = new ScriptedUpstream([steps.respond(503), steps.respond(200)]);
    const { rt } = setup(upstream, {}, { classifier: 'io.l5d.http.nonRetryable5XX' });
    const ex = exchange();
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(1);
    expect(ex.sink.events[0]).toMatchObject({ type: 'start', status: 503 });
  });

  it('does not retry once a byte has reached the caller: a failure then cuts the response', async () => {
    const upstream = new ScriptedUpstream([
      (a) =>
        queueMicrotask(() => {
          a.handler.onHead(200, []);
          a.handler.onData(Buffer.from('part'));
          a.handler.onError(new Error('reset'), 'sent');
        }),
      steps.respond(200, 'whole'),
    ]);
    const { rt } = setup(upstream);
    const ex = exchange();
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(1);
    expect(ex.sink.kinds()).toEqual(['start', 'write', 'abort']);
  });

  it('strips hop-by-hop response headers and those Connection names', async () => {
    const upstream = new ScriptedUpstream([steps.respond(200)]);
    const { rt } = setup(upstream);
    const ex = exchange();
    await serve(rt, ex);
    expect(ex.sink.events[0]).toMatchObject({ type: 'start', headers: ['content-type', 'text/plain'] });
  });
});

describe('dispatch: timeouts and deadlines', () => {
  it('answers a stalled attempt with UPSTREAM_TIMEOUT (gRPC DEADLINE_EXCEEDED) and aborts it', async () => {
    const upstream = new ScriptedUpstream([steps.stall()]);
    const { rt } = setup(upstream, { attemptTimeoutMs: 30 });
    const ex = exchange();
    await serve(rt, ex);
    expect(ex.sink.rescued()).toMatchObject({
      code: 'SY_ERR_UPSTREAM_TIMEOUT',
      status: 504,
      grpcStatus: GrpcStatus.DEADLINE_EXCEEDED,
    });
    expect(upstream.attempts[0]!.calls).toContain('abort');
  });

  it('answers the response timeout the same way', async () => {
    const upstream = new ScriptedUpstream([steps.stall()]);
    const { rt } = setup(upstream, { responseTimeoutMs: 30 });
    const ex = exchange();
    await serve(rt, ex);
    expect(ex.sink.rescued()?.code).toBe('SY_ERR_UPSTREAM_TIMEOUT');
  });

  it('refuses a request whose l5d-ctx-deadline has passed without sending it', async () => {
    const upstream = new ScriptedUpstream([steps.respond(200)]);
    const { rt } = setup(upstream);
    const past = (Date.now() - 1_000) * 1e6;
    const ex = exchange(head({ deadline: [`${past - 1e9} ${past}`] }));
    await serve(rt, ex);
    expect(upstream.attempts).toHaveLength(0);
    expect(ex.sink.rescued()).toMatchObject({ code: 'SY_ERR_DEADLINE_EXCEEDED', grpcStatus: 4 });
  });

  it('names the caller deadline when it is what ran out, and sends the deadline on', async () => {
    const upstream = new ScriptedUpstream([steps.stall()]);
    const { rt } = setup(upstream);
    const now = Date.now();
    const value = `${now * 1e6} ${(now + 400) * 1e6}`;
    const ex = exchange(head({ headers: ['Host', 'web', 'l5d-ctx-deadline', value], deadline: [value] }));
    await serve(rt, ex);
    expect(ex.sink.rescued()?.code).toBe('SY_ERR_DEADLINE_EXCEEDED');
    const sent = upstream.attempts[0]!.request.headers;
    expect(sent[sent.indexOf('l5d-ctx-deadline') + 1]).toBe(value);
  });

  it('answers a request body that stops arriving with REQUEST_TIMEOUT and aborts the attempt', async () => {
    const upstream = new ScriptedUpstream([
      (a) => {
        // Reads what arrives, as an upstream client would, so the body is not held by backpressure.
        a.request.body?.on('data', () => {});
      },
    ]);
    const { rt } = setup(upstream, { bodyIdleTimeoutMs: 60 });
    const body = new MemoryBody();
    body.feed('first');
    const ex = exchange(head({ method: 'POST', hasBody: true }), body);
    await serve(rt, ex);
    expect(ex.sink.rescued()).toMatchObject({ code: 'SY_ERR_REQUEST_TIMEOUT', status: 408 });
    expect(upstream.attempts[0]!.calls).toContain('abort');
  });

  it('answers a request the upstream client refused as given with BAD_REQUEST', async () => {
    const upstream = new ScriptedUpstream([steps.rejected()]);
    const { rt } = setup(upstream);
    const ex = exchange();
    await serve(rt, ex);
    expect(ex.sink.rescued()).toMatchObject({ code: 'SY_ERR_BAD_REQUEST', grpcStatus: GrpcStatus.INVALID_ARGUMENT });
  });
});

describe('dispatch: the caller side', () => {
  it('aborts the upstream attempt when the caller goes away, and cuts the response', async () => {
    const upstream = new ScriptedUpstream([steps.stall()]);
    const { rt } = setup(upstream);
    const ex = exchange();
    const served = serve(rt, ex);
    await until(() => upstream.attempts.length === 1);
    ex.sink.abandon();
    await served;
    expect(upstream.attempts[0]!.calls).toEqual(['abort']);
    expect(ex.sink.kinds()).toEqual(['abort']);
    expect(ex.sink.abandonListeners).toBe(0);
  });

  it('pauses the upstream while the caller is full and resumes it on drain', async () => {
    const upstream = new ScriptedUpstream([
      (a) =>
        queueMicrotask(() => {
          a.handler.onHead(200, []);
          a.handler.onData(Buffer.from('a'));
        }),
    ]);
    const { rt } = setup(upstream);
    const ex = exchange();
    ex.sink.full = true;
    const served = serve(rt, ex);
    await until(() => upstream.attempts[0]?.calls.includes('pause') ?? false);
    const attempt = upstream.attempts[0]!;
    expect(attempt.calls).toEqual(['pause']);
    ex.sink.drain();
    expect(attempt.calls).toEqual(['pause', 'resume']);
    attempt.handler.onData(Buffer.from('b'));
    attempt.handler.onEnd(null);
    await served;
    expect(ex.sink.kinds()).toEqual(['start', 'write', 'write', 'end']);
  });

  it('passes the upstream trailers to sink.end', async () => {
    const upstream = new ScriptedUpstream([steps.respond(200, 'x', ['grpc-status', '0', 'grpc-message', ''])]);
    const { rt } = setup(upstream);
    const ex = exchange();
    await serve(rt, ex);
    expect(ex.sink.events.at(-1)).toEqual({ type: 'end', trailers: ['grpc-status', '0', 'grpc-message', ''] });
  });

  it('tells a caller that sent Expect: 100-continue to send its body only once routed', async () => {
    const upstream = new ScriptedUpstream([steps.respond(200)]);
    const { rt } = setup(upstream);
    const routed = exchange(head({ expectContinue: true }));
    await serve(rt, routed);
    expect(routed.sink.kinds()[0]).toBe('continue');
    const unrouted = exchange(head({ expectContinue: true, authority: 'nowhere' }));
    await serve(rt, unrouted);
    expect(unrouted.sink.kinds()).toEqual(['rescue']);
    expect(unrouted.sink.rescued()?.code).toBe('SY_ERR_NO_BROKERS');
  });

  it('acquires the upstream for the configured protocol, the caller’s by default', async () => {
    const upstream = new ScriptedUpstream([steps.respond(200)]);
    const { rt, acquired } = setup(upstream, { upstreamProtocol: 'h2' });
    await serve(rt, exchange());
    expect(acquired).toEqual(['h2 127.0.0.1:8080']);
    expect(upstream.attempts[0]!.request.authority).toBe('web');
    expect(upstream.attempts[0]!.request.headers).not.toContain('Host');
  });

  it('answers 502 when no client speaks the upstream protocol, and leaves the balancer usable', async () => {
    const upstream = new ScriptedUpstream([steps.respond(200)]);
    const { rt } = setup(upstream, { upstreamProtocol: 'h2' }, { missing: 'h2' });
    for (let i = 0; i < 3; i++) {
      const ex = exchange();
      await serve(rt, ex);
      expect(ex.sink.rescued()).toMatchObject({ status: 502, message: 'no upstream client for h2' });
    }
    expect(upstream.attempts).toHaveLength(0);
  });
});
