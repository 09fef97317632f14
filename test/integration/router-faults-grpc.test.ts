/**
 * The router's toxics on gRPC calls, with a real @grpc/grpc-js client and server through the
 * router (h2c): latency delays the call, abort answers trailers-only with the toxic's gRPC status
 * (or one derived from its HTTP status), down makes the service UNAVAILABLE.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import {
  type EchoClient,
  echoClient,
  type GrpcApp,
  SERVICE_NAME,
  serverStream,
  startGrpcApp,
  unary,
} from '../helpers/grpc-app.js';
import { median, setFaults, startFaultRouter } from '../helpers/router-faults.js';

let app: GrpcApp;
let router: RunningRouter;
let client: EchoClient;

beforeAll(async () => {
  app = await startGrpcApp({ name: 'gen' });
  router = await startFaultRouter(`
identifier:
  kind: io.l5d.header.path
  segments: 1
dtab: |
  /srv/gen  => /$/inet/127.0.0.1/${app.port} ;
  /svc/${SERVICE_NAME} => /srv/gen ;
`);
  client = echoClient(new URL(router.url).host);
});

afterEach(async () => {
  await setFaults(router);
});

afterAll(async () => {
  client?.close();
  await router?.close();
  await app?.close();
});

const gen = (toxics: unknown[], extra: Record<string, unknown> = {}) => ({
  name: 'gen',
  listen: `/svc/${SERVICE_NAME}`,
  upstream: `/$/inet/127.0.0.1/${app.port}`,
  toxics,
  ...extra,
});

async function timed() {
  const started = performance.now();
  const result = await unary(client, { message: 'hi' });
  return { result, ms: performance.now() - started };
}

describe('router faults on gRPC', () => {
  it('latency 200 ms: the median call takes about 200 ms longer', async () => {
    const base: number[] = [];
    for (let i = 0; i < 8; i++) base.push((await timed()).ms);
    await setFaults(router, gen([{ type: 'latency', attributes: { latency: 200 } }]));
    const slow: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { result, ms } = await timed();
      expect(result.ok).toBe(true);
      slow.push(ms);
    }
    const added = median(slow) - median(base);
    expect(added).toBeGreaterThan(180);
    expect(added).toBeLessThan(450);
  });

  it('abort grpc_status 14: the client sees UNAVAILABLE with the toxic’s message; the server sees no call', async () => {
    await setFaults(
      router,
      gen([{ type: 'abort', stream: 'upstream', attributes: { grpc_status: 14, message: 'chaos!' } }]),
    );
    const calls = app.calls.length;
    for (let i = 0; i < 5; i++) {
      const { result } = await timed();
      expect(result).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE, details: 'chaos!' });
    }
    expect(app.calls.length).toBe(calls);
  });

  it('abort with an HTTP status only: a gRPC call gets the status gRPC maps it to', async () => {
    await setFaults(router, gen([{ type: 'abort', attributes: { status: 403 } }]));
    const { result } = await timed();
    expect(result).toMatchObject({ ok: false, code: grpc.status.PERMISSION_DENIED });
    await setFaults(router, gen([{ type: 'abort', attributes: { grpc_status: 8 } }]));
    expect((await timed()).result).toMatchObject({ ok: false, code: grpc.status.RESOURCE_EXHAUSTED });
  });

  it('down (refuse, reset) and a disabled rule: UNAVAILABLE', async () => {
    for (const rule of [
      gen([{ type: 'down', attributes: { mode: 'refuse' } }]),
      gen([{ type: 'down', attributes: { mode: 'reset' } }]),
      gen([], { enabled: false }),
    ]) {
      await setFaults(router, rule);
      expect((await timed()).result, JSON.stringify(rule)).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    }
    await setFaults(router);
    expect((await timed()).result.ok).toBe(true);
  });

  it('a retryable abort (UNAVAILABLE, toxicity 0.5) is retried and drawn again: few callers fail', async () => {
    await setFaults(router, gen([{ name: 'flaky', type: 'abort', toxicity: 0.5, attributes: { grpc_status: 14 } }]));
    let failed = 0;
    for (let i = 0; i < 40; i++) if (!(await timed()).result.ok) failed++;
    const metrics = (await (await fetch(`${router.adminUrl}/admin/metrics.json`)).json()) as Record<string, number>;
    const applied = Object.entries(metrics).find(([k]) => k.endsWith('/faults/applied/gen/flaky/abort'))?.[1] ?? 0;
    // A caller fails only when all four tries (maxRetries 3) draw the abort: 40 · 0.5^4 = 2.5 expected.
    expect(failed).toBeLessThanOrEqual(8);
    expect(applied).toBeGreaterThan(10);
  });

  it('downstream limit_data cuts a server stream: fewer messages, and an error status', async () => {
    await setFaults(router, gen([{ type: 'limit_data', attributes: { bytes: 3000 } }]));
    const { messages, status } = await serverStream(client, { count: 20, size: 1000 });
    expect(messages.length).toBeLessThan(20);
    expect(status.code).not.toBe(grpc.status.OK);
  });

  it('a header selector on gRPC metadata', async () => {
    await setFaults(router, gen([{ type: 'abort', attributes: { grpc_status: 7 } }], { header: 'x-chaos: on' }));
    expect((await unary(client, { message: 'a' })).ok).toBe(true);
    const hit = await unary(client, { message: 'b' }, { metadata: { 'x-chaos': 'on' } });
    expect(hit).toMatchObject({ ok: false, code: grpc.status.PERMISSION_DENIED });
  });
});
