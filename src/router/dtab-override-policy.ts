/**
 * What a request may change with `l5d-dtab` / `l5d-ctx-dtab`. linkerd applied any override, so
 * anyone who could reach a router could send its traffic to `/$/inet/<any host>/<port>`. Here
 * overrides can be switched off, limited to prefixes they may rewrite, and to destinations they
 * may name. By default they may name anything outside `/$/` (and `/$/fail`, `/$/nil`): the
 * `/$/` namers reach addresses directly (`/$/inet/<host>/<port>`), and the rewriting ones build
 * `/$/…` paths out of caller-chosen text (`domainToPathPfx/$/80.1.0.0.127.inet` is `/$/inet/127/…`),
 * so an operator who wants them in overrides must list them in `allowDestinations`.
 */
import type { Dtab } from '../dtab/dtab.js';
import type { NameTree } from '../dtab/name-tree.js';
import { Path } from '../dtab/path.js';
import { AnyElem, type Prefix } from '../dtab/prefix.js';
import { createError } from '../errors.js';

export interface OverridePolicyConfig {
  readonly enabled: boolean;
  /** Prefixes a dentry may rewrite (its own prefix must start with one); null for any. */
  readonly allowPrefixes: readonly string[] | null;
  /** Paths every destination leaf must start with; null for any but direct addresses. */
  readonly allowDestinations: readonly string[] | null;
}

export const DEFAULT_OVERRIDE_POLICY: OverridePolicyConfig = {
  enabled: true,
  allowPrefixes: null,
  allowDestinations: null,
};

/** `/$/fail` and `/$/nil` only make a request fail; every other `/$/` name can reach an address. */
function reachesAddresses(path: Path): boolean {
  return path.elems[0] === '$' && path.elems[1] !== 'fail' && path.elems[1] !== 'nil';
}

export class OverridePolicy {
  readonly #enabled: boolean;
  readonly #prefixes: Path[] | null;
  readonly #destinations: Path[] | null;

  constructor(config: OverridePolicyConfig = DEFAULT_OVERRIDE_POLICY) {
    this.#enabled = config.enabled;
    this.#prefixes = config.allowPrefixes?.map((p) => Path.read(p)) ?? null;
    this.#destinations = config.allowDestinations?.map((p) => Path.read(p)) ?? null;
  }

  /** Throws SY_ERR_DTAB_OVERRIDE_DENIED (403) naming the first dentry that is not allowed. */
  check(local: Dtab): void {
    if (local.isEmpty) return;
    if (!this.#enabled)
      throw createError('SY_ERR_DTAB_OVERRIDE_DENIED', ['dtab overrides are disabled on this router']);
    for (const d of local.dentries) {
      if (this.#prefixes !== null && !this.#prefixes.some((allowed) => prefixWithin(d.prefix, allowed))) {
        throw createError('SY_ERR_DTAB_OVERRIDE_DENIED', [
          `${d.show()} rewrites ${d.prefix.show()}, which is not an allowed prefix`,
        ]);
      }
      const bad = firstLeaf(d.dst, (p) => !this.#destinationAllowed(p));
      if (bad !== null)
        throw createError('SY_ERR_DTAB_OVERRIDE_DENIED', [
          `${d.show()} names ${bad.show()}, which is not an allowed destination`,
        ]);
    }
  }

  #destinationAllowed(path: Path): boolean {
    if (this.#destinations !== null) return this.#destinations.some((allowed) => path.startsWith(allowed));
    return !reachesAddresses(path);
  }
}

/** A prefix is within an allowed path when its leading elements are exactly that path (no `*` there). */
function prefixWithin(prefix: Prefix, allowed: Path): boolean {
  if (prefix.size < allowed.size) return false;
  for (let i = 0; i < allowed.size; i++) {
    const e = prefix.elems[i];
    if (e === AnyElem || e !== allowed.elems[i]) return false;
  }
  return true;
}

function firstLeaf(tree: NameTree<Path>, test: (p: Path) => boolean): Path | null {
  switch (tree.type) {
    case 'leaf':
      return test(tree.value) ? tree.value : null;
    case 'alt':
      for (const t of tree.trees) {
        const hit = firstLeaf(t, test);
        if (hit) return hit;
      }
      return null;
    case 'union':
      for (const w of tree.trees) {
        const hit = firstLeaf(w.tree, test);
        if (hit) return hit;
      }
      return null;
    default:
      return null;
  }
}
