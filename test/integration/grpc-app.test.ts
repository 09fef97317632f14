/**
 * The gRPC test application, proven on its own before any router test leans on it: the real
 * grpc-js client calls it directly (no router) over h2c on 127.0.0.1, for every method, for a
 * status the app is asked to fail with, for DEADLINE_EXCEEDED, and for a cancel the server sees.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bidi,
  clientStream,
  type EchoClient,
  echoClient,
  type GrpcApp,
  serverStream,
  startGrpcApp,
  unary,
} from '../helpers/grpc-app.js';

let app: GrpcApp;
let other: GrpcApp;
let client: EchoClient;

beforeAll(async () => {
  app = await startGrpcApp({ name: 'echo-1' });
  other = await startGrpcApp({ name: 'echo-2' });
  client = echoClient(app.target);
});

afterAll(async () => {
  client?.close();
  await Promise.all([app?.close(), other?.close()]);
});

describe('the gRPC test application, called straight by grpc-js', () => {
  it('Unary echoes the message and says which server answered', async () => {
    const r = await unary(client, { message: 'hello' }, { metadata: { 'x-test': 'one' } });
    expect(r).toMatchObject({ ok: true, value: { message: 'hello', server: 'echo-1' } });
    const seen = app.calls.at(-1)!;
    expect(seen.method).toBe('Unary');
    expect(seen.metadata['x-test']).toBe('one');
    expect(seen.deadlineMs).toBe(Number.POSITIVE_INFINITY);

    const c2 = echoClient(other.target);
    try {
      expect(await unary(c2, { message: 'hi' })).toMatchObject({ ok: true, value: { server: 'echo-2' } });
    } finally {
      c2.close();
    }
  });

  it('Unary answers with the status and message it is asked for (grpc-message survives non-ASCII)', async () => {
    const r = await unary(client, { status: grpc.status.UNAVAILABLE, statusMessage: 'down for now: café 100%' });
    expect(r).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE, details: 'down for now: café 100%' });
    const nf = await unary(client, { status: grpc.status.NOT_FOUND });
    expect(nf).toMatchObject({ ok: false, code: grpc.status.NOT_FOUND });
  });

  it('ServerStream sends n messages of the given size, then OK', async () => {
    const { messages, status } = await serverStream(client, { count: 50, size: 1000 });
    expect(status.code).toBe(grpc.status.OK);
    expect(messages).toHaveLength(50);
    expect(messages.map((m) => m.i)).toEqual([...Array(50).keys()]);
    expect(messages.every((m) => m.data.length === 1000)).toBe(true);
  });

  it('ClientStream sums what the client streamed', async () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(await clientStream(client, values)).toMatchObject({ ok: true, value: { sum: 5050, count: 100 } });
    expect(await clientStream(client, [])).toMatchObject({ ok: true, value: { sum: 0, count: 0 } });
  });

  it('Bidi answers every ping with its pong, in order, one at a time', async () => {
    const pongs = await bidi(client, [1, 2, 3, 4, 5]);
    expect(pongs).toEqual([1, 2, 3, 4, 5].map((pong) => ({ pong, server: 'echo-1' })));
  });

  it('a call past its deadline ends DEADLINE_EXCEEDED, and the server saw the deadline and the cancel', async () => {
    const before = app.cancels.length;
    const started = performance.now();
    const r = await unary(client, { message: 'slow', delayMs: 30_000 }, { timeoutMs: 300 });
    expect(r).toMatchObject({ ok: false, code: grpc.status.DEADLINE_EXCEEDED });
    // Generous: the deadline is 300 ms, a loaded machine may be late, but never 30 s late.
    expect(performance.now() - started).toBeLessThan(10_000);
    const seen = app.calls.at(-1)!;
    expect(seen.deadlineMs).toBeGreaterThan(0);
    expect(seen.deadlineMs).toBeLessThanOrEqual(300);
    await app.cancelled(before + 1);
    expect(app.cancels.at(-1)).toBe('Unary');
  });

  it('a call the client cancels ends CANCELLED, and the server observes the cancel', async () => {
    const before = { calls: app.calls.length, cancels: app.cancels.length };
    let call: grpc.ClientUnaryCall | undefined;
    const result = unary(client, { message: 'wait', delayMs: 30_000 }, {}, (c) => (call = c));
    await app.arrived(before.calls + 1);
    call!.cancel();
    expect(await result).toMatchObject({ ok: false, code: grpc.status.CANCELLED });
    await app.cancelled(before.cancels + 1);
    expect(app.cancels.at(-1)).toBe('Unary');
  });
});
