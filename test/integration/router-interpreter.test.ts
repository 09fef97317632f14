/**
 * namerd as the routers' interpreter (docs/router.md#namerd-as-the-interpreter): 20 routers in this
 * process bind through one namerd process whose io.l5d.k8s namer watches the fake Kubernetes API.
 * Every router routes; the API server sees one set of watches (namerd's), not one per router;
 * namerd killed (-9), every router keeps routing on the addresses it last heard and says so in
 * its metrics; namerd back on the same port and store, a dtab change reaches every router.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import { Cluster, type Pod } from '../helpers/fake-k8s/cluster.js';
import { FakeK8s } from '../helpers/fake-k8s/fake-k8s-server.js';
import { freePort, type NamerdProcess, putDtab, startNamerdProcess } from '../helpers/namerd-process.js';
import { get, type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

const ROUTERS = 20;

let fake: FakeK8s;
let dir: string;
let port: number;
let namerd: NamerdProcess;
let routers: RunningRouter[] = [];
let web: NamedUpstream[];
let gen: NamedUpstream;

const podOf = (u: NamedUpstream): Pod => ({ name: u.name, ip: '127.0.0.1', ports: { http: u.port } });

async function startOurNamerd(): Promise<NamerdProcess> {
  return startNamerdProcess(port, join(dir, 'store'), ['--config', join(dir, 'namerd.yaml')]);
}

/** Waits (bounded) until a request through `router` is answered by `name`. */
async function answersWith(router: RunningRouter, name: string, withinMs = 20_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  let last = '';
  for (;;) {
    const r = await get(router.url, { host: 'web' }).catch((e) => ({ status: 0, body: String(e) }));
    last = `${r.status} ${r.body.trim()}`;
    if (r.status === 200 && r.body.trim() === name) return;
    if (Date.now() > deadline)
      throw new Error(`${router.url} did not answer with ${name} within ${withinMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metric(router: RunningRouter, name: string): Promise<number> {
  const text = await (await fetch(`${router.adminUrl}/admin/metrics.json`)).text();
  const json = JSON.parse(text) as Record<string, number>;
  const key = Object.keys(json).find((k) => k.includes(name));
  return key === undefined ? Number.NaN : json[key]!;
}

beforeAll(async () => {
  fake = await FakeK8s.start();
  const cluster = new Cluster(fake);
  web = await Promise.all(['web-a', 'web-b'].map((n) => startNamedUpstream(n)));
  gen = await startNamedUpstream('gen-a');
  cluster.service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 'http' }] }, web.map(podOf));
  cluster.service({ name: 'gen', ports: [{ name: 'http', port: 80, targetPort: 'http' }] }, [podOf(gen)]);
  dir = mkdtempSync(join(tmpdir(), 'router-interpreter-'));
  writeFileSync(
    join(dir, 'namerd.yaml'),
    `namers:\n- kind: io.l5d.k8s\n  apiUrl: ${fake.url}\n  backoffMinMs: 20\n  backoffMaxMs: 200\nheartbeatMs: 1000\n`,
  );
  port = await freePort();
  namerd = await startOurNamerd();
  await putDtab(namerd.url, 'default', '/svc => /#/io.l5d.k8s/default/http');
}, 30_000);

afterAll(async () => {
  await Promise.all(routers.map((r) => r.close()));
  await namerd?.kill();
  await Promise.all([...(web ?? []), gen].map((u) => u?.close()));
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('20 routers binding through one namerd', () => {
  it('every router routes, and the Kubernetes API sees namerd watch once, not 20 times', {
    timeout: 60_000,
  }, async () => {
    routers = await Promise.all(
      Array.from({ length: ROUTERS }, (_, i) =>
        startTestRouter(
          `label: r${i}\ninterpreter:\n  kind: io.l5d.namerd.http\n  dst: /$/inet/127.0.0.1/${port}\n  namespace: default\n`,
        ),
      ),
    );
    await answersWith(routers[0]!, 'web-a').catch(() => answersWith(routers[0]!, 'web-b'));
    const watchesForOne = fake.watches.size;
    const started = Date.now();
    for (const r of routers) {
      const answer = await get(r.url, { host: 'web' });
      expect(answer.status).toBe(200);
      expect(['web-a', 'web-b']).toContain(answer.body.trim());
    }
    const routedMs = Date.now() - started;
    const watchRequests = fake.requests.filter((q) => q.watch).length;
    console.log(
      `[router interpreter] ${ROUTERS} routers routed in ${routedMs} ms; Kubernetes watches open: ${fake.watches.size} (after the first router: ${watchesForOne}); watch requests in all: ${watchRequests}`,
    );
    expect(fake.watches.size).toBe(watchesForOne);
    expect(fake.watches.size).toBeGreaterThan(0);
    expect(fake.watches.size).toBeLessThan(ROUTERS);
    expect(await metric(routers[0]!, 'namerd/streams_down')).toBe(0);
  });

  it('namerd killed: every router keeps routing on the last addresses, and says namerd is away', {
    timeout: 60_000,
  }, async () => {
    await namerd.kill();
    let ok = 0;
    for (const r of routers) {
      for (let i = 0; i < 3; i++) {
        const answer = await get(r.url, { host: 'web' });
        if (answer.status === 200 && answer.body.trim().startsWith('web-')) ok++;
      }
    }
    console.log(`[router interpreter] namerd down: ${ok} of ${ROUTERS * 3} requests routed`);
    expect(ok).toBe(ROUTERS * 3);
    const deadline = Date.now() + 20_000;
    while ((await metric(routers[0]!, 'namerd/streams_down')) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await metric(routers[0]!, 'namerd/streams_down')).toBeGreaterThan(0);
  });

  it('namerd back: a dtab change reaches every router', { timeout: 90_000 }, async () => {
    namerd = await startOurNamerd();
    const started = Date.now();
    await putDtab(namerd.url, 'default', '/svc => /#/io.l5d.k8s/default/http ; /svc/web => /svc/gen');
    for (const r of routers) await answersWith(r, 'gen-a', 40_000);
    console.log(
      `[router interpreter] dtab change after namerd came back reached ${ROUTERS} routers in ${Date.now() - started} ms`,
    );
    // Streams not on the request path (the old addresses) come back on their own backoff.
    const deadline = Date.now() + 30_000;
    while ((await metric(routers[0]!, 'namerd/streams_down')) > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await metric(routers[0]!, 'namerd/streams_down')).toBe(0);
    expect(await metric(routers[0]!, 'namerd/resyncs')).toBeGreaterThan(0);
  });
});
