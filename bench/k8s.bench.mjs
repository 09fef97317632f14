#!/usr/bin/env node
// npm run bench:k8s — how long the io.l5d.k8s namer takes to apply a 10,000-endpoint update
// (goal ≤ 50 ms, docs/performance.md#goals): a Service whose 10,000 ready pods sit in 100
// EndpointSlices of 100 endpoints is watched; then every pod is replaced at once (a full rollout:
// 100 MODIFIED events, ~2 MB of JSON written to the open watch stream in one go), and the time is
// taken from the first byte written to the namer's Addr holding the new 10,000 addresses (after 3
// warm-up rounds). The API server is a bare node:http stand-in that serves only what this needs
// (the full fake lives in test/helpers and is TypeScript); it binds 127.0.0.1. ROUNDS rollouts,
// alternating between two pod sets.
import { createServer } from 'node:http';
import { K8sNamer, Path } from '../dist/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 20);
/** Rounds run first and not counted, so the JIT has compiled the parser and the merge. */
const WARMUP = 3;
const SLICES = 100;
const PER_SLICE = 100;

let rv = 1000;
const service = {
  metadata: { name: 'web', namespace: 'default', resourceVersion: String(++rv) },
  spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
};
const slice = (i, generation) => ({
  kind: 'EndpointSlice',
  apiVersion: 'discovery.k8s.io/v1',
  metadata: {
    name: `web-${i}`,
    namespace: 'default',
    labels: { 'kubernetes.io/service-name': 'web' },
    resourceVersion: String(++rv),
  },
  addressType: 'IPv4',
  endpoints: Array.from({ length: PER_SLICE }, (_, j) => ({
    addresses: [`10.${generation}.${i}.${j + 1}`],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: `node-${j % 10}`,
    targetRef: { kind: 'Pod', namespace: 'default', name: `web-${generation}-${i}-${j}` },
  })),
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
});

const slices = Array.from({ length: SLICES }, (_, i) => slice(i, 0));
let sliceWatch;
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const isSlices = url.pathname.endsWith('/endpointslices');
  res.writeHead(200, { 'content-type': 'application/json' });
  if (url.searchParams.get('watch') !== '1') {
    const items = isSlices ? slices : [service];
    res.end(JSON.stringify({ metadata: { resourceVersion: String(rv) }, items }));
    return;
  }
  res.flushHeaders();
  if (isSlices) sliceWatch = res;
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const namer = new K8sNamer({ apiUrl: `http://127.0.0.1:${server.address().port}` });

const tree = await namer.lookup(Path.read('/default/http/web')).toPromise();
const addr = tree.value.addr;
let waiter;
const sub = addr.observe((a) => waiter?.(a));
const until = (check) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no update within 10 s')), 10_000);
    waiter = (a) => {
      if (check(a)) {
        clearTimeout(timer);
        waiter = undefined;
        resolve();
      }
    };
    waiter(addr.sample());
  });
const holds = (generation) => (a) =>
  a.type === 'bound' &&
  a.addresses.length === SLICES * PER_SLICE &&
  a.addresses[0].host.startsWith(`10.${generation}.`);

await until(holds(0));
while (sliceWatch === undefined) await new Promise((r) => setTimeout(r, 5));

// Both rollouts are serialised up front, so the timed window holds the namer's work only.
const payloads = [0, 1].map((generation) =>
  Array.from(
    { length: SLICES },
    (_, i) => `${JSON.stringify({ type: 'MODIFIED', object: slice(i, generation) })}\n`,
  ).join(''),
);
const times = [];
for (let round = 1 - WARMUP; round <= ROUNDS; round++) {
  const generation = (round + WARMUP) % 2 === 0 ? 1 : 0;
  const started = performance.now();
  sliceWatch.write(payloads[generation]);
  await until(holds(generation));
  if (round > 0) times.push(performance.now() - started);
}

sub.close();
await namer.close();
sliceWatch.end();
server.close();
server.closeAllConnections();

times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
const bytes = payloads[0].length;
console.log(
  `k8s namer: ${SLICES * PER_SLICE} endpoints in ${SLICES} slices replaced at once (${(bytes / 1e6).toFixed(1)} MB of events), ${ROUNDS} rounds`,
);
console.log(`  first byte written → Addr updated: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms (goal ≤ 50 ms)`);
