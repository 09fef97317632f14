/**
 * What `/#/io.l5d.k8s/<ns>/<port>/<svc>` answers (behaviours 1–6 of
 * docs/k8s-namer.md#behaviours-the-tests-pin-down), against the fake API server over real sockets:
 * named and numeric ports (through the Service's targetPort, named targetPorts included), union and
 * dedupe across slices, ready-only endpoints with readiness flips and terminating pods, a deleted
 * slice removing only its own endpoints, a missing Service as Neg that becomes Bound without a
 * restart, scale 3 → 0 → 3 on the same Bound, the v1 Endpoints fallback where slices are not
 * served, and linkerd's labelSelector.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Addr, NameTree, Path } from '../../src/index.js';
import type { ActivityState } from '../../src/naming/activity.js';
import { CHANGE_MS, type NamerKit, podsOn, showAddr, startNamerKit } from '../helpers/fake-k8s/namer-kit.js';
import { eventually } from '../helpers/observed.js';

let kit: NamerKit;
afterEach(async () => kit?.close());

const web = (ports = [{ name: 'http', port: 80, targetPort: 'web' as string | number }]) => ({ name: 'web', ports });

describe('io.l5d.k8s: which endpoints a name has', () => {
  it('resolves a named port to the ready pods on the slice port, and a number through the Service', async () => {
    kit = await startNamerKit();
    kit.cluster.service(
      web([
        { name: 'http', port: 80, targetPort: 'web' },
        { name: 'admin', port: 9990, targetPort: 9991 },
      ]),
      podsOn(2, 8080),
    );
    const http = kit.observe((await kit.bound('/default/http/web')).addr, showAddr);
    await kit.until(http, ['10.0.0.1:8080', '10.0.0.2:8080'], 'named port http');
    // 80 is the Service port; its named targetPort resolves per pod (8080).
    const byNumber = await kit.bound('/default/80/web/rest');
    expect(byNumber.id.show()).toBe('/#/io.l5d.k8s/default/80/web');
    expect(byNumber.residual.show()).toBe('/rest');
    await kit.until(kit.observe(byNumber.addr, showAddr), ['10.0.0.1:8080', '10.0.0.2:8080'], 'numeric port 80');
    await kit.until(
      kit.observe((await kit.bound('/default/9990/web')).addr),
      ['10.0.0.1:9991', '10.0.0.2:9991'],
      '9990',
    );
    // Segments are lower-cased; a port the Service does not have is Neg.
    expect((await kit.bound('/Default/HTTP/Web')).id.show()).toBe('/#/io.l5d.k8s/default/http/web');
    await expect(kit.namer.lookup(Path.read('/default/8080/web')).toPromise()).resolves.toBe(NameTree.Neg);
    await expect(kit.namer.lookup(Path.read('/default/grpc/web')).toPromise()).resolves.toBe(NameTree.Neg);
    await expect(kit.namer.lookup(Path.read('/default/http')).toPromise()).resolves.toBe(NameTree.Neg);
    await expect(kit.namer.lookup(Path.read('/default/http/not_a.name')).toPromise()).resolves.toBe(NameTree.Neg);
  });

  it('unions slices, dedupes an endpoint seen in two, and a DELETED slice takes only its own endpoints', async () => {
    kit = await startNamerKit();
    kit.cluster.service(web(), []);
    const slice = (name: string, ips: string[]) => ({
      metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    kit.fake.store.apply('endpointslices', slice('web-a', ['10.0.0.1', '10.0.0.2']));
    kit.fake.store.apply('endpointslices', slice('web-b', ['10.0.0.2', '10.0.0.3']));
    const addr = kit.observe((await kit.bound('/default/http/web')).addr, showAddr);
    const all = await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'], 'the union');
    expect(all.type === 'bound' && all.addresses).toHaveLength(3);
    kit.fake.store.delete('endpointslices', 'default', 'web-a');
    await kit.until(addr, ['10.0.0.2:8080', '10.0.0.3:8080'], 'web-b alone (10.0.0.2 stays: web-b has it too)');
  });

  it('serves only ready endpoints: readiness flips and terminating pods show within bounded time', async () => {
    kit = await startNamerKit();
    const pods = podsOn(3);
    kit.cluster.service(web(), pods);
    const addr = kit.observe((await kit.bound('/default/http/web')).addr, showAddr);
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'], 'three ready pods');
    kit.cluster.pods('default', 'web', [pods[0]!, { ...pods[1]!, ready: false }, pods[2]!]);
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.3:8080'], 'web-2 unready');
    // Deleted: the slice keeps it, ready:false serving:true terminating:true, until the pod is gone.
    kit.cluster.pods('default', 'web', [pods[0]!, pods[1]!, { ...pods[2]!, terminating: true }]);
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080'], 'web-2 ready again, web-3 terminating');
  });

  it('a missing Service is Neg, then Bound once created, without a restart', async () => {
    kit = await startNamerKit();
    const lookup = kit.observe(kit.namer.lookup(Path.read('/default/http/web')).run);
    const shape = (s: ActivityState<NameTree<unknown>>) => (s.status === 'ok' ? s.value.type : s.status);
    await lookup.until((s) => shape(s) === 'neg', 'Neg while there is no Service', CHANGE_MS);
    kit.cluster.service(web(), podsOn(1));
    await lookup.until((s) => shape(s) === 'leaf', 'a leaf once the Service exists', CHANGE_MS);
  });

  it('scales 3 → 0 → 3 on the same Bound: empty is bound, not Neg, and the handle follows (linkerd#1626)', async () => {
    kit = await startNamerKit();
    kit.cluster.service(web(), podsOn(3));
    const lookup = kit.observe(kit.namer.lookup(Path.read('/default/http/web')).run);
    const bound = await kit.bound('/default/http/web');
    const seen: Addr[] = [];
    const addr = kit.observe(bound.addr, showAddr);
    const record = bound.addr.observe((a) => seen.push(a));
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'], 'three pods');
    const leafBefore = lookup.value;
    kit.cluster.pods('default', 'web', []);
    await kit.until(addr, [], 'no pods: bound and empty');
    kit.cluster.pods('default', 'web', podsOn(3, 8080, 4));
    await kit.until(addr, ['10.0.0.4:8080', '10.0.0.5:8080', '10.0.0.6:8080'], 'three new pods on the same handle');
    // The lookup never re-emitted: existence did not change, only the addresses.
    expect(lookup.value).toBe(leafBefore);
    expect(seen.some((a) => a.type === 'neg' || a.type === 'pending')).toBe(false);
    record.close();
  });

  it('falls back to v1 Endpoints where EndpointSlices are not served; notReadyAddresses are never used', async () => {
    kit = await startNamerKit({}, { noEndpointSlices: true });
    kit.cluster.service(web(), [...podsOn(2), { name: 'slow', ip: '10.0.0.9', ports: { web: 8080 }, ready: false }]);
    const addr = kit.observe((await kit.bound('/default/http/web')).addr, showAddr);
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080'], 'the ready addresses of the Endpoints object');
    kit.cluster.pods('default', 'web', []);
    await kit.until(addr, [], 'no subsets at all');
    // One 404 for the slices, learnt once: from then on only Endpoints are asked for.
    const slices = kit.fake.requests.filter((r) => r.path.endsWith('/endpointslices'));
    expect(slices.map((r) => r.status)).toEqual([404]);
    expect(kit.fake.requests.some((r) => r.resource === 'endpoints' && r.watch)).toBe(true);
  });

  it('with labelSelector, a fourth segment selects on the label and a Service without it is Neg', async () => {
    kit = await startNamerKit({ labelSelector: 'version' });
    kit.cluster.service({ ...web(), labels: { version: 'v1' } }, podsOn(1));
    const bound = await kit.bound('/default/http/web/v1/residual');
    expect(bound.id.show()).toBe('/#/io.l5d.k8s/default/http/web/v1');
    expect(bound.residual.show()).toBe('/residual');
    await kit.until(kit.observe(bound.addr), ['10.0.0.1:8080'], 'the labelled endpoints');
    await expect(kit.namer.lookup(Path.read('/default/http/web/v2')).toPromise()).resolves.toBe(NameTree.Neg);
    await expect(kit.namer.lookup(Path.read('/default/http/web')).toPromise()).resolves.toBe(NameTree.Neg);
    const query = kit.fake.requests.find((r) => r.resource === 'endpointslices')!.query;
    expect(query.get('labelSelector')).toBe('kubernetes.io/service-name=web,version=v1');
  });

  it('shares one watch per Service among its names and ports, and releases it when idle', async () => {
    kit = await startNamerKit();
    kit.cluster.service(web(), podsOn(1));
    const a = await kit.bound('/default/http/web/a');
    const b = await kit.bound('/default/80/web/b');
    expect(kit.namer.activeWatches).toBe(1);
    expect(kit.fake.count('endpointslices', 'list')).toBe(1);
    expect(kit.fake.count('services', 'list')).toBe(1);
    const held = [a.addr.observe(() => {}), b.addr.observe(() => {})];
    await kit.closeObservers();
    expect(kit.namer.activeWatches).toBe(1);
    for (const h of held) h.close();
    await eventually(() => kit.namer.activeWatches === 0, 'the watch released after the idle period', CHANGE_MS);
    // The server sees the watches go once the aborted connections reach it.
    await eventually(() => kit.fake.watches.size === 0, 'the API server to see the watches closed', CHANGE_MS);
  });
});
