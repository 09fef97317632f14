/**
 * The `io.l5d.k8s` namer (docs/k8s-namer.md): `/#/io.l5d.k8s/<namespace>/<port>/<service>
 * [/<label-value>]/<residual…>` binds to id `/#/io.l5d.k8s/<ns>/<port>/<svc>[/<value>]` with the
 * Service's ready endpoints on that port. The first three (or four) segments are lower-cased, as
 * linkerd does; fewer segments, or ones that cannot be Kubernetes names, are Neg without asking
 * the API.
 *
 * What a name answers, decided here (docs/k8s-namer.md#what-a-name-answers):
 * - no such Service (or, with `labelSelector`, no Service with that label), or no such port on
 *   it: Neg, so a dtab alternative takes over;
 * - the Service and port exist: a Bound whose Addr is the ready endpoints, **possibly empty**.
 *   Zero ready endpoints is not Neg (linkerd's answer): a Service that scales to zero and back
 *   keeps one Bound and one Addr, updated in place, so no client is left holding a handle that no
 *   longer moves (linkerd/linkerd#1626, #1638); and the router binds with `fallbackOnEmpty`, so
 *   its dtab alternatives still take over while the set is empty. Watching the Service is what
 *   tells "no pods" from "no Service", which the EndpointSlice placeholder cannot
 *   (docs/k8s-namer.md#from-objects-to-addresses).
 * - before the API first answers: pending (the router's binding timeout bounds the wait).
 * The lookup changes only when existence does; address changes flow through the Addr.
 */
import { NameTree } from '../../dtab/name-tree.js';
import { Path } from '../../dtab/path.js';
import { Activity, type ActivityState, ok } from '../../naming/activity.js';
import { Addr, type Address } from '../../naming/addr.js';
import { Bound } from '../../naming/bound.js';
import type { Name, Namer } from '../../naming/namer.js';
import { Var } from '../../naming/var.js';
import { type ApiConnection, K8sApiClient } from './api-client.js';
import { type ApiSettings, resolveApiConnection } from './api-connection.js';
import { addressesFor, sameAddressSet, servicePortName } from './endpoint-set.js';
import { type K8sLogger, silentLogger } from './reflector.js';
import { type ServiceKey, type ServiceState, ServiceWatch, type WatchContext } from './service-watch.js';
import { DEFAULT_WATCH_TIMING, type WatchTiming } from './watch-timing.js';

export interface K8sNamerOptions extends ApiSettings {
  /** Where the namer is mounted: its ids start with it. Default `/#/io.l5d.k8s`. */
  readonly prefix?: Path | string;
  /** linkerd's `labelSelector`: a label key; names then carry its value as a fourth segment. */
  readonly labelSelector?: string;
  /** How long a Service nobody refers to keeps its watch before it is released. Default 5 min. */
  readonly idleMs?: number;
  readonly timing?: Partial<WatchTiming>;
  /** The environment in-cluster detection reads; the config loader passes process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: K8sLogger;
  /** A connection made elsewhere, instead of the settings above. */
  readonly connection?: ApiConnection;
  readonly random?: () => number;
}

const PENDING: ActivityState<never> = Object.freeze({ status: 'pending' });
const NEG: ActivityState<NameTree<Name>> = ok(NameTree.Neg);
/** DNS-1123 labels: what namespace, Service and port names are. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^([a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?)$/;

export class K8sNamer implements Namer {
  static readonly defaultPrefix: Path = Path.read('/#/io.l5d.k8s');

  readonly prefix: Path;
  readonly client: K8sApiClient;
  readonly #labelKey: string | undefined;
  readonly #ctx: WatchContext;
  readonly #watches = new Map<string, ServiceWatch>();
  /** One Addr per (Service, port), shared by every lookup and residual, dropped with its watch. */
  readonly #addrs = new Map<string, Map<string, Var<Addr>>>();

  constructor(options: K8sNamerOptions = {}) {
    const { prefix = K8sNamer.defaultPrefix } = options;
    this.prefix = typeof prefix === 'string' ? Path.read(prefix) : prefix;
    this.#labelKey = options.labelSelector;
    this.client = new K8sApiClient(options.connection ?? resolveApiConnection(options, options.env ?? {}));
    this.#ctx = {
      client: this.client,
      timing: { ...DEFAULT_WATCH_TIMING, ...options.timing },
      log: options.logger ?? silentLogger,
      idleMs: options.idleMs ?? 300_000,
      ...(options.random ? { random: options.random } : {}),
      slicesServed: true,
    };
  }

  /** Services being watched right now: zero once nothing has observed any name for the idle period. */
  get activeWatches(): number {
    return this.#watches.size;
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    const need = this.#labelKey === undefined ? 3 : 4;
    if (path.size < need) return Activity.value(NameTree.Neg);
    const segments = path
      .take(need)
      .utf8Elems()
      .map((s) => s.toLowerCase());
    const [namespace, port, service, value] = segments as [string, string, string, string | undefined];
    if (!DNS_LABEL.test(namespace) || !DNS_LABEL.test(port) || !DNS_LABEL.test(service))
      return Activity.value(NameTree.Neg);
    if (value !== undefined && !LABEL_VALUE.test(value)) return Activity.value(NameTree.Neg);
    const key: ServiceKey =
      value === undefined ? { namespace, service } : { namespace, service, label: `${this.#labelKey}=${value}` };
    const id = this.prefix.concat(Path.utf8(...segments));
    const residual = path.drop(need);
    // Made once, so every answer for this name is the same leaf and the same Bound.
    let leaf: ActivityState<NameTree<Name>> | undefined;
    const run = Var.async<ActivityState<NameTree<Name>>>(PENDING, (set) => {
      const sub = this.#subscribe(key, (state) => {
        const portName = resolvePort(state, port);
        if (portName === undefined) set(PENDING);
        else if (portName === null) set(NEG);
        else set((leaf ??= ok(NameTree.leaf(new Bound(this.#addr(key, port), id, residual)))));
      });
      return forgetOnClose(sub, set, PENDING);
    });
    return new Activity(run);
  }

  /** Stops every watch and closes the API client. */
  async close(): Promise<void> {
    for (const w of [...this.#watches.values()]) w.release();
    await this.client.close();
  }

  #addr(key: ServiceKey, port: string): Var<Addr> {
    const k = keyText(key);
    let byPort = this.#addrs.get(k);
    if (byPort === undefined) this.#addrs.set(k, (byPort = new Map()));
    let addr = byPort.get(port);
    if (addr === undefined) {
      // It finds its watch by key each time it is observed, so a handle kept past a release still follows.
      addr = Var.async<Addr>(Addr.Pending, (set) => {
        let last: ReadonlyMap<string, Address> | undefined;
        const sub = this.#subscribe(key, (state) => {
          const portName = resolvePort(state, port);
          if (state.type === 'pending' || typeof portName !== 'string') {
            last = undefined;
            set(portName === null ? Addr.Neg : Addr.Pending);
            return;
          }
          const addresses = addressesFor(state.groups, portName);
          if (last !== undefined && sameAddressSet(last, addresses)) return;
          last = addresses;
          set(Addr.bound([...addresses.values()]));
        });
        return forgetOnClose(sub, set, Addr.Pending);
      });
      byPort.set(port, addr);
    }
    return addr;
  }

  #subscribe(key: ServiceKey, f: (state: ServiceState) => void) {
    const k = keyText(key);
    let watch = this.#watches.get(k);
    if (watch === undefined) {
      const created = new ServiceWatch(key, this.#ctx, () => {
        if (this.#watches.get(k) === created) {
          this.#watches.delete(k);
          this.#addrs.delete(k);
        }
      });
      this.#watches.set(k, (watch = created));
    }
    return watch.subscribe(f);
  }
}

function keyText(key: ServiceKey): string {
  return key.label === undefined ? `${key.namespace}/${key.service}` : `${key.namespace}/${key.service}?${key.label}`;
}

/** The Service port's name, null when there is no such Service or port, undefined while pending. */
function resolvePort(state: ServiceState, segment: string): string | null | undefined {
  if (state.type === 'pending') return undefined;
  return state.service === null ? null : servicePortName(state.service, segment);
}

/** Closes the subscription and resets the Var.async, so a later observer does not start from a stale value. */
function forgetOnClose<T>(sub: { close(): void }, set: (value: T) => void, initial: T) {
  return {
    close() {
      sub.close();
      set(initial);
    },
  };
}
