/**
 * A registry killed and started again on the same port, with a peer process that keeps
 * reminding it. On Redis the restarted registry has everything at once — the pod, its epoch,
 * the label's targets, the locker — and the peer simply goes on reminding. On the memory store
 * the registry has forgotten the pod; the reminder's 404 makes the peer register again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import { eventually, type RoleProcess, startRole, stopAll } from '../helpers/switchyard-process.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let redis: RedisServer;
let upstream: Upstream;
beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedisServer(), startUpstream()]);
}, 30_000);
afterEach(() => stopAll());
afterAll(async () => {
  await redis?.cleanup();
  await upstream?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: responses are checked by expect(), not by types.
async function call(url: string, method = 'GET', body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return res.json();
}

const peerArgs = (registry: RoleProcess) => [
  '--registry',
  registry.url,
  '--label',
  'svc',
  '--locker',
  '--remember-interval',
  '200ms',
  '--locker-interval',
  '200ms',
];

describe('registry restart', () => {
  it('on Redis keeps peers, epochs, targets and lockers', async () => {
    const store = ['--store', redis.url];
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0', ...store]);
    await call(`${registry.url}/registry/peers/svc/targets/add`, 'POST', {
      name: 'boot',
      url: `${upstream.url}/`,
      totalRequests: 5,
      autoInvoke: true,
    });
    const peer = await startRole('peer', peerArgs(registry));
    const address = new URL(peer.url).host;
    const lockerPath = `/registry/peers/svc/${encodeURIComponent(address)}/locker/get/client,boot`;
    await eventually(
      async () => {
        const s = await call(`${registry.url}${lockerPath}`);
        return s.running === false && s.requests === 5 ? true : undefined;
      },
      10_000,
      'the final snapshot',
    );
    const before = await call(`${registry.url}/registry/peers`);

    await registry.kill();
    const again = await startRole('registry', ['--listen', new URL(registry.url).host, ...store]);
    const after = await call(`${again.url}/registry/peers`);
    expect(after.svc.pods[address].currentEpoch).toMatchObject({ epoch: 0 });
    expect(after.svc.podEpochs[address]).toHaveLength(1);
    expect(after.svc.pods[address].currentEpoch.firstContact).toBe(before.svc.pods[address].currentEpoch.firstContact);
    expect(Object.keys((await call(`${again.url}/registry/peers/svc/targets`)).svc)).toEqual(['boot']);
    expect((await call(`${again.url}${lockerPath}`)).requests).toBe(5);
    expect((await call(`${again.url}/registry/peers/svc/client/results`)).svc.summary.requests).toBe(5);

    // The peer goes on reminding the same pod (no new epoch).
    const contact = after.svc.pods[address].currentEpoch.lastContact;
    await eventually(
      async () => {
        const pod = (await call(`${again.url}/registry/peers`)).svc.pods[address];
        return pod.currentEpoch.lastContact > contact ? pod : undefined;
      },
      15_000,
      'a reminder after the restart',
    );
    expect((await call(`${again.url}/registry/peers`)).svc.podEpochs[address]).toHaveLength(1);
    expect(peer.log().match(/"peer registered"/g)).toHaveLength(1);
  }, 40_000);

  it('on the memory store forgets the peer, which registers again', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    const peer = await startRole('peer', peerArgs(registry));
    const address = new URL(peer.url).host;
    await eventually(async () => (await call(`${registry.url}/registry/peers`)).svc?.pods[address]);

    await registry.kill();
    const restartedAt = new Date();
    const again = await startRole('registry', ['--listen', new URL(registry.url).host]);
    // On the memory store a reminder cannot bring a pod back: the registry answers 404 and keeps
    // nothing. So the pod showing up below is the peer's second registration itself — the event
    // the test waits for, read from the registry's API (the peer logs it only after the answer).
    const stranger = { name: 'svc', address: '127.0.0.1:1' };
    const reminded = await fetch(`${again.url}/registry/peers/svc/remember`, {
      method: 'POST',
      body: JSON.stringify(stranger),
      headers: { 'content-type': 'application/json' },
    });
    await reminded.body?.cancel();
    expect(reminded.status).toBe(404);
    const pod = await eventually(
      async () => (await call(`${again.url}/registry/peers`)).svc?.pods[address],
      15_000,
      'the peer registering again',
    );
    expect(pod.currentEpoch.epoch).toBe(0);
    expect(Date.parse(pod.currentEpoch.firstContact)).toBeGreaterThanOrEqual(restartedAt.getTime() - 1_000);
    expect((await call(`${again.url}/registry/peers`)).svc.pods['127.0.0.1:1']).toBeUndefined();
  }, 40_000);
});
