#!/usr/bin/env node
// The HTTP/2 (h2c) upstream of `npm run bench:h2`, one node:http2 server on 127.0.0.1:<port>:
//   GET <any path>            → 200, 13-byte body (the same body as bench:router)
//   POST /bench.Echo/Unary    → gRPC unary: reads one framed message, answers one framed
//                               12-byte message and the trailer grpc-status: 0
//   POST /bench.Echo/Stream   → gRPC server streaming: the request message is a uint32 count N;
//                               answers N framed 16-byte messages (honouring backpressure), then
//                               grpc-status: 0
// Usage: upstream.mjs PORT (0 for any); prints `listening <port>` once bound.
import { createServer } from 'node:http2';
import { deframer, frame } from './grpc-frame.mjs';

const BODY = Buffer.from('hello, world\n');
const UNARY_REPLY = frame(Buffer.from('hello, gRPC!'));
const STREAM_MESSAGE = frame(Buffer.from('0123456789abcdef'));
const MAX_STREAM = 10_000_000;

// A client may reset a stream at any moment (h2load stops with requests in flight, a proxy
// cancels its upstream stream when its own client goes): answering a stream that is gone throws,
// so every answer goes through these two.
function respond(stream, headers, options) {
  if (stream.destroyed || stream.closed) return false;
  try {
    stream.respond(headers, options);
    return true;
  } catch {
    stream.destroy();
    return false;
  }
}

function okTrailers(stream) {
  stream.once('wantTrailers', () => {
    try {
      stream.sendTrailers({ 'grpc-status': '0' });
    } catch {
      stream.destroy();
    }
  });
}

function grpcError(stream, status, message) {
  respond(
    stream,
    { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status), 'grpc-message': message },
    { endStream: true },
  );
}

function unary(stream) {
  const messages = deframer(1 << 16);
  let got = 0;
  stream.on('data', (c) => (got += messages.push(c).length));
  stream.on('end', () => {
    if (got !== 1) return grpcError(stream, 12, `expected one request message, got ${got}`);
    if (!respond(stream, { ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })) return;
    okTrailers(stream);
    stream.end(UNARY_REPLY);
  });
}

function serverStream(stream) {
  const messages = deframer(1 << 16);
  let request = null;
  stream.on('data', (c) => {
    for (const m of messages.push(c)) request ??= m;
  });
  stream.on('end', () => {
    if (request?.length !== 4) return grpcError(stream, 3, 'the request is one uint32 count');
    let left = Math.min(request.readUInt32BE(0), MAX_STREAM);
    if (!respond(stream, { ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })) return;
    okTrailers(stream);
    const pump = () => {
      while (left > 0 && !stream.destroyed) {
        left--;
        if (!stream.write(STREAM_MESSAGE)) return void stream.once('drain', pump);
      }
      stream.end();
    };
    pump();
  });
}

const server = createServer({ settings: { maxConcurrentStreams: 1000 } });
server.on('stream', (stream, headers) => {
  stream.on('error', () => {});
  const method = headers[':method'];
  const path = headers[':path'];
  if (method === 'POST' && String(headers['content-type']).startsWith('application/grpc')) {
    if (path === '/bench.Echo/Unary') return unary(stream);
    if (path === '/bench.Echo/Stream') return serverStream(stream);
    return grpcError(stream, 12, `unknown method ${path}`);
  }
  if (respond(stream, { ':status': 200, 'content-type': 'text/plain', 'content-length': String(BODY.length) }))
    stream.end(BODY);
});
server.on('sessionError', () => {});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
