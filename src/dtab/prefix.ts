/**
 * Prefix: the left-hand side of a dentry (docs/dtab-language.md#prefixes). Like a Path, but an
 * element may be `*` (AnyElem), which matches exactly one element and captures nothing.
 */
import { showElem } from './bytes.js';
import { parsePrefix } from './parse.js';
import type { Path } from './path.js';

/** The `*` element. A literal star is the byte string "*", written `\x2a`. */
export const AnyElem: unique symbol = Symbol('*');
export type PrefixElem = string | typeof AnyElem;

export class Prefix {
  static readonly empty: Prefix = new Prefix([]);

  readonly elems: readonly PrefixElem[];
  #shown: string | undefined;

  constructor(elems: readonly PrefixElem[]) {
    this.elems = elems;
  }

  static read(text: string): Prefix {
    return parsePrefix(text);
  }

  /** A prefix that matches exactly this path. */
  static fromPath(path: Path): Prefix {
    return new Prefix(path.elems);
  }

  get size(): number {
    return this.elems.length;
  }

  get isEmpty(): boolean {
    return this.elems.length === 0;
  }

  matches(path: Path): boolean {
    const n = this.elems.length;
    const elems = path.elems;
    if (n > elems.length) return false;
    for (let i = 0; i < n; i++) {
      const e = this.elems[i];
      if (e !== AnyElem && e !== elems[i]) return false;
    }
    return true;
  }

  show(): string {
    if (this.#shown === undefined) {
      this.#shown = `/${this.elems.map((e) => (e === AnyElem ? '*' : showElem(e))).join('/')}`;
    }
    return this.#shown;
  }

  toString(): string {
    return this.show();
  }

  toJSON(): string {
    return this.show();
  }

  equals(other: Prefix): boolean {
    if (this === other) return true;
    const n = this.elems.length;
    if (n !== other.elems.length) return false;
    for (let i = 0; i < n; i++) if (this.elems[i] !== other.elems[i]) return false;
    return true;
  }
}
