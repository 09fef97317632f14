/**
 * Reading union weights (docs/dtab-language.md#weights). The lexer has already checked the shape
 * (digits with at most one dot); what is left is the one input switchyard rejects and Finagle
 * accepts: digits too many for a double, which would read as Infinity and could never be printed
 * back.
 */
import type { Token } from 'moo';

/** Thrown from inside the parser; parse.ts turns it into a DtabSyntaxError with a position. */
export class WeightOutOfRange extends Error {
  readonly offset: number;
  constructor(offset: number, text: string) {
    super(`weight out of range: ${text.length > 24 ? `${text.slice(0, 20)}…` : text} does not fit in a double`);
    this.offset = offset;
  }
}

export function readWeight(token: Token): number {
  const w = Number(token.text);
  if (!Number.isFinite(w)) throw new WeightOutOfRange(token.offset, token.text);
  return w;
}
