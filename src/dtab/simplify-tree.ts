/**
 * `simplify` and `evaluate` (docs/dtab-language.md#simplifying-and-evaluating). Both preserve what
 * a tree evaluates to; only Neg lets an Alt fall through, and a Union drops Fail and Neg members
 * but keeps Empty ones.
 */
import { NameTree, type Weighted } from './name-tree.js';

export function simplifyTree<T>(tree: NameTree<T>): NameTree<T> {
  switch (tree.type) {
    case 'alt': {
      if (tree.trees.length === 0) return NameTree.Neg;
      if (tree.trees.length === 1) return simplifyTree(tree.trees[0]!);
      const kept: NameTree<T>[] = [];
      for (const member of tree.trees) {
        const s = simplifyTree(member);
        if (s.type === 'neg') continue;
        kept.push(s);
        if (s.type === 'fail') break;
      }
      if (kept.length === 0) return NameTree.Neg;
      return kept.length === 1 ? kept[0]! : { type: 'alt', trees: kept };
    }
    case 'union': {
      if (tree.trees.length === 0) return NameTree.Neg;
      if (tree.trees.length === 1) return simplifyTree(tree.trees[0]!.tree);
      const kept: Weighted<T>[] = [];
      for (const w of tree.trees) {
        const s = simplifyTree(w.tree);
        if (s.type !== 'fail' && s.type !== 'neg') kept.push({ weight: w.weight, tree: s });
      }
      if (kept.length === 0) return NameTree.Neg;
      return kept.length === 1 ? kept[0]!.tree : { type: 'union', trees: kept };
    }
    default:
      return tree;
  }
}

/** Leaf values, each once, in first-seen order; null when the tree is Neg or Fail. */
export function evaluateTree<T>(tree: NameTree<T>): T[] | null {
  const out = evaluateInto(tree);
  return typeof out === 'string' ? null : dedupe(out);
}

/**
 * Three-valued like Finagle's private `eval`: a Fail inside an Alt must stop the Alt even when
 * it is nested (`(~ | !) | /a` is None), so Fail and Neg stay distinct until the top.
 */
function evaluateInto<T>(tree: NameTree<T>): T[] | 'fail' | 'neg' {
  switch (tree.type) {
    case 'fail':
    case 'neg':
      return tree.type;
    case 'empty':
      return [];
    case 'leaf':
      return [tree.value];
    case 'alt':
      for (const member of tree.trees) {
        const r = evaluateInto(member);
        if (r !== 'neg') return r;
      }
      return 'neg';
    case 'union': {
      let out: T[] | 'neg' = 'neg';
      for (const w of tree.trees) {
        const r = evaluateInto(w.tree);
        if (typeof r === 'string') continue;
        if (out === 'neg') out = [...r];
        else out.push(...r);
      }
      return out;
    }
  }
}

function keyOf(value: unknown): unknown {
  const show = (value as { show?: () => string } | null)?.show;
  return typeof show === 'function' ? show.call(value) : value;
}

function dedupe<T>(values: T[]): T[] {
  if (values.length < 2) return values;
  const seen = new Set<unknown>();
  return values.filter((v) => {
    const k = keyOf(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
