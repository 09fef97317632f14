#!/usr/bin/env node
// The @fastify/http-proxy subject of `npm run bench:router`: fastify 5 with the plugin's defaults
// (undici upstream client, keep-alive), no logger. Usage: node fastify-proxy.mjs PORT UPSTREAM_URL.
// Prints "listening" on stdout once it accepts connections; SIGTERM closes it.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const [port, upstream] = process.argv.slice(2);
const app = Fastify({ logger: false });
await app.register(proxy, { upstream });
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('listening\n');
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
