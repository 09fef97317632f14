/**
 * Redis behind latency: a real redis-server behind switchyard toxiproxy, a real Redis client
 * (ioredis) through the proxy. A latency toxic on the replies adds its latency to every command.
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToxiproxyServer, type ToxiproxyServer } from '../../src/chaos/server.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
let server: ToxiproxyServer;

beforeAll(async () => {
  redis = await startRedisServer();
  server = await startToxiproxyServer({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }) });
}, 20_000);

afterAll(async () => {
  await server?.close();
  await redis?.cleanup();
});

async function medianPing(client: Redis, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await client.ping();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

describe('toxiproxy: Redis behind latency', () => {
  it('a 60 ms downstream latency adds 60 ms (±30%) to the median PING', async () => {
    const toxiproxy = new Toxiproxy(server.url);
    const proxy = await toxiproxy.createProxy({
      name: 'redis',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${redis.port}`,
    });
    const client = new Redis({ host: '127.0.0.1', port: Number(proxy.listen.split(':').pop()), lazyConnect: true });
    try {
      await client.connect();
      await client.set('k', 'v');
      const base = await medianPing(client, 15);
      const toxic = await proxy.addToxic({
        name: 'slow_redis',
        type: 'latency',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency: 60, jitter: 0 },
      });
      const slowed = await medianPing(client, 15);
      expect(slowed - base).toBeGreaterThan(42);
      expect(slowed - base).toBeLessThan(78);
      expect(await client.get('k')).toBe('v');
      await toxic.remove();
      expect(await medianPing(client, 5)).toBeLessThan(40);
    } finally {
      client.disconnect();
    }
  });
});
