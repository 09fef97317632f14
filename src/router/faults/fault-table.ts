/**
 * The router's fault rules by name: the backend of Toxiproxy's API under the admin port's
 * `/toxiproxy/` (src/chaos/api.ts serves it) and, for the data path, the FaultInjector core asks
 * per attempt. Every change is checked whole before anything is stored; every toxic that comes
 * up for an attempt is counted (`rt:faults:applied`, by rule, toxic and type), and every change
 * is logged.
 */
import type { Logger } from 'pino';
import type { ToxiproxyBackend } from '../../chaos/api.js';
import { ApiError, badBody, proxyNotFound } from '../../chaos/api-error.js';
import type { RuleSpec } from '../../chaos/fault-rule-spec.js';
import { parseToxic, ROUTER_TOXIC_TYPES, type Toxic, toxicJson, updateToxic } from '../../chaos/toxics.js';
import type { Counter } from '../../telemetry/counter.js';
import type { MetricsRegistry } from '../../telemetry/metrics.js';
import type { RequestHead, Upstream } from '../core/exchange.js';
import type { FaultInjector } from '../core/runtime.js';
import { addToPlan, emptyPlan, type FaultPlan } from './fault-plan.js';
import { type FaultReport, reportRules } from './fault-report.js';
import { FaultRule, parseRule } from './fault-rule.js';
import { FaultyUpstream } from './faulty-upstream.js';

/** At most this many rules per router (and MAX_TOXICS toxics per rule). */
export const MAX_RULES = 100;
const APPLIED = 'rt:faults:applied';
/** The toxic label of a disabled rule's refusals. */
const DISABLED = '(disabled)';

export interface FaultTableOptions {
  readonly metrics: MetricsRegistry;
  readonly log: Logger;
  /** The router's label (`rt`). */
  readonly router: string;
  /** Draws toxicity and jitter; tests pass a seeded one. */
  readonly random?: () => number;
}

export class FaultTable implements ToxiproxyBackend, FaultInjector {
  readonly #rules = new Map<string, FaultRule>();
  readonly #counters = new Map<Toxic | FaultRule, Counter>();
  readonly #random: () => number;
  active = false;

  constructor(private readonly o: FaultTableOptions) {
    this.#random = o.random ?? Math.random;
    o.metrics.describe(APPLIED, 'Requests (attempts) a fault toxic was applied to, per rule, toxic and type.');
  }

  // ---- the data path ----

  wrap(upstream: Upstream, service: string, client: string, head: RequestHead): Upstream {
    let plan: FaultPlan | null = null;
    for (const rule of this.#rules.values()) {
      if (!rule.live || !rule.matches(service, client, head.headers)) continue;
      if (!rule.enabled) {
        plan ??= emptyPlan();
        plan.down ??= { mode: 'refuse', label: `${rule.name}/${DISABLED}` };
        this.#counters.get(rule)?.inc();
        continue;
      }
      for (const toxic of rule.allToxics) {
        if (toxic.toxicity < 1 && !(this.#random() < toxic.toxicity)) continue;
        plan ??= emptyPlan();
        addToPlan(plan, rule.name, toxic, this.#random);
        this.#counters.get(toxic)?.inc();
      }
    }
    return plan === null ? upstream : new FaultyUpstream(upstream, plan, head.grpc, head.method);
  }

  /** `rule/toxic` (or `rule/(disabled)`) for each live rule that selects this client, for the admin page. */
  clientFaults(client: string): string[] {
    const out: string[] = [];
    for (const rule of this.#rules.values()) {
      if (!rule.live || !rule.selectsClient(client)) continue;
      if (!rule.enabled) out.push(`${rule.name}/${DISABLED}`);
      else for (const t of rule.allToxics) out.push(`${rule.name}/${t.name}`);
    }
    return out;
  }

  /**
   * Every rule with its toxics, what each has been applied to so far and which of the known
   * `services` and `clients` it selects: `/admin/faults.json`, for the admin page.
   */
  report(services: readonly string[], clients: readonly string[]): FaultReport {
    const applied = (key: Toxic | FaultRule) => this.#counters.get(key)?.value ?? 0;
    return reportRules(this.list(), services, clients, applied);
  }

  // ---- Toxiproxy's API ----

  list(): FaultRule[] {
    return [...this.#rules.values()];
  }

  get(name: string): FaultRule {
    const rule = this.#rules.get(name);
    if (rule === undefined) throw proxyNotFound();
    return rule;
  }

  async create(raw: unknown): Promise<FaultRule> {
    const spec = parseRule(raw);
    if (this.#rules.has(spec.name)) throw new ApiError('proxy already exists', 409);
    if (this.#rules.size >= MAX_RULES) throw badBody(`at most ${MAX_RULES} proxies`);
    return this.#add(spec);
  }

  #add(spec: RuleSpec): FaultRule {
    const rule = new FaultRule(spec);
    this.#rules.set(rule.name, rule);
    this.#count(rule);
    for (const t of rule.allToxics) this.#count(t, rule);
    this.#changed();
    this.o.log.info({ fault: rule.name, ...rule.toJSON(), name: undefined }, 'fault proxy added');
    return rule;
  }

  async update(name: string, raw: unknown): Promise<FaultRule> {
    const rule = this.get(name);
    const spec = parseRule(raw, rule);
    rule.listen = spec.listen;
    rule.upstream = spec.upstream;
    rule.header = spec.header;
    rule.enabled = spec.enabled;
    this.#changed();
    this.o.log.info({ fault: name, ...rule.toJSON(), name: undefined, toxics: undefined }, 'fault proxy updated');
    return rule;
  }

  async remove(name: string): Promise<void> {
    const rule = this.get(name);
    this.#drop(rule);
    this.#changed();
    this.o.log.info({ fault: name }, 'fault proxy removed');
  }

  #drop(rule: FaultRule): void {
    this.#rules.delete(rule.name);
    for (const t of rule.allToxics) this.#uncount(t, rule);
    this.#uncount(rule, rule);
  }

  /**
   * Toxiproxy's populate: the listed rules are created, or replaced (with their toxics) when
   * they exist; others are kept. All-or-nothing: the whole list is checked first.
   */
  async populate(raw: unknown): Promise<{ proxies: FaultRule[] }> {
    if (!Array.isArray(raw)) throw badBody('expected a JSON array of proxies');
    if (raw.length > MAX_RULES) throw badBody(`at most ${MAX_RULES} proxies`);
    const specs: RuleSpec[] = [];
    for (const [i, item] of raw.entries()) {
      try {
        specs.push(parseRule(item));
      } catch (e) {
        // Toxiproxy names the entry: "missing required field: name at proxy 2".
        if (e instanceof ApiError) throw new ApiError(`${e.message} at proxy ${i + 1}`, e.status);
        throw e;
      }
    }
    const names = new Set(specs.map((s) => s.name));
    if (names.size !== specs.length) throw badBody('a name appears twice');
    const added = [...names].filter((n) => !this.#rules.has(n)).length;
    if (this.#rules.size + added > MAX_RULES) throw badBody(`at most ${MAX_RULES} proxies`);
    const proxies = specs.map((spec) => {
      const old = this.#rules.get(spec.name);
      if (old !== undefined) this.#drop(old);
      return this.#add(spec);
    });
    return { proxies };
  }

  addToxic(name: string, raw: unknown): Toxic {
    const rule = this.get(name);
    const toxic = parseToxic(raw, ROUTER_TOXIC_TYPES);
    rule.addToxic(toxic);
    this.#count(toxic, rule);
    this.#changed();
    this.o.log.info({ fault: name, toxic: toxicJson(toxic) }, 'fault toxic added');
    return toxic;
  }

  updateToxic(name: string, toxicName: string, raw: unknown): Toxic {
    const toxic = this.get(name).toxic(toxicName);
    updateToxic(toxic, raw);
    this.o.log.info({ fault: name, toxic: toxicJson(toxic) }, 'fault toxic updated');
    return toxic;
  }

  removeToxic(name: string, toxicName: string): void {
    const rule = this.get(name);
    this.#uncount(rule.removeToxic(toxicName), rule);
    this.#changed();
    this.o.log.info({ fault: name, toxic: toxicName }, 'fault toxic removed');
  }

  /** Every rule enabled again, every toxic removed (the rules stay, as Toxiproxy's proxies do). */
  async reset(): Promise<void> {
    for (const rule of this.#rules.values()) {
      rule.enabled = true;
      for (const t of rule.resetToxics()) this.#uncount(t, rule);
    }
    this.#changed();
    this.o.log.info({ rules: this.#rules.size }, 'faults reset: all fault proxies enabled, all toxics removed');
  }

  // ---- bookkeeping ----

  #changed(): void {
    let active = false;
    for (const rule of this.#rules.values()) active ||= rule.live;
    this.active = active;
  }

  #labels(rule: FaultRule, toxic?: Toxic) {
    return {
      rt: this.o.router,
      proxy: rule.name,
      toxic: toxic?.name ?? DISABLED,
      type: toxic?.type ?? 'down',
    };
  }

  #count(key: Toxic | FaultRule, rule?: FaultRule): void {
    const labels = key instanceof FaultRule ? this.#labels(key) : this.#labels(rule!, key);
    this.#counters.set(key, this.o.metrics.counter(APPLIED, labels));
  }

  #uncount(key: Toxic | FaultRule, rule: FaultRule): void {
    this.#counters.delete(key);
    this.o.metrics.remove(APPLIED, key instanceof FaultRule ? this.#labels(key) : this.#labels(rule, key));
  }
}
