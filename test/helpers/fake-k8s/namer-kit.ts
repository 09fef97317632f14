/**
 * What the Kubernetes namer's tests share: a fake API server, a Cluster to write Services and
 * pods into it, a K8sNamer pointed at it with a test-sized clock (short backoff, idle release and
 * watchdog), a log that records what the namer said, and observation helpers that close
 * themselves. Every wait is bounded, so a namer that stops following fails with its last value.
 */
import type { Addr, Bound, Var } from '../../../src/index.js';
import { Path } from '../../../src/index.js';
import { K8sNamer, type K8sNamerOptions } from '../../../src/namers/k8s/k8s-namer.js';
import { Observed } from '../observed.js';
import { Cluster, type Pod } from './cluster.js';
import { FakeK8s, type FakeK8sOptions } from './fake-k8s-server.js';

/** How long any change may take to reach an observer in these tests. */
export const CHANGE_MS = 3000;

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: object;
}

export interface NamerKit {
  readonly fake: FakeK8s;
  readonly cluster: Cluster;
  readonly namer: K8sNamer;
  readonly logs: LogLine[];
  observe<T>(v: Var<T>, show?: (value: T) => string): Observed<T>;
  /** Every value `v` takes from now on, in order. */
  record<T>(v: Var<T>): T[];
  /** The Bound a path (`/default/http/web`) binds to, once the lookup is a leaf. */
  bound(path: string): Promise<Bound>;
  /** Observes the Addr of `path` until it holds exactly these `host:port`s (in any order). */
  until(addr: Observed<Addr>, expected: readonly string[], what: string, ms?: number): Promise<Addr>;
  /** Closes every observation made through the kit so far. */
  closeObservers(): Promise<void>;
  close(): Promise<void>;
}

export const hostPorts = (a: Addr | undefined) =>
  a?.type === 'bound' ? a.addresses.map((x) => `${x.host}:${x.port}`).sort() : (a?.type ?? 'nothing');

export const showAddr = (a: Addr) => JSON.stringify(hostPorts(a));

/** Pods on 10.0.0.1.. with named port `web` on `port`. */
export const podsOn = (count: number, port = 8080, from = 1): Pod[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `web-${from + i}`,
    ip: `10.0.0.${from + i}`,
    ports: { web: port },
  }));

/**
 * `connect` says how the namer finds the fake: by URL unless a test stands in for a pod or a
 * kubeconfig (it may write files first, knowing the fake's URL).
 */
export async function startNamerKit(
  options: Partial<K8sNamerOptions> = {},
  fakeOptions: FakeK8sOptions = {},
  connect: (fake: FakeK8s) => Partial<K8sNamerOptions> | Promise<Partial<K8sNamerOptions>> = (f) => ({ apiUrl: f.url }),
): Promise<NamerKit> {
  const fake = await FakeK8s.start(fakeOptions);
  const cluster = new Cluster(fake);
  const logs: LogLine[] = [];
  const log = (level: string) => (fields: object, message: string) => void logs.push({ level, message, fields });
  const namer = new K8sNamer({
    ...(await connect(fake)),
    idleMs: 50,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    ...options,
    timing: { backoffMinMs: 20, backoffMaxMs: 200, ...options.timing },
  });
  const open: { close(): void }[] = [];
  const observe = <T>(v: Var<T>, show?: (value: T) => string) => {
    const o = new Observed(v, show ?? ((x) => JSON.stringify(x)));
    open.push(o);
    return o;
  };
  return {
    fake,
    cluster,
    namer,
    logs,
    observe,
    record(v) {
      const values: (typeof v extends Var<infer T> ? T : never)[] = [];
      open.push(v.observe((x) => values.push(x as never)));
      return values;
    },
    async bound(path) {
      const lookup = observe(namer.lookup(Path.read(path)).run);
      const state = await lookup.until(
        (s) => s.status === 'ok' && s.value.type === 'leaf',
        `a leaf for ${path}`,
        CHANGE_MS,
      );
      return (state as { value: { value: Bound } }).value.value;
    },
    until(addr, expected, what, ms = CHANGE_MS) {
      const want = JSON.stringify([...expected].sort());
      return addr.until((a) => JSON.stringify(hostPorts(a)) === want, what, ms);
    },
    async closeObservers() {
      for (const o of open.splice(0)) o.close();
    },
    async close() {
      for (const o of open.splice(0)) o.close();
      await namer.close();
      await fake.close();
    },
  };
}
