/**
 * Java's `String.toInt` (Integer.parseInt), which Finagle uses to recognise a port in
 * `/$/inet/<host>/<port>` (docs/namers.md#inet-and-fixedinet): an optional sign, then decimal
 * digits of any script (`Character.digit`), within the 32-bit range. So `-1` and `0080` are numbers
 * and `80a` is not.
 */
const DIGITS = /^[+-]?\p{Nd}+$/u;
const DIGIT = /\p{Nd}/u;

export function parseJavaInt(text: string): number | null {
  if (!DIGITS.test(text)) return null;
  let value = 0;
  for (const ch of text.replace(/^[+-]/, '')) value = value * 10 + digitValue(ch);
  if (text.startsWith('-')) value = -value;
  return value >= -2147483648 && value <= 2147483647 ? value : null;
}

/** Unicode lays decimal digits out in runs of ten starting at zero; count back to the run's start. */
function digitValue(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  let start = cp;
  while (start > 0 && DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}
