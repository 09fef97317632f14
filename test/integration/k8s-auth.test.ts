/**
 * How the io.l5d.k8s namer reaches and authenticates to the API
 * (docs/k8s-namer.md#reaching-the-api; behaviour 11 of
 * docs/k8s-namer.md#behaviours-the-tests-pin-down): in-cluster from a service-account directory and
 * the pod's environment (HTTPS verified with the mounted CA, a bearer token that rotates and is
 * read again after a 401, with no outage), a kubeconfig's current context, and no trust in a
 * certificate the CA did not sign. The fake serves HTTPS with a CA made for the test by openssl.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Path } from '../../src/index.js';
import { type NamerKit, podsOn, showAddr, startNamerKit } from '../helpers/fake-k8s/namer-kit.js';
import { makeTestCa, type ServiceAccount, serviceAccountDir, type TestCa } from '../helpers/fake-k8s/tls.js';

let ca: TestCa;
let kit: NamerKit | undefined;
let sa: ServiceAccount | undefined;
let dir: string;

beforeAll(async () => {
  ca = await makeTestCa();
  dir = await mkdtemp(join(tmpdir(), 'switchyard-kubeconfig-'));
});
afterAll(async () => {
  await ca?.cleanup();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await kit?.close();
  await sa?.cleanup();
  kit = sa = undefined;
});

const web = { name: 'web', ports: [{ name: 'http', port: 80, targetPort: 'web' }] };
const httpsWithToken = () => ({ tls: { cert: ca.cert, key: ca.key }, token: 'token-1' });

describe('io.l5d.k8s: API endpoint and credentials', () => {
  it('in-cluster: HTTPS with the mounted CA and token; a rotated token is read again after the 401', async () => {
    kit = await startNamerKit({}, httpsWithToken(), async (fake) => {
      sa = await serviceAccountDir(fake.url, 'token-1', ca.caCert);
      return { env: sa.env, serviceAccountDir: sa.dir };
    });
    const { fake, cluster, namer } = kit;
    expect(namer.client.server).toBe(`https://127.0.0.1:${fake.port}`);
    cluster.service(web, podsOn(2));
    const bound = await kit.bound('/default/http/web');
    const addr = kit.observe(bound.addr, showAddr);
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080'], 'endpoints over HTTPS');
    const seen = kit.record(bound.addr);
    fake.token = 'token-2';
    await sa!.rotate('token-2');
    fake.endWatches();
    cluster.pods('default', 'web', podsOn(3));
    await kit.until(addr, ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'], 'a change seen with the new token');
    expect(fake.requests.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
    // No outage: the set never shrank while the token was renewed.
    expect(seen.every((a) => a.type === 'bound' && a.addresses.length >= 2)).toBe(true);
  });

  it('kubeconfig: the current context’s server, inline CA data and token', async () => {
    kit = await startNamerKit({}, httpsWithToken(), async (fake) => {
      const file = join(dir, 'config');
      const caData = Buffer.from(ca.caCert).toString('base64');
      await writeFile(
        file,
        `apiVersion: v1
kind: Config
current-context: fake
contexts:
- name: other
  context: { cluster: nowhere, user: nobody }
- name: fake
  context: { cluster: fake, user: tester, namespace: default }
clusters:
- name: fake
  cluster: { server: '${fake.url}', certificate-authority-data: ${caData} }
users:
- name: tester
  user: { token: token-1 }
`,
      );
      return { kubeconfig: file };
    });
    kit.cluster.service(web, podsOn(1));
    await kit.until(kit.observe((await kit.bound('/default/http/web')).addr), ['10.0.0.1:8080'], 'endpoints');
  });

  it('does not trust an API whose certificate no configured CA signed, and says why', async () => {
    kit = await startNamerKit({}, httpsWithToken());
    kit.cluster.service(web, podsOn(1));
    const lookup = kit.observe(kit.namer.lookup(Path.read('/default/http/web')).run);
    await new Promise((r) => setTimeout(r, 300));
    expect(lookup.value?.status).toBe('pending');
    expect(kit.logs.some((l) => /certificate/i.test(JSON.stringify(l.fields)))).toBe(true);
  });
});
