/**
 * `promtool check metrics` (Debian's `prometheus` package; scripts/install-system-deps.sh) run on
 * exposition text. Missing promtool is an error, not a skip: CI installs it, and a skipped check
 * would let invalid output through unnoticed.
 */
import { spawnSync } from 'node:child_process';

export interface PromtoolResult {
  /** 0: valid and lint-clean; 3: valid with lint findings; 1: not valid exposition. */
  readonly status: number;
  readonly output: string;
  /** One entry per lint finding, e.g. `rt:service:requests metric names should not contain ':'`. */
  readonly problems: readonly string[];
}

/**
 * Findings that follow from keeping linkerd's metric names (docs/router.md#metrics) and cannot go
 * without renaming them: `:` separators, `_ms` units, and counters without `_total`.
 */
export const LINKERD_NAMING_LINTS = [
  /metric names should not contain ':'$/,
  /metric names should not contain abbreviated units$/,
  /counter metrics should have "_total" suffix$/,
];

export function promtoolCheckMetrics(text: string): PromtoolResult {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  if (run.error) {
    throw new Error(`promtool could not run (${run.error.message}); install it with scripts/install-system-deps.sh`);
  }
  const output = `${run.stdout}${run.stderr}`;
  const problems = output.split('\n').filter((line) => line.trim() !== '');
  return { status: run.status ?? -1, output, problems };
}
