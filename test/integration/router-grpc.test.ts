/**
 * Real @grpc/grpc-js clients and servers through the router (h2c): the four call shapes, deadlines
 * end to end, cancels both ways, the server's statuses passed through untouched, and the router's
 * own trailers-only answers (UNAVAILABLE, PERMISSION_DENIED, INVALID_ARGUMENT) with `l5d-err`.
 * Calls are named by `io.l5d.header.path` (`/switchyard.test.Echo/Unary` → `/svc/switchyard.test.Echo`).
 */
import http2 from 'node:http2';
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import {
  bidi,
  clientStream,
  type EchoClient,
  echoClient,
  type GrpcApp,
  SERVICE_NAME,
  serverStream,
  startGrpcApp,
  unary,
} from '../helpers/grpc-app.js';
import { startTestRouter } from '../helpers/router-harness.js';

let app: GrpcApp;
let router: RunningRouter;
let client: EchoClient;
let deadPort: number;

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  app = await startGrpcApp({ name: 'gen' });
  deadPort = await closedPort();
  router = await startTestRouter(`
identifier:
  kind: io.l5d.header.path
  segments: 1
dtab: |
  /srv/gen  => /$/inet/127.0.0.1/${app.port} ;
  /srv/dead => /$/inet/127.0.0.1/${deadPort} ;
  /svc/${SERVICE_NAME} => /srv/gen ;
`);
  client = echoClient(new URL(router.url).host);
});

afterAll(async () => {
  client.close();
  await router.close();
  await app.close();
});

describe('gRPC through the router: call shapes', () => {
  it('unary', async () => {
    const r = await unary(client, { message: 'hello' });
    expect(r).toMatchObject({ ok: true, value: { message: 'hello', server: 'gen' } });
    expect(app.calls.at(-1)?.metadata['l5d-dst-service']).toBe(`/svc/${SERVICE_NAME}`);
  });

  it('a server stream of 10,000 messages, in order and whole', async () => {
    const { messages, status } = await serverStream(client, { count: 10_000, size: 64 });
    expect(status.code).toBe(grpc.status.OK);
    expect(messages).toHaveLength(10_000);
    expect(messages.every((m, i) => m.i === i && m.data.length === 64)).toBe(true);
  }, 60_000);

  it('client streaming', async () => {
    const values = Array.from({ length: 500 }, (_, i) => i);
    const r = await clientStream(client, values);
    expect(r).toMatchObject({ ok: true, value: { sum: (499 * 500) / 2, count: 500 } });
  });

  it('bidirectional ping-pong', async () => {
    const pongs = await bidi(
      client,
      Array.from({ length: 50 }, (_, i) => i),
    );
    expect(pongs.map((p) => p.pong)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('gRPC through the router: deadlines and cancels', () => {
  it('the client deadline reaches the server as grpc-timeout, and DEADLINE_EXCEEDED cancels the server call', async () => {
    const before = app.cancels.length;
    const r = await unary(client, { message: 'slow', delayMs: 5_000 }, { timeoutMs: 300 });
    expect(r).toMatchObject({ ok: false, code: grpc.status.DEADLINE_EXCEEDED });
    await app.cancelled(before + 1);
    const seen = app.calls.at(-1)!;
    expect(seen.deadlineMs).toBeLessThanOrEqual(300);
    expect(seen.metadata['l5d-ctx-deadline']).toMatch(/^\d+ \d+$/);
  });

  it("the router's own deadline: trailers-only DEADLINE_EXCEEDED to the caller, the upstream stream cancelled", async () => {
    const before = app.cancels.length;
    const session = http2.connect(router.url);
    try {
      const message = Buffer.from(JSON.stringify({ message: 'slow', delayMs: 5_000 }));
      const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
      const stream = session.request({
        ':method': 'POST',
        ':path': `/${SERVICE_NAME}/Unary`,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': '200m',
      });
      stream.end(frame);
      const [headers, flags] = await new Promise<[http2.IncomingHttpHeaders, number]>((resolve) =>
        stream.once('response', (h, f) => resolve([h, f])),
      );
      expect(headers[':status']).toBe(200);
      expect(headers['grpc-status']).toBe(String(grpc.status.DEADLINE_EXCEEDED));
      expect(flags & http2.constants.NGHTTP2_FLAG_END_STREAM).toBeTruthy();
      await app.cancelled(before + 1);
    } finally {
      session.destroy();
    }
  });

  it('a past l5d-ctx-deadline is answered DEADLINE_EXCEEDED without reaching the server', async () => {
    const calls = app.calls.length;
    const past = `${(Date.now() - 2_000) * 1e6} ${(Date.now() - 1_000) * 1e6}`;
    const r = await unary(client, { message: 'late' }, { metadata: { 'l5d-ctx-deadline': past } });
    expect(r).toMatchObject({ ok: false, code: grpc.status.DEADLINE_EXCEEDED });
    expect(r.ok ? {} : r.metadata).toHaveProperty('l5d-err');
    expect(app.calls.length).toBe(calls);
  });

  it('a malformed grpc-timeout from the caller is not forwarded', async () => {
    const session = http2.connect(router.url);
    try {
      const message = Buffer.from(JSON.stringify({ message: 'x' }));
      const stream = session.request({
        ':method': 'POST',
        ':path': `/${SERVICE_NAME}/Unary`,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': '5 S',
      });
      stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]));
      stream.resume();
      await new Promise((r) => stream.once('close', r));
      expect(app.calls.at(-1)?.deadlineMs).toBe(Number.POSITIVE_INFINITY);
    } finally {
      session.destroy();
    }
  });

  it('a client cancel reaches the server as a cancel', async () => {
    const before = app.cancels.length;
    const calls = app.calls.length;
    const r = await unary(client, { message: 'cancel me', delayMs: 10_000 }, {}, (call) => {
      void app.arrived(calls + 1).then(() => call.cancel());
    });
    expect(r).toMatchObject({ ok: false, code: grpc.status.CANCELLED });
    await app.cancelled(before + 1);
    expect(app.cancels.at(-1)).toBe('Unary');
  });
});

describe('gRPC through the router: statuses', () => {
  it('passes the server status, message and trailing metadata through untouched', async () => {
    const notFound = await unary(client, { status: grpc.status.NOT_FOUND, statusMessage: 'no such thing' });
    expect(notFound).toMatchObject({ ok: false, code: grpc.status.NOT_FOUND, details: 'no such thing' });
    const invalid = await unary(client, {
      status: grpc.status.INVALID_ARGUMENT,
      statusMessage: 'bad field: naïve %20',
      trailers: { 'x-why': 'field-7' },
    });
    expect(invalid).toMatchObject({
      ok: false,
      code: grpc.status.INVALID_ARGUMENT,
      details: 'bad field: naïve %20',
      metadata: { 'x-why': 'field-7' },
    });
    expect(invalid.ok ? {} : invalid.metadata).not.toHaveProperty('l5d-err');
  });

  it.each([
    ['a dead endpoint', { 'l5d-dtab': `/svc/${SERVICE_NAME} => /srv/dead` }, grpc.status.UNAVAILABLE, /./],
    [
      'a refused /$/inet override',
      { 'l5d-dtab': `/svc/${SERVICE_NAME} => /$/inet/127.0.0.1/${app?.port ?? 1}` },
      grpc.status.PERMISSION_DENIED,
      /./,
    ],
    ['a malformed l5d-dtab', { 'l5d-dtab': '/svc/=>>' }, grpc.status.INVALID_ARGUMENT, /./],
  ])("the router's own answer to %s is trailers-only with l5d-err", async (_what, metadata, code, details) => {
    const calls = app.calls.length;
    const r = await unary(client, { message: 'x' }, { metadata });
    expect(r).toMatchObject({ ok: false, code });
    if (r.ok) return;
    expect(r.details).toMatch(details);
    expect(decodeURIComponent(r.metadata['l5d-err'] ?? '')).toBe(r.details);
    expect(app.calls.length).toBe(calls);
  });

  it("the router's answer to a name with no hosts is a trailers-only UNAVAILABLE with l5d-err", async () => {
    // A generic grpc-js client calling a service the dtab does not name.
    const generic = new grpc.Client(new URL(router.url).host, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError>((resolve) =>
        generic.makeUnaryRequest(
          '/nowhere.Svc/Call',
          (v: Buffer) => v,
          (v: Buffer) => v,
          Buffer.from('{}'),
          new grpc.Metadata(),
          {},
          (e) => resolve(e!),
        ),
      );
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      expect(err.details).toMatch(/^No hosts are available for \/svc\/nowhere.Svc/);
      expect(err.metadata.get('l5d-err')).toHaveLength(1);
    } finally {
      generic.close();
    }
  });

  it('a staging override through l5d-dtab metadata routes the call', async () => {
    const r = await unary(
      client,
      { message: 'staged' },
      { metadata: { 'l5d-dtab': `/svc/${SERVICE_NAME} => /srv/gen` } },
    );
    expect(r).toMatchObject({ ok: true, value: { message: 'staged' } });
    expect(app.calls.at(-1)?.metadata['l5d-ctx-dtab']).toContain('/srv/gen');
  });
});
