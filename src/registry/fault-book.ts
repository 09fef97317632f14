/**
 * The fault configs of each label (docs/registry-and-traffic.md#faults-by-label), like targets:
 * stored before they are pushed to every live pod of the label, so a pod that registers later
 * gets them too, and saved per label in the registry store (section `faults`, one JSON list per
 * label) so a registry restarted on Redis still has them. Changes run one at a time, pushes
 * included: two adds racing on a name, or an add racing a new pod's initial push, cannot leave
 * pods with an older config than the registry holds.
 */
import { createError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { FAULT_LIMITS, type FaultConfig, parseFaultConfig } from './fault-config.js';
import { applyFaults, removeFaults } from './fault-push.js';
import type { FanoutAnswers, PeerRequest } from './peer-caller.js';
import { LABEL } from './peer-table.js';
import type { RegistryStore } from './registry-store.js';

export interface FaultBookDeps {
  readonly store: RegistryStore;
  /** Sends the requests to every live pod of the labels (only the pod at `address` when given). */
  readonly push: (
    labels: readonly string[],
    requests: readonly PeerRequest[],
    address?: string,
  ) => Promise<FanoutAnswers>;
  readonly logger?: Logger | undefined;
}

export type FaultView = Record<string, Record<string, FaultConfig>>;

function checkLabel(label: string): void {
  if (!LABEL.test(label))
    throw createError('SY_ERR_INVALID_FAULT', [`label: not a peer label: ${JSON.stringify(label.slice(0, 80))}`]);
}

/** Pods that answered, and those that did not, for one log line. */
function tally(answers: FanoutAnswers): { pods: number; failed: string[] } {
  const all = Object.values(answers).flatMap((byAddress) => Object.entries(byAddress));
  return { pods: all.length, failed: all.filter(([, a]) => a !== 'ok').map(([address]) => address) };
}

export class FaultBook {
  readonly #byLabel = new Map<string, Map<string, FaultConfig>>();
  readonly #deps: FaultBookDeps;
  readonly #listeners = new Set<() => void>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: FaultBookDeps) {
    this.#deps = deps;
  }

  /** Restores what the store held at startup. */
  load(saved: ReadonlyMap<string, string> | undefined): void {
    for (const [label, json] of saved ?? []) {
      const configs = JSON.parse(json) as FaultConfig[];
      if (configs.length > 0) this.#byLabel.set(label, new Map(configs.map((c) => [c.name, c])));
    }
  }

  #serial<T>(change: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(change, change);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Writes the label's new set to the store, then makes it current: a failed write changes nothing. */
  async #commit(label: string, next: Map<string, FaultConfig>): Promise<void> {
    if (next.size === 0) await this.#deps.store.delete('faults', label);
    else await this.#deps.store.put('faults', label, JSON.stringify([...next.values()]));
    if (next.size === 0) this.#byLabel.delete(label);
    else this.#byLabel.set(label, next);
    for (const listener of this.#listeners) listener();
  }

  /** Called after every change (the registry's gauge of faults per label follows it). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  view(label?: string): FaultView {
    const labels = label === undefined ? [...this.#byLabel.keys()] : [label];
    const out = Object.create(null) as FaultView;
    for (const l of labels) {
      out[l] = Object.assign(
        Object.create(null) as Record<string, FaultConfig>,
        Object.fromEntries(this.#byLabel.get(l) ?? []),
      );
    }
    return out;
  }

  counts(): Map<string, number> {
    return new Map([...this.#byLabel].map(([label, m]) => [label, m.size]));
  }

  /** Checks the config whole, stores it (replacing one of the same name), pushes it to the label's pods. */
  add(label: string, raw: unknown): Promise<FanoutAnswers> {
    checkLabel(label);
    const config = parseFaultConfig(raw);
    return this.#serial(async () => {
      const current = this.#byLabel.get(label);
      if (current === undefined && this.#byLabel.size >= FAULT_LIMITS.labels) {
        throw createError('SY_ERR_FAULTS_FULL', [`${FAULT_LIMITS.labels} labels have faults already`]);
      }
      if (current !== undefined && !current.has(config.name) && current.size >= FAULT_LIMITS.perLabel) {
        throw createError('SY_ERR_FAULTS_FULL', [`label ${label} has ${FAULT_LIMITS.perLabel} faults already`]);
      }
      await this.#commit(label, new Map(current).set(config.name, config));
      const answers = await this.#deps.push([label], applyFaults([config]));
      this.#deps.logger?.info({ label, fault: config.name, ...tally(answers) }, 'fault pushed');
      return answers;
    });
  }

  /** Forgets the named faults of a label and deletes them from its pods (names it never had too). */
  remove(label: string, names: readonly string[]): Promise<FanoutAnswers> {
    checkLabel(label);
    if (names.length === 0 || names.length > FAULT_LIMITS.perLabel * 2) {
      throw createError('SY_ERR_INVALID_FAULT', [`names: give 1 to ${FAULT_LIMITS.perLabel * 2} fault names`]);
    }
    return this.#serial(async () => {
      const next = new Map(this.#byLabel.get(label));
      for (const name of names) next.delete(name);
      await this.#commit(label, next);
      const answers = await this.#deps.push([label], removeFaults(names));
      this.#deps.logger?.info({ label, faults: names, ...tally(answers) }, 'faults removed');
      return answers;
    });
  }

  /** Forgets every fault of a label (or of every label) and deletes them from the pods. */
  clear(label?: string): Promise<FanoutAnswers> {
    if (label !== undefined) checkLabel(label);
    return this.#serial(async () => {
      const answers = Object.create(null) as FanoutAnswers;
      for (const l of label === undefined ? [...this.#byLabel.keys()] : [label]) {
        const names = [...(this.#byLabel.get(l)?.keys() ?? [])];
        await this.#commit(l, new Map());
        const pushed = await this.#deps.push([l], removeFaults(names));
        Object.assign(answers, pushed);
        this.#deps.logger?.info({ label: l, faults: names, ...tally(pushed) }, 'faults cleared');
      }
      return answers;
    });
  }

  /** A pod that (re)joined gets its label's whole set in one request; nothing is sent when there is none. */
  pushToPod(label: string, address: string): Promise<FanoutAnswers | undefined> {
    return this.#serial(async () => {
      const configs = [...(this.#byLabel.get(label)?.values() ?? [])];
      if (configs.length === 0) return undefined;
      const answers = await this.#deps.push([label], applyFaults(configs), address);
      const { failed } = tally(answers);
      this.#deps.logger?.info(
        { label, address, faults: configs.map((c) => c.name), failed },
        'faults pushed to a joining pod',
      );
      return answers;
    });
  }
}
