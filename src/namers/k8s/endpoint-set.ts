/**
 * From Kubernetes objects to the address set of one Service port
 * (docs/k8s-namer.md#from-objects-to-addresses). Both sources, EndpointSlices and the legacy v1
 * Endpoints, become the same EndpointGroups: ready addresses that share a map of port name → pod
 * port. A name's port segment is resolved through the Service (a number is a Service port, whose
 * name then picks the pods' port, which follows named targetPorts for free, since pods whose named
 * port resolves to different numbers land in different slices). Only ready, non-terminating
 * endpoints count: a terminating pod keeps its slice entry until it is gone, and new requests must
 * stop at once (kubernetes/kubernetes#22191). Pure functions, so the merge rules are tested without
 * a server.
 */
import { Addr, type Address } from '../../naming/addr.js';
import type { EndpointSlice, Endpoints, Service, SlicePort } from './k8s-objects.js';

export interface GroupAddress {
  readonly host: string;
  readonly meta: Readonly<Record<string, string>>;
}

export interface EndpointGroup {
  /** Service port name (`''` for an unnamed port) → the port on the pods; TCP ports only. */
  readonly ports: ReadonlyMap<string, number>;
  /** The ready, non-terminating addresses. */
  readonly addresses: readonly GroupAddress[];
}

const isTcp = (protocol: string | null | undefined) => protocol == null || protocol === 'TCP';

function portMap(ports: readonly SlicePort[] | null | undefined): Map<string, number> {
  const map = new Map<string, number>();
  for (const p of ports ?? []) {
    // A slice port with no number means "all ports", which gives nothing to connect to.
    if (!isTcp(p.protocol) || typeof p.port !== 'number') continue;
    map.set(p.name ?? '', p.port);
  }
  return map;
}

/** Only the fields that are set: most endpoints carry a node name and a zone, and nothing else is used. */
function meta(nodeName: unknown, zone: unknown, hostname: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof nodeName === 'string' && nodeName !== '') out.nodeName = nodeName;
  if (typeof zone === 'string' && zone !== '') out.zone = zone;
  if (typeof hostname === 'string' && hostname !== '') out.hostname = hostname;
  return out;
}

/** One slice's group. `ready` unset means unknown, which the API says to treat as ready. */
export function sliceGroup(slice: EndpointSlice): EndpointGroup {
  const addresses: GroupAddress[] = [];
  for (const e of slice.endpoints ?? []) {
    const c = e.conditions ?? {};
    if (c.ready === false || c.terminating === true) continue;
    // The first address is the one kube-proxy uses; the rest are the same pod.
    const host = e.addresses?.[0];
    if (typeof host !== 'string' || host === '') continue;
    addresses.push({ host, meta: meta(e.nodeName, e.zone, e.hostname) });
  }
  return { ports: portMap(slice.ports), addresses };
}

/** v1 Endpoints: one group per subset, `addresses` only (`notReadyAddresses` are never used). */
export function endpointsGroups(endpoints: Endpoints): EndpointGroup[] {
  return (endpoints.subsets ?? []).map((subset) => ({
    ports: portMap(subset.ports),
    addresses: (subset.addresses ?? [])
      .filter((a) => typeof a.ip === 'string' && a.ip !== '')
      .map((a) => ({ host: a.ip!, meta: meta(a.nodeName, undefined, a.hostname) })),
  }));
}

/**
 * The name of the Service port that a name's port segment means, or null when the Service has
 * no such port (the lookup is then Neg). A number is matched against the Service's `port`
 * (linkerd/linkerd#1166), anything else against the port names.
 */
export function servicePortName(service: Service, segment: string): string | null {
  const ports = (service.spec?.ports ?? []).filter((p) => isTcp(p.protocol));
  const numeric = /^\d+$/.test(segment) ? Number(segment) : undefined;
  const match = ports.find((p) => (numeric === undefined ? p.name === segment : p.port === numeric));
  return match === undefined ? null : (match.name ?? '');
}

/**
 * The union of every group's ready addresses on the port named `portName`, deduplicated (one
 * endpoint can sit in two slices for a while, as updates to different slices arrive apart),
 * keyed by `host port`. Not sorted: comparing two sets by key (sameAddressSet) is linear, and a
 * 10,000-endpoint rollout should not pay for a sort of strings on every update.
 */
export function addressesFor(groups: Iterable<EndpointGroup>, portName: string): Map<string, Address> {
  const byKey = new Map<string, Address>();
  for (const g of groups) {
    const port = g.ports.get(portName);
    if (port === undefined) continue;
    for (const a of g.addresses) {
      const key = `${a.host} ${port}`;
      if (!byKey.has(key)) byKey.set(key, Addr.address(a.host, port, a.meta));
    }
  }
  return byKey;
}

/** Whether two address sets hold the same endpoints, in any order. */
export function sameAddressSet(a: ReadonlyMap<string, Address>, b: ReadonlyMap<string, Address>): boolean {
  if (a.size !== b.size) return false;
  for (const key of a.keys()) if (!b.has(key)) return false;
  return true;
}
