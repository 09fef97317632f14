/**
 * Our NameTree in the vectors' `ast_format` (dtab-vectors.sample.json `_meta.ast_format`): leaves
 * become `{type: 'leaf', path: show}`, so trees compare as plain JSON.
 */
import type { NameTree, Path } from '../../src/index.js';

export type Ast =
  | { type: 'leaf'; path: string }
  | { type: 'neg' | 'fail' | 'empty' }
  | { type: 'alt'; trees: Ast[] }
  | { type: 'union'; trees: { weight: number; tree: Ast }[] };

export function toAst(tree: NameTree<Path>): Ast {
  switch (tree.type) {
    case 'leaf':
      return { type: 'leaf', path: tree.value.show() };
    case 'alt':
      return { type: 'alt', trees: tree.trees.map(toAst) };
    case 'union':
      return { type: 'union', trees: tree.trees.map((w) => ({ weight: w.weight, tree: toAst(w.tree) })) };
    default:
      return { type: tree.type };
  }
}
