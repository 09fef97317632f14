/**
 * The registry (goto's; docs/registry-and-traffic.md#the-registry-api): peers and their epochs,
 * targets and tracked headers configured per label and handed to each pod when it registers
 * (the startup bundle) or pushed to every live pod when they change, and the lockers where pods
 * leave their results. State lives in memory and every change is written through to the store
 * before the answer goes out, so a registry restarted on Redis finds it all again. Label-wide
 * config is saved before it is pushed: a pod that registers later still gets it.
 */
import { createError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { type MergedClientResults, mergeClientResults } from './client-results-merge.js';
import { ConnectivityMatrix, type ReportAnswer } from './connectivity-matrix.js';
import { parseConnectivityReport } from './connectivity-report.js';
import { FaultBook } from './fault-book.js';
import { type InstanceLocker, type LockerLimits, type LockerNode, Lockers } from './locker.js';
import { PeerAddressCheck } from './peer-address.js';
import { type FanoutAnswers, PeerCaller, type PeerRequest, type PodRef } from './peer-caller.js';
import { type Peers, PeerTable, parsePeer } from './peer-table.js';
import { MemoryRegistryStore, type RegistryStore } from './registry-store.js';

export interface RegistryOptions {
  readonly store?: RegistryStore;
  /**
   * Checks a target and fills in its defaults before it is stored or pushed, so a bad one gets
   * its 400 here and not from every pod. The switchyard command wires the traffic generator's.
   */
  readonly validateTarget?: (raw: unknown) => { readonly name: string } | Promise<{ readonly name: string }>;
  /** Who may register which address (default: only its own, never link-local or metadata). */
  readonly peerAddresses?: PeerAddressCheck;
  /** Ceilings of what the lockers hold (default: none; the commands set them). */
  readonly lockerLimits?: LockerLimits;
  /** The admin token sent with every call to a peer (their /client writes need it). */
  readonly peerToken?: string | null;
  readonly fanoutTimeoutMs?: number;
  readonly healthTimeoutMs?: number;
  /** What the health check calls on each pod (goto: `/health`). */
  readonly healthPath?: string;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** The startup bundle, with goto's capitalised keys (its Go struct has no json tags). */
export interface PeerData {
  readonly Targets: Record<string, unknown>;
  readonly TrackingHeaders: string;
  readonly Message: string;
}

export type HealthAnswers = Record<string, Record<string, boolean>>;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function defaultValidate(raw: unknown): { name: string } {
  const name = (raw as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || name === '') throw createError('SY_ERR_INVALID_TARGET', ['name: is required']);
  return raw as { name: string };
}

export function parseHeaderList(text: string): string[] {
  if (text.includes('|')) {
    throw createError('SY_ERR_INVALID_ARGUMENT', [
      'Cross headers (a|b) are not supported; track each header on its own',
    ]);
  }
  const list = text
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const bad = list.filter((h) => !TOKEN.test(h));
  if (bad.length > 0) throw createError('SY_ERR_INVALID_ARGUMENT', [`Not header names: ${bad.join(', ')}`]);
  return [...new Set(list)];
}

export class Registry {
  readonly #store: RegistryStore;
  readonly #peers: PeerTable;
  readonly #lockers: Lockers;
  readonly #targets = new Map<string, Map<string, unknown>>();
  readonly #caller: PeerCaller;
  readonly #validate: (raw: unknown) => { readonly name: string } | Promise<{ readonly name: string }>;
  readonly #peerAddresses: PeerAddressCheck;
  readonly #healthPath: string;
  readonly #logger: Logger | undefined;
  #track: string[] = [];
  /** Who reaches whom, as the pods report it (connectivity-matrix.ts); rows of registered pods only. */
  readonly connectivity: ConnectivityMatrix;
  /** Fault configs per label, pushed to pods' /toxiproxy/ API like targets (fault-book.ts). */
  readonly faults: FaultBook;

  private constructor(options: RegistryOptions) {
    this.#store = options.store ?? new MemoryRegistryStore();
    this.#peers = new PeerTable(options.now);
    this.#lockers = new Lockers(options.now, options.lockerLimits);
    this.#peerAddresses = options.peerAddresses ?? new PeerAddressCheck();
    this.#caller = new PeerCaller({
      token: options.peerToken ?? null,
      lookup: this.#peerAddresses.connectLookup,
      ...(options.fanoutTimeoutMs === undefined ? {} : { timeoutMs: options.fanoutTimeoutMs }),
      ...(options.healthTimeoutMs === undefined ? {} : { healthTimeoutMs: options.healthTimeoutMs }),
    });
    this.#validate = options.validateTarget ?? defaultValidate;
    this.#healthPath = options.healthPath ?? '/health';
    this.#logger = options.logger;
    this.connectivity = new ConnectivityMatrix(
      (label) => this.#peers.pods(label).map(([, pod]) => ({ address: pod.address, pod: pod.name })),
      () => this.#peers.labels(),
      options.now,
    );
    this.faults = new FaultBook({
      store: this.#store,
      logger: this.#logger,
      push: (labels, requests, address) =>
        this.#send(
          this.#live(labels).filter((pod) => address === undefined || pod.address === address),
          requests,
        ),
    });
  }

  /** Opens a registry on a store, restoring whatever the store holds. */
  static async open(options: RegistryOptions = {}): Promise<Registry> {
    const registry = new Registry(options);
    const saved = await registry.#store.load();
    for (const [label, json] of saved.get('peers') ?? []) registry.#peers.load(label, JSON.parse(json) as Peers);
    for (const [key, json] of saved.get('lockers') ?? []) {
      const [label, address] = JSON.parse(key) as [string, string];
      registry.#lockers.load(label, address, JSON.parse(json) as InstanceLocker);
    }
    for (const [label, json] of saved.get('targets') ?? []) {
      registry.#targets.set(label, new Map(Object.entries(JSON.parse(json) as Record<string, unknown>)));
    }
    registry.faults.load(saved.get('faults'));
    const track = saved.get('settings')?.get('trackHeaders');
    if (track !== undefined) registry.#track = JSON.parse(track) as string[];
    return registry;
  }

  async close(): Promise<void> {
    await this.#caller.close();
    await this.#store.close();
  }

  // === persistence

  async #savePeers(label: string): Promise<void> {
    const peers = this.#peers.get(label);
    if (peers === undefined) await this.#store.delete('peers', label);
    else await this.#store.put('peers', label, JSON.stringify(peers));
  }

  async #saveLocker(label: string, address: string): Promise<void> {
    const key = JSON.stringify([label, address]);
    const instance = this.#lockers.instances(label).find(([a]) => a === address)?.[1];
    if (instance === undefined) await this.#store.delete('lockers', key);
    else await this.#store.put('lockers', key, JSON.stringify(instance));
  }

  async #saveTargets(label: string): Promise<void> {
    const targets = this.#targets.get(label);
    if (targets === undefined || targets.size === 0) await this.#store.delete('targets', label);
    else await this.#store.put('targets', label, JSON.stringify(Object.fromEntries(targets)));
  }

  // === peers

  /**
   * Registers a peer. `source` is the address the request came from; the peer's address must be
   * that one (or inside the peer CIDRs). Left out only by in-process callers, which are trusted.
   */
  async addPeer(raw: unknown, source?: string): Promise<PeerData> {
    const peer = parsePeer(raw);
    if (source !== undefined) await this.#peerAddresses.check(peer.address, source);
    const pod = this.#peers.add(peer);
    this.#lockers.open(peer.name, peer.address);
    await Promise.all([this.#savePeers(peer.name), this.#saveLocker(peer.name, peer.address)]);
    this.#logger?.info({ label: peer.name, address: peer.address, epoch: pod.currentEpoch.epoch }, 'peer added');
    return {
      Targets: Object.fromEntries(this.#targets.get(peer.name) ?? []),
      TrackingHeaders: this.#track.join(','),
      Message: `Peer added at epoch ${pod.currentEpoch.epoch}`,
    };
  }

  /** A reminder; SY_ERR_PEER_NOT_FOUND when the registry forgot the pod, so it registers again. */
  async rememberPeer(label: string, raw: unknown, source?: string): Promise<{ Message: string; epoch: number }> {
    const peer = parsePeer(raw, label);
    if (source !== undefined) await this.#peerAddresses.check(peer.address, source);
    const pod = this.#peers.remember(peer);
    await this.#savePeers(label);
    return { Message: 'Peer remembered', epoch: pod.currentEpoch.epoch };
  }

  async removePeer(label: string, address: string): Promise<void> {
    this.#peers.remove(label, address);
    this.#lockers.deactivate(label, address);
    await Promise.all([this.#savePeers(label), this.#saveLocker(label, address)]);
    this.#logger?.info({ label, address }, 'peer removed');
  }

  /** A pod's row of the connectivity matrix; believed only from the pod itself, as a registration. */
  async reportConnectivity(label: string, address: string, raw: unknown, source?: string): Promise<ReportAnswer> {
    const report = parseConnectivityReport(raw);
    if (source !== undefined) await this.#peerAddresses.check(address, source);
    if (!this.#peers.has(label, address)) throw createError('SY_ERR_PEER_NOT_FOUND', [address, label]);
    return this.connectivity.record(label, address, report);
  }

  peers(): Record<string, Peers> {
    return this.#peers.all();
  }

  async clearPeers(): Promise<void> {
    await Promise.all(this.#peers.clear().map((label) => this.#savePeers(label)));
  }

  async clearEpochs(): Promise<void> {
    const dropped = this.#peers.clearEpochs();
    for (const label of dropped) {
      for (const address of this.#lockers.clearLabel(label)) await this.#saveLocker(label, address);
    }
    await Promise.all([...this.#peers.labels(), ...dropped].map((label) => this.#savePeers(label)));
  }

  /** Calls every pod's health URI (unhealthy ones too) and records the answers. */
  async health(label?: string): Promise<HealthAnswers> {
    const pods = this.#peers.pods(label);
    const results = await Promise.all(
      pods.map(([l, pod]) => this.#caller.healthy({ label: l, address: pod.address, url: pod.url }, this.#healthPath)),
    );
    const answers = Object.create(null) as HealthAnswers;
    const changed = new Set<string>();
    pods.forEach(([l, pod], i) => {
      (answers[l] ??= Object.create(null) as Record<string, boolean>)[pod.address] = results[i]!;
      if (this.#peers.setHealthy(l, pod.address, results[i]!)) changed.add(l);
    });
    await Promise.all([...changed].map((l) => this.#savePeers(l)));
    return answers;
  }

  /** Health check, then unresponsive pods are removed and healthy ones forget their past epochs. */
  async cleanup(label?: string): Promise<HealthAnswers> {
    const answers = await this.health(label);
    for (const [l, byAddress] of Object.entries(answers)) {
      for (const [address, healthy] of Object.entries(byAddress)) {
        if (healthy) this.#peers.forgetPast(l, address);
        else {
          this.#peers.remove(l, address);
          this.#lockers.deactivate(l, address);
          await this.#saveLocker(l, address);
        }
      }
      await this.#savePeers(l);
    }
    return answers;
  }

  // === targets and tracked headers, pushed to live pods

  /** Pods that get pushes: registered, healthy, not offline (goto skips the rest until they remind). */
  #live(labels: readonly string[]): PodRef[] {
    return labels.flatMap((label) =>
      this.#peers
        .pods(label)
        .filter(([, pod]) => pod.healthy && !pod.offline)
        .map(([, pod]) => ({ label, address: pod.address, url: pod.url })),
    );
  }

  /** Whether pushes reach this pod now (a pod that comes back gets its label's faults again). */
  isLive(label: string, address: string): boolean {
    return this.#live([label]).some((pod) => pod.address === address);
  }

  #push(labels: readonly string[], path: string, body?: unknown): Promise<FanoutAnswers> {
    return this.#send(this.#live(labels), [{ method: 'POST', path, ...(body === undefined ? {} : { body }) }]);
  }

  async #send(pods: readonly PodRef[], requests: readonly PeerRequest[]): Promise<FanoutAnswers> {
    const { answers, unreachable } = await this.#caller.fanoutRequests(pods, requests);
    for (const pod of unreachable) {
      this.#logger?.warn(
        { label: pod.label, address: pod.address, path: requests[0]?.path },
        'peer unreachable; skipped until it reminds',
      );
      this.#peers.setHealthy(pod.label, pod.address, false);
    }
    await Promise.all([...new Set(unreachable.map((p) => p.label))].map((l) => this.#savePeers(l)));
    return answers;
  }

  #labelsOr(label: string | undefined): string[] {
    return label === undefined ? this.#peers.labels() : [label];
  }

  targets(label?: string): Record<string, Record<string, unknown>> {
    const labels = label === undefined ? [...this.#targets.keys()] : [label];
    return Object.fromEntries(labels.map((l) => [l, Object.fromEntries(this.#targets.get(l) ?? [])]));
  }

  /** Adds a target to one label, or to every registered label when none is given. */
  async addTarget(label: string | undefined, raw: unknown): Promise<FanoutAnswers> {
    const spec = await this.#validate(raw);
    const labels = this.#labelsOr(label);
    for (const l of labels) {
      if (!this.#targets.has(l)) this.#targets.set(l, new Map());
      this.#targets.get(l)!.set(spec.name, spec);
      await this.#saveTargets(l);
    }
    return this.#push(labels, '/client/targets/add', spec);
  }

  async removeTargets(label: string, names: readonly string[]): Promise<FanoutAnswers> {
    for (const name of names) this.#targets.get(label)?.delete(name);
    await this.#saveTargets(label);
    return this.#push([label], `/client/targets/${names.map(encodeURIComponent).join(',')}/remove`);
  }

  async clearTargets(label?: string): Promise<FanoutAnswers> {
    const labels = label === undefined ? [...new Set([...this.#targets.keys(), ...this.#peers.labels()])] : [label];
    for (const l of labels) {
      this.#targets.delete(l);
      await this.#saveTargets(l);
    }
    return this.#push(labels, '/client/targets/clear');
  }

  /** invoke or stop: named targets, or all of them; only labels that have targets are called. */
  async command(verb: 'invoke' | 'stop', label: string | undefined, names: readonly string[] | 'all') {
    const labels = this.#labelsOr(label).filter((l) => (this.#targets.get(l)?.size ?? 0) > 0 || label !== undefined);
    const path =
      names === 'all'
        ? `/client/targets/${verb}/all`
        : `/client/targets/${names.map(encodeURIComponent).join(',')}/${verb}`;
    return this.#push(labels, path);
  }

  trackHeaders(): string[] {
    return [...this.#track];
  }

  /** Tracked headers are global (goto): stored for the startup bundle and pushed to every live pod. */
  async setTrackHeaders(headers: readonly string[]): Promise<FanoutAnswers> {
    this.#track = [...headers];
    await this.#store.put('settings', 'trackHeaders', JSON.stringify(this.#track));
    const path = headers.length === 0 ? '/client/track/headers/clear' : `/client/track/headers/${headers.join(',')}`;
    return this.#push(this.#peers.labels(), path);
  }

  // === lockers

  async storeLocker(label: string, address: string, keys: readonly string[], data: unknown): Promise<void> {
    this.#lockers.store(label, address, keys, data);
    await this.#saveLocker(label, address);
  }

  async removeLocker(label: string, address: string, keys: readonly string[]): Promise<boolean> {
    if (this.#lockers.remove(label, address, keys) === undefined) return false;
    await this.#saveLocker(label, address);
    return true;
  }

  lockerNode(label: string, address: string, keys: readonly string[]): LockerNode | undefined {
    return this.#lockers.get(label, address, keys);
  }

  lockers(label?: string): Record<string, Record<string, InstanceLocker>> {
    return this.#lockers.view(label);
  }

  /** Clears lockers (of one label or all) and tells those pods to clear their results too, as goto does. */
  async clearLockers(label?: string): Promise<FanoutAnswers> {
    const labels = label === undefined ? [...new Set([...this.#lockers.labels(), ...this.#peers.labels()])] : [label];
    for (const l of labels) {
      for (const address of this.#lockers.clearLabel(l)) await this.#saveLocker(l, address);
      // Pods still registered keep an (empty, active) locker for their next snapshot.
      for (const [, pod] of this.#peers.pods(l)) {
        this.#lockers.open(l, pod.address);
        await this.#saveLocker(l, pod.address);
      }
    }
    return this.#push(labels, '/client/results/clear');
  }

  clientResults(label?: string): Record<string, MergedClientResults> {
    const labels = label === undefined ? this.#lockers.labels() : [label];
    return Object.fromEntries(
      labels.map((l) => [l, mergeClientResults(this.#lockers.instances(l).map(([, instance]) => instance))]),
    );
  }
}
