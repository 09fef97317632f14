/**
 * The `/$/inet` and `/$/fixedinet` namers (docs/namers.md#inet-and-fixedinet):
 * `/$/inet/<host>/<port>/<residual…>`, or `/$/inet/<port>/…` with no host. The host/port form is
 * tried first, so `/$/inet/80/90` is host "80", port 90. The bound id is the path without its
 * residual. A path that fits neither form fails, as Finagle's reflective lookup of a class named
 * `inet` does.
 */
import { NameTree } from '../dtab/name-tree.js';
import type { Path } from '../dtab/path.js';
import { Activity } from '../naming/activity.js';
import { Bound } from '../naming/bound.js';
import { unknownNamer } from '../naming/global-namer.js';
import type { Name, Namer } from '../naming/namer.js';
import type { InetResolver } from './inet-resolver.js';
import { parseJavaInt } from './java-int.js';

export class InetNamer implements Namer {
  constructor(
    private readonly resolver: InetResolver,
    /** fixedinet resolves a name once and never again. */
    private readonly fixed = false,
  ) {}

  lookup(path: Path): Activity<NameTree<Name>> {
    // path is /$/<kind>/...; the arguments start at element 2.
    const args = path.utf8Elems().slice(2);
    let host: string;
    let port: number | null = args.length >= 2 ? parseJavaInt(args[1]!) : null;
    let used = 2;
    if (port !== null) host = args[0]!;
    else {
      port = args.length >= 1 ? parseJavaInt(args[0]!) : null;
      if (port === null) return Activity.exception(unknownNamer(path));
      host = '';
      used = 1;
    }
    const id = path.take(2 + used);
    const bound = new Bound(this.resolver.resolve(host, port, this.fixed), id, path.drop(2 + used));
    return Activity.value(NameTree.leaf(bound));
  }
}
