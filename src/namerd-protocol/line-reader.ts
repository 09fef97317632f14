/**
 * The lines of a chunked HTTP body, as namerd's watch streams send them (one document per line).
 * Chunks split lines, and UTF-8 characters, anywhere: bytes go through one streaming decoder
 * (TextDecoder with `stream: true` holds back an incomplete sequence until its rest arrives), and
 * each chunk is searched for newlines only once, so a long line costs linear time. A line that
 * never ends is capped, so a broken or hostile peer cannot grow the buffer without bound.
 */

/** Far above any real dtab; a line longer than this is a broken stream. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

export class LineTooLongError extends Error {
  override readonly name = 'LineTooLongError';
  constructor(readonly maxChars: number) {
    super(`watch stream line longer than ${maxChars} characters`);
  }
}

export interface ReadLinesOptions {
  /** Longest line accepted, in characters (default MAX_LINE_CHARS). */
  readonly maxLineChars?: number;
}

/**
 * The stream's non-blank lines, without the newline (and a `\r` before it). A partial line left
 * when the stream ends is dropped: the document it started never arrived whole.
 */
export async function* readLines(
  body: AsyncIterable<Uint8Array | string>,
  options: ReadLinesOptions = {},
): AsyncGenerator<string> {
  const max = options.maxLineChars ?? MAX_LINE_CHARS;
  const decoder = new TextDecoder('utf-8');
  let partial = '';
  for await (const chunk of body) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
      const line = partial + text.slice(start, i);
      partial = '';
      start = i + 1;
      if (line.length > max) throw new LineTooLongError(max);
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (trimmed.trim() !== '') yield trimmed;
    }
    partial += text.slice(start);
    if (partial.length > max) throw new LineTooLongError(max);
  }
}
