/**
 * NameTree: the right-hand side of a dentry and the result of binding
 * (docs/dtab-language.md#name-trees). A tree is plain immutable data, a discriminated union on
 * `type`; the algebra over it (show, simplify, evaluate) lives in small modules beside this one and
 * is gathered in the `NameTree` object.
 */
import { parseNameTree } from './parse.js';
import type { Path } from './path.js';
import { showTree } from './show-tree.js';
import { evaluateTree, simplifyTree } from './simplify-tree.js';

export interface Leaf<T> {
  readonly type: 'leaf';
  readonly value: T;
}
/** Ordered fail-over: the first member that is not Neg wins. */
export interface Alt<T> {
  readonly type: 'alt';
  readonly trees: readonly NameTree<T>[];
}
/** Weighted union: requests are spread over the members in proportion to their weights. */
export interface Union<T> {
  readonly type: 'union';
  readonly trees: readonly Weighted<T>[];
}
export interface Weighted<T> {
  readonly weight: number;
  readonly tree: NameTree<T>;
}
/** `~`: no binding here; the only result that lets an Alt fall through. */
export interface NegTree {
  readonly type: 'neg';
}
/** `!`: binding failed; stops an Alt. */
export interface FailTree {
  readonly type: 'fail';
}
/** `$`: bound to nothing (an empty set of addresses). */
export interface EmptyTree {
  readonly type: 'empty';
}

export type NameTree<T> = Leaf<T> | Alt<T> | Union<T> | NegTree | FailTree | EmptyTree;

/** Anything a tree can print in its leaves: Paths, and bound names (printed as their id). */
export interface Showable {
  show(): string;
}

export const DEFAULT_WEIGHT = 1;

const Neg: NegTree = Object.freeze({ type: 'neg' });
const Fail: FailTree = Object.freeze({ type: 'fail' });
const Empty: EmptyTree = Object.freeze({ type: 'empty' });

function leaf<T>(value: T): Leaf<T> {
  return { type: 'leaf', value };
}

function alt<T>(...trees: NameTree<T>[]): Alt<T> {
  return { type: 'alt', trees };
}

function union<T>(...trees: Weighted<T>[]): Union<T> {
  return { type: 'union', trees };
}

function weighted<T>(weight: number, tree: NameTree<T>): Weighted<T> {
  return { weight, tree };
}

function map<T, U>(tree: NameTree<T>, f: (value: T) => U): NameTree<U> {
  switch (tree.type) {
    case 'leaf':
      return leaf(f(tree.value));
    case 'alt':
      return { type: 'alt', trees: tree.trees.map((t) => map(t, f)) };
    case 'union':
      return { type: 'union', trees: tree.trees.map((w) => weighted(w.weight, map(w.tree, f))) };
    default:
      return tree;
  }
}

function leafEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const eq = (a as { equals?: (o: unknown) => boolean } | null)?.equals;
  return typeof eq === 'function' && eq.call(a, b);
}

/** Structural equality (Finagle's `==`): `Alt(a, Alt(b, c))` and `Alt(a, b, c)` differ. */
function equals<T>(a: NameTree<T>, b: NameTree<T>): boolean {
  if (a === b) return true;
  switch (a.type) {
    case 'leaf':
      return b.type === 'leaf' && leafEquals(a.value, b.value);
    case 'alt':
      return b.type === 'alt' && a.trees.length === b.trees.length && a.trees.every((t, i) => equals(t, b.trees[i]!));
    case 'union':
      return (
        b.type === 'union' &&
        a.trees.length === b.trees.length &&
        a.trees.every((w, i) => w.weight === b.trees[i]!.weight && equals(w.tree, b.trees[i]!.tree))
      );
    default:
      return a.type === b.type;
  }
}

export const NameTree = {
  Neg,
  Fail,
  Empty,
  leaf,
  alt,
  union,
  weighted,
  map,
  equals,
  /** Parses a name tree (docs/dtab-language.md#name-trees); throws DtabSyntaxError. */
  read(text: string): NameTree<Path> {
    return parseNameTree(text);
  },
  show<T extends Showable>(tree: NameTree<T>): string {
    return showTree(tree);
  },
  simplify<T>(tree: NameTree<T>): NameTree<T> {
    return simplifyTree(tree);
  },
  /** The set of leaves the tree evaluates to (weights ignored), or null for none (Neg/Fail). */
  evaluate<T>(tree: NameTree<T>): T[] | null {
    return evaluateTree(tree);
  },
} as const;
