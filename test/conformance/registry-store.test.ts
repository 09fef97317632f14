/**
 * One suite for every RegistryStore (memory, Redis on a real redis-server): values per section
 * and key, deletes, and a Registry opened again on the same store finding peers, epochs,
 * targets, tracked headers and lockers as they were. Redis also fails fast with 503 while down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRegistryStore } from '../../src/registry/redis-registry-store.js';
import { Registry } from '../../src/registry/registry.js';
import { MemoryRegistryStore, type RegistryStore } from '../../src/registry/registry-store.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);
afterAll(async () => {
  await redis?.cleanup();
});

let db = 0;
const implementations: [string, () => Promise<RegistryStore>][] = [
  ['memory', async () => new MemoryRegistryStore()],
  // A fresh database per test keeps them apart on one server.
  ['redis', async () => RedisRegistryStore.open(`${redis.url.replace(/\/0$/, '')}/${++db % 16}`)],
];

describe.each(implementations)('%s registry store', (_name, open) => {
  it('keeps values per section and key, and forgets deleted ones', async () => {
    const store = await open();
    await store.put('peers', 'a', '{"x":1}');
    await store.put('lockers', 'a', 'locker');
    await store.put('peers', 'a', '{"x":2}');
    await store.put('peers', 'b', '{}');
    await store.delete('peers', 'b');
    await store.delete('peers', 'never');
    const loaded = await store.load();
    expect([...loaded.get('peers')!]).toEqual([['a', '{"x":2}']]);
    expect([...loaded.get('lockers')!]).toEqual([['a', 'locker']]);
    expect(loaded.get('targets')!.size).toBe(0);
    await store.close();
  });

  it('gives a reopened registry its peers, epochs, targets, tracked headers and lockers', async () => {
    const store = await open();
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const now = () => clock;
    const first = await Registry.open({ store, now });
    const peer = { name: 'svc', address: '127.0.0.1:1', pod: 'web-1' };
    await first.addPeer(peer);
    clock += 1000;
    await first.removePeer('svc', peer.address);
    clock += 1000;
    await first.addPeer(peer);
    await first.addTarget('svc', { name: 't', url: 'http://127.0.0.1:1/' });
    await first.setTrackHeaders(['x-version']);
    await first.storeLocker('svc', peer.address, ['client', 't'], { requests: 7 });
    const before = { peers: first.peers(), targets: first.targets(), lockers: first.lockers() };

    const reopened = await Registry.open({ store, now });
    expect(reopened.peers()).toEqual(before.peers);
    expect(reopened.peers().svc!.pods[peer.address]!.currentEpoch.epoch).toBe(1);
    expect(reopened.peers().svc!.podEpochs[peer.address]).toHaveLength(2);
    expect(reopened.targets()).toEqual(before.targets);
    expect(reopened.trackHeaders()).toEqual(['x-version']);
    expect(reopened.lockers()).toEqual(before.lockers);
    expect(reopened.lockerNode('svc', peer.address, ['client', 't'])?.data).toEqual({ requests: 7 });
    await first.close();
    await reopened.close();
  });
});

describe('redis registry store while Redis is down', () => {
  it('fails fast with SY_ERR_REGISTRY_STORE_UNAVAILABLE and recovers when Redis is back', async () => {
    const store = await RedisRegistryStore.open(`${redis.url.replace(/\/0$/, '')}/15`);
    await redis.stop();
    const started = Date.now();
    await expect(store.put('peers', 'a', '{}')).rejects.toMatchObject({
      code: 'SY_ERR_REGISTRY_STORE_UNAVAILABLE',
      status: 503,
    });
    expect(Date.now() - started).toBeLessThan(2_500);
    await redis.restart();
    await expect
      .poll(
        async () =>
          store.put('peers', 'a', '{}').then(
            () => true,
            () => false,
          ),
        { timeout: 5_000 },
      )
      .toBe(true);
    await store.close();
  });

  it('refuses to open when Redis cannot be reached', async () => {
    await expect(RedisRegistryStore.open('redis://127.0.0.1:1/0', { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'SY_ERR_REGISTRY_STORE_UNAVAILABLE',
    });
  });
});
