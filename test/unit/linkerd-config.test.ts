/**
 * linkerd's router and namerd config formats, read as they are: what each key becomes, and what
 * switchyard refuses (one problem per field, with the path the user wrote, every problem listed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RouterConfigs, routerConfigs } from '../../src/config/linkerd-format.js';
import { namerdSetup } from '../../src/config/namerd-linkerd-format.js';
import { routerConfig } from '../../src/config/router-config.js';
import { repoRoot } from '../helpers/repo.js';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'linkerd', name), 'utf8');

/** The problems a config is refused with, one per line as the CLI prints them. */
function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (e) {
    return (e as Error).message
      .split('\n')
      .filter((l) => l.startsWith('  - '))
      .map((l) => l.slice(4));
  }
  throw new Error('was accepted');
}

const router = (body: string, more = '') =>
  `routers:\n- protocol: http\n  dtab: /svc => /$/inet/127.0.0.1/1\n${body}${more}`;
const refused = (yaml: string, flags = {}) => problems(() => routerConfigs(yaml, flags));

describe("the walkthrough's configs", () => {
  it('linkerd.yml: an http and an h2 router, namerd for the h2 one, its service policy', () => {
    const { routers, warnings } = routerConfigs(fixture('linkerd.yml'));
    const [http, h2] = routers as RouterConfigs['routers'] & [unknown, unknown];
    expect(http).toMatchObject({
      label: 'http',
      protocol: 'auto',
      listen: { host: '127.0.0.1', port: 4080 },
      admin: { host: '127.0.0.1', port: 9990 },
      baseDtab: { kind: 'inline', text: '/svc => /$/inet/127.1/8080' },
    });
    expect(h2).toMatchObject({
      label: 'h2',
      protocol: 'h2',
      client: { protocol: 'h2' },
      listen: { host: '127.0.0.1', port: 4180 },
      dstPrefix: '/grpc',
      identifiers: [{ kind: 'io.l5d.header.path', segments: 1, grpcOnly: false }],
      baseDtab: { kind: 'namerd', url: 'http://127.0.0.1:4100', namespace: 'default' },
      totalTimeoutMs: 1000,
      responseClassifier: 'io.l5d.http.retryableRead5XX',
    });
    // Names are bound in namerd, as linkerd's interpreter did: the router needs no namers.
    expect(h2).toMatchObject({ interpreter: { kind: 'io.l5d.namerd.http', url: 'http://127.0.0.1:4100' } });
    expect(warnings).toEqual([
      "routers[1].interpreter.kind: io.l5d.namerd is namerd's thrift interface; switchyard reads namerd's HTTP API at /$/inet/127.0.0.1/4100, so point dst at namerd's io.l5d.httpController port",
    ]);
  });

  it("namerd.yml: memory store, the HTTP API on the httpController, namerd's admin port, the k8s namer; thrift warned", () => {
    const { config, seed, warnings } = namerdSetup(fixture('namerd.yml'));
    expect(config).toMatchObject({
      store: 'memory',
      listen: { host: '127.0.0.1', port: 4180 },
      admin: { host: '127.0.0.1', port: 9990 },
      namers: [{ kind: 'io.l5d.k8s', prefix: '/io.l5d.k8s', host: '127.0.0.1', port: 8001 }],
    });
    expect(seed).toEqual({});
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^interfaces\[0\]: io\.l5d\.thriftNameInterpreter is not served/);
  });

  it("the docker-compose pair: both routers on namerd; namerd's inMemory namespaces to create", () => {
    const { routers } = routerConfigs(fixture('compose-linkerd.yml'));
    expect(routers.map((r) => [r.label, r.listen.port, r.baseDtab.kind])).toEqual([
      ['http', 4141, 'namerd'],
      ['h2', 4142, 'namerd'],
    ]);
    const { seed } = namerdSetup(fixture('compose-namerd.yml'));
    expect(Object.keys(seed)).toEqual(['default']);
    expect(seed.default).toContain('/host/proto.GenSvc  => /$/inet/127.0.0.1/8181;');
  });
});

describe('what linkerd keys become', () => {
  it('per-prefix io.l5d.static configs that cover every name apply, later over earlier', () => {
    const { routers } = routerConfigs(
      router(
        [
          '  service:',
          '    kind: io.l5d.static',
          '    configs:',
          '    - prefix: /svc/*',
          '      totalTimeoutMs: 100',
          '    - prefix: /',
          '      totalTimeoutMs: 200',
          '      responseClassifier: {kind: io.l5d.retryableIdempotent5XX}',
          '  client:',
          '    kind: io.l5d.static',
          '    configs:',
          '    - prefix: /*',
          '      requestAttemptTimeoutMs: 50',
          '      loadBalancer: {kind: ewma}',
          '      failureAccrual:',
          '        kind: io.l5d.consecutiveFailures',
          '        failures: 3',
          '        backoff: {kind: constant, ms: 1000}',
          '',
        ].join('\n'),
      ),
    );
    expect(routers[0]).toMatchObject({
      totalTimeoutMs: 200,
      attemptTimeoutMs: 50,
      responseClassifier: 'io.l5d.http.retryableIdempotent5XX',
      failureAccrual: { failures: 3, minBackoffMs: 1000, maxBackoffMs: 1000 },
    });
  });

  it('io.l5d.global client with failureAccrual none; io.l5d.namerd.http with its namespace', () => {
    const { routers } = routerConfigs(
      [
        'routers:',
        '- protocol: h2',
        '  interpreter: {kind: io.l5d.namerd.http, experimental: true, dst: /$/inet/127.0.0.1/4180, namespace: grpc}',
        '  client: {kind: io.l5d.global, failureAccrual: {kind: none}}',
      ].join('\n'),
    );
    expect(routers[0]).toMatchObject({
      label: 'h2',
      listen: { host: '127.0.0.1', port: 4142 },
      failureAccrual: null,
      baseDtab: { kind: 'namerd', url: 'http://127.0.0.1:4180', namespace: 'grpc' },
    });
  });

  it('admin {ip, port}, io.l5d.prometheus served; other telemetry and usage are warnings naming them', () => {
    const { routers, warnings } = routerConfigs(
      [
        'admin: {ip: 127.0.0.2, port: 9991}',
        'telemetry: [{kind: io.l5d.prometheus}, {kind: io.l5d.zipkin, sampleRate: 1}]',
        'usage: {orgId: x}',
        router(''),
      ].join('\n'),
    );
    expect(routers[0]!.admin).toEqual({ host: '127.0.0.2', port: 9991 });
    expect(warnings).toEqual([
      'telemetry[1]: io.l5d.zipkin is not served; the admin port serves /admin/metrics.json and /admin/metrics',
      'usage: accepted and ignored; switchyard sends no usage report',
    ]);
  });

  // Connectivity pings (docs/connectivity.md), on by default for a registered router.
  const PING_DEFAULTS = { pingIntervalMs: 2000, pingTimeoutMs: 300, pingMaxPeers: 64, pingVia: null };

  it("a router entry may carry switchyard's own keys, registry: among them", () => {
    const { routers } = routerConfigs(router('  registry: {url: http://127.0.0.1:4190, locker: true}\n'));
    expect(routers[0]!.registry).toEqual({ url: 'http://127.0.0.1:4190', locker: true, ...PING_DEFAULTS });
  });

  it("top-level registry: and adminSecurity: are the process's; a bad one is named at the top", () => {
    const { routers } = routerConfigs(`registry: {url: http://127.0.0.1:4190}\n${router('')}`);
    expect(routers[0]!.registry).toEqual({ url: 'http://127.0.0.1:4190', locker: false, ...PING_DEFAULTS });
    expect(refused(`registry: {url: ftp://x}\n${router('')}`)).toEqual([
      'registry.url: must be an http:// URL, got "ftp://x"',
    ]);
    expect(refused(`registry: {url: http://127.0.0.1:1}\n${router('  registry: {url: ftp://x}\n')}`)).toEqual([
      'routers[0].registry.url: must be an http:// URL, got "ftp://x"',
    ]);
  });

  it('a flat router YAML with a registry: block is accepted', () => {
    const config = routerConfig('dtab: /svc => /$/inet/127.0.0.1/1\nregistry:\n  url: http://127.0.0.1:4190\n');
    expect(config.registry).toEqual({ url: 'http://127.0.0.1:4190', locker: false, ...PING_DEFAULTS });
  });

  it("linkerd's older classifier names (io.l5d.<kind>, io.l5d.h2.<kind>) in the flat format too", () => {
    for (const kind of ['io.l5d.retryableRead5XX', 'io.l5d.h2.retryableRead5XX', '{kind: io.l5d.retryableRead5XX}']) {
      const config = routerConfig(`dtab: /svc => /$/inet/127.0.0.1/1\nresponseClassifier: ${kind}\n`);
      expect(config.responseClassifier).toBe('io.l5d.http.retryableRead5XX');
    }
  });
});

describe('what switchyard refuses: one problem per field, with its path', () => {
  const cases: [string, string, string][] = [
    [
      'a client kind',
      '  client: {kind: io.l5d.fancy}\n',
      'routers[0].client.kind: must be io.l5d.global or io.l5d.static, got "io.l5d.fancy"',
    ],
    [
      'a client config for some prefixes only',
      '  client: {kind: io.l5d.static, configs: [{prefix: "/#/io.l5d.k8s/default/grpc/gen", requestAttemptTimeoutMs: 5}]}\n',
      'routers[0].client.configs[0].prefix: switchyard applies one client policy to every client of a router; "/#/io.l5d.k8s/default/grpc/gen" covers only some (use "/" or "/*", or give that traffic a router of its own)',
    ],
    [
      'a service config for some names only',
      '  service: {kind: io.l5d.static, configs: [{prefix: "/svc/web", totalTimeoutMs: 5}]}\n',
      'routers[0].service.configs[0].prefix: switchyard applies one service policy to every name of a router; "/svc/web" covers only some (use "/" or "/*" or "/svc" or "/svc/*", or give that traffic a router of its own)',
    ],
    [
      'client tls',
      '  client: {tls: {commonName: x}}\n',
      'routers[0].client.tls: switchyard speaks plaintext to upstreams',
    ],
    [
      'another balancer',
      '  client: {loadBalancer: {kind: aperture}}\n',
      'routers[0].client.loadBalancer.kind: switchyard balances with power of two choices over EWMA latency (ewma) only, got "aperture"',
    ],
    [
      'success-rate failure accrual',
      '  client: {failureAccrual: {kind: io.l5d.successRate, successRate: 0.9}}\n',
      'routers[0].client.failureAccrual.kind: switchyard counts consecutive failures only (io.l5d.consecutiveFailures, or none), got "io.l5d.successRate"',
    ],
    [
      'service retries',
      '  service: {retries: {budget: {percentCanRetry: 0.5}}}\n',
      "routers[0].service.retries: switchyard's retry and requeue budgets are fixed (docs/router.md#retry-budget); maxRetries sets how many retries",
    ],
    [
      'a second server',
      '  servers: [{port: 1}, {port: 2}]\n',
      'routers[0].servers[1]: switchyard gives each router one listener; give this port a router of its own',
    ],
    [
      'server tls',
      '  servers: [{port: 1, tls: {certPath: x}}]\n',
      'routers[0].servers[0].tls: switchyard serves plaintext only (terminate TLS in front of it)',
    ],
    [
      'a server port',
      '  servers: [{port: 70000}]\n',
      'routers[0].servers[0].port: must be an integer from 0 to 65535, got 70000',
    ],
    [
      'the mesh interpreter',
      '  interpreter: {kind: io.l5d.mesh, dst: /$/inet/127.0.0.1/4321}\n',
      "routers[0].interpreter.kind: switchyard reads namerd over its HTTP API: use io.l5d.namerd.http with dst at namerd's io.l5d.httpController port",
    ],
    [
      'a namerd dst that is not an address',
      '  interpreter: {kind: io.l5d.namerd.http, dst: /#/io.l5d.k8s/default/http/namerd}\n',
      'routers[0].interpreter.dst: must be /$/inet/HOST/PORT (namerd\'s address), got "/#/io.l5d.k8s/default/http/namerd"',
    ],
    [
      'announcers',
      '  announcers: [{kind: io.l5d.serversets}]\n',
      'routers[0].announcers: switchyard does not announce routers to service discovery',
    ],
    [
      'the flat validator, under the key written',
      '  service: {totalTimeoutMs: -1}\n',
      'routers[0].service.totalTimeoutMs: must be an integer from 0 to 3600000, got -1',
    ],
    [
      'a failure accrual backoff',
      '  client: {failureAccrual: {kind: io.l5d.consecutiveFailures, backoff: {kind: jittered, minMs: 0}}}\n',
      'routers[0].client.failureAccrual.backoff.minMs: must be an integer from 1 to 3600000, got 0',
    ],
    [
      'a classifier in two places',
      '  responseClassifier: {kind: io.l5d.http.retryableRead5XX}\n  service: {responseClassifier: {kind: io.l5d.http.retryableAll5XX}}\n',
      'routers[0].service.responseClassifier: also given at routers[0].responseClassifier; give it in one place',
    ],
    [
      'an unknown classifier',
      '  service: {responseClassifier: {kind: io.l5d.nope}}\n',
      'routers[0].service.responseClassifier.kind: must be one of io.l5d.http.nonRetryable5XX, io.l5d.http.retryableRead5XX, io.l5d.http.retryableIdempotent5XX, io.l5d.http.retryableAll5XX, io.l5d.http.allSuccessful, io.l5d.h2.grpc.default, io.l5d.h2.grpc.neverRetryable, io.l5d.h2.grpc.alwaysRetryable, io.l5d.h2.grpc.retryableStatusCodes, got "io.l5d.nope"',
    ],
    [
      'a namerd interpreter beside an inline dtab',
      '  interpreter: {kind: io.l5d.namerd.http, dst: /$/inet/127.0.0.1/4180}\n',
      'routers[0].dtab: give one base dtab source, not inline and namerd',
    ],
    [
      'an identifier kind',
      '  identifier: {kind: io.l5d.ingress}\n',
      'routers[0].identifier.kind: unknown identifier "io.l5d.ingress"',
    ],
    [
      'dtab and baseDtab',
      '  baseDtab: /svc => /$/inet/127.0.0.1/2\n',
      'routers[0].baseDtab: is the older name of dtab; give one of the two',
    ],
  ];
  for (const [what, body, error] of cases) {
    it(what, () => expect(refused(router(body))).toEqual([error]));
  }

  it("keys named like an object's members are unknown keys, not members", () => {
    for (const key of ['constructor', 'toString', '__proto__']) {
      const got = refused(
        `"${key}": 1\n${router(`  "${key}": 1\n  servers: [{port: 1, "${key}": 1}]\n  client: {"${key}": 1}\n`)}`,
      );
      expect(got).toHaveLength(4);
      for (const line of got) expect(line).toMatch(new RegExp(`${key}: unknown key`));
    }
  });

  it('a protocol switchyard does not route', () => {
    expect(refused('routers:\n- protocol: thrift\n')).toEqual([
      'routers[0].protocol: switchyard routes http and h2 (gRPC included), not "thrift"',
    ]);
  });

  it('interpreter transformers', () => {
    expect(refused(router('  interpreter: {kind: default, transformers: [{kind: io.l5d.k8s.localnode}]}\n'))).toEqual([
      'routers[0].interpreter.transformers: switchyard has no transformers: bind to the addresses to use in the dtab',
    ]);
  });

  it('tracers, a telemetry path, a per-router flag, two routers with one label: every problem listed', () => {
    const yaml = [
      'tracers: [{kind: io.l5d.zipkin}]',
      'telemetry: [{kind: io.l5d.prometheus, path: /metrics}]',
      router('  servers: [{port: 1}]\n'),
      '- protocol: http',
      '  dtab: /svc => /$/inet/127.0.0.1/1',
      '  servers: [{port: 2}]',
    ].join('\n');
    expect(refused(yaml, { listen: '127.0.0.1:0' })).toEqual([
      'tracers: switchyard does not trace',
      '--listen: sets a single router; with a routers: list, set it on the router in the file',
      'telemetry[0].path: switchyard serves Prometheus metrics at /admin/metrics/prometheus, not "/metrics"',
      'routers[1].label: "http" is routers[0]\'s label too',
    ]);
  });

  it('a bad shared namer is listed once, not once per router', () => {
    const yaml = `namers: [{kind: io.l5d.consul}]\n${router('  label: a\n')}- protocol: h2\n  dtab: /svc => /$/inet/127.0.0.1/1\n`;
    expect(refused(yaml)).toEqual([
      'namers[0].kind: unknown namer kind "io.l5d.consul" (known: io.l5d.fs, io.l5d.k8s)',
    ]);
  });
});

describe("namerd's format: what switchyard refuses", () => {
  const namerd = (storage: string, interfaces = '[{kind: io.l5d.httpController, port: 0}]') =>
    problems(() => namerdSetup(`storage: ${storage}\ninterfaces: ${interfaces}\n`));
  const instead = 'use store: redis://HOST:PORT/DB (shared by replicas) or file:DIR';
  it.each([
    ['io.l5d.k8s', `switchyard does not keep dtabs in Kubernetes resources (io.l5d.k8s): ${instead}`],
    ['io.l5d.zk', `switchyard has no ZooKeeper store (io.l5d.zk): ${instead}`],
    ['io.l5d.etcd', `switchyard has no etcd store (io.l5d.etcd): ${instead}`],
    ['io.l5d.consul', `switchyard has no Consul store (io.l5d.consul): ${instead}`],
  ])('storage %s', (kind, error) => {
    expect(namerd(`{kind: ${kind}}`)).toEqual([`storage.kind: ${error}`]);
  });

  it('a namespace whose dtab does not parse, an unknown interface, two HTTP APIs, a bad port', () => {
    const got = namerd(
      '{kind: io.l5d.inMemory, namespaces: {default: "/svc => "}}',
      '[{kind: io.l5d.httpController, port: 70000}, {kind: io.l5d.fancy}, {kind: io.l5d.httpController}]',
    );
    expect(got).toHaveLength(4);
    expect(got[0]).toMatch(/^storage\.namespaces\.default: /);
    expect(got.slice(1)).toEqual([
      'interfaces[0].port: must be an integer from 0 to 65535, got 70000',
      'interfaces[1].kind: must be io.l5d.httpController, got "io.l5d.fancy"',
      'interfaces[2]: namerd serves its HTTP API on one port; interfaces[0] already gives it',
    ]);
  });

  it('thriftNameInterpreter and mesh interfaces are warnings naming them', () => {
    const { warnings } = namerdSetup(
      'storage: {kind: io.l5d.inMemory}\ninterfaces: [{kind: io.l5d.mesh, port: 4321}, {kind: io.l5d.httpController}]\n',
    );
    expect(warnings).toEqual([
      "interfaces[0]: io.l5d.mesh is not served; switchyard's routers read namerd over its HTTP API (io.l5d.httpController), so point their interpreter's dst there",
    ]);
  });

  it("switchyard's store key beside linkerd's storage", () => {
    expect(problems(() => namerdSetup('store: memory\nstorage: {kind: io.l5d.inMemory}\n'))).toEqual([
      'storage: and store both choose the store; give one',
    ]);
  });
});
