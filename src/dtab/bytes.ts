/**
 * Path elements are byte strings (docs/dtab-language.md#paths): switchyard stores each one as a JS
 * string whose characters are all in 0x00–0xFF, one character per byte. That keeps matching a plain
 * string compare and makes `\xNN` escapes exact, while UTF-8 text crosses the boundary only here.
 */

/** Characters that print as themselves in a path element (Finagle's `showableChars`). */
const SHOWABLE = /^[0-9A-Za-z_:.#$%-]+$/;

export function isShowable(elem: string): boolean {
  return SHOWABLE.test(elem);
}

const HEX = '0123456789abcdef';

/** Prints an element: as is when every byte is showable, otherwise every byte as `\xNN`. */
export function showElem(elem: string): string {
  if (SHOWABLE.test(elem)) return elem;
  let out = '';
  for (let i = 0; i < elem.length; i++) {
    const b = elem.charCodeAt(i);
    out += `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** Decodes a label's `\xNN` escapes into bytes; the lexer has already checked their shape. */
export function decodeLabel(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** UTF-8 text → byte string (what `Path.Utf8(...)` does in Finagle). */
export function utf8ToBytes(text: string): string {
  // Pure ASCII needs no re-encoding, and that is nearly every name on the hot path.
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Byte string → UTF-8 text (Finagle's `Path.Utf8.unapplySeq`); bad sequences become U+FFFD. */
export function bytesToUtf8(bytes: string): string {
  if (/^[\x00-\x7f]*$/.test(bytes)) return bytes;
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
