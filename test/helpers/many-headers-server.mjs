// An h2c server that answers every call with a header list of 4000 pairs (about 180 KB), far past
// any client's limit, and prints its port. It runs in a process of its own: on Node 20 (not 22 or
// later) node's http2 server that sent such a list aborts when the session is garbage-collected
// (the native assertion `current_nghttp2_memory_ == 0` in ~Http2Session), and in the test's
// process that took the tests down with it.
import http2 from 'node:http2';

const server = http2.createServer();
server.on('session', (session) => session.on('error', () => {}));
server.on('stream', (stream) => {
  stream.on('error', () => {});
  const head = { ':status': 200, 'content-type': 'application/grpc' };
  for (let i = 0; i < 4000; i++) head[`x-h${i}`] = 'v'.repeat(40);
  stream.respond(head, { endStream: true });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
