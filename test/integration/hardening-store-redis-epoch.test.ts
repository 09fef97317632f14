/**
 * A Redis that comes back empty (FLUSHALL, or a restart without persistence) under a running
 * namerd process and a router's namerd watcher: namerd must notice (the store's epoch changed),
 * stop serving the version that no longer exists, and the next write must reach the router.
 */
import path from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BaseDtabState } from '../../src/router/dtab-source/base-dtab.js';
import { NamerdDtabSource } from '../../src/router/dtab-source/namerd-dtab-source.js';
import { etagToVersion } from '../../src/store/versioned-dtab.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { k8sDir, readManifests } from '../helpers/k8s-manifests.js';
import { freePort, type NamerdProcess, putDtab, startNamerdProcess } from '../helpers/namerd-process.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
}, 20_000);
afterAll(async () => {
  await redis?.cleanup();
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function namerd(): Promise<NamerdProcess> {
  const n = await startNamerdProcess(await freePort(), redis.url);
  cleanups.push(() => n.kill());
  return n;
}

function router(url: string, namespace: string): NamerdDtabSource {
  const logger = createLogger({ level: 'silent' });
  const source = new NamerdDtabSource({ url, namespace, logger, backoff: { minMs: 20, maxMs: 200 } });
  source.start();
  cleanups.push(() => source.close());
  return source;
}

const routedOn = (dtab: string) => (s: BaseDtabState) => s.status === 'ok' && s.snapshot.dtab.show() === dtab;

async function until(source: NamerdDtabSource, accept: (s: BaseDtabState) => boolean, ms = 10_000) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out; state ${JSON.stringify(source.state.sample())}`)), ms);
  });
  try {
    return await Promise.race([source.state.first(accept), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A PUT retried while namerd answers 503 (its Redis connection is coming back). */
async function putWhenUp(url: string, ns: string, dtab: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await putDtab(url, ns, dtab);
    } catch (error) {
      if (Date.now() > deadline || !String(error).includes(' 503 ')) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** namerd's plain (namerd-format) watch: the first document it sends. */
async function firstWatchDocument(url: string, ns: string): Promise<string> {
  const res = await request(`${url}/api/1/dtabs/${ns}?watch=true`, { headers: { accept: 'application/dtab' } });
  for await (const chunk of res.body) {
    res.body.destroy();
    return String(chunk).trim();
  }
  return '';
}

describe('namerd on a Redis that lost its data', () => {
  it('FLUSHALL: namerd stops serving the lost version and the next write reaches the router', {
    timeout: 40_000,
  }, async () => {
    const n = await namerd();
    for (let i = 1; i <= 5; i++) await putDtab(n.url, 'web', `/svc=>/$/inet/127.0.0.1/${8000 + i}`);
    const source = router(n.url, 'web');
    await until(source, routedOn('/svc=>/$/inet/127.0.0.1/8005'));
    expect(await redis.command('FLUSHALL')).toBe('+OK');

    // A new watcher must not be handed version 5, which no longer exists.
    const read = await request(`${n.url}/api/1/dtabs/web`);
    expect(read.statusCode).toBe(404);
    await read.body.dump();
    const etag = await putDtab(n.url, 'web', '/svc=>/$/inet/127.0.0.1/9001');
    expect(etagToVersion(etag)).toBeGreaterThan(5);
    const after = await until(source, routedOn('/svc=>/$/inet/127.0.0.1/9001'));
    expect(after.status === 'ok' && after.snapshot.version).toBe(etag);
    expect(await firstWatchDocument(n.url, 'web')).toBe('/svc=>/$/inet/127.0.0.1/9001');
    // And the writes after that one keep coming.
    await putDtab(n.url, 'web', '/svc=>/$/inet/127.0.0.1/9002');
    await until(source, routedOn('/svc=>/$/inet/127.0.0.1/9002'));
  });

  it('a restart without persistence: namerd reconnects, notices, and the next write reaches the router', {
    timeout: 40_000,
  }, async () => {
    const n = await namerd();
    for (let i = 1; i <= 3; i++) await putDtab(n.url, 'api', `/svc=>/$/inet/127.0.0.1/${7000 + i}`);
    const source = router(n.url, 'api');
    await until(source, routedOn('/svc=>/$/inet/127.0.0.1/7003'));
    await redis.restart({ wipe: true });
    const etag = await putWhenUp(n.url, 'api', '/svc=>/$/inet/127.0.0.1/9100');
    expect(etagToVersion(etag)).toBeGreaterThan(3);
    await until(source, routedOn('/svc=>/$/inet/127.0.0.1/9100'));
    expect(await firstWatchDocument(n.url, 'api')).toBe('/svc=>/$/inet/127.0.0.1/9100');
  });

  it('a namerd started after the loss serves the new data, and the router takes its lower version', {
    timeout: 40_000,
  }, async () => {
    const first = await namerd();
    for (let i = 1; i <= 4; i++) await putDtab(first.url, 'lower', `/svc=>/$/inet/127.0.0.1/${6000 + i}`);
    const port = Number(new URL(first.url).port);
    const source = router(first.url, 'lower');
    await until(source, routedOn('/svc=>/$/inet/127.0.0.1/6004'));
    // namerd and Redis both go: nothing remembers version 4 any more.
    await first.kill();
    expect(await redis.command('FLUSHALL')).toBe('+OK');
    const second = await startNamerdProcess(port, redis.url);
    cleanups.push(() => second.kill());
    const etag = await putDtab(second.url, 'lower', '/svc=>/$/inet/127.0.0.1/9200');
    expect(etagToVersion(etag)).toBe(1);
    const after = await until(source, routedOn('/svc=>/$/inet/127.0.0.1/9200'));
    expect(after.status === 'ok' && after.stale).toBeUndefined();
  });
});

describe('k8s/redis.yaml', () => {
  it('keeps the data in an append-only file on a PersistentVolumeClaim, not an emptyDir', () => {
    const manifests = readManifests(path.join(k8sDir, 'redis.yaml')).map((m) => m.object);
    const deployment = manifests.find((o) => o.kind === 'Deployment');
    const args: string[] = deployment?.spec.template.spec.containers[0].args;
    expect(args.join(' ')).toContain('--appendonly yes');
    const dir = args[args.indexOf('--dir') + 1];
    const mount = deployment?.spec.template.spec.containers[0].volumeMounts.find(
      (m: { mountPath: string }) => m.mountPath === dir,
    );
    const volume = deployment?.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount?.name);
    expect(volume?.emptyDir).toBeUndefined();
    const claim = manifests.find((o) => o.kind === 'PersistentVolumeClaim');
    expect(volume?.persistentVolumeClaim?.claimName).toBe(claim?.metadata.name);
  });
});
