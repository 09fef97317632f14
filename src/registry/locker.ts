/**
 * The registry's locker (goto's peer lockers; docs/registry-and-traffic.md#lockers): per peer
 * label, per pod address, a tree of keyed JSON blobs. Peers overwrite `client,<target>` with a
 * cumulative results snapshot every few seconds and once more when the target ends, so what a
 * pod measured stays here after the pod is gone — deregistered, or killed without a word. Each
 * node records when it was first and last written. goto's named lockers (open/close/current)
 * are left out: there is one locker.
 *
 * Keys come from callers, so every map of them has no prototype (a key `__proto__` is just a
 * key), and what a locker holds has ceilings — per value, per label and in all — checked before
 * anything changes, so a write past one is refused whole (SY_ERR_LOCKER_FULL, 413).
 */
import { createError } from '../errors.js';

export interface LockerNode {
  data?: unknown;
  subKeys?: Record<string, LockerNode>;
  firstReported: string;
  lastReported: string;
}

export interface InstanceLocker {
  /** False once the pod deregistered; its data stays. */
  active: boolean;
  locker: LockerNode;
}

/** The label-level data locker (no pod) goes under this address. */
export const LABEL_LOCKER = '';

export interface LockerLimits {
  /** Largest stored value, as JSON bytes. */
  readonly maxKeyBytes: number;
  /** All of a label's lockers together. */
  readonly maxLabelBytes: number;
  /** Every locker of the registry together. */
  readonly maxTotalBytes: number;
}

export const UNLIMITED: LockerLimits = {
  maxKeyBytes: Number.POSITIVE_INFINITY,
  maxLabelBytes: Number.POSITIVE_INFINITY,
  maxTotalBytes: Number.POSITIVE_INFINITY,
};

/** What a node costs beside its value: its key, two timestamps, the object itself. */
const NODE_BYTES = 96;

const bytesOf = (data: unknown): number => (data === undefined ? 0 : Buffer.byteLength(JSON.stringify(data) ?? ''));

/** A tree as JSON.parse (or a store) gave it, rebuilt with prototype-free key maps. */
function rebuild(raw: unknown): LockerNode {
  const r = (raw ?? {}) as Partial<LockerNode>;
  const node: LockerNode = { firstReported: String(r.firstReported ?? ''), lastReported: String(r.lastReported ?? '') };
  if (r.data !== undefined) node.data = r.data;
  if (r.subKeys !== undefined && r.subKeys !== null && typeof r.subKeys === 'object') {
    node.subKeys = Object.create(null) as Record<string, LockerNode>;
    for (const [key, child] of Object.entries(r.subKeys)) node.subKeys[key] = rebuild(child);
  }
  return node;
}

/** Bytes a subtree accounts for: every value plus every node's overhead and key. */
function treeBytes(node: LockerNode, key = ''): number {
  let total = NODE_BYTES + Buffer.byteLength(key) + bytesOf(node.data);
  for (const [k, child] of Object.entries(node.subKeys ?? {})) total += treeBytes(child, k);
  return total;
}

export class Lockers {
  readonly #labels = new Map<string, Map<string, InstanceLocker>>();
  readonly #bytes = new Map<string, number>();
  #total = 0;
  readonly #now: () => number;
  readonly #limits: LockerLimits;

  constructor(now: () => number = Date.now, limits: LockerLimits = UNLIMITED) {
    this.#now = now;
    this.#limits = limits;
  }

  /** Bytes held by one label's lockers, or by all. */
  bytes(label?: string): number {
    return label === undefined ? this.#total : (this.#bytes.get(label) ?? 0);
  }

  #account(label: string, delta: number): void {
    this.#bytes.set(label, (this.#bytes.get(label) ?? 0) + delta);
    this.#total += delta;
  }

  #stamp(): string {
    return new Date(this.#now()).toISOString();
  }

  /** Restores a pod's locker from the store; ceilings are not applied to what was already kept. */
  load(label: string, address: string, instance: InstanceLocker): void {
    const locker = rebuild(instance.locker);
    const old = this.#instances(label, true).get(address);
    if (old !== undefined) this.#account(label, -treeBytes(old.locker, address));
    this.#instances(label, true).set(address, { active: instance.active === true, locker });
    this.#account(label, treeBytes(locker, address));
  }

  #instances(label: string, create: true): Map<string, InstanceLocker>;
  #instances(label: string, create: false): Map<string, InstanceLocker> | undefined;
  #instances(label: string, create: boolean): Map<string, InstanceLocker> | undefined {
    let instances = this.#labels.get(label);
    if (instances === undefined && create) this.#labels.set(label, (instances = new Map()));
    return instances;
  }

  /** A pod registered: its locker exists and is active; what it held before is kept. */
  open(label: string, address: string): InstanceLocker {
    const instances = this.#instances(label, true);
    let instance = instances.get(address);
    if (instance === undefined) {
      const now = this.#stamp();
      instance = { active: true, locker: { firstReported: now, lastReported: now } };
      instances.set(address, instance);
      this.#account(label, treeBytes(instance.locker, address));
    }
    instance.active = true;
    return instance;
  }

  deactivate(label: string, address: string): InstanceLocker | undefined {
    const instance = this.#labels.get(label)?.get(address);
    if (instance !== undefined) instance.active = false;
    return instance;
  }

  /** What storing `data` at `keys` would add, in bytes; throws SY_ERR_LOCKER_FULL past a ceiling. */
  #admit(label: string, address: string, keys: readonly string[], data: unknown): number {
    const value = bytesOf(data);
    const limits = this.#limits;
    if (value > limits.maxKeyBytes) {
      throw createError('SY_ERR_LOCKER_FULL', [
        `the value has ${value} bytes, more than ${limits.maxKeyBytes} per key`,
      ]);
    }
    const instance = this.#labels.get(label)?.get(address);
    let delta = instance === undefined ? NODE_BYTES + Buffer.byteLength(address) : 0;
    let node: LockerNode | undefined = instance?.locker;
    for (const key of keys) {
      node = node?.subKeys?.[key];
      if (node === undefined) delta += NODE_BYTES + Buffer.byteLength(key);
    }
    delta += value - bytesOf(node?.data);
    const labelBytes = this.bytes(label) + delta;
    if (delta > 0 && labelBytes > limits.maxLabelBytes) {
      throw createError('SY_ERR_LOCKER_FULL', [
        `label ${label} would hold ${labelBytes} bytes, more than ${limits.maxLabelBytes}`,
      ]);
    }
    if (delta > 0 && this.#total + delta > limits.maxTotalBytes) {
      throw createError('SY_ERR_LOCKER_FULL', [
        `the lockers would hold ${this.#total + delta} bytes, more than ${limits.maxTotalBytes} in all`,
      ]);
    }
    return delta;
  }

  /** Stores `data` at the path `keys`, creating nodes as needed and stamping every node on the way. */
  store(label: string, address: string, keys: readonly string[], data: unknown): InstanceLocker {
    const delta = this.#admit(label, address, keys, data);
    const instances = this.#instances(label, true);
    const existed = instances.has(address);
    const instance = instances.get(address) ?? this.open(label, address);
    if (!existed) this.#account(label, -treeBytes(instance.locker, address));
    const now = this.#stamp();
    let node = instance.locker;
    node.lastReported = now;
    for (const key of keys) {
      node.subKeys ??= Object.create(null) as Record<string, LockerNode>;
      node = node.subKeys[key] ??= { firstReported: now, lastReported: now };
      node.lastReported = now;
    }
    node.data = data;
    this.#account(label, delta);
    return instance;
  }

  /** Removes the node at `keys`; answers the pod's locker when something was removed. */
  remove(label: string, address: string, keys: readonly string[]): InstanceLocker | undefined {
    const instance = this.#labels.get(label)?.get(address);
    if (instance === undefined || keys.length === 0) return undefined;
    let node: LockerNode | undefined = instance.locker;
    for (const key of keys.slice(0, -1)) node = node?.subKeys?.[key];
    const last = keys[keys.length - 1]!;
    const gone = node?.subKeys?.[last];
    if (node?.subKeys === undefined || gone === undefined) return undefined;
    delete node.subKeys[last];
    this.#account(label, -treeBytes(gone, last));
    return instance;
  }

  get(label: string, address: string, keys: readonly string[]): LockerNode | undefined {
    let node: LockerNode | undefined = this.#labels.get(label)?.get(address)?.locker;
    for (const key of keys) node = node?.subKeys?.[key];
    return node;
  }

  labels(): string[] {
    return [...this.#labels.keys()];
  }

  instances(label: string): [string, InstanceLocker][] {
    return [...(this.#labels.get(label) ?? new Map<string, InstanceLocker>())];
  }

  view(label?: string): Record<string, Record<string, InstanceLocker>> {
    const labels = label === undefined ? this.labels() : [label];
    return Object.fromEntries(labels.map((l) => [l, Object.fromEntries(this.#labels.get(l) ?? [])]));
  }

  /** Drops a label's lockers; answers the addresses that had one. */
  clearLabel(label: string): string[] {
    const addresses = [...(this.#labels.get(label)?.keys() ?? [])];
    this.#labels.delete(label);
    this.#total -= this.#bytes.get(label) ?? 0;
    this.#bytes.delete(label);
    return addresses;
  }
}
