#!/usr/bin/env node
// The floor for a node router in `npm run bench:router`: node:http in front, one undici Pool
// behind, `Pool.dispatch` with a raw handler, request headers passed through as node gives them,
// response headers and body streamed back. No routing, no header rewriting, no metrics: what any
// router built on node:http + undici pays before doing anything of its own.
// Usage: node undici-passthrough.mjs PORT UPSTREAM_ORIGIN. Prints "listening" once it accepts.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [port, upstream] = process.argv.slice(2);
const pool = new Pool(upstream, { connections: 1024, pipelining: 1 });

class Handler {
  constructor(res) {
    this.res = res;
  }
  onRequestStart() {}
  onResponseStart(_controller, status, headers) {
    this.res.writeHead(status, headers);
  }
  onResponseData(_controller, chunk) {
    this.res.write(chunk);
  }
  onResponseEnd() {
    this.res.end();
  }
  onResponseError(_controller, error) {
    if (this.res.headersSent) this.res.destroy(error);
    else this.res.writeHead(502).end();
  }
}

const server = createServer({ noDelay: true, keepAliveTimeout: 10_000 }, (req, res) => {
  pool.dispatch({ method: req.method, path: req.url, headers: req.rawHeaders, body: null }, new Handler(res));
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => {
  server.close();
  pool.close().then(() => process.exit(0));
});
