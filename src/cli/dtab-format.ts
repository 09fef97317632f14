/**
 * The canonical text of a dtab file: namerctl's pretty form (Dtab.showPretty: one dentry per
 * line, `=>` aligned, ` ;` at the end of each line) with the file's `#` comments kept where
 * they were, and single blank lines kept between groups. A file without comments formats to
 * exactly what `namerctl dtab get` prints. Because the comments are placed by a scan outside
 * the parser, the result is checked before anyone can write it: it must read back to an
 * equal Dtab and hold the same number of comments, or formatting throws.
 */
import { Dtab, type DtabSyntaxError } from '../index.js';
import { type Comment, countComments, scanComments } from './dtab-comments.js';

export interface Formatted {
  readonly dtab: Dtab;
  /** The canonical text; ends with a newline unless the dtab and its comments are all empty. */
  readonly text: string;
}

/** Formats dtab source text; throws DtabSyntaxError when it does not parse. */
export function formatDtab(source: string): Formatted {
  const dtab = Dtab.read(source);
  const comments = scanComments(source);
  const lines = dtab.showPretty().split('\n').slice(0, -1);
  if (comments.dentries.length !== dtab.size || lines.length !== dtab.size) {
    throw new Error(`dtab formatter: found ${comments.dentries.length} dentries, the parser ${dtab.size}`);
  }

  const out: string[] = [];
  const emit = (line: string, blankBefore: boolean): void => {
    if (blankBefore && out.length > 0) out.push('');
    out.push(line);
  };
  const emitComments = (list: readonly Comment[]): void => {
    for (const c of list) emit(c.text, c.blankBefore);
  };
  comments.dentries.forEach((d, i) => {
    emitComments(d.leading);
    if (d.inner.length > 0) {
      emit(d.inner[0]!.text, d.blankBefore);
      emitComments(d.inner.slice(1));
      out.push(lines[i]!);
    } else {
      emit(lines[i]!, d.blankBefore);
    }
    if (d.trailing !== undefined) out[out.length - 1] += ` ${d.trailing}`;
  });
  emitComments(comments.footer);
  const text = out.length === 0 ? '' : `${out.join('\n')}\n`;

  const reread = Dtab.read(text);
  if (!reread.equals(dtab) || countComments(scanComments(text)) !== countComments(comments)) {
    throw new Error('dtab formatter: the formatted text does not read back to the same dtab and comments');
  }
  return { dtab, text };
}

/**
 * The error's message without its `at line L, column C: '…'` tail, which the `FILE:L:C:`
 * prefix already says, ending instead in Finagle's `at '<line with [x] marked>'`.
 */
export function describeSyntaxError(error: DtabSyntaxError): string {
  const tail = ` at line ${error.line}, column ${error.column}: '${error.excerpt}'`;
  if (!error.message.endsWith(tail)) return error.message;
  return `${error.message.slice(0, -tail.length)} at '${error.excerpt}'`;
}
