/**
 * The message kept with a write (`X-Dtab-Message`, `?message=`, `namectl … -m`). It is free text
 * that operators later read in a terminal (`namectl dtab history`), so it is bounded in length
 * and may hold no control characters: no line breaks that forge history rows, no escape
 * sequences that rewrite the screen, no bidirectional overrides that reorder what is shown.
 * Output escapes the same characters whatever a store holds, since entries written before the
 * rule (or straight into a store) may carry them.
 */

/** Default longest message, in UTF-8 bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024;

/** C0 controls, DEL, C1 controls (U+009B is an 8-bit CSI), and the bidirectional embeddings, overrides and isolates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Why a message is refused, or null when it is acceptable. */
export function messageProblem(message: string, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): string | null {
  const bytes = Buffer.byteLength(message);
  if (bytes > maxBytes) return `it is ${bytes} bytes long; the limit is ${maxBytes}`;
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.exec(message);
  if (found !== null) {
    return `it contains the control character ${escapeControls(found[0])} at character ${found.index + 1}; messages are one line of printable text`;
  }
  return null;
}

/** The text with every unsafe character shown as an escape (`\n`, `\x1b`, `\u202e`), safe to print to a terminal. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const NAMED: Readonly<Record<string, string>> = Object.assign(Object.create(null), {
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
});
