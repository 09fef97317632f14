/**
 * What the in-cluster path needs from a test (docs/k8s-namer.md#the-fake-api-server): a test CA and a
 * server certificate for 127.0.0.1 made with the openssl CLI (no npm package needed), and a
 * directory laid out like `/var/run/secrets/kubernetes.io/serviceaccount/` (token, ca.crt,
 * namespace) with the environment a pod would have.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  readonly dir: string;
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
  cleanup(): Promise<void>;
}

export async function makeTestCa(): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-k8s-ca-'));
  const at = (f: string) => join(dir, f);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=switchyard-test-ca',
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.crt'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=kubernetes',
    '-keyout',
    at('tls.key'),
    '-out',
    at('tls.csr'),
  );
  await writeFile(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n');
  openssl(
    'x509',
    '-req',
    '-in',
    at('tls.csr'),
    '-CA',
    at('ca.crt'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    at('ext.cnf'),
    '-out',
    at('tls.crt'),
  );
  return {
    dir,
    caCert: await readFile(at('ca.crt'), 'utf8'),
    cert: await readFile(at('tls.crt'), 'utf8'),
    key: await readFile(at('tls.key'), 'utf8'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface ServiceAccount {
  readonly dir: string;
  /** What a pod's environment says about the API. */
  readonly env: Record<string, string>;
  /** Writes a new token, as the kubelet does when it rotates one. */
  rotate(token: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function serviceAccountDir(
  apiUrl: string,
  token: string,
  caCert: string,
  namespace = 'default',
): Promise<ServiceAccount> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-k8s-sa-'));
  await writeFile(join(dir, 'token'), token);
  await writeFile(join(dir, 'ca.crt'), caCert);
  await writeFile(join(dir, 'namespace'), namespace);
  const u = new URL(apiUrl);
  return {
    dir,
    env: { KUBERNETES_SERVICE_HOST: u.hostname, KUBERNETES_SERVICE_PORT: u.port },
    rotate: (t) => writeFile(join(dir, 'token'), t),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
