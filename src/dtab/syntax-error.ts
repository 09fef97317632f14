/**
 * Turning a failed parse into a DtabSyntaxError that says where (1-based line and column), what
 * was there (escaped when unprintable) and what would have been accepted
 * (docs/dtab-language.md#syntax-errors).
 */
import { DtabSyntaxError } from '../errors.js';

/** Printable ASCII shows quoted; anything else, including confusable spaces such as U+00A0, as U+XXXX. */
export function showChar(input: string, offset: number): string {
  if (offset >= input.length) return 'end of input';
  const cp = input.codePointAt(offset)!;
  if (cp >= 0x20 && cp <= 0x7e) return `'${String.fromCodePoint(cp)}'`;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function lineAndColumn(input: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = input.indexOf('\n'); i !== -1 && i < offset; i = input.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  // Columns count characters, so a surrogate pair is one column.
  return { line, column: [...input.slice(start, offset)].length + 1 };
}

const EXCERPT_RADIUS = 40;

/** The offending line with the character in brackets, as Finagle prints: `/foo[^]bar`, `/foo/[]`. */
export function excerpt(input: string, offset: number): string {
  const lineStart = input.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = input.indexOf('\n', offset);
  if (lineEnd === -1) lineEnd = input.length;
  const width = offset < input.length ? (input.codePointAt(offset)! > 0xffff ? 2 : 1) : 0;
  const at = offset < lineEnd ? input.slice(offset, offset + width) : '';
  let before = input.slice(lineStart, offset);
  let after = input.slice(offset + at.length, lineEnd);
  if (before.length > EXCERPT_RADIUS) before = `…${before.slice(-EXCERPT_RADIUS)}`;
  if (after.length > EXCERPT_RADIUS) after = `${after.slice(0, EXCERPT_RADIUS)}…`;
  return `${before}[${at}]${after}`.replace(
    /[\x00-\x1f\x7f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export function syntaxError(
  input: string,
  offset: number,
  expected: readonly string[],
  reason?: string,
): DtabSyntaxError {
  const { line, column } = lineAndColumn(input, offset);
  const detail = {
    line,
    column,
    offset,
    found: showChar(input, offset),
    expected,
    ...(reason === undefined ? {} : { reason }),
  };
  return new DtabSyntaxError(detail, excerpt(input, offset));
}
