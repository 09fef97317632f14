/**
 * Router policy for real @grpc/grpc-js calls: a 1:19 canary split by the walkthrough-style dtab,
 * a retry of a trailers-only UNAVAILABLE on the other endpoint (body replayed), an upstream reset
 * reaching the caller as a reset, and the per-status metrics in metrics.json and Prometheus text.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import {
  ECHO_SERVICE,
  type EchoClient,
  echoClient,
  type GrpcApp,
  SERVICE_NAME,
  serverStream,
  startGrpcApp,
  unary,
} from '../helpers/grpc-app.js';
import { load, startTestRouter } from '../helpers/router-harness.js';

/** χ² with 1 degree of freedom at p = 1e-6. */
const CHI2_1DF_P1E6 = 23.93;

let gen: GrpcApp;
let growthhack: GrpcApp;
let retryGood: GrpcApp;
let unavailable: grpc.Server;
let unavailablePort: number;
let unavailableCalls = 0;
let resetter: http2.Http2Server;
let disco: string;
let router: RunningRouter;
let client: EchoClient;

/** An Echo server whose every call fails UNAVAILABLE (sent trailers-only: no message precedes it). */
async function startUnavailable(): Promise<void> {
  unavailable = new grpc.Server();
  const fail = (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
    unavailableCalls++;
    callback({ code: grpc.status.UNAVAILABLE, details: 'overloaded' });
  };
  unavailable.addService(ECHO_SERVICE, { Unary: fail, ServerStream: fail, ClientStream: fail, Bidi: fail });
  unavailablePort = await new Promise<number>((resolve, reject) =>
    unavailable.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
}

/** Answers with a head and one message, then resets the stream (INTERNAL_ERROR). */
async function startResetter(): Promise<number> {
  resetter = http2.createServer();
  resetter.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    const msg = Buffer.from(JSON.stringify({ i: 0, data: 'x' }));
    stream.write(Buffer.concat([Buffer.from([0, 0, 0, 0, msg.length]), msg]), () =>
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR),
    );
  });
  await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
  return (resetter.address() as AddressInfo).port;
}

beforeAll(async () => {
  gen = await startGrpcApp({ name: 'gen' });
  growthhack = await startGrpcApp({ name: 'gen-growthhack' });
  retryGood = await startGrpcApp({ name: 'retry-good' });
  await startUnavailable();
  const resetPort = await startResetter();
  disco = await mkdtemp(join(tmpdir(), 'sy-grpc-policy-'));
  // One name, two endpoints: a retry picks again among them.
  await writeFile(join(disco, 'retry'), `127.0.0.1 ${unavailablePort}\n127.0.0.1 ${retryGood.port}\n`);
  router = await startTestRouter(`
label: grpc
identifier:
  kind: io.l5d.header.path
  segments: 1
namers:
  - kind: io.l5d.fs
    rootDir: ${disco}
responseClassifier: io.l5d.h2.grpc.default
maxRetries: 3
# One failure takes an endpoint out for the rest of the test: the retry then finds the other one
# (p2c prefers the endpoint that fails fast, so without accrual it would pick it again).
failureAccrual:
  failures: 1
  minBackoffMs: 60000
  maxBackoffMs: 60000
dtab: |
  /srv/gen             => /$/inet/127.0.0.1/${gen.port} ;
  /srv/gen-growthhack  => /$/inet/127.0.0.1/${growthhack.port} ;
  /srv/retry           => /#/io.l5d.fs/retry ;
  /srv/resetter        => /$/inet/127.0.0.1/${resetPort} ;
  /svc/${SERVICE_NAME} => 1 * /srv/gen-growthhack & 19 * /srv/gen ;
`);
  client = echoClient(new URL(router.url).host);
});

afterAll(async () => {
  client.close();
  await router.close();
  await Promise.all([gen.close(), growthhack.close(), retryGood.close()]);
  unavailable.forceShutdown();
  await new Promise((r) => resetter.close(r));
  await rm(disco, { recursive: true, force: true });
});

describe('gRPC policy through the router', () => {
  it('splits 4,000 unary calls 1:19 within χ² bounds', async () => {
    const n = 4_000;
    let toCanary = 0;
    let failed = 0;
    await load(n, 32, async () => {
      const r = await unary(client, { message: 'split' });
      if (!r.ok) failed++;
      else if (r.value.server === 'gen-growthhack') toCanary++;
    });
    expect(failed).toBe(0);
    const expected = n / 20;
    const chi2 = (toCanary - expected) ** 2 / expected + (toCanary - expected) ** 2 / (n - expected);
    console.log(`canary: ${toCanary}/${n} calls to gen-growthhack (expected ${expected}), χ² = ${chi2.toFixed(2)}`);
    expect(chi2).toBeLessThan(CHI2_1DF_P1E6);
  }, 120_000);

  it('retries a trailers-only UNAVAILABLE on the other endpoint, and counts the retry', async () => {
    const metadata = { 'l5d-dtab': `/svc/${SERVICE_NAME} => /srv/retry` };
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await unary(client, { message: `retry ${i}` }, { metadata }));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    // The replayed body arrived whole: each call's own message came back.
    expect(results.every((r, i) => r.ok && r.value.server === 'retry-good' && r.value.message === `retry ${i}`)).toBe(
      true,
    );
    // The UNAVAILABLE endpoint is unmeasured, so p2c tries it by the second call at the latest.
    expect(unavailableCalls).toBeGreaterThan(0);
    const json = (await (await fetch(`${router.adminUrl}/admin/metrics.json`)).json()) as Record<string, number>;
    const retries = json[`rt/grpc/client/#/io.l5d.fs/retry/retries`];
    console.log(`retry: 20/20 calls OK; UNAVAILABLE answers ${unavailableCalls}, retries counted ${retries}`);
    expect(retries).toBe(unavailableCalls);
    expect(json['rt/grpc/client/#/io.l5d.fs/retry/grpc/status/14']).toBe(unavailableCalls);
  });

  it('an upstream reset reaches the caller as a reset, not a clean end', async () => {
    const metadata = { 'l5d-dtab': `/svc/${SERVICE_NAME} => /srv/resetter` };
    const { messages, status } = await serverStream(client, { count: 10, size: 1 }, { metadata });
    expect(messages.length).toBeLessThanOrEqual(1);
    expect(status.code).not.toBe(grpc.status.OK);
    expect(status.details).toMatch(/RST_STREAM/);
  });

  it('counts every gRPC status per service, client and server, in metrics.json and Prometheus', async () => {
    const staged = { 'l5d-dtab': `/svc/${SERVICE_NAME} => /srv/gen` };
    expect(await unary(client, { message: 'ok' }, { metadata: staged })).toMatchObject({ ok: true });
    for (let i = 0; i < 3; i++) {
      const r = await unary(client, { status: grpc.status.NOT_FOUND, statusMessage: 'gone' }, { metadata: staged });
      expect(r).toMatchObject({ ok: false, code: grpc.status.NOT_FOUND });
    }
    const json = (await (await fetch(`${router.adminUrl}/admin/metrics.json`)).json()) as Record<string, number>;
    const svc = `rt/grpc/service/svc/${SERVICE_NAME}/grpc/status`;
    expect(json[`${svc}/0`]).toBeGreaterThanOrEqual(4_001);
    expect(json[`${svc}/5`]).toBe(3);
    expect(json[`rt/grpc/client/$/inet/127.0.0.1/${gen.port}/grpc/status/5`]).toBe(3);
    expect(json['rt/grpc/server/grpc/status/5']).toBe(3);
    const text = await (await fetch(`${router.adminUrl}/admin/metrics/prometheus`)).text();
    expect(text).toContain(`rt:service:grpc:status{rt="grpc",service="svc/${SERVICE_NAME}",grpc_status="5"} 3`);
    expect(text).toContain('rt:server:grpc:status{rt="grpc",grpc_status="5"} 3');
    expect(text).toMatch(/rt:client:grpc:status\{rt="grpc",client="[^"]+",grpc_status="14"\} \d+/);
  });
});
