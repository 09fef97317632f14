/**
 * Kubeconfig `exec` credentials (EKS, GKE and AKS kubeconfigs use them) outside a cluster: the
 * io.l5d.k8s namer runs a credential plugin — here a small node script written for the test,
 * found relative to the kubeconfig as kubectl finds it — and sends its token to the fake API
 * server over HTTPS, which requires that token. The plugin gets its args, its env entries and
 * KUBERNETES_EXEC_INFO; its answer is kept while fresh, asked again once it expires (no 401
 * needed), and asked again after a 401 when the server rotated the token.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Path } from '../../src/index.js';
import { type NamerKit, podsOn, showAddr, startNamerKit } from '../helpers/fake-k8s/namer-kit.js';
import { makeTestCa, type TestCa } from '../helpers/fake-k8s/tls.js';
import { eventually } from '../helpers/switchyard-process.js';

let ca: TestCa;
let kit: NamerKit | undefined;
/** This test's directory: the plugin, its state and runs, the kubeconfig; '' between tests. */
let dir = '';

beforeAll(async () => {
  ca = await makeTestCa();
}, 30_000);
afterAll(() => ca?.cleanup());
afterEach(async () => {
  await kit?.close();
  kit = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

/** What the plugin issues next: it reads this file on every run. */
interface PluginState {
  token?: string;
  /** PEM client certificate and key to answer with. */
  cert?: string;
  key?: string;
  /** Lifetime of each token it issues; none means no expirationTimestamp. */
  ttlMs?: number;
}

interface PluginRun {
  at: number;
  expiresAt?: string;
  token: string;
  args: string[];
  region: string | undefined;
  info: { apiVersion: string; kind: string; spec: { interactive: boolean; cluster?: { server: string } } };
}

/** The fake plugin: answers with the state file's token, and appends each run to runs.jsonl. */
const pluginSource = (stateDir: string) => `#!${process.execPath}
import { appendFileSync, readFileSync } from 'node:fs';
const state = JSON.parse(readFileSync(${JSON.stringify(join(stateDir, 'state.json'))}, 'utf8'));
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
const at = Date.now();
const expiresAt = state.ttlMs ? new Date(at + state.ttlMs).toISOString() : undefined;
appendFileSync(${JSON.stringify(join(stateDir, 'runs.jsonl'))}, JSON.stringify({
  at, expiresAt, token: state.token, args: process.argv.slice(2), region: process.env.FAKE_REGION, info,
}) + '\\n');
process.stdout.write(JSON.stringify({
  apiVersion: info.apiVersion,
  kind: 'ExecCredential',
  status: {
    ...(state.token ? { token: state.token } : {}),
    ...(state.cert ? { clientCertificateData: state.cert, clientKeyData: state.key } : {}),
    ...(expiresAt ? { expirationTimestamp: expiresAt } : {}),
  },
}));
`;

async function setState(state: PluginState): Promise<void> {
  await writeFile(join(dir, 'state.json'), JSON.stringify(state));
}

async function runs(): Promise<PluginRun[]> {
  const text = await readFile(join(dir, 'runs.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as PluginRun);
}

/** A kubeconfig whose user is the plugin, at ./bin/fake-auth relative to the kubeconfig. */
async function kubeconfig(server: string, apiVersion: string): Promise<string> {
  await writeFile(join(dir, 'runs.jsonl'), '');
  const plugin = join(dir, 'bin', 'fake-auth');
  await mkdir(join(dir, 'bin'));
  await writeFile(plugin, pluginSource(dir));
  await chmod(plugin, 0o755);
  const file = join(dir, 'config');
  await writeFile(
    file,
    `apiVersion: v1
kind: Config
current-context: cloud
contexts:
- name: cloud
  context: { cluster: cloud, user: cloud-user }
clusters:
- name: cloud
  cluster:
    server: '${server}'
    certificate-authority-data: ${Buffer.from(ca.caCert).toString('base64')}
users:
- name: cloud-user
  user:
    exec:
      apiVersion: ${apiVersion}
      command: ./bin/fake-auth
      args: [token, --cluster-name, cloud]
      env:
      - { name: FAKE_REGION, value: eu-west-1 }
      interactiveMode: Never
      provideClusterInfo: true
      installHint: install fake-auth from the test
`,
  );
  return file;
}

const web = { name: 'web', ports: [{ name: 'http', port: 80, targetPort: 'web' }] };

async function startWithPlugin(
  apiVersion: string,
  state: PluginState,
  tls: { cert: string; key: string } = { cert: ca.cert, key: ca.key },
): Promise<NamerKit> {
  if (dir === '') dir = await mkdtemp(join(tmpdir(), 'switchyard-exec-'));
  await setState(state);
  return startNamerKit({}, { tls, ...(state.token ? { token: state.token } : {}) }, async (fake) => ({
    kubeconfig: await kubeconfig(fake.url, apiVersion),
  }));
}

/** A client certificate the test CA signed, as PEM. */
function clientCertificate(): { cert: string; key: string } {
  const at = (f: string) => join(dir, f);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=exec-user',
    '-keyout',
    at('client.key'),
    '-out',
    at('client.csr'),
  );
  openssl(
    'x509',
    '-req',
    '-in',
    at('client.csr'),
    '-CA',
    join(ca.dir, 'ca.crt'),
    '-CAkey',
    join(ca.dir, 'ca.key'),
    '-CAcreateserial',
    '-CAserial',
    at('ca.srl'),
    '-days',
    '1',
    '-out',
    at('client.crt'),
  );
  return { cert: readFileSync(at('client.crt'), 'utf8'), key: readFileSync(at('client.key'), 'utf8') };
}

describe('io.l5d.k8s: kubeconfig exec credentials', () => {
  it('runs the plugin with its args, env and KUBERNETES_EXEC_INFO, and lists with its token (v1)', async () => {
    kit = await startWithPlugin('client.authentication.k8s.io/v1', { token: 'token-1' });
    kit.cluster.service(web, podsOn(2));
    const addr = kit.observe((await kit.bound('/default/http/web')).addr, showAddr);
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080'], 'endpoints with the plugin’s token');
    const [first, ...more] = await runs();
    expect(first).toMatchObject({
      args: ['token', '--cluster-name', 'cloud'],
      region: 'eu-west-1',
      info: {
        apiVersion: 'client.authentication.k8s.io/v1',
        kind: 'ExecCredential',
        spec: { interactive: false, cluster: { server: kit.fake.url } },
      },
    });
    // No expiry given: the token is kept, and every request (list, watches) went out with it.
    expect(more).toEqual([]);
    expect(kit.fake.requests.length).toBeGreaterThanOrEqual(2);
    expect(kit.fake.requests.filter((r) => r.status === 401)).toEqual([]);
  });

  it('asks again once the token expires, without waiting for a 401 (v1beta1)', async () => {
    kit = await startWithPlugin('client.authentication.k8s.io/v1beta1', { token: 'token-1', ttlMs: 2_500 });
    kit.cluster.service(web, podsOn(1));
    const addr = kit.observe((await kit.bound('/default/http/web')).addr, showAddr);
    await kit.until(addr, ['10.0.0.1:8080'], 'endpoints');
    // New watches are what make the namer ask for a token again; end them until it has.
    const again = await eventually(
      async () => {
        kit!.fake.endWatches();
        const all = await runs();
        return all.length >= 2 ? all : undefined;
      },
      15_000,
      'a second plugin run after the first token expired',
    );
    expect(kit.fake.requests.filter((r) => r.status === 401)).toEqual([]);
    // Never asked while the token in hand was fresh (a second's margin before its expiry).
    for (let i = 1; i < again.length; i++) {
      expect(again[i]!.at).toBeGreaterThanOrEqual(Date.parse(again[i - 1]!.expiresAt!) - 1_000 - 50);
    }
    kit.cluster.pods('default', 'web', podsOn(2));
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080'], 'a change seen after the renewal');
  }, 30_000);

  it('asks again after a 401 when the server rotated the token, with no outage', async () => {
    kit = await startWithPlugin('client.authentication.k8s.io/v1', { token: 'token-1' });
    kit.cluster.service(web, podsOn(2));
    const bound = await kit.bound('/default/http/web');
    const addr = kit.observe(bound.addr, showAddr);
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080'], 'endpoints');
    const seen = kit.record(bound.addr);
    await setState({ token: 'token-2' });
    kit.fake.token = 'token-2';
    kit.fake.endWatches();
    kit.cluster.pods('default', 'web', podsOn(3));
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'], 'a change seen with token-2');
    expect(kit.fake.requests.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
    expect((await runs()).map((r) => r.token)).toEqual(['token-1', 'token-2']);
    expect(seen.every((a) => a.type === 'bound' && a.addresses.length >= 2)).toBe(true);
  });

  it('presents the client certificate the plugin gives to an API that requires one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-exec-'));
    const pair = clientCertificate();
    // The server asks for a client certificate the test CA signed, and needs no token.
    const tls = { cert: ca.cert, key: ca.key, ca: ca.caCert, requestCert: true, rejectUnauthorized: true };
    kit = await startWithPlugin('client.authentication.k8s.io/v1', pair, tls);
    kit.cluster.service(web, podsOn(1));
    const addr = kit.observe((await kit.bound('/default/http/web')).addr, showAddr);
    await kit.until(addr, ['10.0.0.1:8080'], 'endpoints over mutual TLS');
    expect(await runs()).toHaveLength(1);
  });

  it('says which command failed and why, and serves nothing it could not list', async () => {
    kit = await startWithPlugin('client.authentication.k8s.io/v1', { token: 'token-1' });
    // The plugin breaks: it now exits 1 with a message on stderr.
    const plugin = join(dir, 'bin', 'fake-auth');
    await writeFile(
      plugin,
      `#!${process.execPath}\nprocess.stderr.write('fake-auth: session expired, log in again');\nprocess.exit(1);\n`,
    );
    kit.cluster.service(web, podsOn(1));
    const lookup = kit.observe(kit.namer.lookup(Path.read('/default/http/web')).run);
    const line = await eventually(async () =>
      kit!.logs.find(
        (l) =>
          JSON.stringify(l.fields).includes('SY_ERR_K8S_EXEC') || /credential plugin/.test(JSON.stringify(l.fields)),
      ),
    );
    const text = JSON.stringify(line.fields);
    expect(text).toContain(plugin);
    expect(text).toContain('exited with 1');
    expect(text).toContain('session expired, log in again');
    expect(lookup.value?.status).toBe('pending');
    expect(kit.fake.requests).toEqual([]);
  });
});
