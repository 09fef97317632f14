/**
 * The work one bind may do. A dtab such as `/l0 => /l1 & /l1 ; /l1 => /l2 & /l2 ; …` doubles
 * the work with every entry, and a caller can send one in a header, so every bind (and every
 * delegate explanation) counts its lookups and the size of the tree it builds, and stops with a
 * 400 naming the limit instead of holding the event loop. Identical sub-paths are bound once
 * per bind (see the interpreter), so ordinary dtabs never come near the limit.
 */
import type { NameTree } from '../dtab/name-tree.js';
import { createError, type SwitchyardError } from '../errors.js';

/** Lookups (and bound-tree nodes) one bind may use before it fails. */
export const DEFAULT_MAX_BIND_LOOKUPS = 1000;

export function bindBudgetError(limit: number, what: string): SwitchyardError {
  return createError('SY_ERR_BIND_BUDGET', [limit, what]);
}

export class BindBudget {
  #lookups = 0;

  constructor(readonly limit: number = DEFAULT_MAX_BIND_LOOKUPS) {}

  get lookups(): number {
    return this.#lookups;
  }

  /** Counts one lookup; the error to fail with once past the limit, else null. */
  spend(): SwitchyardError | null {
    return ++this.#lookups > this.limit ? bindBudgetError(this.limit, 'lookups') : null;
  }
}

/**
 * Nodes of a tree counted as if every shared subtree were copied (what printing or walking it
 * costs), memoised per node so measuring a deeply shared tree stays linear in its distinct nodes.
 */
const sizes = new WeakMap<object, number>();

export function expandedSize<T>(tree: NameTree<T>): number {
  const known = sizes.get(tree);
  if (known !== undefined) return known;
  let size = 1;
  if (tree.type === 'alt') for (const t of tree.trees) size += expandedSize(t);
  else if (tree.type === 'union') for (const w of tree.trees) size += expandedSize(w.tree);
  if (tree.type === 'alt' || tree.type === 'union') sizes.set(tree, size);
  return size;
}
