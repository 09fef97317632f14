/**
 * Namer: turns a path into a name tree of paths and bound names (Finagle's `Namer`). A namer
 * answers Neg when it does not know a name, which lets the dtab fall back; its answer is an
 * Activity because names appear, change and vanish over time.
 */
import type { NameTree } from '../dtab/name-tree.js';
import type { Path } from '../dtab/path.js';
import type { Activity } from './activity.js';
import type { Bound } from './bound.js';

/** A namer's answer may hold unbound paths (rewriting namers) as well as bound names. */
export type Name = Path | Bound;

export interface Namer {
  lookup(path: Path): Activity<NameTree<Name>>;
}

/** A configured namer and the `/#/...` prefix it is mounted under. */
export interface MountedNamer {
  readonly prefix: Path;
  readonly namer: Namer;
}
