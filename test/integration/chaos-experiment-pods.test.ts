/**
 * An experiment that kills a pod through the (fake) Kubernetes API and passes: a real router
 * balances `/svc/gen` over two real endpoints (io.l5d.fs), each standing for one pod of the fake
 * API. When the experiment deletes a pod — a DELETE seen at the fake, chosen among the pods its
 * label selector matches — the test stops that pod's server, as the kubelet would, and the
 * router's requeues keep the service's success rate, measured from its metrics over the window,
 * at or above 99%.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import { backgroundLoad, experimentFile, runChaos } from '../helpers/chaos-experiment-kit.js';
import { FakeK8s } from '../helpers/fake-k8s/fake-k8s-server.js';
import { podDeletes, podNames, putPod } from '../helpers/fake-k8s/pods.js';
import { type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

let fake: FakeK8s;
let router: RunningRouter;
const servers = new Map<string, NamedUpstream>();
const closed: string[] = [];
let load: ReturnType<typeof backgroundLoad>;

beforeAll(async () => {
  fake = await FakeK8s.start();
  const disco = join(mkdtempSync(join(tmpdir(), 'chaos-pods-')), 'disco');
  mkdirSync(disco);
  for (const name of ['gen-0', 'gen-1']) {
    servers.set(name, await startNamedUpstream(name));
    putPod(fake, { name, labels: { app: 'gen' } });
  }
  putPod(fake, { name: 'web-0', labels: { app: 'web' } });
  putPod(fake, { name: 'gen-0', namespace: 'other', labels: { app: 'gen' } });
  // The kubelet's part: a deleted pod's container stops.
  fake.store.subscribe((e) => {
    const name = (e.object.metadata as { name: string; namespace: string }).name;
    if (
      e.resource === 'pods' &&
      e.type === 'DELETED' &&
      (e.object.metadata as { namespace: string }).namespace === 'default'
    ) {
      closed.push(name);
      void servers.get(name)?.close();
    }
  });
  writeFileSync(join(disco, 'gen'), [...servers.values()].map((s) => `127.0.0.1 ${s.port}\n`).join(''));
  router = await startTestRouter(`
namers:
  - kind: io.l5d.fs
    rootDir: ${disco}
dtab: /svc/gen => /#/io.l5d.fs/gen
`);
  load = backgroundLoad(router.url, 'gen');
}, 30_000);

afterAll(async () => {
  await load?.stop();
  await router?.close();
  for (const s of servers.values()) await s.close().catch(() => {});
  await fake?.close();
});

describe('switchyard chaos run: kill a pod through the Kubernetes API', () => {
  it('deletes one matching pod at the API and passes: success stays at or above 99%', async () => {
    const file = experimentFile({
      title: 'gen survives losing a pod',
      steadyStateHypothesis: {
        title: 'gen answers',
        probes: [
          {
            name: 'gen-success',
            window: '1500ms',
            router: { admins: [router.adminUrl], service: '/svc/gen' },
            tolerance: { minSuccessRate: 0.99, minRequests: 20 },
          },
        ],
      },
      method: [
        { action: 'kill-pod', namespace: 'default', labelSelector: 'app=gen' },
        { action: 'wait', duration: '500ms' },
      ],
    });
    const r = await runChaos(['run', file, '--k8s-api', fake.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [v] = r.verdicts;
    expect(v).toMatchObject({ passed: true, status: 'passed', exitCode: 0 });
    const killed = v.method[0].result;
    expect(killed).toMatchObject({ namespace: 'default', candidates: 2 });
    expect(['gen-0', 'gen-1']).toContain(killed.pod);
    // Observed at the API: one DELETE of that pod; the other pods, and the other namespace's, are there.
    expect(podDeletes(fake)).toEqual([`default/${killed.pod}`]);
    expect(podNames(fake)).toEqual([killed.pod === 'gen-0' ? 'gen-1' : 'gen-0', 'web-0']);
    expect(podNames(fake, 'other')).toEqual(['gen-0']);
    expect(fake.requests.find((q) => q.method === 'GET' && q.resource === 'pods')?.query.get('labelSelector')).toBe(
      'app=gen',
    );
    expect(closed).toEqual([killed.pod]);
    const after = v.hypothesis.after.probes[0].measured;
    console.log(
      `kill-pod: deleted ${killed.pod}; after: ${after.requests} requests, success ${after.successRate}, p99 ${after.p99Ms} ms`,
    );
    expect(after.requests).toBeGreaterThanOrEqual(20);
    expect(after.successRate).toBeGreaterThanOrEqual(0.99);
    // The service's latency comes from the window's own histogram buckets, as a client's does.
    expect(after.p99Source).toBe('window');
    expect(v.rollback).toEqual([{ action: 'kill-pod', ok: true, result: 'left to its controller' }]);
  }, 60_000);

  it('could not run (exit 2) when no pod matches, and says which selector', async () => {
    const file = experimentFile({
      title: 'nothing to kill',
      steadyStateHypothesis: {
        probes: [
          {
            name: 'gen-success',
            window: '500ms',
            router: { admins: [router.adminUrl], service: '/svc/gen' },
            tolerance: { minSuccessRate: 0.5, minRequests: 1 },
          },
        ],
      },
      method: [{ action: 'kill-pod', labelSelector: 'app=nothing' }],
    });
    const r = await runChaos(['run', file, '--k8s-api', fake.url]);
    expect(r.code).toBe(2);
    expect(r.verdicts[0].reason).toBe(
      'method[0] (kill-pod) failed: no running pod in namespace default matches app=nothing',
    );
  }, 60_000);
});

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

/** The fake's pods as a real client reads and deletes them: if the wire format drifted, kubectl would say so. */
describe.skipIf(!hasKubectl)('the fake API pods, cross-checked with kubectl', () => {
  // Asynchronous: the fake answers from this very process, which spawnSync would block.
  const kubectl = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> => {
    const home = mkdtempSync(join(tmpdir(), 'chaos-kubectl-'));
    writeFileSync(join(home, 'config'), '');
    const child = spawn('kubectl', [`--server=${fake.url}`, `--cache-dir=${join(home, 'cache')}`, ...args], {
      env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: join(home, 'config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    return new Promise((resolve) =>
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      }),
    );
  };

  it('lists pods by label selector and deletes one', async () => {
    putPod(fake, { name: 'victim-0', labels: { app: 'victim', tier: 'x' } });
    putPod(fake, { name: 'victim-1', labels: { app: 'victim' } });
    const listed = await kubectl(['get', 'pods', '-n', 'default', '-l', 'app=victim,tier=x', '-o', 'name']);
    expect(listed.stderr).toBe('');
    expect(listed.stdout.trim()).toBe('pod/victim-0');
    const deleted = await kubectl(['delete', 'pod', 'victim-0', '-n', 'default', '--wait=false']);
    expect(deleted.status, deleted.stderr).toBe(0);
    expect(deleted.stdout.trim()).toBe('pod "victim-0" deleted');
    expect(podNames(fake)).toContain('victim-1');
    expect(podNames(fake)).not.toContain('victim-0');
    const missing = await kubectl(['delete', 'pod', 'victim-0', '-n', 'default', '--wait=false']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('NotFound');
  });
});
