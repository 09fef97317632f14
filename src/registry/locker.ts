/**
 * The registry's locker (goto's peer lockers, shared/specs/registry-traffic.md §4): per peer
 * label, per pod address, a tree of keyed JSON blobs. Peers overwrite `client,<target>` with a
 * cumulative results snapshot every few seconds and once more when the target ends, so what a
 * pod measured stays here after the pod is gone — deregistered, or killed without a word. Each
 * node records when it was first and last written. goto's named lockers (open/close/current)
 * are left out: there is one locker.
 */

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

export class Lockers {
  readonly #labels = new Map<string, Map<string, InstanceLocker>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #stamp(): string {
    return new Date(this.#now()).toISOString();
  }

  load(label: string, address: string, instance: InstanceLocker): void {
    this.#instances(label, true).set(address, instance);
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
    }
    instance.active = true;
    return instance;
  }

  deactivate(label: string, address: string): InstanceLocker | undefined {
    const instance = this.#labels.get(label)?.get(address);
    if (instance !== undefined) instance.active = false;
    return instance;
  }

  /** Stores `data` at the path `keys`, creating nodes as needed and stamping every node on the way. */
  store(label: string, address: string, keys: readonly string[], data: unknown): InstanceLocker {
    const instances = this.#instances(label, true);
    const instance = instances.get(address) ?? this.open(label, address);
    const now = this.#stamp();
    let node = instance.locker;
    node.lastReported = now;
    for (const key of keys) {
      node.subKeys ??= {};
      node = node.subKeys[key] ??= { firstReported: now, lastReported: now };
      node.lastReported = now;
    }
    node.data = data;
    return instance;
  }

  /** Removes the node at `keys`; answers the pod's locker when something was removed. */
  remove(label: string, address: string, keys: readonly string[]): InstanceLocker | undefined {
    const instance = this.#labels.get(label)?.get(address);
    if (instance === undefined || keys.length === 0) return undefined;
    let node: LockerNode | undefined = instance.locker;
    for (const key of keys.slice(0, -1)) node = node?.subKeys?.[key];
    const last = keys[keys.length - 1]!;
    if (node?.subKeys?.[last] === undefined) return undefined;
    delete node.subKeys[last];
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
    return addresses;
  }
}
