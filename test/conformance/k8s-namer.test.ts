/**
 * The namer contract run against `io.l5d.k8s` and the fake API server over real sockets: a name
 * is `/default/http/<service>`; making it known creates the Service (port `http`) and its pods,
 * updating rewrites the pods (so the EndpointSlices change as the controller would change them),
 * removing deletes the Service and its slices. An empty update is a Service with no pods, which
 * is Bound with no endpoints, not Neg (see k8s-namer.ts). The watch discipline itself is tested
 * in test/integration/k8s-namer.test.ts.
 */

import { Path } from '../../src/index.js';
import { K8sNamer } from '../../src/namers/k8s/k8s-namer.js';
import { Cluster, type Pod } from '../helpers/fake-k8s/cluster.js';
import { FakeK8s } from '../helpers/fake-k8s/fake-k8s-server.js';
import { type Endpoint, runNamerConformance } from './namer.conformance.js';

/** One pod per endpoint, each with its own named port, so every pod lands in a slice of its own port. */
const pods = (name: string, addrs: readonly Endpoint[]): Pod[] =>
  addrs.map((a, i) => ({ name: `${name}-${i}`, ip: a.host, ports: { web: a.port } }));

runNamerConformance('io.l5d.k8s', async () => {
  const fake = await FakeK8s.start();
  const cluster = new Cluster(fake);
  const namer = new K8sNamer({ apiUrl: fake.url, idleMs: 20, timing: { backoffMinMs: 20, backoffMaxMs: 200 } });
  return {
    namer,
    prefix: namer.prefix,
    pathOf: (name) => Path.utf8('default', 'http', name),
    async makeKnown(name, addrs) {
      cluster.service({ name, ports: [{ name: 'http', port: 80, targetPort: 'web' }] }, pods(name, addrs));
      return Path.utf8('default', 'http', name);
    },
    async updateKnown(name, addrs) {
      cluster.pods('default', name, pods(name, addrs));
    },
    async removeKnown(name) {
      cluster.deleteService('default', name);
    },
    activeSources: () => namer.activeWatches,
    async cleanup() {
      await namer.close();
      await fake.close();
    },
  };
});
