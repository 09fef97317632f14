/**
 * DelegateTree: the explanation of a binding (linkerd's `DelegateTree`,
 * docs/dtab-language.md#explaining-a-binding). Each node records the path it stands for and the
 * dentry that produced it, so an operator can see which rule fired at every step and why a name did
 * or did not bind.
 */
import { Dentry } from '../dtab/dentry.js';
import type { NameTree } from '../dtab/name-tree.js';
import { Path } from '../dtab/path.js';

interface Node {
  readonly path: Path;
  readonly dentry: Dentry;
}

export type DelegateTree<T> =
  | (Node & { readonly type: 'exception'; readonly error: Error })
  | (Node & { readonly type: 'empty' })
  | (Node & { readonly type: 'fail' })
  | (Node & { readonly type: 'neg' })
  | (Node & { readonly type: 'delegate'; readonly tree: DelegateTree<T> })
  | (Node & { readonly type: 'leaf'; readonly value: T })
  | (Node & { readonly type: 'alt'; readonly trees: readonly DelegateTree<T>[] })
  | (Node & { readonly type: 'union'; readonly trees: readonly DelegateWeighted<T>[] });

export interface DelegateWeighted<T> {
  readonly weight: number;
  readonly tree: DelegateTree<T>;
}

/**
 * A name tree as explanation nodes at `path`, all attributed to `dentry`. A Neg destination
 * stands for no path at all, so it gets the empty path (printed `~`).
 */
export function fromNameTree<T>(path: Path, dentry: Dentry, tree: NameTree<T>): DelegateTree<T> {
  switch (tree.type) {
    case 'empty':
      return { type: 'empty', path, dentry };
    case 'fail':
      return { type: 'fail', path, dentry };
    case 'neg':
      return { type: 'neg', path: Path.empty, dentry };
    case 'leaf':
      return { type: 'leaf', path, dentry, value: tree.value };
    case 'alt':
      return { type: 'alt', path, dentry, trees: tree.trees.map((t) => fromNameTree(path, dentry, t)) };
    case 'union':
      return {
        type: 'union',
        path,
        dentry,
        trees: tree.trees.map((w) => ({ weight: w.weight, tree: fromNameTree(path, dentry, w.tree) })),
      };
  }
}

function withDentry<T>(tree: DelegateTree<T>, dentry: Dentry): DelegateTree<T> {
  return { ...tree, dentry };
}

/**
 * linkerd's `simplified`: a Delegate whose child stands for the same path collapses into the
 * child (which takes over the dentry), an Alt inside an Alt of the same path is flattened, and a
 * one-branch Alt or Union becomes a Delegate.
 */
export function simplifyDelegateTree<T>(tree: DelegateTree<T>): DelegateTree<T> {
  switch (tree.type) {
    case 'delegate': {
      const child = simplifyDelegateTree(tree.tree);
      const terminal = child.type === 'neg' || child.type === 'fail' || child.type === 'empty';
      if (!terminal && child.path.equals(tree.path)) return withDentry(child, tree.dentry);
      return { ...tree, tree: child };
    }
    case 'alt': {
      if (tree.trees.length === 0) return { type: 'neg', path: tree.path, dentry: tree.dentry };
      if (tree.trees.length === 1) {
        return simplifyDelegateTree({ type: 'delegate', path: tree.path, dentry: tree.dentry, tree: tree.trees[0]! });
      }
      const flat: DelegateTree<T>[] = [];
      for (const member of tree.trees) {
        const s = simplifyDelegateTree(member);
        if (s.type === 'alt' && s.path.equals(tree.path)) flat.push(...s.trees);
        else flat.push(s);
      }
      return { ...tree, trees: flat };
    }
    case 'union': {
      if (tree.trees.length === 0) return { type: 'neg', path: tree.path, dentry: tree.dentry };
      if (tree.trees.length === 1) {
        return simplifyDelegateTree({
          type: 'delegate',
          path: tree.path,
          dentry: tree.dentry,
          tree: tree.trees[0]!.tree,
        });
      }
      return { ...tree, trees: tree.trees.map((w) => ({ weight: w.weight, tree: simplifyDelegateTree(w.tree) })) };
    }
    default:
      return tree;
  }
}

export function isNop(dentry: Dentry): boolean {
  return dentry === Dentry.nop || dentry.equiv(Dentry.nop);
}
