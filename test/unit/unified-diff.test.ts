/**
 * The unified diff helper behind `namectl dtab diff`: minimal edit scripts, GNU diff's hunk
 * ranges (`-0,0` for an empty side, no count for one line), and hunks that merge when their
 * context would overlap.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffLines, unifiedDiff } from '../../src/cli/unified-diff.js';

const labels = { from: 'a', to: 'b' };
const lines = (n: number, tag = 'l') => Array.from({ length: n }, (_, i) => `${tag}${i + 1}`);

describe('unifiedDiff', () => {
  it('prints nothing for equal inputs', () => {
    expect(unifiedDiff(['x', 'y'], ['x', 'y'], labels)).toBe('');
    expect(unifiedDiff([], [], labels)).toBe('');
  });

  it('uses GNU ranges for empty sides and single lines', () => {
    expect(unifiedDiff([], ['x'], labels)).toBe('--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n');
    expect(unifiedDiff(['x'], [], labels)).toBe('--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n');
    expect(unifiedDiff(['a', 'c'], ['a', 'b', 'c'], labels, 0)).toBe('--- a\n+++ b\n@@ -1,0 +2 @@\n+b\n');
  });

  it('replaces a line with the deletion first', () => {
    expect(unifiedDiff(['a', 'b', 'c'], ['a', 'B', 'c'], labels)).toBe(
      '--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n',
    );
  });

  it('splits changes more than 2 × context lines apart into hunks, and merges closer ones', () => {
    const a = lines(20);
    const far = [...a];
    far[1] = 'X';
    far[17] = 'Y';
    expect(unifiedDiff(a, far, labels)).toBe(
      '--- a\n+++ b\n' +
        '@@ -1,5 +1,5 @@\n l1\n-l2\n+X\n l3\n l4\n l5\n' +
        '@@ -15,6 +15,6 @@\n l15\n l16\n l17\n-l18\n+Y\n l19\n l20\n',
    );
    const near = [...a];
    near[1] = 'X';
    near[8] = 'Y';
    const hunks = unifiedDiff(a, near, labels).match(/^@@/gm);
    expect(hunks).toHaveLength(1);
  });

  it('finds a shortest edit script: kept lines are a longest common subsequence', () => {
    const line = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(line, { maxLength: 12 }), (a, b) => {
        const edits = diffLines(a, b);
        expect(edits.filter((e) => e.op !== '+').map((e) => e.line)).toEqual(a);
        expect(edits.filter((e) => e.op !== '-').map((e) => e.line)).toEqual(b);
        expect(edits.filter((e) => e.op === ' ').length).toBe(lcsLength(a, b));
      }),
      { numRuns: 300, seed: 1234 },
    );
  });
});

function lcsLength(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = x === b[j - 1] ? diag + 1 : Math.max(row[j]!, row[j - 1]!);
      diag = up;
    }
  }
  return row[b.length]!;
}
