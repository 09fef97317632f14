/**
 * Durations as people and goto write them (`250ms`, `5s`, `1m30s`, `1h`), turned into
 * milliseconds once, when a target is validated, so the run loop only sees numbers.
 */

const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/y;

/** Milliseconds, or null when the text is not a duration. A bare number is milliseconds. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  let total = 0;
  let at = 0;
  PART.lastIndex = 0;
  while (at < trimmed.length) {
    PART.lastIndex = at;
    const m = PART.exec(trimmed);
    if (m === null) return null;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = PART.lastIndex;
  }
  return at === 0 ? null : total;
}

/** `1500` → `1.5s`, `90000` → `1m30s`: the short form for specs and summaries. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms * 1000) / 1000}ms`;
  if (ms < 60_000) return `${Math.round(ms) / 1000}s`;
  const minutes = Math.floor(ms / 60_000);
  const rest = ms - minutes * 60_000;
  return rest === 0 ? `${minutes}m` : `${minutes}m${formatDuration(rest)}`;
}
