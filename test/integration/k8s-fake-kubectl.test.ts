/**
 * The fake API server cross-checked by a real client (docs/k8s-namer.md#the-fake-api-server): kubectl,
 * which knows nothing of our namer, reads the fake's discovery documents, lists, watches (as raw
 * lines and as `get -w`), the in-stream 410 ERROR line, 429 with Retry-After (client-go waits and
 * retries), the Endpoints deprecation Warning, and HTTPS with a CA and bearer token. If the fake
 * drifted from the real wire format, kubectl would say so here. Skipped where kubectl is absent
 * (scripts/install-system-deps.sh installs Debian's kubernetes-client).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../helpers/fake-k8s/cluster.js';
import { FakeK8s } from '../helpers/fake-k8s/fake-k8s-server.js';
import { makeTestCa, type TestCa } from '../helpers/fake-k8s/tls.js';

const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let home: string;
let fake: FakeK8s;
let cluster: Cluster;

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** kubectl with an empty kubeconfig and its own cache, so nothing of this machine's leaks in. */
function kubectl(args: string[], server = fake.url): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn('kubectl', [`--server=${server}`, `--cache-dir=${join(home, 'cache')}`, ...args], {
    env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: join(home, 'config') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Result>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  done.finally(() => clearTimeout(timer));
  return { child, done };
}

async function until(f: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const slicesUrl = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
const pods = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `p${i}`, ip: `10.0.0.${i + 1}` }));

describe.skipIf(!hasKubectl)('the fake Kubernetes API, read by kubectl', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'switchyard-kubectl-'));
    await writeFile(join(home, 'config'), '');
    fake = await FakeK8s.start({ watch: { bookmarkPeriodMs: 300 } });
    cluster = new Cluster(fake);
    cluster.service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }, pods(1));
  });
  afterAll(async () => {
    await fake?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('streams `get --raw ...?watch=1` line by line, bookmarks included, and exits 0 at timeoutSeconds', async () => {
    const run = kubectl(['get', '--raw', `${slicesUrl}?watch=1&allowWatchBookmarks=true&timeoutSeconds=2`]);
    let out = '';
    run.child.stdout!.on('data', (d) => (out += d));
    await until(() => out.includes('"ADDED"'), 'the synthetic ADDED');
    cluster.pods('default', 'web', pods(2));
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { resourceVersion: string } } });
    expect(events[0]!.type).toBe('ADDED');
    expect(events.map((e) => e.type)).toContain('MODIFIED');
    expect(events.map((e) => e.type)).toContain('BOOKMARK');
  });

  it('`get endpointslices -w` lists through discovery, then watches from the list RV', async () => {
    const run = kubectl(['get', 'endpointslices', '-w', '-o', 'name']);
    let out = '';
    run.child.stdout!.on('data', (d) => (out += d));
    await until(() => out.split('\n').length > 1, 'the listed slice');
    cluster.pods('default', 'web', pods(3));
    await until(() => out.trim().split('\n').length >= 2, 'the watched change');
    run.child.kill();
    await run.done;
    expect(out.trim().split('\n')[0]).toBe('endpointslice.discovery.k8s.io/web-00000');
    const watch = fake.requests.filter((r) => r.resource === 'endpointslices' && r.watch).at(-1)!;
    expect(watch.query.get('resourceVersion')).toMatch(/^\d+$/);
  });

  it('sees a watch from a compacted RV end with the ERROR 410 line, and an HTTP 410 as an error', async () => {
    const old = fake.store.rv;
    cluster.pods('default', 'web', pods(1));
    fake.store.compact();
    const inStream = await kubectl(['get', '--raw', `${slicesUrl}?watch=1&resourceVersion=${old}`]).done;
    expect(inStream.code).toBe(0);
    expect(JSON.parse(inStream.stdout)).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410 } });
    fake.fail({ resource: 'endpointslices' }, 410, { reason: 'Expired', message: 'continue token expired' });
    const http = await kubectl(['get', '--raw', slicesUrl]).done;
    expect(http.code).not.toBe(0);
    expect(http.stderr).toMatch(/Expired|continue token expired/);
  });

  it('waits out a 429 with Retry-After and then succeeds, as client-go does', async () => {
    fake.fail({ resource: 'endpointslices', watch: false }, 429, { headers: { 'retry-after': '1' } });
    const started = Date.now();
    const r = await kubectl(['get', 'endpointslices', '-o', 'name']).done;
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('endpointslice.discovery.k8s.io/web-00000');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('prints the v1 Endpoints deprecation warning the fake sends', async () => {
    const r = await kubectl(['get', 'endpoints', '-o', 'name']).done;
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('endpoints/web');
    expect(r.stderr).toContain('Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice');
  });

  it('talks HTTPS with the test CA and a bearer token, and is refused with the wrong token', async () => {
    const ca: TestCa = await makeTestCa();
    const secure = await FakeK8s.start({ tls: { cert: ca.cert, key: ca.key }, token: 'sekrit' });
    try {
      new Cluster(secure).service({ name: 'api', ports: [{ port: 443 }] }, []);
      const tls = [`--certificate-authority=${join(ca.dir, 'ca.crt')}`];
      const ok = await kubectl([...tls, '--token=sekrit', 'get', 'services', '-o', 'name'], secure.url).done;
      expect(ok.stdout.trim()).toBe('service/api');
      const denied = await kubectl([...tls, '--token=wrong', 'get', 'services'], secure.url).done;
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/Unauthorized/);
    } finally {
      await secure.close();
      await ca.cleanup();
    }
  });
});
