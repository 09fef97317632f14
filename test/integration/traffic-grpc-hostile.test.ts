/**
 * h2 and gRPC targets against a raw node:http2 server written here, which answers however a test
 * asks: trailers carrying a tracked header, trailers-only answers, no trailers at all, a message
 * announced as 4 GiB followed by 128 MiB of bytes, a stream that never ends, a header list far
 * past any sane size (from a server in a process of its own), GOAWAY on every connection, a
 * two-stream concurrency limit. The generator must count each the way a gRPC client would, hold
 * no payload in memory, never crash, and keep every run bounded. Also: an uploaded proto's request arrives encoded as one gRPC frame, and an
 * h2 connection goes through the target policy's lookup like an HTTP/1.1 one.
 */
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetPolicy } from '../../src/traffic/target-policy.js';
import type { TargetResultsJson } from '../../src/traffic/target-results.js';
import { TrafficClient } from '../../src/traffic/traffic-client.js';

interface Hostile {
  readonly url: string;
  readonly server: http2.Http2Server;
  /** Sessions opened so far. */
  sessions: number;
  /** Request bodies seen, by path. */
  readonly bodies: Map<string, Buffer>;
  /** Streams the client closed before the server ended them. */
  cancelled: number;
  /** The most streams open at once on one session. */
  maxOpen: number;
  /** Streams open now on this path. */
  streamsOpen(path: string): number;
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024);
const grpcHead = { ':status': 200, 'content-type': 'application/grpc' };
const frame = (payload: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, payload.length]), payload]);

/** Writes `total` bytes (one reused chunk) following flow control, then calls done. */
function pump(stream: http2.ServerHttp2Stream, total: number, done: () => void): void {
  let left = total;
  const more = () => {
    while (left > 0 && !stream.destroyed) {
      left -= CHUNK.length;
      if (!stream.write(CHUNK)) return void stream.once('drain', more);
    }
    if (!stream.destroyed) done();
  };
  more();
}

async function startHostile(settings: http2.Settings = {}, onSession?: (s: http2.ServerHttp2Session) => void) {
  const server = http2.createServer({ settings, maxSendHeaderBlockLength: 1 << 20 });
  const open = new Map<http2.Http2Session, number>();
  const byPath = new Map<string, number>();
  const h: Hostile = {
    url: '',
    server,
    sessions: 0,
    bodies: new Map(),
    cancelled: 0,
    maxOpen: 0,
    streamsOpen: (path) => byPath.get(path) ?? 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of open.keys()) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('session', (session) => {
    h.sessions++;
    open.set(session, 0);
    session.on('close', () => open.delete(session));
    session.on('error', () => {});
    onSession?.(session);
  });
  server.on('stream', (stream, headers) => {
    const session = stream.session!;
    open.set(session, (open.get(session) ?? 0) + 1);
    h.maxOpen = Math.max(h.maxOpen, open.get(session)!);
    stream.on('error', () => {});
    stream.on('close', () => {
      open.set(session, (open.get(session) ?? 1) - 1);
      if (stream.rstCode === http2.constants.NGHTTP2_CANCEL) h.cancelled++;
    });
    const path = String(headers[':path']);
    byPath.set(path, (byPath.get(path) ?? 0) + 1);
    stream.on('close', () => byPath.set(path, byPath.get(path)! - 1));
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => {
      h.bodies.set(path, Buffer.concat(parts));
      answer(path, stream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(h, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

function withTrailers(
  stream: http2.ServerHttp2Stream,
  head: http2.OutgoingHttpHeaders,
  trailers: http2.OutgoingHttpHeaders,
) {
  stream.respond(head, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
}

function answer(path: string, stream: http2.ServerHttp2Stream): void {
  switch (path) {
    case '/h.S/Trailer': // one message, then a tracked header in the trailers
      withTrailers(stream, grpcHead, { 'grpc-status': '0', 'x-shard': 'east' });
      return void stream.end(frame(Buffer.from('hi')));
    case '/h.S/TrailersOnly':
      return void stream.respond({ ...grpcHead, 'grpc-status': '7', 'x-shard': 'west' }, { endStream: true });
    case '/h.S/NoTrailers':
      stream.respond(grpcHead);
      return void stream.end(frame(Buffer.from('x')));
    case '/h.S/Huge': {
      // Announces a 4 GiB message, sends 128 MiB of it, then OK.
      withTrailers(stream, grpcHead, { 'grpc-status': '0' });
      stream.write(Buffer.from([0, 0xff, 0xff, 0xff, 0xff]));
      return void pump(stream, 128 * 1024 * 1024, () => stream.end());
    }
    case '/h.S/Endless':
      stream.respond(grpcHead);
      return void pump(stream, Number.POSITIVE_INFINITY, () => {});
    case '/h.S/Slow':
      withTrailers(stream, grpcHead, { 'grpc-status': '0' });
      return void setTimeout(() => stream.end(frame(Buffer.from('ok'))), 10);
    case '/up.Echo/Say':
      withTrailers(stream, grpcHead, { 'grpc-status': '0' });
      return void stream.end(frame(Buffer.from([])));
    default: // plain h2
      withTrailers(stream, { ':status': 200, 'x-version': 'h2' }, { 'x-checksum': 'abc' });
      return void stream.end('plain');
  }
}

let hostile: Hostile;
beforeAll(async () => {
  hostile = await startHostile();
});
afterAll(() => hostile?.close());

async function run(
  target: Record<string, unknown>,
  client = new TrafficClient({ stopGraceMs: 200 }),
): Promise<TargetResultsJson> {
  try {
    client.addTarget({ name: 't', protocol: 'grpc', service: 'h.S', url: hostile.url, ...target });
    client.invoke(['t']);
    await client.done('t');
    return client.resultsOf('t')!;
  } finally {
    await client.close();
  }
}

describe('gRPC answers as a gRPC client reads them', () => {
  it('tracks a header that arrives in the trailers, and grpc-status from them', async () => {
    const r = await run({ method: 'Trailer', totalRequests: 20, replicas: 4, trackHeaders: ['x-shard'] });
    expect(r).toMatchObject({ good: 20, countsByGrpcStatus: { 0: 20 } });
    expect(r.countsByHeaders['x-shard']).toMatchObject({
      countsByValues: { east: 20 },
      countsByValuesGrpcStatus: { east: { 0: 20 } },
    });
  });

  it('reads grpc-status and tracked headers from a trailers-only answer', async () => {
    const r = await run({ method: 'TrailersOnly', totalRequests: 10, trackHeaders: 'x-shard' });
    expect(r).toMatchObject({ bad: 10, countsByGrpcStatus: { 7: 10 } });
    expect(r.countsByHeaders['x-shard']?.countsByValuesGrpcStatus).toEqual({ west: { 7: 10 } });
  });

  it('a call that ends without grpc-status is bad, with the error grpc-status-missing', async () => {
    const r = await run({ method: 'NoTrailers', totalRequests: 10 });
    expect(r).toMatchObject({ good: 0, bad: 10, failed: 0, countsByErrors: { 'grpc-status-missing': 10 } });
    expect(r.countsByGrpcStatus).toEqual({});
  });

  it('plain h2: status, headers and a tracked trailer', async () => {
    const r = await run({
      protocol: 'H2C',
      service: null,
      url: `${hostile.url}/plain`,
      totalRequests: 10,
      trackHeaders: ['x-version', 'x-checksum'],
    });
    expect(r).toMatchObject({ good: 10, countsByStatusCodes: { 200: 10 }, countsByGrpcStatus: {} });
    expect(r.countsByHeaders['x-version']?.countsByValues).toEqual({ h2: 10 });
    expect(r.countsByHeaders['x-checksum']?.countsByValues).toEqual({ abc: 10 });
  });
});

describe('a hostile server cannot exhaust the generator', () => {
  it('a message announced as 4 GiB: 128 MiB read, none of it kept', async () => {
    // Memory is sampled while the call runs: a generator that kept the payload would peak above 128 MiB.
    const used = () => {
      const m = process.memoryUsage();
      return m.arrayBuffers + m.heapUsed;
    };
    const before = used();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, used())), 10);
    const r = await run({ method: 'Huge', totalRequests: 1, requestTimeout: '20s' }).finally(() =>
      clearInterval(sampler),
    );
    expect(r).toMatchObject({ good: 1, countsByGrpcStatus: { 0: 1 } });
    console.log(
      `huge frame: memory peaked ${((peak - before) / 1048576).toFixed(1)} MiB above the start while reading 128 MiB`,
    );
    expect(peak - before).toBeLessThan(96 * 1024 * 1024);
  });

  it('an endless stream is cancelled at requestTimeout and counted as DEADLINE_EXCEEDED', async () => {
    const cancelled = hostile.cancelled;
    const started = performance.now();
    const r = await run({ method: 'Endless', totalRequests: 3, replicas: 3, requestTimeout: '300ms' });
    expect(r).toMatchObject({ bad: 3, countsByGrpcStatus: { 4: 3 } });
    expect(performance.now() - started).toBeLessThan(5000);
    await expect.poll(() => hostile.cancelled - cancelled).toBe(3);
  });

  it('stop() ends endless streams within the grace period, and the cut-off calls are not counted', async () => {
    const client = new TrafficClient({ stopGraceMs: 200 });
    client.addTarget({
      name: 't',
      protocol: 'grpc',
      service: 'h.S',
      method: 'Endless',
      url: hostile.url,
      totalRequests: 2,
      replicas: 2,
      requestTimeout: '60s',
    });
    client.invoke(['t']);
    await expect.poll(() => hostile.streamsOpen('/h.S/Endless')).toBe(2);
    const started = performance.now();
    await client.stop(['t']);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(client.resultsOf('t')).toMatchObject({ requests: 0, running: false });
    await expect.poll(() => hostile.streamsOpen('/h.S/Endless')).toBe(0);
  });

  it('a header list past the limit fails the call, not the process', async () => {
    // The server in a process of its own (test/helpers/many-headers-server.mjs says why).
    const server = spawn(process.execPath, [join(import.meta.dirname, '../helpers/many-headers-server.mjs')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => server.once('exit', resolve));
    let r: TargetResultsJson;
    try {
      const port = await new Promise<string>((resolve, reject) => {
        server.stdout!.once('data', (d: Buffer) => resolve(String(d).trim()));
        server.once('exit', () => reject(new Error('the many-headers server exited')));
      });
      r = await run({ method: 'ManyHeaders', url: `http://127.0.0.1:${port}`, totalRequests: 5, requestTimeout: '5s' });
    } finally {
      server.kill('SIGTERM');
      await exited;
    }
    expect(r.requests).toBe(5);
    expect(r.good).toBe(0);
    expect(r.failed + r.bad).toBe(5);
    console.log('huge header list:', JSON.stringify(r.countsByErrors));
  });

  it('GOAWAY on every connection: each call fails or is answered, and the run ends', async () => {
    const storm = await startHostile({}, (session) => session.goaway(http2.constants.NGHTTP2_NO_ERROR, 0));
    try {
      const started = performance.now();
      const r = await run({
        method: 'Trailer',
        url: storm.url,
        totalRequests: 200,
        replicas: 10,
        requestTimeout: '2s',
      });
      expect(r.requests).toBe(200);
      expect(r.good).toBe(0);
      expect(performance.now() - started).toBeLessThan(15_000);
      console.log(`GOAWAY storm: ${storm.sessions} sessions for 200 calls, errors ${JSON.stringify(r.countsByErrors)}`);
    } finally {
      await storm.close();
    }
  });

  it('a server that accepts the connection and never speaks HTTP/2: each call times out, the run ends', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const started = performance.now();
      const r = await run({ method: 'Trailer', url, totalRequests: 4, replicas: 2, requestTimeout: '300ms' });
      expect(r).toMatchObject({ failed: 4, countsByErrors: { timeout: 4 } });
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("respects the server's max concurrent streams by opening more sessions", async () => {
    const narrow = await startHostile({ maxConcurrentStreams: 2 });
    try {
      const r = await run({ method: 'Slow', url: narrow.url, totalRequests: 60, replicas: 8 });
      expect(r).toMatchObject({ good: 60, failed: 0 });
      expect(narrow.maxOpen).toBeLessThanOrEqual(2);
      expect(narrow.sessions).toBeGreaterThanOrEqual(4);
    } finally {
      await narrow.close();
    }
  });
});

describe('requests and connections', () => {
  it('an uploaded proto: the JSON body arrives as one encoded gRPC message', async () => {
    const client = new TrafficClient();
    client.protos.add(
      'up',
      'syntax = "proto3"; package up; service Echo { rpc Say(Req) returns (Rep); } message Req { string text = 1; int32 n = 2; } message Rep {}',
    );
    const r = await run({ service: 'up.Echo', method: 'Say', body: '{"text":"hi","n":3}', totalRequests: 1 }, client);
    expect(r.good).toBe(1);
    expect(hostile.bodies.get('/up.Echo/Say')).toEqual(Buffer.from([0, 0, 0, 0, 6, 0x0a, 2, 0x68, 0x69, 0x10, 3]));
  });

  it('an h2 connection goes through the target policy: a name resolving to a refused address is refused', async () => {
    const sessions = hostile.sessions;
    const client = new TrafficClient({ policy: targetPolicy({ targetCidrs: ['10.0.0.0/8'] }) });
    const url = hostile.url.replace('127.0.0.1', 'localhost');
    const r = await run({ method: 'Trailer', url, totalRequests: 3 }, client);
    expect(r).toMatchObject({ failed: 3, countsByErrors: { EADDRREFUSED_POLICY: 3 } });
    expect(hostile.sessions).toBe(sessions);
  });
});
