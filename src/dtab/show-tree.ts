/**
 * Printing name trees (docs/dtab-language.md#printing-name-trees, with lossless weights): Alt
 * members joined by " | ", Union members by " & ", parentheses only where re-reading needs them.
 */
import type { NameTree, Showable, Weighted } from './name-tree.js';

export function showTree<T extends Showable>(tree: NameTree<T>): string {
  // A single-child Alt or Union prints exactly as its child would here, so a lone
  // union member that is an Alt prints bare, as Finagle's `show` does, not in parentheses.
  if (tree.type === 'alt') {
    if (tree.trees.length === 1) return showTree(tree.trees[0]!);
    return tree.trees.map(showAltMember).join(' | ');
  }
  if (tree.type === 'union' && tree.trees.length === 1) return showTree(tree.trees[0]!.tree);
  return showAltMember(tree);
}

/** An Alt member: Unions print bare, nested Alts get parentheses. */
function showAltMember<T extends Showable>(tree: NameTree<T>): string {
  if (tree.type === 'union') {
    if (tree.trees.length === 1) return showAltMember(tree.trees[0]!.tree);
    return tree.trees.map(showWeighted).join(' & ');
  }
  if (tree.type === 'alt' && tree.trees.length === 1) return showAltMember(tree.trees[0]!);
  return showSimple(tree);
}

function showWeighted<T extends Showable>(w: Weighted<T>): string {
  const simple = showSimple(w.tree);
  return w.weight === 1 ? simple : `${showWeight(w.weight)}*${simple}`;
}

/** A Union member or a lone simple: anything compound gets parentheses. */
function showSimple<T extends Showable>(tree: NameTree<T>): string {
  switch (tree.type) {
    case 'leaf':
      return tree.value.show();
    case 'fail':
      return '!';
    case 'neg':
      return '~';
    case 'empty':
      return '$';
    case 'union':
      if (tree.trees.length === 1) return showSimple(tree.trees[0]!.tree);
      return `(${showTree(tree)})`;
    case 'alt':
      if (tree.trees.length === 1) return showSimple(tree.trees[0]!);
      return `(${showTree(tree)})`;
  }
}

/**
 * The shortest decimal that reads back to the same double, never in exponent form
 * (docs/dtab-language.md#lossless-weights): JS gives the shortest digits, and only the exponent
 * forms need expanding.
 */
export function showWeight(weight: number): string {
  const s = String(weight);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const [, sign, first, rest = '', exp] = m;
  const digits = `${first}${rest}`;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
