/**
 * Memory and CPU a caller drives with unique overrides. Every distinct `l5d-dtab` is a new
 * route; a failing one used to keep its whole chain of bindings (~0.75 MB each). Now a failed
 * bind is kept only as a short-lived negative entry, the cache has entry and weight ceilings,
 * and a request dtab is capped at 100 dentries (8 KB of headers), which bounds parse + bind.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type DtabRouterProcess,
  get,
  load,
  type NamedUpstream,
  startNamedUpstream,
  startRouterOnDtab,
  startTestRouter,
} from '../helpers/router-harness.js';

let web: NamedUpstream;
let router: DtabRouterProcess;

beforeAll(async () => {
  web = await startNamedUpstream('web');
  router = await startRouterOnDtab(
    `/srv/web => /$/inet/127.0.0.1/${web.port} ; /svc/web => /srv/web ; /svc/steady => /srv/web`,
  );
}, 30_000);

afterAll(async () => {
  await router.stop();
  await web.close();
});

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function metric(name: string): Promise<number> {
  const json = (await (await fetch(`${router.adminUrl}/admin/metrics.json`)).json()) as Record<string, number>;
  return json[Object.keys(json).find((k) => k.endsWith(name))!] ?? Number.NaN;
}

it('keeps little memory for 1,000 unique failing self-referencing overrides', async () => {
  // Warm up the paths involved, so what is measured is what the overrides keep.
  await load(100, 4, async (i) => {
    await get(router.url, { host: 'web', 'l5d-dtab': `/svc/web => /svc/web/w${i}` });
  });
  const before = rssMb(router.child.pid!);
  await load(1000, 4, async (i) => {
    const res = await get(router.url, { host: 'web', 'l5d-dtab': `/svc/web => /svc/web/u${i}` });
    expect(res.status).toBe(502);
    expect(decodeURIComponent(String(res.headers['l5d-err']))).toMatch(/^Max recursion level: 100 reached/);
  });
  const after = rssMb(router.child.pid!);
  console.log(
    `RSS before ${before.toFixed(0)} MB, after 1,000 unique failing overrides ${after.toFixed(0)} MB ` +
      `(+${(after - before).toFixed(0)} MB); route cache weight ${await metric('bindcache/weight')}`,
  );
  expect(after - before).toBeLessThan(100);
}, 120_000);

/** A valid override of `dentries` entries padded to about `bytes`, unique per `id`. */
function bigOverride(id: string, dentries: number, bytes: number): string {
  const pad = 'x'.repeat(Math.max(1, Math.floor(bytes / dentries) - 40));
  return Array.from({ length: dentries }, (_, i) => `/u${id}/${pad}${i} => /srv/web`).join(';');
}

it("bounds what unique 8 KB overrides cost a steady caller's p50", async () => {
  const steady = async (count: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      expect((await get(router.url, { host: 'steady' })).status).toBe(200);
      out.push(performance.now() - started);
    }
    return out.sort((a, b) => a - b);
  };
  const alone = await steady(200);
  let running = true;
  let sent = 0;
  const callers = Array.from({ length: 4 }, async (_, c) => {
    // Bounded by count: 150 unique 8 KB overrides each (100 dentries, within every limit).
    for (let i = 0; i < 150 && running; i++) {
      const res = await get(router.url, { host: 'web', 'l5d-dtab': bigOverride(`${c}x${i}`, 100, 7900) });
      expect(res.status).toBe(200);
      sent++;
    }
  });
  const beside = await steady(200);
  running = false;
  await Promise.all(callers);
  const p50 = (l: number[]) => l[Math.floor(l.length / 2)]!;
  console.log(
    `steady caller p50 alone ${p50(alone).toFixed(1)} ms; beside 4 callers sending unique 8 KB overrides ` +
      `(${sent} sent): p50 ${p50(beside).toFixed(1)} ms, p99 ${beside[198]!.toFixed(1)} ms`,
  );
  // Generous (the machine is shared): parse + judge + bind of one is ~2 ms of CPU when idle.
  expect(p50(beside)).toBeLessThan(100 + p50(alone));
}, 120_000);

it('holds the route cache to its configured ceilings, with metrics', async () => {
  const small = await startTestRouter(`
dtab: /srv/web => /$/inet/127.0.0.1/${web.port} ; /svc/web => /srv/web
dtabOverrides:
  routeCacheMaxEntries: 50
  routeCacheMaxWeight: 80
`);
  try {
    await load(200, 4, async (i) => {
      const res = await get(small.url, { host: 'web', 'l5d-dtab': `/svc/web => /srv/web ; /unused${i} => /x` });
      expect(res.status).toBe(200);
    });
    const json = (await (await fetch(`${small.adminUrl}/admin/metrics.json`)).json()) as Record<string, number>;
    const value = (suffix: string) => json[Object.keys(json).find((k) => k.endsWith(suffix))!]!;
    console.log(
      `ceilings 50 routes / weight 80 after 200 unique overrides: routes ${value('bindcache/routes')}, ` +
        `weight ${value('bindcache/weight')}, evictions ${value('bindcache/evictions')}`,
    );
    expect(value('bindcache/routes')).toBeLessThanOrEqual(50);
    expect(value('bindcache/weight')).toBeLessThanOrEqual(80);
    expect(value('bindcache/evictions')).toBeGreaterThanOrEqual(150);
  } finally {
    await small.close();
  }
});
