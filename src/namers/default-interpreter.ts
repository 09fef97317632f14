/**
 * The interpreter with switchyard's built-in `/$/` namers, and the `bind`/`delegate` entry points
 * the package exports. Callers add configured `/#/` namers and extra `/$/` kinds through options.
 */
import type { Dtab } from '../dtab/dtab.js';
import type { NameTree } from '../dtab/name-tree.js';
import type { Path } from '../dtab/path.js';
import { type BoundDelegateTree, delegate as explain } from '../naming/delegator.js';
import { type BoundTree, type InterpreterOptions, NameInterpreter } from '../naming/interpreter.js';
import type { Namer } from '../naming/namer.js';
import { systemNamers } from './system.js';

export function defaultInterpreter(options: InterpreterOptions = {}): NameInterpreter {
  const kinds = systemNamers();
  const extra = options.kinds ?? {};
  for (const [kind, namer] of extra instanceof Map ? extra : Object.entries(extra)) kinds.set(kind, namer as Namer);
  return new NameInterpreter({ ...options, kinds });
}

/** Binds a path (or tree) through a dtab; resolves once the binding is no longer pending. */
export function bind(dtab: Dtab, target: Path | NameTree<Path>, options?: InterpreterOptions): Promise<BoundTree> {
  return defaultInterpreter(options).bind(dtab, target).toPromise();
}

/** Explains how a path binds through a dtab, as linkerd's /delegate does. */
export function delegate(
  dtab: Dtab,
  target: Path | NameTree<Path>,
  options?: InterpreterOptions,
): Promise<BoundDelegateTree> {
  return explain(defaultInterpreter(options), dtab, target);
}
