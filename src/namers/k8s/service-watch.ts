/**
 * ServiceWatch: what the API says about one Service, `(namespace, service[, label])`, kept
 * current by two reflectors: the Service itself (its existence, and its ports, which a numeric or
 * named port segment is resolved through) and its endpoints, as the EndpointSlices labelled
 * `kubernetes.io/service-name=<svc>` or, where slices are not served, the v1 Endpoints object of
 * that name. One ServiceWatch is shared by every name and port that refers to the Service
 * (docs/k8s-namer.md#permissions: one watch per (ns, svc), never a whole namespace,
 * linkerd/linkerd#1534). It starts with its first subscriber; when the last one leaves it lingers
 * for the idle period, so a route that is rebuilt does not restart the watch, and is then released:
 * its reflectors stop and its state is forgotten, so a later subscriber never sees a stale set.
 */
import type { Closable } from '../../naming/var.js';
import type { K8sApiClient } from './api-client.js';
import { type EndpointGroup, endpointsGroups, sliceGroup } from './endpoint-set.js';
import type { EndpointSlice, Endpoints, K8sObject, Service } from './k8s-objects.js';
import { type K8sLogger, Reflector } from './reflector.js';
import type { WatchTiming } from './watch-timing.js';

export type ServiceState =
  | { readonly type: 'pending' }
  /** Both sources have listed; `service` is null when the Service does not exist. */
  | { readonly type: 'synced'; readonly service: Service | null; readonly groups: readonly EndpointGroup[] };

export const PENDING_SERVICE: ServiceState = Object.freeze({ type: 'pending' });

export interface ServiceKey {
  readonly namespace: string;
  readonly service: string;
  /** linkerd's `labelSelector` option: `key=value`, required of the Service and its endpoints. */
  readonly label?: string;
}

/** What every ServiceWatch of one namer shares. */
export interface WatchContext {
  readonly client: K8sApiClient;
  readonly timing: WatchTiming;
  readonly log: K8sLogger;
  readonly idleMs: number;
  readonly random?: () => number;
  /** Learnt once per namer: false after the API answered 404 for EndpointSlices. */
  slicesServed: boolean;
}

// Groups are derived once per object version: a 10,000-endpoint Service in 100 slices must not
// re-read 99 unchanged slices whenever one of them changes.
const sliceGroups = new WeakMap<K8sObject, EndpointGroup>();
const endpointsGroupCache = new WeakMap<K8sObject, EndpointGroup[]>();

export class ServiceWatch {
  readonly #key: ServiceKey;
  readonly #ctx: WatchContext;
  readonly #onReleased: () => void;
  readonly #observers = new Set<(state: ServiceState) => void>();
  #state: ServiceState = PENDING_SERVICE;
  #service: Reflector | undefined;
  #endpoints: Reflector | undefined;
  /** True while the endpoints come from v1 Endpoints rather than EndpointSlices. */
  #legacy = false;
  #idle: NodeJS.Timeout | undefined;

  constructor(key: ServiceKey, ctx: WatchContext, onReleased: () => void) {
    this.#key = key;
    this.#ctx = ctx;
    this.#onReleased = onReleased;
  }

  get running(): boolean {
    return this.#service !== undefined;
  }

  /** The reflectors now running, for tests that count lists and watches. */
  get reflectors(): readonly Reflector[] {
    return [this.#service, this.#endpoints].filter((r): r is Reflector => r !== undefined);
  }

  subscribe(f: (state: ServiceState) => void): Closable {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    this.#observers.add(f);
    if (!this.running) this.#start();
    f(this.#state);
    let closed = false;
    return {
      close: () => {
        if (closed) return;
        closed = true;
        this.#observers.delete(f);
        if (this.#observers.size === 0 && this.#idle === undefined) {
          this.#idle = setTimeout(() => this.release(), this.#ctx.idleMs);
          this.#idle.unref();
        }
      },
    };
  }

  /** Stops the reflectors and forgets everything (idle, or the namer is closing). */
  release(): void {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    this.#service?.stop();
    this.#endpoints?.stop();
    this.#service = this.#endpoints = undefined;
    this.#state = PENDING_SERVICE;
    this.#onReleased();
  }

  #start(): void {
    const { namespace, service, label } = this.#key;
    const selectors: Record<string, string> = { fieldSelector: `metadata.name=${service}` };
    if (label !== undefined) selectors.labelSelector = label;
    this.#service = this.#reflector(`/api/v1/namespaces/${namespace}/services`, selectors);
    this.#startEndpoints();
    this.#service.start();
  }

  #startEndpoints(): void {
    const { namespace, service, label } = this.#key;
    this.#legacy = !this.#ctx.slicesServed;
    if (this.#ctx.slicesServed) {
      const selector = `kubernetes.io/service-name=${service}${label === undefined ? '' : `,${label}`}`;
      this.#endpoints = this.#reflector(
        `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
        { labelSelector: selector },
        () => {
          // Clusters before 1.21 (or with the API disabled) only have v1 Endpoints.
          this.#ctx.slicesServed = false;
          if (this.running) this.#startEndpoints();
        },
      );
    } else {
      const selectors: Record<string, string> = { fieldSelector: `metadata.name=${service}` };
      if (label !== undefined) selectors.labelSelector = label;
      this.#endpoints = this.#reflector(`/api/v1/namespaces/${namespace}/endpoints`, selectors);
    }
    this.#endpoints.start();
  }

  #reflector(path: string, selectors: Record<string, string>, onNotServed?: () => void): Reflector {
    const { client, timing, log, random } = this.#ctx;
    return new Reflector({
      client,
      path,
      selectors,
      timing,
      log,
      ...(random ? { random } : {}),
      onChange: () => this.#changed(),
      ...(onNotServed ? { onNotServed } : {}),
    });
  }

  #changed(): void {
    const services = this.#service;
    const endpoints = this.#endpoints;
    if (!services?.synced || !endpoints?.synced) return;
    const service = (services.objects.values().next().value as Service | undefined) ?? null;
    const groups: EndpointGroup[] = [];
    for (const o of endpoints.objects.values()) {
      // List items carry no kind, so the source decides how an object is read.
      if (this.#legacy) {
        let gs = endpointsGroupCache.get(o);
        if (gs === undefined) endpointsGroupCache.set(o, (gs = endpointsGroups(o as Endpoints)));
        groups.push(...gs);
      } else {
        let g = sliceGroups.get(o);
        if (g === undefined) sliceGroups.set(o, (g = sliceGroup(o as EndpointSlice)));
        groups.push(g);
      }
    }
    this.#state = { type: 'synced', service, groups };
    for (const f of [...this.#observers]) if (this.#observers.has(f)) f(this.#state);
  }
}
