/**
 * A route: one logical name bound through one dtab, kept bound while it is in use. It observes
 * the binding, so a namer's update re-shapes the route in place (no per-request binding), and
 * turns each bound tree into a picker once: weighted unions become cumulative weight tables,
 * leaves become shared clients, Neg/Fail/Empty branches become "no hosts" answers (linkerd
 * keeps such branches when their weight is above zero, so their share of requests fails).
 */
import { createError } from '../../errors.js';
import type { Activity } from '../../naming/activity.js';
import type { Bound } from '../../naming/bound.js';
import type { BoundTree } from '../../naming/interpreter.js';
import type { Closable } from '../../naming/var.js';
import type { RetryBudget } from '../policy/retry-budget.js';
import { WeightedPicker } from '../policy/weighted-pick.js';
import type { Client } from './client.js';
import type { ClientCache } from './client-cache.js';
import type { OverrideVerdict } from './dtab-override-policy.js';
import type { OwnListeners } from './own-listeners.js';
import type { ScopeStats } from './stats.js';
import { Waiters } from './waiters.js';

export type Picker =
  | { readonly kind: 'client'; readonly client: Client; readonly bound: Bound }
  | { readonly kind: 'none'; readonly what: string }
  | { readonly kind: 'union'; readonly picker: WeightedPicker<Picker> };

export type Picked = { readonly client: Client; readonly bound: Bound } | { readonly none: string };

export type RouteState = 'pending' | 'ready' | 'failed';

/** What a route checks before any byte is sent: the override's verdict and the router's listeners. */
export interface RouteGuard {
  readonly verdict: OverrideVerdict | null;
  readonly listeners: OwnListeners | null;
}

export class Route {
  lastUsed = Date.now();
  /** The logical name's metrics and retry budget, looked up once by the first request. */
  stats: ScopeStats | undefined;
  budget: RetryBudget | undefined;
  #state: RouteState = 'pending';
  #picker: Picker = { kind: 'none', what: 'pending' };
  #error: Error | undefined;
  #held: Client[] = [];
  readonly #waiters = new Waiters();
  #subscription: Closable | undefined;
  /** Bounds that passed admit(), so a warm route checks nothing per request. */
  readonly #admitted = new WeakSet<Bound>();
  /** When the route last settled as failed, for the cache's short negative TTL. */
  failedAt = 0;

  constructor(
    binding: Activity<BoundTree>,
    private readonly clients: ClientCache,
    private readonly guard: RouteGuard | null = null,
  ) {
    this.#subscription = binding.run.observe((s) => {
      if (s.status === 'pending') return;
      if (s.status === 'failed') {
        this.#error = s.error;
        this.failedAt = Date.now();
        this.#replace({ kind: 'none', what: 'failed' }, []);
        this.#settle('failed');
        return;
      }
      const held: Client[] = [];
      this.#replace(this.#build(s.value, held), held);
      this.#settle('ready');
    });
  }

  get state(): RouteState {
    return this.#state;
  }

  get error(): Error | undefined {
    return this.#error;
  }

  whenSettled(timeoutMs: number): Promise<void> | null {
    if (this.#state !== 'pending') return null;
    return this.#waiters.wait(timeoutMs);
  }

  /** One weighted choice per request, down to a client or a reason there is none. */
  pick(): Picked {
    this.lastUsed = Date.now();
    let p = this.#picker;
    while (p.kind === 'union') p = p.picker.pick();
    return p.kind === 'client' ? p : { none: p.what };
  }

  /** Bound leaves this route holds (an estimate of its weight in the cache). */
  get leaves(): number {
    return this.#held.length;
  }

  /**
   * Throws 403 unless `bound` is a leaf the override policy judged, and none of the addresses it
   * resolves to right now is one of the router's own listeners. Checked results are remembered
   * per Bound and per Addr value, so only a changed address set is looked at again.
   */
  admit(service: string, bound: Bound): void {
    const guard = this.guard;
    if (guard === null) return;
    if (!this.#admitted.has(bound)) {
      if (guard.verdict !== null && !guard.verdict.allows(bound)) {
        throw createError('SY_ERR_DTAB_OVERRIDE_DENIED', [
          `${service} bound to ${bound.id.show()}, which was not judged`,
        ]);
      }
      this.#admitted.add(bound);
    }
    const own = guard.listeners?.firstOwn(bound.addr.sample()) ?? null;
    if (own !== null) throw createError('SY_ERR_SELF_ADDRESS', [service, own]);
  }

  #build(tree: BoundTree, held: Client[]): Picker {
    switch (tree.type) {
      case 'leaf': {
        const client = this.clients.acquire(tree.value);
        held.push(client);
        return { kind: 'client', client, bound: tree.value };
      }
      case 'union':
        // All-zero weights mean uniform (Finagle's Drv.fromWeights); the picker handles that.
        return {
          kind: 'union',
          picker: new WeightedPicker(
            tree.trees.map((w) => ({ weight: Math.max(0, w.weight), value: this.#build(w.tree, held) })),
          ),
        };
      case 'alt':
        // Binding leaves no Alt; should one appear, its first member is what Finagle would pick.
        return tree.trees.length > 0 ? this.#build(tree.trees[0]!, held) : { kind: 'none', what: 'Neg' };
      case 'neg':
        return { kind: 'none', what: 'Neg' };
      case 'fail':
        return { kind: 'none', what: 'Fail' };
      case 'empty':
        return { kind: 'none', what: 'Empty' };
    }
  }

  /** New clients are acquired before old ones are released, so shared clients stay warm. */
  #replace(picker: Picker, held: Client[]): void {
    const old = this.#held;
    this.#picker = picker;
    this.#held = held;
    for (const c of old) this.clients.release(c);
  }

  #settle(state: RouteState): void {
    this.#state = state;
    this.#waiters.wakeAll();
  }

  close(): void {
    this.#subscription?.close();
    this.#subscription = undefined;
    this.#replace({ kind: 'none', what: 'closed' }, []);
    this.#settle('failed');
  }
}
