/**
 * Peers and their epochs, goto's model (docs/registry-and-traffic.md#peers-and-epochs): pods are
 * grouped by label, keyed by address (ip:port); every registration opens an epoch, and an
 * address's epochs outlive its pod, so the registry can show the timeline of canary pods that
 * came, restarted and went. Pure state with a clock: the registry persists what changed.
 */
import { createError } from '../errors.js';

/** The body of `/registry/peers/add` and `/remember`; `name` is the peer's label. */
export interface PeerInfo {
  readonly name: string;
  readonly address: string;
  readonly pod: string;
  readonly namespace: string;
  readonly node: string;
  readonly cluster: string;
}

export interface PodEpoch {
  epoch: number;
  name: string;
  address: string;
  node: string;
  cluster: string;
  firstContact: string;
  lastContact: string;
}

export interface Pod {
  name: string;
  address: string;
  node: string;
  cluster: string;
  healthy: boolean;
  offline: boolean;
  url: string;
  currentEpoch: PodEpoch;
  pastEpochs: PodEpoch[];
}

export interface Peers {
  name: string;
  namespace: string;
  pods: Record<string, Pod>;
  podEpochs: Record<string, PodEpoch[]>;
}

export const LABEL = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,252}$/;
const ADDRESS = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/;

function optional(raw: Record<string, unknown>, key: string, fallback: string, problems: string[]): string {
  const v = raw[key];
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v !== 'string') problems.push(`${key}: must be a string`);
  return typeof v === 'string' ? v : fallback;
}

/** Validates a peer body; `label`, when given, is the one in the path and must agree with the body. */
export function parsePeer(raw: unknown, label?: string): PeerInfo {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw createError('SY_ERR_INVALID_PEER', ['the body must be a JSON object with name and address']);
  }
  const r = raw as Record<string, unknown>;
  const problems: string[] = [];
  const name = r.name ?? label;
  if (typeof name !== 'string' || !LABEL.test(name))
    problems.push(`name: must be a label, got ${JSON.stringify(name)}`);
  else if (label !== undefined && name !== label)
    problems.push(`name: ${name} differs from the label ${label} in the path`);
  const address = r.address;
  if (typeof address !== 'string' || !ADDRESS.test(address) || Number(address.split(':').pop()) > 65535) {
    problems.push(`address: must be host:port, got ${JSON.stringify(address)}`);
  }
  const peer = {
    name: name as string,
    address: address as string,
    pod: optional(r, 'pod', address as string, problems),
    namespace: optional(r, 'namespace', 'local', problems),
    node: optional(r, 'node', 'LocalNode', problems),
    cluster: optional(r, 'cluster', 'LocalCluster', problems),
  };
  if (problems.length > 0) throw createError('SY_ERR_INVALID_PEER', [problems.join('; ')]);
  return peer;
}

export class PeerTable {
  readonly #labels = new Map<string, Peers>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Restores a label saved by the registry's store. */
  load(label: string, peers: Peers): void {
    this.#labels.set(label, {
      ...peers,
      pods: Object.assign(Object.create(null) as Peers['pods'], peers.pods),
      podEpochs: Object.assign(Object.create(null) as Peers['podEpochs'], peers.podEpochs),
    });
  }

  /**
   * Registers a pod and opens its epoch. An address seen before (a restart on the same ip:port,
   * with or without a deregistration) keeps its old epochs as `pastEpochs`.
   */
  add(peer: PeerInfo): Pod {
    let peers = this.#labels.get(peer.name);
    if (peers === undefined) {
      // Keyed by caller-chosen addresses: no prototype, so no key reaches Object.prototype.
      peers = { name: peer.name, namespace: peer.namespace, pods: Object.create(null), podEpochs: Object.create(null) };
      this.#labels.set(peer.name, peers);
    }
    const now = new Date(this.#now()).toISOString();
    const past = peers.podEpochs[peer.address] ?? [];
    // goto numbers by count; after /clear/epochs that can repeat a number, so count from the last one.
    const epoch: PodEpoch = {
      epoch: past.length === 0 ? 0 : past[past.length - 1]!.epoch + 1,
      name: peer.pod,
      address: peer.address,
      node: peer.node,
      cluster: peer.cluster,
      firstContact: now,
      lastContact: now,
    };
    const pod: Pod = {
      name: peer.pod,
      address: peer.address,
      node: peer.node,
      cluster: peer.cluster,
      healthy: true,
      offline: false,
      url: `http://${peer.address}`,
      currentEpoch: epoch,
      pastEpochs: past.map((e) => ({ ...e })),
    };
    peers.pods[peer.address] = pod;
    peers.podEpochs[peer.address] = [...past, { ...epoch }];
    return pod;
  }

  /** A known pod's reminder: it is alive and healthy, and its epoch's lastContact moves on. */
  remember(peer: PeerInfo): Pod {
    const pod = this.#labels.get(peer.name)?.pods[peer.address];
    if (pod === undefined) throw createError('SY_ERR_PEER_NOT_FOUND', [peer.address, peer.name]);
    const now = new Date(this.#now()).toISOString();
    pod.healthy = true;
    pod.offline = false;
    pod.currentEpoch.lastContact = now;
    const epochs = this.#labels.get(peer.name)!.podEpochs[peer.address] ?? [];
    const same = epochs.find((e) => e.epoch === pod.currentEpoch.epoch);
    if (same !== undefined) same.lastContact = now;
    return pod;
  }

  /** The pod leaves; its epochs stay until /clear/epochs. */
  remove(label: string, address: string): void {
    const peers = this.#labels.get(label);
    if (peers?.pods[address] === undefined) throw createError('SY_ERR_PEER_NOT_FOUND', [address, label]);
    delete peers.pods[address];
  }

  has(label: string, address: string): boolean {
    return this.#labels.get(label)?.pods[address] !== undefined;
  }

  labels(): string[] {
    return [...this.#labels.keys()];
  }

  get(label: string): Peers | undefined {
    return this.#labels.get(label);
  }

  all(): Record<string, Peers> {
    return Object.fromEntries(this.#labels);
  }

  /** Pods of a label (or of all labels) as [label, pod] pairs. */
  pods(label?: string): [string, Pod][] {
    const labels = label === undefined ? this.labels() : [label];
    return labels.flatMap((l) => Object.values(this.#labels.get(l)?.pods ?? {}).map((p): [string, Pod] => [l, p]));
  }

  setHealthy(label: string, address: string, healthy: boolean): boolean {
    const pod = this.#labels.get(label)?.pods[address];
    if (pod === undefined || pod.healthy === healthy) return false;
    pod.healthy = healthy;
    return true;
  }

  /** After a health cleanup a healthy pod forgets its past epochs (goto). */
  forgetPast(label: string, address: string): void {
    const pod = this.#labels.get(label)?.pods[address];
    if (pod !== undefined) pod.pastEpochs = [];
  }

  /**
   * goto's /clear/epochs: an address without a live pod loses its epochs, a live pod keeps only
   * its current one, and labels left empty are dropped. Answers the labels dropped.
   */
  clearEpochs(): string[] {
    const dropped: string[] = [];
    for (const [label, peers] of this.#labels) {
      for (const address of Object.keys(peers.podEpochs)) {
        const pod = peers.pods[address];
        if (pod === undefined) delete peers.podEpochs[address];
        else {
          peers.podEpochs[address] = [{ ...pod.currentEpoch }];
          pod.pastEpochs = [];
        }
      }
      if (Object.keys(peers.pods).length === 0) {
        this.#labels.delete(label);
        dropped.push(label);
      }
    }
    return dropped;
  }

  delete(label: string): void {
    this.#labels.delete(label);
  }

  clear(): string[] {
    const labels = this.labels();
    this.#labels.clear();
    return labels;
  }
}
