/**
 * The gob walkthrough's own linkerd and namerd configs (test/fixtures/linkerd/, host names changed
 * to loopback) run as they are, in real processes: `switchyard namerd --config namerd.yml` and
 * `switchyard router --config linkerd.yml`. Only ports change, to free ones, and linkerd's
 * interpreter dst is pointed at namerd's HTTP port, as the warning it logs says. A gRPC Gen call
 * through the h2 router reaches the real gen app, found through io.l5d.k8s against the fake API;
 * the http router routes by Host; both routers stop together on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GenApp, startGen } from '../../src/quickstart/gob/gen.js';
import { type GenClient, type GenResponse, gob } from '../../src/quickstart/gob/proto.js';
import { spawnBin } from '../helpers/cli-run.js';
import { Cluster } from '../helpers/fake-k8s/cluster.js';
import { FakeK8s } from '../helpers/fake-k8s/fake-k8s-server.js';
import { freePort } from '../helpers/namerd-process.js';
import { repoRoot } from '../helpers/repo.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'linkerd');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const bin = join(repoRoot, 'bin', 'switchyard.js');
const dir = mkdtempSync(join(tmpdir(), 'linkerd-config-'));
const children = new Set<ChildProcess>();

interface Started {
  readonly child: ChildProcess;
  /** The `… listening` log lines, parsed. */
  readonly listening: Record<string, unknown>[];
  readonly log: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts `switchyard <role> --config <text>` and resolves once `count` "listening" lines came. */
function start(role: 'router' | 'namerd', text: string, count: number, args: string[] = []): Promise<Started> {
  const file = join(dir, `${role}-${children.size}.yml`);
  writeFileSync(file, text);
  const child = spawn(process.execPath, [bin, role, '--config', file, '--log-format', 'json', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start: ${output}`)), 20_000);
    void exited.then(() => reject(new Error(`${role} exited: ${output}`)));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const listening = output
        .split('\n')
        .filter((l) => l.includes(`"${role} listening"`))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      if (listening.length < count) return;
      clearTimeout(timer);
      resolve({ child, listening, log: () => output, exited });
    });
  });
}

/** `port: N` and `/N` (in dtabs and dst paths) → the ports this run got. */
function withPorts(text: string, ports: Record<number, number>): string {
  let out = text;
  for (const [from, to] of Object.entries(ports)) {
    out = out.replaceAll(new RegExp(`port: ${from}\\b`, 'g'), `port: ${to}`);
    out = out.replaceAll(new RegExp(`/${from}\\b`, 'g'), `/${to}`);
  }
  return out;
}

let k8s: FakeK8s;
let gen: GenApp;
let web: Upstream;
let namerd: Started;
let router: Started;
let namerdUrl: string;
const routerUrl: Record<string, string> = {};
let adminUrl: string;

beforeAll(async () => {
  k8s = await FakeK8s.start();
  gen = await startGen(0, 'gen');
  web = await startUpstream();
  // The walkthrough's Services: gen behind its port named grpc.
  new Cluster(k8s).service({ name: 'gen', ports: [{ name: 'grpc', port: 8181, targetPort: gen.port }] }, [
    { name: 'gen-0', ip: '127.0.0.1' },
  ]);
  const namerdPort = await freePort();
  namerd = await start('namerd', withPorts(fixture('namerd.yml'), { 4180: namerdPort, 8001: k8s.port, 9990: 0 }), 1);
  namerdUrl = String(namerd.listening[0]!.url);
  // `namerctl dtab create default default.dtab`, as the walkthrough does.
  const created = await request(`${namerdUrl}/api/1/dtabs/default`, {
    method: 'POST',
    body: fixture('default.dtab'),
    headers: { 'content-type': 'application/dtab' },
  });
  await created.body.text();
  expect(created.statusCode).toBe(204);
  const webPort = Number(new URL(web.url).port);
  const linkerd = withPorts(fixture('linkerd.yml'), { 9990: 0, 4080: 0, 4180: 0, 4100: namerdPort, 8080: webPort });
  // As in linkerd, namerd binds the h2 router's names (with its io.l5d.k8s namer on the fake API):
  // the router has no namers and no Kubernetes access of its own.
  router = await start('router', linkerd, 2, ['--drain-grace-ms', '200']);
  for (const line of router.listening) routerUrl[String(line.label)] = String(line.url);
  adminUrl = String(router.listening[0]!.adminUrl);
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all([gen?.close(), web?.close(), k8s?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function genCall(url: string, text: string, limit: number) {
  const client = new (gob().GenSvc)(new URL(url).host, grpc.credentials.createInsecure()) as unknown as GenClient;
  return new Promise<{ messages: string[]; version: string; status: grpc.StatusObject }>((resolve) => {
    const messages: string[] = [];
    let version = '';
    const call = client.Gen({ text, limit }, new grpc.Metadata());
    call.on('metadata', (m: grpc.Metadata) => (version = String(m.get('x-version')[0])));
    call.on('data', (m: GenResponse) => messages.push(m.text));
    call.on('error', () => {});
    call.on('status', (status: grpc.StatusObject) => {
      client.close();
      resolve({ messages, version, status });
    });
  });
}

describe("the walkthrough's linkerd.yml and namerd.yml, as they are", () => {
  it('start both routers of linkerd.yml, each under its label, behind one admin port', () => {
    expect(Object.keys(routerUrl).sort()).toEqual(['h2', 'http']);
    expect(new Set(router.listening.map((l) => l.adminUrl)).size).toBe(1);
    expect(router.log()).toContain("io.l5d.namerd is namerd's thrift interface");
    expect(namerd.log()).toContain('io.l5d.thriftNameInterpreter is not served');
  });

  it('a gRPC call to /proto.GenSvc/Gen through the h2 router reaches gen (namerd dtab, io.l5d.k8s)', async () => {
    let r = await genCall(routerUrl.h2!, 'gob', 3);
    // The router is ready once namerd's dtab arrived; until then calls are refused, so wait for it.
    for (let i = 0; i < 50 && r.status.code !== grpc.status.OK; i++) {
      await request(`${adminUrl}/ready`).then((res) => res.body.text());
      r = await genCall(routerUrl.h2!, 'gob', 3);
    }
    expect(r.status.code, `${r.status.details}\n${router.log().slice(-3000)}`).toBe(grpc.status.OK);
    expect(r.messages).toEqual(['gob ', 'gob ', 'gob ']);
    expect(r.version).toBe('gen');
  });

  it('the http router routes by Host through its own dtab', async () => {
    const res = await request(routerUrl.http!, { headers: { host: 'web' } });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('hello, world\n');
    expect(web.seen.at(-1)?.headers.host).toBe('web');
  });

  it('the one admin port counts both routers, each under its label, and is ready when both are', async () => {
    const res = await request(`${adminUrl}/admin/metrics/prometheus`);
    const text = await res.body.text();
    expect(text).toMatch(/rt="http"/);
    expect(text).toMatch(/rt="h2"/);
    const ready = await request(`${adminUrl}/ready`);
    await ready.body.text();
    expect(ready.statusCode).toBe(200);
  });

  it('SIGTERM stops both routers together, exit 0', async () => {
    router.child.kill('SIGTERM');
    expect(await router.exited).toBe(0);
    for (const url of Object.values(routerUrl)) await expect(request(url)).rejects.toThrow();
  }, 60_000);
});

describe('configs switchyard cannot run as they are: exit 64, every problem with its path', () => {
  it("linkerd-examples' daemonset gRPC config: both interpreter transformers", async () => {
    const file = join(fixtures, 'linkerd-daemonset-grpc.yml');
    const run = await spawnBin('switchyard.js', ['router', '--config', file]);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain(
      'routers[0].interpreter.transformers: switchyard has no transformers: bind to the addresses to use in the dtab',
    );
    expect(run.stderr).toContain('routers[1].interpreter.transformers:');
  });

  it("linkerd-examples' daemonset namerd config: the io.l5d.k8s store, with the store to use instead", async () => {
    const run = await spawnBin('switchyard.js', ['namerd', '--config', join(fixtures, 'namerd-daemonset.yml')]);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain(
      'storage.kind: switchyard does not keep dtabs in Kubernetes resources (io.l5d.k8s): use store: redis://HOST:PORT/DB (shared by replicas) or file:DIR',
    );
  });
});

describe("the gob example's docker-compose namerd config", () => {
  it('creates the namespaces its io.l5d.inMemory storage lists', async () => {
    const port = await freePort();
    const started = await start('namerd', withPorts(fixture('compose-namerd.yml'), { 4180: port, 9991: 0 }), 1);
    const url = String(started.listening[0]!.url);
    let res = await request(`${url}/api/1/dtabs/default`, { headers: { accept: 'application/dtab' } });
    // The namespaces are written through namerd's API right after it listens.
    for (let i = 0; i < 50 && res.statusCode === 404; i++) {
      await res.body.text();
      res = await request(`${url}/api/1/dtabs/default`, { headers: { accept: 'application/dtab' } });
    }
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toContain('/host/proto.GenSvc');
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  });
});
