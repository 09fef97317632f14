/**
 * Dentry: one delegation rule, `prefix => tree` (docs/dtab-language.md#dentries-and-dtabs). A path
 * that the prefix matches is rewritten to the tree, with the unmatched suffix appended to every
 * leaf.
 */
import { NameTree } from './name-tree.js';
import { parseDentry } from './parse.js';
import type { Path } from './path.js';
import { Prefix } from './prefix.js';

export class Dentry {
  static #nop: Dentry | undefined;

  /**
   * The entry that stands for "no dentry" in explanations: its prefix is one element holding
   * "/", which no parser can produce, so it never collides with a real rule. (Built on first
   * use: the dtab modules import each other.)
   */
  static get nop(): Dentry {
    Dentry.#nop ??= new Dentry(new Prefix(['/']), NameTree.Neg);
    return Dentry.#nop;
  }

  readonly prefix: Prefix;
  readonly dst: NameTree<Path>;
  #shown: string | undefined;

  constructor(prefix: Prefix, dst: NameTree<Path>) {
    this.prefix = prefix;
    this.dst = dst;
  }

  /** Parses one dentry; a trailing `;` is an error here (only dtabs allow one). */
  static read(text: string): Dentry {
    return parseDentry(text);
  }

  show(): string {
    if (this.#shown === undefined) this.#shown = `${this.prefix.show()}=>${NameTree.show(this.dst)}`;
    return this.#shown;
  }

  toString(): string {
    return this.show();
  }

  toJSON(): { prefix: string; dst: string } {
    return { prefix: this.prefix.show(), dst: NameTree.show(this.dst) };
  }

  /** Structural equality, Finagle's `==`. */
  equals(other: Dentry): boolean {
    return this === other || (this.prefix.equals(other.prefix) && NameTree.equals(this.dst, other.dst));
  }

  /** Finagle's `Equiv[Dentry]`: same prefix and the same simplified destination. */
  equiv(other: Dentry): boolean {
    return (
      this.prefix.equals(other.prefix) && NameTree.equals(NameTree.simplify(this.dst), NameTree.simplify(other.dst))
    );
  }

  /** One rewrite step: the destination with the residual appended, or null when the prefix does not match. */
  rewrite(path: Path): NameTree<Path> | null {
    if (!this.prefix.matches(path)) return null;
    const residual = path.drop(this.prefix.size);
    return residual.isEmpty ? this.dst : NameTree.map(this.dst, (p) => p.concat(residual));
  }
}
