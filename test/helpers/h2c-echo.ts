/**
 * A small Exchange handler for testing the h2 inbound edge without a router: the path picks
 * what it does. `/echo…` answers the request as JSON (method, path, authority, headers, body),
 * `/trailers` ends with trailers, `/stall` holds the stream until the test releases it, `/big?mb=N`
 * streams N MB in fresh 64 KiB chunks honouring `write() === false`, `/rescue` and `/rescue-grpc`
 * render a router failure, `/abort` cuts a started response.
 */
import { EventEmitter, once } from 'node:events';
import http2 from 'node:http2';
import type { Exchange, Synthetic } from '../../src/router/core/exchange.js';

export const FAILURE: Synthetic = {
  code: 'SY_ERR_NO_BROKERS',
  status: 502,
  message: 'No hosts are available for /svc/web, 100% gone: ü',
  retryable: true,
  grpcStatus: 14,
};

export class EchoHandler extends EventEmitter {
  readonly stalled: Exchange[] = [];
  abandoned = 0;
  falseWrites = 0;
  drains = 0;
  bigBytes = 0;

  readonly handle = (ex: Exchange): void => {
    const url = new URL(ex.head.path || '/', 'http://x');
    ex.sink.onAbandon(() => {
      this.abandoned++;
      this.emit('abandoned');
    });
    switch (url.pathname) {
      case '/stall':
        this.stalled.push(ex);
        this.emit('stalled', this.stalled.length);
        return;
      case '/no-content':
        // What a careless upstream does: a body (and trailers) on a 204.
        ex.sink.start(204, []);
        ex.sink.write(Buffer.from('must not be sent'));
        ex.sink.end(['x-trailer', 'dropped']);
        return;
      case '/trailers':
        ex.sink.start(200, ['content-type', 'text/plain']);
        ex.sink.write(Buffer.from('ok'));
        ex.sink.end(['x-trailer', 'yes', 'grpc-status', '0']);
        return;
      case '/big':
        this.#big(ex, Number(url.searchParams.get('mb') ?? '1'));
        return;
      case '/rescue':
      case '/rescue-grpc':
        ex.sink.rescue(FAILURE);
        return;
      case '/abort':
      case '/abort-cancel':
        ex.sink.start(200, []);
        ex.sink.write(Buffer.from('partial'));
        setTimeout(() => {
          const reason = new Error(url.pathname === '/abort' ? 'upstream went away' : 'the deadline passed');
          if (url.pathname === '/abort-cancel') reason.name = 'AbortError';
          ex.sink.abort(reason);
        }, 20);
        return;
      default:
        return void this.#echo(ex);
    }
  };

  /** Releases every stalled stream with a 200 `released`. */
  release(): void {
    for (const ex of this.stalled.splice(0)) {
      ex.sink.start(200, ['content-type', 'text/plain']);
      ex.sink.write(Buffer.from('released'));
      ex.sink.end();
    }
  }

  async untilStalled(n: number): Promise<void> {
    while (this.stalled.length < n) await once(this, 'stalled');
  }

  async #echo(ex: Exchange): Promise<void> {
    const chunks: Buffer[] = [];
    if (ex.head.expectContinue) ex.sink.continue();
    if (ex.body) for await (const c of ex.body.stream) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const json = JSON.stringify({
      method: ex.head.method,
      path: ex.head.path,
      authority: ex.head.authority,
      headers: ex.head.headers,
      body,
      hasBody: ex.head.hasBody,
      contentLength: ex.head.contentLength,
      received: ex.body?.received() ?? 0,
      complete: ex.body?.complete ?? null,
      grpc: ex.head.grpc,
      userDtab: ex.head.userDtab,
      ctxDtab: ex.head.ctxDtab,
      deadline: ex.head.deadline,
      via: ex.head.via,
      grpcTimeout: ex.head.grpcTimeout,
      duplicateHost: ex.head.duplicateHost,
      expectContinue: ex.head.expectContinue,
      protocol: ex.head.protocol,
      remoteAddress: ex.head.remoteAddress,
    });
    ex.sink.start(200, ['content-type', 'application/json']);
    ex.sink.write(Buffer.from(json));
    ex.sink.end();
  }

  #big(ex: Exchange, mb: number): void {
    const total = mb * 1024 * 1024;
    let sent = 0;
    ex.sink.start(200, ['content-type', 'application/octet-stream', 'content-length', String(total)]);
    const pump = () => {
      while (sent < total && !ex.sink.finished) {
        // A fresh buffer each time: if the sink ignored backpressure, memory would hold them all.
        const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, total - sent)).fill(0x61);
        sent += chunk.length;
        this.bigBytes = sent;
        if (!ex.sink.write(chunk)) {
          this.falseWrites++;
          ex.sink.onDrain(() => {
            this.drains++;
            pump();
          });
          return;
        }
      }
      if (sent >= total) ex.sink.end();
    };
    pump();
  }
}

export interface H2Answer {
  readonly headers: http2.IncomingHttpHeaders;
  readonly trailers: http2.IncomingHttpHeaders | undefined;
  readonly body: string;
}

/** One request on a session, read to the end (rejects on a stream error, a reset or no response). */
export function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: string | Buffer,
): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, { endStream: body === undefined });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      responseHeaders = h;
    });
    req.on('trailers', (t) => {
      trailers = t;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    // 'close', not 'end': a stream cut by a reset or a destroyed session may still end its readable side.
    req.on('close', () => {
      if (req.rstCode !== undefined && req.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
        return reject(new Error(`stream reset with code ${req.rstCode}`));
      }
      if (responseHeaders[':status'] === undefined) return reject(new Error('no response'));
      resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks).toString('utf8') });
    });
    if (body !== undefined) req.end(body);
  });
}

export function connectH2(port: number): http2.ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  return session;
}

/** Raw h2 frames, for what real clients refuse to send. */
export function h2Frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}
