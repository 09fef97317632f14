#!/usr/bin/env node
// For scale in `npm run bench:h2`: the least an HTTP/2 proxy built on node:http2 can do. An h2c
// server whose every stream is forwarded on one shared h2c session to the upstream: request
// headers and body as they come, response headers, body and trailers back. No routing, no header
// policy, no metrics, no error rendering beyond a 502: the floor any Node h2 proxy pays.
// Usage: passthrough.mjs PORT UPSTREAM_URL (e.g. http://127.0.0.1:8080); prints `listening <port>`.
import { connect, constants, createServer } from 'node:http2';

const { HTTP2_HEADER_STATUS } = constants;
const [port, upstreamUrl] = process.argv.slice(2);
let session = null;
function upstream() {
  if (session && !session.closed && !session.destroyed) return session;
  session = connect(upstreamUrl, { settings: { enablePush: false } });
  session.on('error', () => {});
  session.on('close', function () {
    if (session === this) session = null;
  });
  return session;
}

// Hop-by-hop and pseudo headers node:http2 sets itself or refuses to forward.
const DROP = new Set([':status', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

// A client may reset a stream at any moment (h2load stops with requests in flight): answering a
// stream that is gone throws, so every answer goes through `answer`.
function answer(down, headers, options) {
  if (down.destroyed || down.closed) return false;
  try {
    down.respond(headers, options);
    return true;
  } catch {
    down.destroy();
    return false;
  }
}

const server = createServer({ settings: { maxConcurrentStreams: 1000 } });
server.on('stream', (down, headers) => {
  down.on('error', () => {});
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (!DROP.has(k) && k !== ':scheme') out[k] = v;
  out[':scheme'] = 'http';
  let up;
  try {
    // A request whose HEADERS ended the stream (a GET) goes out the same way, without an empty DATA frame.
    up = upstream().request(out, { endStream: down.endAfterHeaders });
  } catch {
    return void answer(down, { [HTTP2_HEADER_STATUS]: 502 }, { endStream: true });
  }
  up.on('error', () => {
    if (down.headersSent || !answer(down, { [HTTP2_HEADER_STATUS]: 502 }, { endStream: true })) down.destroy();
  });
  down.on('close', () => {
    if (!up.closed) up.close();
  });
  if (!down.endAfterHeaders) down.pipe(up);
  else down.resume();
  up.on('response', (h) => {
    const grpc = String(h['content-type'] ?? '').startsWith('application/grpc');
    const rsp = {};
    for (const [k, v] of Object.entries(h)) if (!DROP.has(k) || k === ':status') rsp[k] = v;
    let trailers = {};
    up.on('trailers', (t) => (trailers = t));
    // A trailers-only answer (a gRPC error) carries grpc-status in its only HEADERS frame.
    if (h['grpc-status'] !== undefined) {
      up.resume();
      return void answer(down, rsp, { endStream: true });
    }
    if (!answer(down, rsp, { waitForTrailers: grpc })) return void up.close();
    if (grpc)
      down.once('wantTrailers', () => {
        try {
          down.sendTrailers(trailers);
        } catch {
          down.destroy();
        }
      });
    up.pipe(down);
  });
});
server.on('sessionError', () => {});
server.listen(Number(port), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
