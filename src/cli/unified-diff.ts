/**
 * A unified diff of two lists of lines, as `diff -u` prints it: `---`/`+++` headers, then hunks
 * `@@ -a,b +c,d @@` with up to `context` unchanged lines around each change. The edit script
 * comes from a longest-common-subsequence table, which is quadratic but exact; dtabs have tens
 * of lines, so a dependency for Myers' algorithm would buy nothing.
 */

export type Edit = { readonly op: ' ' | '-' | '+'; readonly line: string };

/** The shortest edit script turning `a` into `b`; deletions come before insertions at each change. */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] is the length of the LCS of a[i..] and b[j..].
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      edits.push({ op: ' ', line: a[i++]! });
      j++;
    } else if (j >= m || (i < n && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      edits.push({ op: '-', line: a[i++]! });
    } else {
      edits.push({ op: '+', line: b[j++]! });
    }
  }
  return edits;
}

/** `diff -u` output, or '' when the lists are equal. */
export function unifiedDiff(
  a: readonly string[],
  b: readonly string[],
  labels: { readonly from: string; readonly to: string },
  context = 3,
): string {
  const edits = diffLines(a, b);
  const changed = edits.flatMap((e, k) => (e.op === ' ' ? [] : [k]));
  if (changed.length === 0) return '';

  // Group changes whose context would touch or overlap into one hunk.
  const hunks: [number, number][] = [];
  for (const k of changed) {
    const last = hunks[hunks.length - 1];
    if (last !== undefined && k - last[1] <= 2 * context + 1) last[1] = k;
    else hunks.push([k, k]);
  }

  const out = [`--- ${labels.from}\n`, `+++ ${labels.to}\n`];
  // Line numbers (1-based) in a and b of each edit.
  const lineA: number[] = [];
  const lineB: number[] = [];
  let na = 1;
  let nb = 1;
  for (const e of edits) {
    lineA.push(na);
    lineB.push(nb);
    if (e.op !== '+') na++;
    if (e.op !== '-') nb++;
  }
  for (const [first, last] of hunks) {
    const start = Math.max(0, first - context);
    const end = Math.min(edits.length - 1, last + context);
    const slice = edits.slice(start, end + 1);
    const countA = slice.filter((e) => e.op !== '+').length;
    const countB = slice.filter((e) => e.op !== '-').length;
    out.push(`@@ -${range(lineA[start]!, countA)} +${range(lineB[start]!, countB)} @@\n`);
    for (const e of slice) out.push(`${e.op}${e.line}\n`);
  }
  return out.join('');
}

/** `start,count`, `start` alone for one line, and for none the line before (GNU diff's rule). */
function range(start: number, count: number): string {
  if (count === 1) return `${start}`;
  return `${count === 0 ? start - 1 : start},${count}`;
}
