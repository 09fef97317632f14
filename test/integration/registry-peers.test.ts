/**
 * A registry and three peers, each its own `switchyard` process, sending traffic to a node:http
 * upstream on 127.0.0.1: targets reach pods in the startup bundle (autoInvoke ones run at once)
 * and on every change; the locker holds partial results while a target runs and the final ones
 * after; a peer restarted on the same address gets a new epoch with the old one kept; a peer
 * killed with SIGKILL leaves its results behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type RoleProcess, startRole, stopAll } from '../helpers/switchyard-process.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let upstream: Upstream;
let registry: RoleProcess;
const peers: RoleProcess[] = [];
const FAST = ['--remember-interval', '300ms', '--locker-interval', '300ms', '--results-interval', '500ms'];

// biome-ignore lint/suspicious/noExplicitAny: responses are checked by expect(), not by types.
async function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

const reg = (path: string, method = 'GET', body?: unknown) => call(`${registry.url}${path}`, method, body);
const addressOf = (p: RoleProcess) => new URL(p.url).host;
const peer = (label: string, extra: string[] = []) =>
  startRole('peer', ['--registry', registry.url, '--label', label, '--locker', ...FAST, ...extra]);

beforeAll(async () => {
  upstream = await startUpstream((n) => ({ headers: { 'x-version': n % 4 === 3 ? 'v2' : 'v1' } }));
  registry = await startRole('registry', ['--listen', '127.0.0.1:0', '--push-timeout', '2s']);
  // Configured before any pod exists: it must arrive in each pod's startup bundle and run at once.
  const boot = await reg('/registry/peers/svc/targets/add', 'POST', {
    name: 'boot',
    url: `${upstream.url}/boot`,
    totalRequests: 8,
    autoInvoke: true,
    trackHeaders: ['x-version'],
  });
  expect(boot).toEqual({ status: 200, json: {} });
  peers.push(...(await Promise.all([peer('svc'), peer('svc'), peer('other')])));
  await eventually(
    async () => {
      const all = (await reg('/registry/peers')).json;
      return Object.keys(all.svc?.pods ?? {}).length === 2 && Object.keys(all.other?.pods ?? {}).length === 1
        ? true
        : undefined;
    },
    10_000,
    'three registered peers',
  );
}, 60_000);

afterAll(async () => {
  await stopAll();
  await upstream?.close();
});

describe('registry with three peers', () => {
  it('hands the startup bundle to each pod of the label, and autoInvoke targets run at once', async () => {
    for (const p of peers.slice(0, 2)) {
      const results = await eventually(
        async () => {
          const r = (await call(`${p.url}/client/results/boot`)).json;
          return r.requests === 8 && r.running === false ? r : undefined;
        },
        10_000,
        'boot target finished on a svc peer',
      );
      expect(results.countsByHeaders['x-version'].count).toBe(8);
    }
    expect((await call(`${peers[2]!.url}/client/targets`)).json).toEqual({});
    const all = (await reg('/registry/peers')).json;
    expect(all.svc.pods[addressOf(peers[0]!)]).toMatchObject({
      address: addressOf(peers[0]!),
      healthy: true,
      url: peers[0]!.url,
      currentEpoch: { epoch: 0 },
      pastEpochs: [],
    });
  });

  it('pushes target changes to every live pod of the label, and refuses a bad target whole', async () => {
    const spec = { name: 'later', url: `${upstream.url}/later`, totalRequests: 3 };
    const added = await reg('/registry/peers/svc/targets/add', 'POST', spec);
    expect(added.status).toBe(200);
    expect(added.json).toEqual({ svc: { [addressOf(peers[0]!)]: 'ok', [addressOf(peers[1]!)]: 'ok' } });
    for (const p of peers.slice(0, 2))
      expect((await call(`${p.url}/client/targets/later`)).json.url).toContain('/later');
    expect((await call(`${peers[2]!.url}/client/targets/later`)).status).toBe(404);

    const invoked = await reg('/registry/peers/svc/targets/later/invoke', 'POST');
    expect(Object.values(invoked.json.svc)).toEqual(['ok', 'ok']);
    for (const p of peers.slice(0, 2)) {
      await eventually(async () =>
        (await call(`${p.url}/client/results/later`)).json.requests === 3 ? true : undefined,
      );
    }

    const bad = await reg('/registry/peers/svc/targets/add', 'POST', { name: 'bad', url: 'nowhere://x', replicas: 0 });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/url:.*replicas:/);
    expect(Object.keys((await reg('/registry/peers/svc/targets')).json.svc)).toEqual(['boot', 'later']);

    const removed = await reg('/registry/peers/svc/targets/later/remove', 'POST');
    expect(Object.values(removed.json.svc)).toEqual(['ok', 'ok']);
    expect((await call(`${peers[0]!.url}/client/targets/later`)).status).toBe(404);
    expect(Object.keys((await reg('/registry/peers/svc/targets')).json.svc)).toEqual(['boot']);

    const tracked = await reg('/registry/peers/track/headers/x-version,x-zone', 'POST');
    expect(Object.keys(tracked.json)).toEqual(expect.arrayContaining(['svc', 'other']));
    expect((await call(`${peers[2]!.url}/client/track/headers`)).json).toEqual({
      trackHeaders: ['x-version', 'x-zone'],
    });
  });

  it('keeps partial results in the locker while a target runs, then the final ones', async () => {
    await reg('/registry/peers/svc/targets/add', 'POST', {
      name: 'steady',
      url: `${upstream.url}/steady`,
      qps: 25,
      duration: '2s',
      trackHeaders: ['x-version'],
    });
    await reg('/registry/peers/svc/targets/steady/invoke', 'POST');
    const snapshot = (p: RoleProcess) => async () =>
      (await reg(`/registry/peers/svc/${encodeURIComponent(addressOf(p))}/locker/get/client,steady`)).json;
    const partial = await eventually(
      async () => {
        const s = await snapshot(peers[0]!)();
        return s?.running === true && s.requests > 0 ? s : undefined;
      },
      10_000,
      'a partial snapshot',
    );
    expect(partial.requests).toBeLessThan(50);
    for (const p of peers.slice(0, 2)) {
      const final = await eventually(
        async () => {
          const s = await snapshot(p)();
          return s?.running === false ? s : undefined;
        },
        10_000,
        'the final snapshot',
      );
      expect(final.requests).toBeGreaterThanOrEqual(45);
      expect(final.finishedAt).not.toBeNull();
    }
    const merged = (await reg('/registry/peers/svc/client/results')).json.svc;
    expect(merged.instances).toBe(2);
    const steady = merged.byTargets.steady;
    expect(steady.requests).toBeGreaterThanOrEqual(90);
    expect(steady.running).toBe(false);
    expect(steady.latency.count).toBe(steady.requests);
    const split = steady.countsByHeaders['x-version'].countsByValues;
    expect(split.v1 + split.v2).toBe(steady.requests);
    const perTarget = Object.values(merged.byTargets) as { requests: number }[];
    expect(merged.summary.requests).toBe(perTarget.reduce((sum, t) => sum + t.requests, 0));
    const missing = await reg(`/registry/peers/svc/${encodeURIComponent(addressOf(peers[0]!))}/locker/get/client,none`);
    expect(missing).toMatchObject({ status: 404, json: { error: 'SY_ERR_LOCKER_NOT_FOUND' } });
    const lockers = (await reg('/registry/peers/lockers')).json;
    expect(lockers.svc[addressOf(peers[0]!)].active).toBe(true);
  });

  it('records the epoch timeline of a peer restarted on the same address', async () => {
    const old = peers[1]!;
    const address = addressOf(old);
    expect(await old.stop()).toBe(0);
    let all = (await reg('/registry/peers')).json;
    expect(all.svc.pods[address]).toBeUndefined();
    expect(all.svc.podEpochs[address]).toHaveLength(1);
    expect((await reg('/registry/peers/lockers')).json.svc[address].active).toBe(false);

    const again = await peer('svc', ['--listen', address]);
    peers[1] = again;
    const pod = await eventually(async () => (await reg('/registry/peers')).json.svc.pods[address]);
    expect(pod.currentEpoch.epoch).toBe(1);
    expect(pod.pastEpochs.map((e: { epoch: number }) => e.epoch)).toEqual([0]);
    const first = pod.currentEpoch.lastContact;
    await eventually(
      async () => {
        all = (await reg('/registry/peers')).json;
        return all.svc.pods[address].currentEpoch.lastContact > first ? true : undefined;
      },
      5_000,
      'a reminder moving lastContact',
    );
    expect(all.svc.podEpochs[address].map((e: { epoch: number }) => e.epoch)).toEqual([0, 1]);
    expect(all.svc.podEpochs[address][0].lastContact <= all.svc.podEpochs[address][1].firstContact).toBe(true);

    all = (await reg('/registry/peers/clear/epochs', 'POST')).json;
    expect(all.svc.podEpochs[address]).toHaveLength(1);
    expect(all.svc.pods[address].pastEpochs).toEqual([]);
  });

  it('keeps the results of a peer killed with SIGKILL in the locker', async () => {
    const victim = peers[2]!;
    const address = addressOf(victim);
    await reg('/registry/peers/other/targets/add', 'POST', {
      name: 'long',
      url: `${upstream.url}/long`,
      qps: 20,
      duration: '30s',
      autoInvoke: true,
    });
    const path = `/registry/peers/other/${encodeURIComponent(address)}/locker/get/client,long`;
    await eventually(async () => ((await reg(path)).json?.requests > 5 ? true : undefined), 10_000, 'a snapshot');
    await victim.kill();
    const left = (await reg(path)).json;
    expect(left).toMatchObject({ target: 'long', running: true });
    expect((await reg('/registry/peers/other/health')).json).toEqual({ other: { [address]: false } });
    await reg('/registry/peers/other/health/cleanup', 'POST');
    expect((await reg('/registry/peers')).json.other.pods).toEqual({});
    expect((await reg(path)).json.requests).toBe(left.requests);
    expect((await reg('/registry/peers/other/client/results')).json.other.byTargets.long.requests).toBe(left.requests);
  });
});
