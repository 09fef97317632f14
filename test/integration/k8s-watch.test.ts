/**
 * The watch discipline of the io.l5d.k8s namer (docs/k8s-namer.md#list-then-watch; behaviours 7–12
 * of docs/k8s-namer.md#behaviours-the-tests-pin-down) against the fake API server over real
 * sockets, each failure the API server can produce in turn: 410 in the stream and over HTTP
 * (exactly one relist, the old set served meanwhile, nothing phantom afterwards), clean ends and
 * bookmarks (resume, no relist), a half-open stall (the watchdog), a line cut in half, the API down
 * for a while, 429 with Retry-After, 403, and streams written a byte at a time or packed. Every
 * wait is bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANGE_MS, hostPorts, type NamerKit, podsOn, showAddr, startNamerKit } from '../helpers/fake-k8s/namer-kit.js';
import { eventually } from '../helpers/observed.js';

let kit: NamerKit;
afterEach(async () => kit?.close());

const web = { name: 'web', ports: [{ name: 'http', port: 80, targetPort: 'web' }] };
const ips = (n: number, from = 1) => podsOn(n, 8080, from).map((p) => `${p.ip}:8080`);
const sliceLists = () => kit.fake.count('endpointslices', 'list');
const sliceWatches = () => kit.fake.requests.filter((r) => r.resource === 'endpointslices' && r.watch);

/** A namer following web's three pods, with every Addr it emits recorded. */
async function following(options: Parameters<typeof startNamerKit>[0] = {}) {
  kit = await startNamerKit(options);
  kit.cluster.service(web, podsOn(3));
  const bound = await kit.bound('/default/http/web');
  const addr = kit.observe(bound.addr, showAddr);
  const seen = kit.record(bound.addr);
  await kit.until(addr, ips(3), 'the first three pods');
  await eventually(() => kit.fake.watches.size === 2, 'the Service and slice watches open', CHANGE_MS);
  return { addr, seen };
}

describe('io.l5d.k8s watch discipline', () => {
  it('lists, then watches from the list RV with bookmarks and a timeoutSeconds in 300–600', async () => {
    await following();
    const list = kit.fake.requests.find((r) => r.resource === 'endpointslices')!;
    expect(list.watch).toBe(false);
    expect(list.query.get('resourceVersion')).toBeNull();
    expect(list.query.get('labelSelector')).toBe('kubernetes.io/service-name=web');
    const watch = sliceWatches()[0]!;
    expect(watch.query.get('allowWatchBookmarks')).toBe('true');
    expect(Number(watch.query.get('timeoutSeconds'))).toBeGreaterThanOrEqual(300);
    expect(Number(watch.query.get('timeoutSeconds'))).toBeLessThanOrEqual(600);
    expect(watch.query.get('resourceVersion')).toMatch(/^\d+$/);
    const svc = kit.fake.requests.find((r) => r.resource === 'services')!;
    expect(svc.query.get('fieldSelector')).toBe('metadata.name=web');
  });

  it('410 in the stream, at the start or injected later: one relist each, old set kept meanwhile, no phantoms', async () => {
    const { addr, seen } = await following();
    const lists = sliceLists();
    // The watch breaks, pods change while it is down, and the history is compacted away.
    kit.fake.stallWatches();
    kit.cluster.pods('default', 'web', podsOn(2, 8080, 3));
    kit.fake.store.compact();
    kit.fake.delayMs = 100;
    kit.fake.dropWatches();
    await kit.until(addr, ips(2, 3), 'the relisted set, without the pods that vanished');
    expect(sliceLists()).toBe(lists + 1);
    // The 410 came inside a 200 stream, as the watch cache sends it.
    expect(kit.fake.requests.filter((r) => r.status === 410)).toEqual([]);
    kit.fake.delayMs = 0;
    await eventually(() => kit.fake.watches.size === 2, 'watching again', CHANGE_MS);
    kit.fake.expireWatches();
    kit.cluster.pods('default', 'web', podsOn(1, 8080, 9));
    await kit.until(addr, ips(1, 9), 'the set after the injected 410');
    await eventually(() => sliceLists() === lists + 2, 'a second relist', CHANGE_MS);
    await new Promise((r) => setTimeout(r, 100));
    expect(sliceLists()).toBe(lists + 2);
    expect(seen.filter((a) => a.type !== 'bound' || a.addresses.length === 0)).toEqual([]);
  });

  it('an HTTP 410 on the watch relists exactly once', async () => {
    const { addr } = await following();
    const lists = sliceLists();
    kit.fake.fail({ resource: 'endpointslices', watch: true }, 410);
    kit.fake.endWatches();
    kit.cluster.pods('default', 'web', podsOn(4));
    await kit.until(addr, ips(4), 'four pods after the relist');
    expect(sliceLists()).toBe(lists + 1);
  });

  it('a clean end re-watches from the last RV, which a bookmark advances, without relisting', async () => {
    const { addr } = await following();
    const lists = sliceLists();
    kit.cluster.service({ name: 'other', ports: [{ name: 'http', port: 80 }] }, podsOn(1));
    kit.fake.bookmarkWatches();
    const bookmarkRv = String(kit.fake.store.rv);
    await new Promise((r) => setTimeout(r, 50));
    kit.fake.endWatches();
    await eventually(() => sliceWatches().length === 2, 'a second watch', CHANGE_MS);
    expect(sliceWatches()[1]!.query.get('resourceVersion')).toBe(bookmarkRv);
    kit.cluster.pods('default', 'web', podsOn(2));
    await kit.until(addr, ips(2), 'a change after the re-watch');
    expect(sliceLists()).toBe(lists);
  });

  it('a stalled stream (half-open, no FIN) is aborted by the watchdog and resumed', async () => {
    const { addr } = await following({ timing: { inactivityMs: 300 } });
    kit.fake.settings.bookmarkPeriodMs = null;
    const lists = sliceLists();
    const started = Date.now();
    kit.fake.stallWatches();
    kit.cluster.pods('default', 'web', podsOn(2));
    await kit.until(addr, ips(2), 'the change made during the stall');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(sliceLists()).toBe(lists);
    expect(kit.logs.some((l) => JSON.stringify(l.fields).includes('watchdog'))).toBe(true);
  });

  it('a connection cut in the middle of an event line resumes from the last RV', async () => {
    const { addr } = await following();
    const lists = sliceLists();
    kit.fake.dropWatches(true);
    kit.cluster.pods('default', 'web', podsOn(5));
    await kit.until(addr, ips(5), 'five pods after the cut');
    expect(sliceLists()).toBe(lists);
  });

  it('with the API down it keeps serving the last set, backs off, and recovers by itself', async () => {
    const { addr, seen } = await following();
    await kit.fake.down();
    kit.cluster.pods('default', 'web', podsOn(1));
    await new Promise((r) => setTimeout(r, 600));
    expect(hostPorts(addr.value)).toEqual(ips(3));
    expect(kit.logs.filter((l) => l.level === 'warn').length).toBeLessThan(40);
    await kit.fake.up();
    await kit.until(addr, ips(1), 'the change made while the API was down');
    expect(seen.every((a) => a.type === 'bound')).toBe(true);
  });

  it('honours Retry-After on a 429', async () => {
    const { addr } = await following();
    kit.fake.fail({ resource: 'endpointslices', watch: true }, 429, { headers: { 'retry-after': '1' } });
    kit.fake.endWatches();
    kit.cluster.pods('default', 'web', podsOn(2));
    await kit.until(addr, ips(2), 'the change after the wait', CHANGE_MS);
    const watches = sliceWatches();
    const refused = watches.find((r) => r.status === 429)!;
    const next = watches[watches.indexOf(refused) + 1]!;
    expect(next.at - refused.at).toBeGreaterThanOrEqual(950);
  });

  it('logs a 403 at error level and keeps trying until RBAC allows it', async () => {
    kit = await startNamerKit();
    kit.cluster.service(web, podsOn(1));
    kit.fake.fail({ resource: 'endpointslices', watch: false }, 403, { times: 3 });
    const addr = kit.observe((await kit.bound('/default/http/web')).addr, showAddr);
    await kit.until(addr, ips(1), 'the endpoints once allowed');
    expect(kit.logs.filter((l) => l.level === 'error' && l.message.includes('RBAC'))).toHaveLength(3);
  });

  it('reads the same state from streams written a byte at a time or many events to a chunk', async () => {
    const { addr } = await following();
    for (const mode of ['byte', 'packed'] as const) {
      kit.fake.settings.writeMode = mode;
      for (const w of kit.fake.watches) w.setWriteMode(mode);
      for (let n = 1; n <= 4; n++) kit.cluster.pods('default', 'web', podsOn(n, 8080, 20));
      kit.cluster.pods('default', 'web', podsOn(2, 8080, 30));
      await kit.until(addr, ips(2, 30), `the final state, ${mode}`);
    }
  });
});
