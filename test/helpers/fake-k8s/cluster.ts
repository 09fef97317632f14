/**
 * Writing Services and their pods into the fake the way the control plane would
 * (docs/k8s-namer.md#the-fake-api-server): a Service plus a set of pods becomes EndpointSlices
 * (pods grouped by the port numbers their named targetPorts resolve to, at most `maxPerSlice` per
 * slice, terminating pods kept with ready:false/terminating:true, and a placeholder slice with no
 * endpoints and no ports when there are no pods) and a v1 Endpoints object (ready pods in
 * `addresses`, unready ones in `notReadyAddresses`, terminating ones dropped). Only slices whose
 * content changed are written, so tests see the same events a real cluster would produce.
 */
import type { FakeK8s } from './fake-k8s-server.js';
import type { Json } from './object-store.js';

export interface ServicePortSpec {
  readonly name?: string;
  readonly port: number;
  /** A number, or the name of a container port on the pods. Default: `port`. */
  readonly targetPort?: number | string;
}

export interface Pod {
  readonly name: string;
  readonly ip: string;
  /** Named container ports, for named targetPorts. */
  readonly ports?: Readonly<Record<string, number>>;
  /** Default true. */
  readonly ready?: boolean;
  readonly terminating?: boolean;
  readonly nodeName?: string;
}

export interface ServiceSpec {
  readonly namespace?: string;
  readonly name: string;
  readonly ports: readonly ServicePortSpec[];
  readonly labels?: Readonly<Record<string, string>>;
}

export class Cluster {
  /** Pods per `ns/service`, as last set. */
  readonly #pods = new Map<string, readonly Pod[]>();
  readonly #services = new Map<string, ServiceSpec>();

  constructor(
    readonly fake: FakeK8s,
    readonly maxPerSlice = 100,
  ) {}

  /** Creates or updates the Service, then derives its endpoints from its pods. */
  service(spec: ServiceSpec, pods?: readonly Pod[]): void {
    const ns = spec.namespace ?? 'default';
    const key = `${ns}/${spec.name}`;
    this.#services.set(key, spec);
    this.fake.store.apply('services', {
      metadata: { name: spec.name, namespace: ns, ...(spec.labels ? { labels: spec.labels } : {}) },
      spec: {
        ports: spec.ports.map((p) => ({
          ...(p.name ? { name: p.name } : {}),
          port: p.port,
          targetPort: p.targetPort ?? p.port,
          protocol: 'TCP',
        })),
      },
    });
    this.pods(ns, spec.name, pods ?? this.#pods.get(key) ?? []);
  }

  /** Sets the Service's pods and rewrites its slices and Endpoints. */
  pods(namespace: string, service: string, pods: readonly Pod[]): void {
    const key = `${namespace}/${service}`;
    this.#pods.set(key, pods);
    const spec = this.#services.get(key);
    if (spec === undefined) throw new Error(`no service ${key}`);
    this.#writeSlices(namespace, spec, pods);
    this.#writeEndpoints(namespace, spec, pods);
  }

  /** Deletes the Service, its slices and its Endpoints, as the controllers would. */
  deleteService(namespace: string, service: string): void {
    const key = `${namespace}/${service}`;
    this.#services.delete(key);
    this.#pods.delete(key);
    this.fake.store.delete('services', namespace, service);
    for (const s of this.#slicesOf(namespace, service))
      this.fake.store.delete('endpointslices', namespace, sliceName(s));
    this.fake.store.delete('endpoints', namespace, service);
  }

  #slicesOf(namespace: string, service: string): Json[] {
    return this.fake.store
      .list('endpointslices', namespace)
      .filter(
        (s) =>
          (s.metadata as Json & { labels?: Record<string, string> }).labels?.['kubernetes.io/service-name'] === service,
      );
  }

  /** The pod's port number for each Service port, or null when a named targetPort is missing on it. */
  #portsOf(spec: ServiceSpec, pod: Pod): { name: string; port: number }[] {
    return spec.ports.flatMap((p) => {
      const t = p.targetPort ?? p.port;
      const port = typeof t === 'number' ? t : pod.ports?.[t];
      return port === undefined ? [] : [{ name: p.name ?? '', port }];
    });
  }

  #writeSlices(namespace: string, spec: ServiceSpec, pods: readonly Pod[]): void {
    const groups = new Map<string, { ports: { name: string; port: number }[]; pods: Pod[] }>();
    for (const pod of pods) {
      const ports = this.#portsOf(spec, pod);
      const sig = JSON.stringify(ports);
      const g = groups.get(sig) ?? { ports, pods: [] };
      g.pods.push(pod);
      groups.set(sig, g);
    }
    const wanted: Json[] = [];
    for (const g of groups.values())
      for (let i = 0; i < g.pods.length; i += this.maxPerSlice)
        wanted.push(this.#slice(namespace, spec, g.ports, g.pods.slice(i, i + this.maxPerSlice), wanted.length));
    if (wanted.length === 0) wanted.push(this.#slice(namespace, spec, [], [], 0));
    const names = new Set(wanted.map(sliceName));
    for (const s of wanted) this.fake.store.apply('endpointslices', s);
    for (const s of this.#slicesOf(namespace, spec.name))
      if (!names.has(sliceName(s))) this.fake.store.delete('endpointslices', namespace, sliceName(s));
  }

  #slice(namespace: string, spec: ServiceSpec, ports: { name: string; port: number }[], pods: Pod[], n: number): Json {
    return {
      metadata: {
        name: `${spec.name}-${String(n).padStart(5, '0')}`,
        namespace,
        labels: {
          ...spec.labels,
          'kubernetes.io/service-name': spec.name,
          'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        },
      },
      addressType: 'IPv4',
      endpoints: pods.map((p) => ({
        addresses: [p.ip],
        conditions: {
          ready: p.ready !== false && p.terminating !== true,
          serving: p.ready !== false,
          terminating: p.terminating === true,
        },
        ...(p.nodeName ? { nodeName: p.nodeName } : {}),
        targetRef: { kind: 'Pod', namespace, name: p.name },
      })),
      ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: 'TCP' })),
    };
  }

  #writeEndpoints(namespace: string, spec: ServiceSpec, pods: readonly Pod[]): void {
    const subsets = new Map<string, Json & { addresses: Json[]; notReadyAddresses: Json[] }>();
    for (const pod of pods) {
      if (pod.terminating) continue;
      const ports = this.#portsOf(spec, pod);
      const sig = JSON.stringify(ports);
      const s = subsets.get(sig) ?? {
        addresses: [],
        notReadyAddresses: [],
        ports: ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: 'TCP' })),
      };
      const address = { ip: pod.ip, targetRef: { kind: 'Pod', namespace, name: pod.name } };
      (pod.ready === false ? s.notReadyAddresses : s.addresses).push(address);
      subsets.set(sig, s);
    }
    this.fake.store.apply('endpoints', {
      metadata: { name: spec.name, namespace, ...(spec.labels ? { labels: spec.labels } : {}) },
      // A Service with no pods has no subsets at all (linkerd/linkerd#1219).
      ...(subsets.size > 0 ? { subsets: [...subsets.values()].map(omitEmpty) } : {}),
    });
  }
}

const sliceName = (s: Json) => (s.metadata as { name: string }).name;

/** The API leaves empty lists out of the JSON. */
function omitEmpty(subset: Json): Json {
  return Object.fromEntries(Object.entries(subset).filter(([, v]) => !(Array.isArray(v) && v.length === 0)));
}
