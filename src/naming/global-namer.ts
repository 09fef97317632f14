/**
 * The `/$/...` namespace (Finagle's `Namer.global`, docs/dtab-language.md#system-names): `/$/fail`
 * is Fail, `/$/nil` is Empty, `/$/<kind>/...` goes to the namer registered for that kind, and
 * anything else is Neg. Finagle finds kinds by reflection; switchyard takes an explicit map, and an
 * unknown kind fails the lookup (as Finagle's ClassNotFoundException does) instead of answering
 * Neg.
 */

import { NameTree } from '../dtab/name-tree.js';
import type { Path } from '../dtab/path.js';
import { createError } from '../errors.js';
import { Activity } from './activity.js';
import type { Name, Namer } from './namer.js';

export const DOLLAR = '$';

export class GlobalNamer implements Namer {
  /** Kind namers receive the whole `/$/<kind>/...` path, since their ids include it. */
  constructor(private readonly kinds: ReadonlyMap<string, Namer>) {}

  lookup(path: Path): Activity<NameTree<Name>> {
    const [first, kind] = path.elems;
    if (first !== DOLLAR || kind === undefined) return Activity.value(NameTree.Neg);
    if (kind === 'fail') return Activity.value(NameTree.Fail);
    if (kind === 'nil') return Activity.value(NameTree.Empty);
    const namer = this.kinds.get(kind);
    if (namer === undefined) return Activity.exception(unknownNamer(path));
    return namer.lookup(path);
  }
}

/** The failure for a `/$/<kind>` that nothing can bind, in linkerd's words. */
export function unknownNamer(path: Path): Error {
  return createError('SY_ERR_UNKNOWN_NAMER', [path.utf8Elems()[1] ?? '', path.show()]);
}
