/**
 * The Redis store against the DtabStore conformance suite, on a real redis-server that this file
 * starts (test/helpers/redis-server.ts), plus what only a shared, restartable backend can show:
 * two namerd replicas on one Redis see each other's writes; a Redis restart under an open watch
 * loses and repeats no version; and while Redis is down, calls fail fast with 503.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dtab } from '../../src/dtab/dtab.js';
import { openStore } from '../../src/store/open-store.js';
import { RedisDtabStore, type RedisStoreOptions } from '../../src/store/redis-store.js';
import type { VersionedDtab } from '../../src/store/versioned-dtab.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import { recordWatch } from '../helpers/watch-recorder.js';
import { runDtabStoreConformance } from './dtab-store.conformance.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
}, 20_000);
afterAll(async () => {
  await server?.cleanup();
});

/** Each store gets its own key prefix, so tests share the server without seeing each other. */
const freshPrefix = () => `test-${randomBytes(6).toString('hex')}:`;

/** Deletes every key under one prefix: what a Redis restarting without persistence does to it. */
const WIPE = "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 1";

runDtabStoreConformance('redis', async (options) => {
  const prefix = freshPrefix();
  const store = await RedisDtabStore.open(server.url, { ...options, prefix });
  return {
    store,
    cleanup: () => store.close(),
    loseData: async () => void (await server.command('EVAL', WIPE, '0', `${prefix}*`)),
  };
});

describe('redis store replicas and outages', () => {
  const d = (text: string) => Dtab.read(text);
  const versionOf = (v: VersionedDtab | null) => (v === null ? null : v.version);
  const replicas = async (options: RedisStoreOptions = {}) => {
    const prefix = freshPrefix();
    const a = await RedisDtabStore.open(server.url, { ...options, prefix });
    const b = await RedisDtabStore.open(server.url, { ...options, prefix });
    return { a, b, close: () => Promise.all([a.close(), b.close()]) };
  };

  it('is what openStore("redis://…") opens', async () => {
    const store = await openStore(server.url);
    expect(store).toBeInstanceOf(RedisDtabStore);
    await store.close();
  });

  it('streams every write through one replica to a watcher on the other', async () => {
    const { a, b, close } = await replicas();
    try {
      await a.create('web', d('/a=>/1'));
      const w = recordWatch(b.watch('web'));
      const names = recordWatch(b.watchList());
      await w.until((v) => v.length >= 1);
      await names.until((v) => v.length >= 1);
      await a.update('web', d('/a=>/2'), 1);
      await a.put('web', d('/a=>/3'));
      await a.delete('web');
      await a.create('web', d('/a=>/5'));
      await a.create('api', d('/a=>/b'));
      await w.until((v) => versionOf(v[v.length - 1]!) === 5);
      await names.until((v) => v[v.length - 1]?.join() === 'api,web');
      expect(w.values.map(versionOf)).toEqual([1, 2, 3, null, 5]);
      expect(w.values[2]?.dtab.show()).toBe('/a=>/3');
      // Compare-and-set holds across replicas: b's read is stale once a has written.
      const seen = await b.get('web');
      await a.update('web', d('/a=>/6'), seen!.version);
      await expect(b.update('web', d('/a=>/x'), seen!.version)).rejects.toMatchObject({
        code: 'SY_ERR_VERSION_MISMATCH',
      });
      w.close();
      names.close();
    } finally {
      await close();
    }
  });

  it('catches up on a change whose message was lost while its subscription was down', async () => {
    const { a, b, close } = await replicas();
    try {
      await a.create('web', d('/a=>/1'));
      const w = recordWatch(b.watch('web'));
      await w.until((v) => v.length >= 1);
      // Drop every subscriber connection; the command connections stay, so this write's
      // PUBLISH reaches nobody and only b's re-read after resubscribing can deliver it.
      expect(await server.command('CLIENT', 'KILL', 'TYPE', 'pubsub')).toMatch(/^:[1-9]/);
      await a.put('web', d('/a=>/2'));
      await w.until((v) => versionOf(v[v.length - 1]!) === 2);
      await a.put('web', d('/a=>/3'));
      await w.until((v) => versionOf(v[v.length - 1]!) === 3);
      expect(w.values.map(versionOf)).toEqual([1, 2, 3]);
      w.close();
    } finally {
      await close();
    }
  });

  it('loses and repeats no version when Redis restarts under an open watch', { timeout: 30_000 }, async () => {
    const { a, b, close } = await replicas();
    try {
      await a.create('web', d('/a=>/1'));
      const w = recordWatch(b.watch('web'));
      await w.until((v) => v.length >= 1);
      await a.put('web', d('/a=>/2'));
      await w.until((v) => v.length >= 2);
      await server.restart();
      // The first write after the restart, as soon as a's connection is back.
      const deadline = Date.now() + 10_000;
      let first: VersionedDtab | undefined;
      while (first === undefined) {
        try {
          first = await a.put('web', d('/a=>/after-restart'));
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      expect(first.version).toBe(3); // the data and the counter survived (appendonly)
      await w.until((v) => versionOf(v[v.length - 1]!) === 3, 10_000);
      for (let i = 4; i <= 20; i++) await a.put('web', d(`/a=>/${i}`));
      await w.until((v) => versionOf(v[v.length - 1]!) === 20);
      expect(w.values.map(versionOf)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(w.errors).toEqual([]);
      w.close();
    } finally {
      await close();
    }
  });

  it('fails fast with SY_ERR_STORE_UNAVAILABLE (503) while Redis is down, and recovers', {
    timeout: 30_000,
  }, async () => {
    const { a, close } = await replicas();
    try {
      await a.create('web', d('/a=>/1'));
      await server.stop();
      for (const call of [
        () => a.get('web'),
        () => a.put('web', d('/a=>/2')),
        () => a.list(),
        () => a.history('web'),
      ]) {
        const start = Date.now();
        await expect(call()).rejects.toMatchObject({ code: 'SY_ERR_STORE_UNAVAILABLE', status: 503 });
        expect(Date.now() - start).toBeLessThan(1_200);
      }
      // A replica that starts while Redis is down opens, and answers 503 at once.
      const start = Date.now();
      const late = await RedisDtabStore.open(server.url, { prefix: freshPrefix(), timeoutMs: 300 });
      await expect(late.get('web')).rejects.toMatchObject({ code: 'SY_ERR_STORE_UNAVAILABLE' });
      expect(Date.now() - start).toBeLessThan(1_500);
      await server.restart();
      const deadline = Date.now() + 10_000;
      while ((await a.get('web').catch(() => undefined)) === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await a.put('web', d('/a=>/2'))).version).toBe(2);
      // Each replica reconnects on its own backoff: wait for the late one too, not only for `a`.
      let lateList: string[] | undefined;
      while (lateList === undefined && Date.now() < deadline) {
        lateList = await late.list().catch(() => undefined);
        if (lateList === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      expect(lateList).toEqual([]);
      await late.close();
    } finally {
      if (server !== undefined) await server.restart().catch(() => {});
      await close();
    }
  });
});
