/**
 * The gRPC walkthrough as k8s/ runs it, end to end on one machine
 * (docs/kubernetes.md#the-walkthrough-on-the-cluster): the fake Kubernetes API holds the Services
 * of k8s/example-apps.yaml (their ports as the manifests declare them) with the real gob apps on
 * 127.0.0.1 as their pods; a real namerd process is seeded with the dtab the seed Job reads; a real
 * router process runs the routers' ConfigMap (identifiers, dstPrefix, override policy) with only
 * what a pod would get differently pointed here (namerd's URL, the API server, the cache file);
 * web calls that router over h2c. Then the walkthrough's steps: gob through web, gRPC and Host
 * names through the router, staging with l5d-dtab, and what happens to gen's calls when
 * gen-growthhack loses its endpoints or its Service under a fallback (`|`) and under a canary
 * (`&`), which is what the docs tell users.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  type App,
  type GenApp,
  startGen,
  startGenGrowthhack,
  startWeb,
  startWord,
} from '../../src/quickstart/example-apps.js';
import { type GenClient, gob } from '../../src/quickstart/gob/proto.js';
import { spawnBin } from '../helpers/cli-run.js';
import { Cluster, type Pod } from '../helpers/fake-k8s/cluster.js';
import { FakeK8s } from '../helpers/fake-k8s/fake-k8s-server.js';
import {
  GOB_APPS,
  gobService,
  routerYaml,
  STAGING_DENTRY,
  seededDtab,
  walkthroughSets,
} from '../helpers/k8s-gob-topology.js';
import { freePort, type NamerdProcess, startNamerdProcess } from '../helpers/namerd-process.js';
import { type RouterProcess, startRouterProcess } from '../helpers/router-harness.js';

const all = walkthroughSets()[0]!.all;
const SEED = seededDtab(all).text;
const RULES = {
  cutover: `${SEED}\n/srv/proto.GenSvc => /srv/gen-growthhack | /srv/gen ;\n`,
  canary50: `${SEED}\n/srv/proto.GenSvc => /srv/gen-growthhack & /srv/gen ;\n`,
  /** The canary's member falls back to gen by itself while gen-growthhack has no endpoints. */
  guardedCanary50: `${SEED}\n/srv/proto.GenSvc => (/srv/gen-growthhack | /srv/gen) & /srv/gen ;\n`,
};
/** How long a dtab or endpoint change may take to show in calls, on a loaded machine. */
const SETTLE_MS = 15_000;
/** Calls counted once a change has settled. */
const MEASURE = 40;
/** Each step waits for settles in a row; generous for a loaded machine, bounded all the same. */
const STEP_TIMEOUT_MS = 90_000;

let dir: string;
let fake: FakeK8s;
let cluster: Cluster;
let apps: Record<'word' | 'gen' | 'gen-growthhack', App | GenApp>;
let web: App;
let namerd: NamerdProcess;
let router: RouterProcess;
let gen: GenClient;

const podOf = (name: string, port: number): Pod => ({ name: `${name}-0`, ip: '127.0.0.1', ports: { grpc: port } });
/** The Service as k8s/example-apps.yaml declares it, its pod the local app. */
function deploy(name: string, port: number): void {
  const s = gobService(all, name);
  cluster.service({ name, ports: [{ name: s.port?.name, port: s.port?.port, targetPort: s.port?.targetPort }] }, [
    podOf(name, port),
  ]);
}

async function namectl(...args: string[]): Promise<void> {
  const run = await spawnBin('namectl.js', args, { env: { NAMECTL_BASE_URL: namerd.url, NAMECTL_TOKEN: undefined } });
  if (run.code !== 0) throw new Error(`namectl ${args.join(' ')}: ${run.stderr}`);
}
async function updateDefault(text: string): Promise<void> {
  const file = path.join(dir, `dtab-${Date.now()}`);
  writeFileSync(file, text);
  await namectl('dtab', 'update', 'default', file);
}

/** One Gen call (limit 1) through the router: the x-version that answered, or the gRPC code it failed with. */
function genVia(metadata = new grpc.Metadata()): Promise<string> {
  return new Promise((resolve) => {
    let version = '';
    const call = gen.Gen({ text: 'gob', limit: 1 }, metadata, { deadline: Date.now() + 5000 });
    call.on('metadata', (m: grpc.Metadata) => (version = String(m.get('x-version')[0] ?? '')));
    call.on('data', () => {});
    call.on('error', () => {});
    call.on('status', (s: grpc.StatusObject) => resolve(s.code === grpc.status.OK ? version : grpc.status[s.code]));
  });
}
async function genCalls(n: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await Promise.all(Array.from({ length: n }, () => genVia()))) out[r] = (out[r] ?? 0) + 1;
  return out;
}
/** Waits until 20 calls in a row give exactly these outcomes, then returns the next MEASURE calls' counts. */
async function settle(outcomes: string[], what: string): Promise<Record<string, number>> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const seen = await genCalls(20);
    if (Object.keys(seen).sort().join() === [...outcomes].sort().join()) return genCalls(MEASURE);
    if (Date.now() > deadline) throw new Error(`waited ${SETTLE_MS} ms for ${what}; last: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'k8s-gob-'));
  fake = await FakeK8s.start();
  cluster = new Cluster(fake);
  apps = { word: await startWord(0), gen: await startGen(0, 'gen'), 'gen-growthhack': await startGenGrowthhack(0) };
  for (const [name, app] of Object.entries(apps)) deploy(name, app.port);

  namerd = await startNamerdProcess(await freePort(), 'memory');
  writeFileSync(path.join(dir, 'default.dtab'), SEED);
  await namectl('dtab', 'create', 'default', path.join(dir, 'default.dtab'));

  // The routers' ConfigMap, but for what a pod finds by itself: namerd-sync, the API server
  // (in a pod: KUBERNETES_SERVICE_HOST and the ServiceAccount token) and a writable cache file.
  const config = parse(routerYaml(all));
  config.namerd = { ...config.namerd, url: namerd.url, cacheFile: path.join(dir, 'dtab-cache.json') };
  config.namers = [{ kind: 'io.l5d.k8s', apiUrl: fake.url, backoffMinMs: 20, backoffMaxMs: 200 }];
  config.drainGraceMs = 0;
  writeFileSync(path.join(dir, 'router.yaml'), stringify(config));
  router = await startRouterProcess(['--config', path.join(dir, 'router.yaml')]);
  const deadline = Date.now() + 10_000;
  while ((await request(`${router.adminUrl}/ready`)).statusCode !== 200) {
    if (Date.now() > deadline) throw new Error(`router not ready: ${router.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  web = await startWeb(0, router.url);
  deploy('web', web.port);
  gen = new (gob().GenSvc)(new URL(router.url).host, grpc.credentials.createInsecure()) as unknown as GenClient;
}, 30_000);

afterAll(async () => {
  gen?.close();
  router?.child.kill('SIGKILL');
  await router?.exited;
  await namerd?.kill();
  await web?.close();
  await Promise.all(Object.values(apps ?? {}).map((a) => a.close()));
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const webGob = async (headers: Record<string, string> = {}) => {
  const res = await request(`http://127.0.0.1:${web.port}/gob?text=gob&limit=10`, { headers });
  return { status: res.statusCode, version: res.headers['x-version'], body: await res.body.text() };
};

describe('k8s/: the gRPC walkthrough through the routers’ ConfigMap, namerd and the Kubernetes API', () => {
  it('curl "$GOB_HOST/gob?text=gob&limit=10": web calls gen through the router, gen answers', async () => {
    expect(GOB_APPS).toContain('web');
    const r = await webGob();
    expect(r).toEqual({ status: 200, version: 'gen', body: `${'gob '.repeat(10)}\n` });
  });

  it('the router binds /grpc/proto.GenSvc to Service gen and `Host: web` to Service web, on their grpc ports', async () => {
    expect(await genCalls(10)).toEqual({ gen: 10 });
    const delegated = async (name: string) =>
      (await request(`${router.adminUrl}/delegator.json?path=${encodeURIComponent(name)}`)).body.text();
    expect(await delegated('/grpc/proto.GenSvc')).toContain('/#/io.l5d.k8s/default/grpc/gen');
    expect(await delegated('/grpc/proto.WordSvc')).toContain('/#/io.l5d.k8s/default/grpc/word');
    const viaHost = await request(`${router.url}/`, { headers: { host: 'web' } });
    expect(viaHost.statusCode).toBe(200);
    expect(await viaHost.body.text()).toContain('/gob');
  });

  it('staging: l5d-dtab /srv/gen => /srv/gen-growthhack sent to web reaches the router through web; nobody else sees it', async () => {
    const staged = await webGob({ 'l5d-dtab': STAGING_DENTRY });
    expect(staged).toEqual({ status: 200, version: 'gen-growthhack', body: 'gob <3 k8s\n'.repeat(10) });
    expect((await webGob()).version).toBe('gen');
    const metadata = new grpc.Metadata();
    metadata.set('l5d-dtab', STAGING_DENTRY);
    expect(await genVia(metadata)).toBe('gen-growthhack');
    // allowDestinations: a raw address, or a Service of another namespace, is refused by web's router.
    for (const dentry of [
      `/srv/gen => /$/inet/127.0.0.1/${apps['gen-growthhack'].port}`,
      '/srv/gen => /#/io.l5d.k8s/other/grpc/gen-growthhack',
    ]) {
      const refused = await webGob({ 'l5d-dtab': dentry });
      expect(refused.status, dentry).toBe(502);
      expect(refused.body, dentry).toContain('PERMISSION_DENIED');
      const direct = new grpc.Metadata();
      direct.set('l5d-dtab', dentry);
      expect(await genVia(direct), dentry).toBe('PERMISSION_DENIED');
    }
  });

  it(
    'cut-over with fallback (`|`): gen-growthhack scaled to 0 hands its calls to gen, and back; its Service deleted, too',
    async () => {
      await updateDefault(RULES.cutover);
      expect(await settle(['gen-growthhack'], 'the cut-over')).toEqual({ 'gen-growthhack': MEASURE });
      // `kubectl scale --replicas=0` under load: the endpoint turns terminating while the pod still
      // serves (its preStop sleep), then leaves the slice; not one call fails on the way.
      const during: string[] = [];
      let loading = true;
      const loop = Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; (loading || i < 25) && i < 2000; i++) during.push(await genVia());
        }),
      );
      const loadDeadline = Date.now() + SETTLE_MS;
      while (during.length < 20 && Date.now() < loadDeadline) await new Promise((r) => setTimeout(r, 10));
      const growthhackPod = podOf('gen-growthhack', apps['gen-growthhack'].port);
      cluster.pods('default', 'gen-growthhack', [{ ...growthhackPod, terminating: true }]);
      cluster.pods('default', 'gen-growthhack', []);
      expect(await settle(['gen'], 'the fallback while gen-growthhack has no endpoints')).toEqual({ gen: MEASURE });
      loading = false;
      await loop;
      expect(during.filter((r) => r !== 'gen' && r !== 'gen-growthhack')).toEqual([]);
      expect(during.slice(0, 20)).toEqual(Array(20).fill('gen-growthhack'));
      expect(during.at(-1)).toBe('gen');
      cluster.pods('default', 'gen-growthhack', [growthhackPod]);
      expect(await settle(['gen-growthhack'], 'gen-growthhack back')).toEqual({ 'gen-growthhack': MEASURE });
      cluster.deleteService('default', 'gen-growthhack');
      expect(await settle(['gen'], 'the fallback once the Service is gone')).toEqual({ gen: MEASURE });
      deploy('gen-growthhack', apps['gen-growthhack'].port);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'canary (`&`): gen-growthhack scaled to 0 keeps its share, which fails, unless the member has its own `| /srv/gen`; deleting its Service gives gen all',
    async () => {
      await updateDefault(RULES.canary50);
      const split = await settle(['gen', 'gen-growthhack'], 'the 50/50 canary');
      expect((split.gen ?? 0) + (split['gen-growthhack'] ?? 0)).toBe(MEASURE);
      cluster.pods('default', 'gen-growthhack', []);
      const scaledDown = await settle(['gen', 'UNAVAILABLE'], 'the canary with gen-growthhack at 0 replicas');
      // Half of MEASURE on average; fewer than 5 of 40 has a chance below one in a million.
      expect(scaledDown.UNAVAILABLE).toBeGreaterThanOrEqual(5);
      const webStatuses = new Set((await Promise.all(Array.from({ length: 20 }, () => webGob()))).map((r) => r.status));
      expect([...webStatuses].sort()).toEqual([200, 502]);
      await updateDefault(RULES.guardedCanary50);
      expect(await settle(['gen'], 'the guarded canary at 0 replicas')).toEqual({ gen: MEASURE });
      await updateDefault(RULES.canary50);
      await settle(['gen', 'UNAVAILABLE'], 'the plain canary again');
      cluster.deleteService('default', 'gen-growthhack');
      expect(await settle(['gen'], 'the canary without its Service')).toEqual({ gen: MEASURE });
      deploy('gen-growthhack', apps['gen-growthhack'].port);
      await settle(['gen', 'gen-growthhack'], 'the canary again');
    },
    STEP_TIMEOUT_MS,
  );
});
