/**
 * The name interpreter: binds a path through a dtab and the namers (docs/dtab-language.md#binding).
 * It is Finagle's `Namer.bind` over linkerd's `ConfiguredNamersInterpreter`: a path is looked up in
 * the dtab; only when that gives exactly Neg are the configured `/#/` namers asked, in order, and
 * then the `/$/` namer. Alt members bind lazily and in order, and only Neg falls through; Union
 * members all bind and failed ones drop out. Every lookup, the last `/$/` one included, counts
 * toward the depth limit. One bind also has a work budget (bind-budget.ts): identical sub-paths at
 * the same depth and weight are bound once and shared, and the lookups and the size of the bound
 * tree are capped, so a dtab that doubles its work per entry fails fast.
 */
import type { Dtab } from '../dtab/dtab.js';
import { type Leaf, NameTree, type Weighted } from '../dtab/name-tree.js';
import { Path } from '../dtab/path.js';
import { createError } from '../errors.js';
import { Activity, type ActivityState, failed, ok } from './activity.js';
import type { Addr } from './addr.js';
import { BindBudget, bindBudgetError, DEFAULT_MAX_BIND_LOOKUPS, expandedSize } from './bind-budget.js';
import { Bound } from './bound.js';
import { GlobalNamer } from './global-namer.js';
import type { MountedNamer, Name, Namer } from './namer.js';
import { Var } from './var.js';

/** Finagle's `namerMaxDepth` default. */
export const DEFAULT_MAX_DEPTH = 100;

export interface InterpreterOptions {
  /** Lookups allowed per bind before it fails (default 100). */
  readonly maxDepth?: number;
  /** Lookups, and bound-tree nodes, one bind may use (default 1000); past it SY_ERR_BIND_BUDGET. */
  readonly maxLookups?: number;
  /** Configured namers, tried in this order for paths under their prefixes. */
  readonly namers?: readonly MountedNamer[];
  /** Namers for `/$/<kind>/...` paths, by kind. */
  readonly kinds?: ReadonlyMap<string, Namer> | Readonly<Record<string, Namer>>;
  /**
   * Also fall through an Alt member whose bound names have no endpoints at all (every address
   * set empty or negative), not only one that binds to Neg. Finagle does not
   * (docs/dtab-language.md#alternation-and-fallback); the router turns it on so that a primary
   * whose pods all vanish fails over at once. Off by default.
   */
  readonly fallbackOnEmpty?: boolean;
}

/** A bound leaf exposes its name's id and residual directly as well as through `value`. */
export interface BoundLeaf extends Leaf<Bound> {
  readonly id: Path;
  readonly residual: Path;
}

export type BoundTree = NameTree<Bound>;

/** One bind's shared state: its budget and the sub-paths it has bound already. */
interface BindRun {
  readonly budget: BindBudget;
  readonly memo: Map<string, Activity<BoundTree>>;
  readonly wholeUnions: boolean;
}

export interface BindOptions {
  /**
   * A union stays pending while any member is pending, instead of answering with the members
   * that have bound so far (Finagle's rule, which the router keeps so that one slow namer does not
   * hold its requests). namerd's API sets it: an answer is a snapshot a client may keep, and a
   * union missing a member that was merely slow would send all its traffic elsewhere.
   */
  readonly wholeUnions?: boolean;
}

/** Whether any bound name in the tree has an address; pending until every address set has answered. */
function hasEndpoints(tree: BoundTree): Activity<boolean> {
  const addrs: Var<Addr>[] = [];
  const collect = (t: BoundTree): void => {
    if (t.type === 'leaf') addrs.push(t.value.addr);
    else if (t.type === 'alt') for (const m of t.trees) collect(m);
    else if (t.type === 'union') for (const w of t.trees) collect(w.tree);
  };
  collect(tree);
  return new Activity(
    Var.collect(addrs).map((states): ActivityState<boolean> => {
      let pending = false;
      for (const a of states) {
        if (a.type === 'bound' && a.addresses.length > 0) return ok(true);
        // A failed address set is not "no endpoints": it stays, and requests see the failure.
        if (a.type === 'failed') return ok(true);
        if (a.type === 'pending') pending = true;
      }
      return pending ? { status: 'pending' } : ok(false);
    }),
  );
}

function boundLeaf(bound: Bound): BoundLeaf {
  return { type: 'leaf', value: bound, id: bound.id, residual: bound.residual };
}

export class NameInterpreter {
  readonly maxDepth: number;
  readonly maxLookups: number;
  readonly namers: readonly MountedNamer[];
  readonly global: GlobalNamer;
  readonly fallbackOnEmpty: boolean;

  constructor(options: InterpreterOptions = {}) {
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxLookups = options.maxLookups ?? DEFAULT_MAX_BIND_LOOKUPS;
    this.fallbackOnEmpty = options.fallbackOnEmpty ?? false;
    this.namers = options.namers ?? [];
    const kinds = options.kinds ?? new Map<string, Namer>();
    this.global = new GlobalNamer(kinds instanceof Map ? kinds : new Map(Object.entries(kinds)));
  }

  /** What the namers say of a path the dtab does not rewrite: configured namers first, then `/$/`. */
  lookupNamers(path: Path, from = 0): Activity<NameTree<Name>> {
    for (let i = from; i < this.namers.length; i++) {
      const { prefix, namer } = this.namers[i]!;
      if (!path.startsWith(prefix)) continue;
      return namer
        .lookup(path.drop(prefix.size))
        .flatMap((tree) => (tree.type === 'neg' ? this.lookupNamers(path, i + 1) : Activity.value(tree)));
    }
    return this.global.lookup(path);
  }

  /**
   * One step: the dtab's rewrite, or the namers' answer when the dtab gives exactly Neg
   * (docs/dtab-language.md#when-the-namers-are-asked).
   */
  lookup(dtab: Dtab, path: Path): Activity<NameTree<Name>> {
    const tree = dtab.lookup(path);
    return tree.type === 'neg' ? this.lookupNamers(path) : Activity.value(tree);
  }

  /** Binds a path (or a whole tree of paths) to a tree of bound names, following later changes. */
  bind(dtab: Dtab, target: Path | NameTree<Path>, options: BindOptions = {}): Activity<BoundTree> {
    const tree: NameTree<Name> = target instanceof Path ? NameTree.leaf(target) : target;
    const run: BindRun = {
      budget: new BindBudget(this.maxLookups),
      memo: new Map(),
      wholeUnions: options.wholeUnions === true,
    };
    return this.#bind(dtab, tree, 0, undefined, run);
  }

  #bind(
    dtab: Dtab,
    tree: NameTree<Name>,
    depth: number,
    weight: number | undefined,
    run: BindRun,
  ): Activity<BoundTree> {
    if (depth > this.maxDepth) return Activity.exception(createError('SY_ERR_BIND_MAX_DEPTH', [this.maxDepth]));
    switch (tree.type) {
      case 'leaf': {
        const name = tree.value;
        if (name instanceof Bound)
          return Activity.value(boundLeaf(weight === undefined ? name : name.withWeight(weight)));
        // Depth is part of the key so that the depth limit answers exactly as without sharing.
        const key = `${depth} ${weight ?? ''} ${name.show()}`;
        const seen = run.memo.get(key);
        if (seen !== undefined) return seen;
        const over = run.budget.spend();
        const bound = over
          ? Activity.exception(over)
          : this.lookup(dtab, name).flatMap((next) => this.#bind(dtab, next, depth + 1, weight, run));
        run.memo.set(key, bound);
        return bound;
      }
      case 'neg':
      case 'fail':
      case 'empty':
        return Activity.value(tree);
      case 'alt':
        return this.#bindAlt(dtab, tree.trees, 0, depth, weight, run);
      case 'union':
        if (tree.trees.length === 0) return Activity.value(NameTree.Neg);
        if (tree.trees.length === 1) return this.#bind(dtab, tree.trees[0]!.tree, depth, tree.trees[0]!.weight, run);
        return this.#bindUnion(dtab, tree.trees, depth, run);
    }
  }

  /** Members in order, each bound only when the ones before it came to Neg. */
  #bindAlt(
    dtab: Dtab,
    trees: readonly NameTree<Name>[],
    i: number,
    depth: number,
    weight: number | undefined,
    run: BindRun,
  ): Activity<BoundTree> {
    if (i >= trees.length) return Activity.value(NameTree.Neg);
    if (trees.length === 1) return this.#bind(dtab, trees[0]!, depth, weight, run);
    const next = () => this.#bindAlt(dtab, trees, i + 1, depth, weight, run);
    return this.#bind(dtab, trees[i]!, depth, weight, run).flatMap((bound) => {
      if (bound.type === 'neg') return next();
      if (!this.fallbackOnEmpty || i === trees.length - 1 || bound.type === 'fail' || bound.type === 'empty') {
        return Activity.value(bound);
      }
      // Follows the addresses, so the Alt moves on (and back) as endpoints come and go.
      return hasEndpoints(bound).flatMap((some) => (some ? Activity.value(bound) : next()));
    });
  }

  /**
   * Every member, each under its own weight. As soon as one is ok the union is the simplified
   * union of the ok ones (failed members drop out); with none ok, the first failure or pending.
   * With `wholeUnions`, pending while any member is.
   */
  #bindUnion(dtab: Dtab, trees: readonly Weighted<Name>[], depth: number, run: BindRun): Activity<BoundTree> {
    const members = trees.map((w) => this.#bind(dtab, w.tree, depth, w.weight, run).run);
    const state = Var.collect(members).map((states): ActivityState<BoundTree> => {
      const oks: Weighted<Bound>[] = [];
      let failure: ActivityState<never> | undefined;
      let pending = false;
      states.forEach((s, i) => {
        if (s.status === 'ok') oks.push({ weight: trees[i]!.weight, tree: s.value });
        else if (s.status === 'failed') failure ??= failed(s.error);
        else pending = true;
      });
      if (pending && run.wholeUnions) return { status: 'pending' };
      if (oks.length > 0) {
        // Shared members make a tree whose walk (simplify, routing, JSON) costs its expanded size.
        const union = NameTree.union(...oks);
        if (expandedSize(union) > run.budget.limit) return failed(bindBudgetError(run.budget.limit, 'tree nodes'));
        return ok(NameTree.simplify(union));
      }
      return failure ?? { status: 'pending' };
    });
    return new Activity(state);
  }
}
