/**
 * linkerd's `/$/io.buoyant.rinet/<port>/<host>/<residual…>`: inet with the arguments reversed,
 * which suits dtabs that build names port-first. Fewer than two arguments is Neg.
 */
import { NameTree } from '../dtab/name-tree.js';
import type { Path } from '../dtab/path.js';
import { Activity } from '../naming/activity.js';
import { Addr } from '../naming/addr.js';
import { Bound } from '../naming/bound.js';
import type { Name, Namer } from '../naming/namer.js';
import { Var } from '../naming/var.js';
import type { InetResolver } from './inet-resolver.js';
import { parseJavaInt } from './java-int.js';

export class RinetNamer implements Namer {
  constructor(private readonly resolver: InetResolver) {}

  lookup(path: Path): Activity<NameTree<Name>> {
    const args = path.utf8Elems().slice(2);
    if (args.length < 2) return Activity.value(NameTree.Neg);
    const port = parseJavaInt(args[0]!);
    const addr =
      port === null
        ? Var.value(Addr.failed(new Error(`invalid port: ${args[0]}`)))
        : this.resolver.resolve(args[1]!, port, false);
    return Activity.value(NameTree.leaf(new Bound(addr, path.take(4), path.drop(4))));
  }
}
