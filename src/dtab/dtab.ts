/**
 * Dtab: an ordered list of dentries (docs/dtab-language.md#dentries-and-dtabs). Later entries take
 * precedence: lookup collects every matching entry from last to first, so earlier ones become
 * fallbacks.
 */
import { Dentry } from './dentry.js';
import { NameTree } from './name-tree.js';
import { parseDtab } from './parse.js';
import type { Path } from './path.js';
import { Prefix } from './prefix.js';

export class Dtab {
  static readonly empty: Dtab = new Dtab([]);
  static #fail: Dtab | undefined;

  /** `/=>!`: every name fails. (Built on first use: the dtab modules import each other.) */
  static get fail(): Dtab {
    Dtab.#fail ??= new Dtab([new Dentry(Prefix.empty, NameTree.Fail)]);
    return Dtab.#fail;
  }

  readonly dentries: readonly Dentry[];
  #shown: string | undefined;

  constructor(dentries: readonly Dentry[]) {
    this.dentries = dentries;
  }

  /** Parses a dtab; throws DtabSyntaxError naming the line and column. */
  static read(text: string): Dtab {
    return parseDtab(text);
  }

  get size(): number {
    return this.dentries.length;
  }

  get isEmpty(): boolean {
    return this.dentries.length === 0;
  }

  /**
   * One rewrite step (docs/dtab-language.md#lookup-one-rewrite-step), no recursion and no
   * simplification: Neg when nothing matches, the destination when one entry matches, and an Alt of
   * every match, last entry first, otherwise.
   */
  lookup(path: Path): NameTree<Path> {
    let first: NameTree<Path> | null = null;
    let rest: NameTree<Path>[] | null = null;
    for (let i = this.dentries.length - 1; i >= 0; i--) {
      const tree = this.dentries[i]!.rewrite(path);
      if (tree === null) continue;
      if (first === null) first = tree;
      else if (rest === null) rest = [first, tree];
      else rest.push(tree);
    }
    if (rest !== null) return { type: 'alt', trees: rest };
    return first ?? NameTree.Neg;
  }

  /** `a ++ b`: b's entries come last and so take precedence. */
  concat(other: Dtab): Dtab {
    if (other.dentries.length === 0) return this;
    if (this.dentries.length === 0) return other;
    return new Dtab([...this.dentries, ...other.dentries]);
  }

  /** `a + dentry`. */
  append(dentry: Dentry): Dtab {
    return new Dtab([...this.dentries, dentry]);
  }

  /**
   * The remainder after `prefix`'s entries, when this dtab starts with exactly those entries
   * (structural equality); otherwise this dtab unchanged.
   */
  stripPrefix(prefix: Dtab): Dtab {
    if (this === prefix) return Dtab.empty;
    if (prefix.dentries.length > this.dentries.length) return this;
    for (let i = 0; i < prefix.dentries.length; i++) {
      if (!this.dentries[i]!.equals(prefix.dentries[i]!)) return this;
    }
    return prefix.dentries.length === 0 ? this : new Dtab(this.dentries.slice(prefix.dentries.length));
  }

  /** Every destination simplified, and entries whose destination simplifies to Neg dropped. */
  simplified(): Dtab {
    const out: Dentry[] = [];
    for (const d of this.dentries) {
      const dst = NameTree.simplify(d.dst);
      if (dst.type !== 'neg') out.push(new Dentry(d.prefix, dst));
    }
    return new Dtab(out);
  }

  show(): string {
    if (this.#shown === undefined) this.#shown = this.dentries.map((d) => d.show()).join(';');
    return this.#shown;
  }

  toString(): string {
    return this.show();
  }

  toJSON(): { prefix: string; dst: string }[] {
    return this.dentries.map((d) => d.toJSON());
  }

  /** Structural equality, entry by entry. */
  equals(other: Dtab): boolean {
    if (this === other) return true;
    if (this.dentries.length !== other.dentries.length) return false;
    return this.dentries.every((d, i) => d.equals(other.dentries[i]!));
  }

  /** Finagle's `Equiv[Dtab]`: entry by entry, comparing simplified destinations. */
  equiv(other: Dtab): boolean {
    if (this.dentries.length !== other.dentries.length) return false;
    return this.dentries.every((d, i) => d.equiv(other.dentries[i]!));
  }

  /** Pretty form, one dentry per line with `=>` aligned, exactly as namerctl's `dtab get` prints. */
  showPretty(): string {
    const width = Math.max(0, ...this.dentries.map((d) => d.prefix.show().length));
    return this.dentries
      .map((d) => {
        const prefix = d.prefix.show();
        return `${prefix}  ${'=>'.padStart(width - prefix.length + 2)} ${NameTree.show(d.dst)} ;\n`;
      })
      .join('');
  }
}
