/**
 * The namers linkerd's and Finagle's own tests use, rebuilt as real Namer implementations:
 * linkerd's TestNamer (binds `/#/<name>/<rest>` to id `/#/<name>`, except rest starting `buh`),
 * its ErrorNamer (always fails), and Finagle's `testnamer` (rewrites anything to one path).
 */
import { Activity, Addr, Bound, type Namer, NameTree, Path, Var } from '../../src/index.js';

export function testNamer(prefix: Path): Namer {
  return {
    lookup(path: Path) {
      if (path.elems[0]?.startsWith('buh')) return Activity.value(NameTree.Neg);
      return Activity.value(NameTree.leaf(new Bound(Var.value(Addr.bound([])), prefix, path)));
    },
  };
}

export function errorNamer(prefix: Path): Namer {
  return {
    lookup(path: Path) {
      return Activity.exception(new Error(`error naming ${prefix.concat(path).show()}`));
    },
  };
}

/** Finagle's `com.twitter.finagle.naming.testnamer`: always `Leaf(/rewritten/by/test/namer)`. */
export const rewritingTestNamer: Namer = {
  lookup: () => Activity.value(NameTree.leaf(Path.read('/rewritten/by/test/namer'))),
};
