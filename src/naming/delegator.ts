/**
 * The delegate explainer (linkerd's `ConfiguredNamersInterpreter.delegate`,
 * docs/dtab-language.md#explaining-a-binding). It walks the same lookups as binding but keeps every
 * step, binds all Alt and Union branches instead of stopping at the first, and turns failures
 * inside a branch into Exception nodes so one broken namer does not hide the rest of the
 * explanation. It is for operators, never for routing. Because it expands every branch (its answer
 * is a tree, not a shared graph), it counts every lookup against the bind budget and gives up as a
 * whole, with SY_ERR_BIND_BUDGET, past it.
 */
import { Dentry } from '../dtab/dentry.js';
import type { Dtab } from '../dtab/dtab.js';
import type { NameTree } from '../dtab/name-tree.js';
import { Path } from '../dtab/path.js';
import { createError, SwitchyardError } from '../errors.js';
import { BindBudget } from './bind-budget.js';
import { Bound } from './bound.js';
import { type DelegateTree, fromNameTree, simplifyDelegateTree } from './delegate-tree.js';
import type { NameInterpreter } from './interpreter.js';
import type { Name } from './namer.js';

export type BoundDelegateTree = DelegateTree<Bound>;

/** Explains how `target` binds through `dtab`; rejects only when the top level itself fails. */
export async function delegate(
  interpreter: NameInterpreter,
  dtab: Dtab,
  target: Path | NameTree<Path>,
): Promise<BoundDelegateTree> {
  const start: DelegateTree<Name> =
    target instanceof Path
      ? { type: 'leaf', path: target, dentry: Dentry.nop, value: target }
      : fromNameTree(Path.empty, Dentry.nop, target);
  const budget = new BindBudget(interpreter.maxLookups);
  return simplifyDelegateTree(await bindStep({ interpreter, dtab, budget }, 0, start));
}

interface Explain {
  readonly interpreter: NameInterpreter;
  readonly dtab: Dtab;
  readonly budget: BindBudget;
}

function isBudget(e: unknown): boolean {
  return e instanceof SwitchyardError && e.code === 'SY_ERR_BIND_BUDGET';
}

async function lookupStep(x: Explain, dentry: Dentry, path: Path): Promise<DelegateTree<Name>> {
  const over = x.budget.spend();
  if (over) throw over;
  const { interpreter, dtab } = x;
  try {
    const matches: DelegateTree<Name>[] = [];
    for (let i = dtab.dentries.length - 1; i >= 0; i--) {
      const d = dtab.dentries[i]!;
      const dst = d.rewrite(path);
      if (dst !== null) matches.push(fromNameTree<Name>(path, d, dst));
    }
    if (matches.length === 1) return { type: 'delegate', path, dentry, tree: matches[0]! };
    if (matches.length > 1) return { type: 'alt', path, dentry, trees: matches };
    const named = await interpreter.lookupNamers(path).toPromise();
    return named.type === 'neg' ? { type: 'neg', path, dentry } : fromNameTree(path, dentry, named);
  } catch (error) {
    return { type: 'exception', path, dentry, error: asError(error) };
  }
}

async function bindStep(x: Explain, depth: number, tree: DelegateTree<Name>): Promise<BoundDelegateTree> {
  if (depth > x.interpreter.maxDepth) throw createError('SY_ERR_DELEGATE_MAX_DEPTH');
  switch (tree.type) {
    case 'exception':
    case 'empty':
    case 'fail':
    case 'neg':
      return tree;
    case 'leaf': {
      if (tree.value instanceof Bound) return { ...tree, value: tree.value };
      const next = await lookupStep(x, tree.dentry, tree.value);
      return bindStep(x, depth + 1, next);
    }
    case 'delegate':
      return { ...tree, tree: await bindStep(x, depth, tree.tree) };
    case 'alt': {
      if (tree.trees.length === 0) return { type: 'neg', path: tree.path, dentry: tree.dentry };
      if (tree.trees.length === 1) {
        return {
          type: 'delegate',
          path: tree.path,
          dentry: tree.dentry,
          tree: await bindStep(x, depth, tree.trees[0]!),
        };
      }
      const trees = await Promise.all(tree.trees.map((t) => bindBranch(x, depth, t, tree)));
      return { type: 'alt', path: tree.path, dentry: tree.dentry, trees };
    }
    case 'union': {
      if (tree.trees.length === 0) return { type: 'neg', path: tree.path, dentry: tree.dentry };
      if (tree.trees.length === 1) {
        const only = await bindStep(x, depth, tree.trees[0]!.tree);
        return { type: 'delegate', path: tree.path, dentry: tree.dentry, tree: only };
      }
      const trees = await Promise.all(
        tree.trees.map(async (w) => ({
          weight: w.weight,
          tree: await bindBranch(x, depth, w.tree, tree),
        })),
      );
      return { type: 'union', path: tree.path, dentry: tree.dentry, trees };
    }
  }
}

/** A branch that fails (the depth limit, say) becomes an Exception node at its parent's path. */
async function bindBranch(
  x: Explain,
  depth: number,
  branch: DelegateTree<Name>,
  parent: { path: Path; dentry: Dentry },
): Promise<BoundDelegateTree> {
  try {
    return await bindStep(x, depth, branch);
  } catch (error) {
    if (isBudget(error)) throw error;
    return { type: 'exception', path: parent.path, dentry: parent.dentry, error: asError(error) };
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
