/**
 * A canary under chaos: 4 parts of /svc/gen go to gen and 1 to the canary; a fault rule selected
 * by the canary's bound id aborts 20% of its requests with a 503. The per-client accounting in
 * /admin/clients.json shows the canary at about 80% success and gen at 100%; with retries on
 * (503 retryable for GET), callers see (nearly) no failures while the canary's attempts still
 * show the aborts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import { faultApi, startFaultRouter } from '../helpers/router-faults.js';
import { get, type NamedUpstream, startNamedUpstream } from '../helpers/router-harness.js';

const REQUESTS = 500;
let gen: NamedUpstream;
let canary: NamedUpstream;
const routers: RunningRouter[] = [];

beforeAll(async () => {
  gen = await startNamedUpstream('gen');
  canary = await startNamedUpstream('canary');
});

afterAll(async () => {
  for (const r of routers) await r.close();
  await gen?.close();
  await canary?.close();
});

interface ClientRow {
  id: string;
  requests?: number;
  success?: number;
  failures?: number;
  faults?: string[];
}

async function routerUnderChaos(extra: string): Promise<RunningRouter> {
  const router = await startFaultRouter(
    `dtab: /svc/gen => 4 * /$/inet/127.0.0.1/${gen.port} & 1 * /$/inet/127.0.0.1/${canary.port}\nfailureAccrual: none\n${extra}`,
    7,
  );
  routers.push(router);
  await faultApi(router, 'POST', '/proxies', {
    name: 'canary-chaos',
    listen: '/svc/gen',
    upstream: `/$/inet/127.0.0.1/${canary.port}`,
    toxics: [{ name: 'abort20', type: 'abort', toxicity: 0.2, attributes: { status: 503 } }],
  });
  return router;
}

/** Sends REQUESTS GETs, 4 at a time; returns how many the callers saw fail. */
async function drive(router: RunningRouter): Promise<number> {
  let failed = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next++ < REQUESTS) if ((await get(`${router.url}/`, { host: 'gen' })).status !== 200) failed++;
    }),
  );
  return failed;
}

async function clients(router: RunningRouter): Promise<{ gen: ClientRow; canary: ClientRow }> {
  const rows = (await (await fetch(`${router.adminUrl}/admin/clients.json`)).json()) as ClientRow[];
  const find = (port: number) => rows.find((r) => r.id === `/$/inet/127.0.0.1/${port}`)!;
  return { gen: find(gen.port), canary: find(canary.port) };
}

const rate = (row: ClientRow) => row.success! / row.requests!;

describe('a canary under chaos', () => {
  it('without retries: the canary succeeds about 80% of the time, gen always; callers see the canary’s failures', async () => {
    const router = await routerUnderChaos('');
    const failed = await drive(router);
    const { gen: g, canary: c } = await clients(router);
    expect(g.requests! + c.requests!).toBe(REQUESTS);
    expect(rate(g)).toBe(1);
    // About 100 canary requests: 80% ± 4 sd (sd = 4%).
    expect(c.requests!).toBeGreaterThan(50);
    expect(rate(c)).toBeGreaterThan(0.64);
    expect(rate(c)).toBeLessThan(0.96);
    expect(failed).toBe(c.failures);
    expect(c.faults).toEqual(['canary-chaos/abort20']);
    expect(g.faults).toBeUndefined();
  });

  it('with retries: callers see (nearly) no failures; the canary’s attempts still show the aborts', async () => {
    const router = await routerUnderChaos('responseClassifier: io.l5d.http.retryableRead5XX\nmaxRetries: 3');
    const failed = await drive(router);
    const { gen: g, canary: c } = await clients(router);
    expect(rate(g)).toBe(1);
    // A caller fails only when four draws in a row abort: 0.2^4 of the canary's ~100 requests.
    expect(failed).toBeLessThanOrEqual(2);
    expect(c.failures!).toBeGreaterThan(5);
    expect(rate(c)).toBeGreaterThan(0.64);
    expect(rate(c)).toBeLessThan(0.96);
    const metrics = (await (await fetch(`${router.adminUrl}/admin/metrics.json`)).json()) as Record<string, number>;
    const applied = Object.entries(metrics).find(([k]) => k.endsWith('/faults/applied/canary-chaos/abort20/abort'));
    expect(applied?.[1]).toBe(c.failures);
  });
});
