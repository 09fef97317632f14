/**
 * A router in-process with the io.l5d.k8s namer against the fake API server (docs/k8s-namer.md; the
 * router's fallback: docs/dtab-language.md#alternation-and-fallback): `/svc =>
 * /#/io.l5d.k8s/default/http | <fallback>` routes Host `web` to the pods' addresses (real upstreams
 * on 127.0.0.1, one port per pod, so each pod sits in a slice of its own port as the controller
 * would put it), follows pods as they come and go with 0 failed requests under a load loop during a
 * scale-down in which endpoints are removed before the pods stop, and hands over to the dtab
 * alternative when all pods are gone, and back when they return.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import { Cluster, type Pod } from '../helpers/fake-k8s/cluster.js';
import { FakeK8s } from '../helpers/fake-k8s/fake-k8s-server.js';
import { get, type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

let fake: FakeK8s;
let cluster: Cluster;
let router: RunningRouter;
let pods: NamedUpstream[];
let fallback: NamedUpstream;

const podOf = (u: NamedUpstream): Pod => ({ name: u.name, ip: '127.0.0.1', ports: { web: u.port } });
const served = async (n: number) => {
  const bodies = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await get(router.url, { host: 'web' });
    expect(r.status).toBe(200);
    bodies.set(r.body.trim(), (bodies.get(r.body.trim()) ?? 0) + 1);
  }
  return bodies;
};
/** Waits (at most 5 s) until 20 requests in a row are all answered by members of `names`. */
async function settlesOn(names: string[], what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const bodies = await served(20);
    if ([...bodies.keys()].every((b) => names.includes(b))) return;
    if (Date.now() > deadline) throw new Error(`waited 5000 ms for ${what}; last: ${JSON.stringify([...bodies])}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  fake = await FakeK8s.start();
  cluster = new Cluster(fake);
  pods = await Promise.all(['pod-a', 'pod-b', 'pod-c'].map((n) => startNamedUpstream(n)));
  fallback = await startNamedUpstream('fallback');
  cluster.service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 'web' }] }, pods.map(podOf));
  router = await startTestRouter(`
namers:
- kind: io.l5d.k8s
  apiUrl: ${fake.url}
  idleMs: 60000
  backoffMinMs: 20
  backoffMaxMs: 200
dtab: |
  /svc => /#/io.l5d.k8s/default/http | /$/inet/127.0.0.1/${fallback.port} ;
`);
});
afterAll(async () => {
  await router?.close();
  await Promise.all([...pods, fallback].map((u) => u?.close()));
  await fake?.close();
});

describe('router with io.l5d.k8s', () => {
  it('routes Host web to the pods of Service web', async () => {
    const bodies = await served(60);
    expect([...bodies.keys()].sort()).toEqual(['pod-a', 'pod-b', 'pod-c']);
    expect(pods[0]!.seen.at(-1)?.['l5d-dst-service']).toBe('/svc/web');
  });

  it('scales down under load with 0 failed requests: endpoints go first, then the pods stop', async () => {
    const failures: string[] = [];
    let answered = 0;
    let running = true;
    const loop = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (running) {
          const r = await get(router.url, { host: 'web' }).catch((e) => ({ status: 0, body: String(e) }));
          if (r.status !== 200) failures.push(`${r.status} ${r.body}`);
          else answered++;
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    cluster.pods('default', 'web', [podOf(pods[0]!)]);
    await settlesOn(['pod-a'], 'pod-a alone');
    await Promise.all([pods[1]!.close(), pods[2]!.close()]);
    await new Promise((r) => setTimeout(r, 300));
    running = false;
    await loop;
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(100);
  });

  it('hands over to the dtab alternative when every pod is gone, and back when one returns', async () => {
    cluster.pods('default', 'web', []);
    await settlesOn(['fallback'], 'the fallback while web has no endpoints');
    cluster.pods('default', 'web', [podOf(pods[0]!)]);
    await settlesOn(['pod-a'], 'pod-a again');
    cluster.deleteService('default', 'web');
    await settlesOn(['fallback'], 'the fallback once the Service is gone (Neg)');
  });
});
