/**
 * Bound: a name a namer has resolved (Finagle's `Name.Bound`). Its `id` says which concrete
 * thing it is (`/$/inet/127.0.0.1/8080`, `/#/io.l5d.k8s/default/http/web`), `residual` is the
 * unmatched rest of the path, and `addr` follows the endpoints as they change. Two Bounds are
 * the same name when their ids are equal.
 */
import { Path } from '../dtab/path.js';
import { Addr, WEIGHT_META_KEY } from './addr.js';
import type { Var } from './var.js';

export class Bound {
  constructor(
    readonly addr: Var<Addr>,
    readonly id: Path,
    readonly residual: Path = Path.empty,
    /** The weight of the innermost union this name was reached through, if any. */
    readonly weight?: number,
  ) {}

  /** Bound trees print each leaf as its id. */
  show(): string {
    return this.id.show();
  }

  toString(): string {
    return this.show();
  }

  equals(other: unknown): boolean {
    return other instanceof Bound && other.id.equals(this.id);
  }

  /** The same name reached through a union member of weight `w`: the weight rides in the addr metadata. */
  withWeight(weight: number): Bound {
    const addr = this.addr.map((a) =>
      a.type === 'bound' ? Addr.bound(a.addresses, { ...a.meta, [WEIGHT_META_KEY]: weight }) : a,
    );
    return new Bound(addr, this.id, this.residual, weight);
  }
}
