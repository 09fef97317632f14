/**
 * Path: a sequence of non-empty byte-string elements (docs/dtab-language.md#paths). Paths are
 * values: equal elements mean equal paths, and every operation returns a new Path.
 */
import { createError } from '../errors.js';
import { bytesToUtf8, showElem, utf8ToBytes } from './bytes.js';
import { parsePath } from './parse.js';

export class Path {
  static readonly empty: Path = new Path([]);

  readonly elems: readonly string[];
  #shown: string | undefined;

  /** Elements are byte strings (one char per byte, 0x00–0xFF) and must be non-empty. */
  constructor(elems: readonly string[]) {
    for (const e of elems) {
      if (e.length === 0) throw createError('SY_ERR_INVALID_ARGUMENT', ['path elements must be non-empty']);
    }
    this.elems = elems;
  }

  /** Parses the concrete syntax; throws DtabSyntaxError. */
  static read(text: string): Path {
    return parsePath(text);
  }

  /** Builds a path from UTF-8 text elements, e.g. `Path.utf8('svc', 'café')`. */
  static utf8(...elems: string[]): Path {
    return new Path(elems.map(utf8ToBytes));
  }

  get size(): number {
    return this.elems.length;
  }

  get isEmpty(): boolean {
    return this.elems.length === 0;
  }

  /** The elements decoded as UTF-8 text (what `/$/` namers and the k8s namer read). */
  utf8Elems(): string[] {
    return this.elems.map(bytesToUtf8);
  }

  show(): string {
    if (this.#shown === undefined) this.#shown = `/${this.elems.map(showElem).join('/')}`;
    return this.#shown;
  }

  toString(): string {
    return this.show();
  }

  toJSON(): string {
    return this.show();
  }

  startsWith(prefix: Path): boolean {
    const n = prefix.elems.length;
    if (n > this.elems.length) return false;
    for (let i = 0; i < n; i++) if (this.elems[i] !== prefix.elems[i]) return false;
    return true;
  }

  take(n: number): Path {
    return n >= this.elems.length ? this : new Path(this.elems.slice(0, Math.max(0, n)));
  }

  drop(n: number): Path {
    if (n <= 0) return this;
    return n >= this.elems.length ? Path.empty : new Path(this.elems.slice(n));
  }

  /** Finagle's `a ++ b`; returns `this` when `other` is empty so the common case allocates nothing. */
  concat(other: Path): Path {
    if (other.elems.length === 0) return this;
    if (this.elems.length === 0) return other;
    return new Path([...this.elems, ...other.elems]);
  }

  equals(other: Path): boolean {
    if (this === other) return true;
    const n = this.elems.length;
    if (n !== other.elems.length) return false;
    for (let i = 0; i < n; i++) if (this.elems[i] !== other.elems[i]) return false;
    return true;
  }
}
