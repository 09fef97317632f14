/**
 * Configuring io.l5d.k8s (docs/k8s-namer.md#reaching-the-api): which API the settings point at, in
 * order (URL, linkerd's host/port, kubeconfig, in-cluster environment, localhost:8001), a token
 * file read again once stale or after a 401, kubeconfig problems reported as config errors, the
 * YAML `namers:` entry validated with every problem listed, and `--k8s-api` on the router.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namerConfig, namerFlag } from '../../src/config/namer-config.js';
import { routerConfig } from '../../src/config/router-config.js';
import { Problems } from '../../src/config/validation.js';
import { fileToken, resolveApiConnection } from '../../src/namers/k8s/api-connection.js';
import { manualClock } from '../helpers/seeded-random.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-k8s-config-'));
  await writeFile(join(dir, 'token'), 'tok-1\n');
  await writeFile(join(dir, 'ca.crt'), 'CA');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('resolveApiConnection', () => {
  it('prefers an explicit URL, then host/port, then in-cluster, else linkerd’s localhost:8001', async () => {
    const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
    expect(resolveApiConnection({ apiUrl: 'http://127.0.0.1:8001' }, env).server).toBe('http://127.0.0.1:8001');
    expect(resolveApiConnection({ host: 'proxy' }, env).server).toBe('http://proxy:8001');
    const inCluster = resolveApiConnection({ serviceAccountDir: dir }, env);
    expect(inCluster.server).toBe('https://[fd00::1]:443');
    expect(String(inCluster.ca)).toBe('CA');
    expect(await inCluster.token!.get()).toBe('tok-1');
    expect(resolveApiConnection({}, {}).server).toBe('http://localhost:8001');
    expect(resolveApiConnection({}, { KUBERNETES_SERVICE_HOST: 'x' }).server).toBe('http://localhost:8001');
  });

  it('fails as a config error when the in-cluster CA or a kubeconfig cannot be read', async () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(() => resolveApiConnection({ serviceAccountDir: join(dir, 'nope') }, env)).toThrow(/in-cluster CA/);
    expect(() => resolveApiConnection({ kubeconfig: join(dir, 'missing') })).toThrow(/SY_ERR|kubeconfig/);
    await writeFile(join(dir, 'kc'), 'current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n');
    expect(() => resolveApiConnection({ kubeconfig: join(dir, 'kc') })).toThrow(/no cluster named "c"/);
    await writeFile(
      join(dir, 'kc2'),
      'current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n' +
        'clusters: [{name: c, cluster: {server: "https://k:6443"}}]\nusers: [{name: u, user: {exec: {command: x}}}]\n',
    );
    expect(() => resolveApiConnection({ kubeconfig: join(dir, 'kc2') })).toThrow(/exec\.apiVersion must be one of/);
  });

  it('reads a kubeconfig token file relative to the kubeconfig, and a client certificate', async () => {
    await writeFile(join(dir, 'cert.pem'), 'CERT');
    await writeFile(
      join(dir, 'kc3'),
      'current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n' +
        'clusters: [{name: c, cluster: {server: "https://k:6443", insecure-skip-tls-verify: true}}]\n' +
        'users: [{name: u, user: {tokenFile: token, client-certificate: cert.pem, client-key-data: S0VZ}}]\n',
    );
    const c = resolveApiConnection({ kubeconfig: join(dir, 'kc3') });
    expect(c.server).toBe('https://k:6443');
    expect(c.insecureSkipTlsVerify).toBe(true);
    expect(String(c.cert)).toBe('CERT');
    expect(String(c.key)).toBe('KEY');
    expect(await c.token!.get()).toBe('tok-1');
  });
});

describe('fileToken', () => {
  it('re-reads the file once the token is older than the refresh period, and after invalidate()', async () => {
    const clock = manualClock(0);
    const file = join(dir, 'rotating');
    await writeFile(file, 'a');
    const token = fileToken(file, 60_000, clock.now);
    expect(await token.get()).toBe('a');
    await writeFile(file, 'b');
    clock.advance(59_000);
    expect(await token.get()).toBe('a');
    clock.advance(1_000);
    expect(await token.get()).toBe('b');
    await writeFile(file, 'c');
    token.invalidate();
    expect(await token.get()).toBe('c');
  });
});

describe('io.l5d.k8s config', () => {
  const check = (raw: unknown) => {
    const p = new Problems();
    const c = namerConfig(raw, 'namers[0]', p);
    return { c, problems: p.list };
  };

  it('accepts linkerd’s keys and the watch clock, with the default prefix', () => {
    const { c, problems } = check({ kind: 'io.l5d.k8s', host: 'localhost', port: 8001, labelSelector: 'version' });
    expect(problems).toEqual([]);
    expect(c).toEqual({
      kind: 'io.l5d.k8s',
      prefix: '/io.l5d.k8s',
      host: 'localhost',
      port: 8001,
      labelSelector: 'version',
    });
  });

  it('lists every problem: unknown keys, bad URL, bad numbers, two ways to reach the API', () => {
    const { problems } = check({
      kind: 'io.l5d.k8s',
      apiUrl: 'ftp://x',
      port: 0,
      idleMs: -1,
      kubeconfig: 'k',
      bogus: 1,
    });
    expect(problems).toEqual([
      expect.stringMatching(/namers\[0\]\.bogus: unknown key/),
      expect.stringMatching(/idleMs: must be an integer/),
      expect.stringMatching(/port: must be an integer/),
      expect.stringMatching(/apiUrl: must be an http/),
      expect.stringMatching(/give one of apiUrl, host\/port and kubeconfig, not apiUrl and host\/port and kubeconfig/),
    ]);
  });

  it('namerd’s --namers io.l5d.k8s=URL shorthand', () => {
    const p = new Problems();
    expect(namerFlag('io.l5d.k8s=http://127.0.0.1:8001', p)).toEqual({
      kind: 'io.l5d.k8s',
      prefix: '/io.l5d.k8s',
      apiUrl: 'http://127.0.0.1:8001',
    });
    expect(p.list).toEqual([]);
  });

  it('--k8s-api mounts io.l5d.k8s at /#/io.l5d.k8s on the router', () => {
    const config = routerConfig('dtab: /svc => /#/io.l5d.k8s/default/http', { k8sApi: 'http://127.0.0.1:8001' });
    expect(config.namers).toEqual([{ kind: 'io.l5d.k8s', prefix: '/io.l5d.k8s', apiUrl: 'http://127.0.0.1:8001' }]);
    expect(() => routerConfig('dtab: /a => /b', { k8sApi: 'localhost:8001' })).toThrow(/--k8s-api\.apiUrl/);
  });
});
