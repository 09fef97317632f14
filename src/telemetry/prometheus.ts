/**
 * The Prometheus text exposition format (version 0.0.4), written from already-named samples.
 * linkerd's PrometheusTelemeter wrote bare sample lines; this writer adds `# HELP` and `# TYPE`
 * and keeps each family's lines together, which is what makes the output valid exposition that
 * `promtool check metrics` and Prometheus' own parser accept with types intact.
 */
import { escapeHelp } from './metric-name.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type PrometheusType = 'counter' | 'gauge' | 'summary' | 'histogram';

export interface PrometheusSample {
  /** Appended to the family name: `''`, `_sum`, `_count` or `_bucket`. */
  readonly suffix: string;
  /** Label pairs without braces, already escaped; empty for none. */
  readonly labelText: string;
  readonly value: number;
}

export interface PrometheusFamily {
  readonly name: string;
  readonly type: PrometheusType;
  readonly help: string;
  readonly samples: readonly PrometheusSample[];
}

/** Go's float syntax as Prometheus parses it: `+Inf`, `-Inf` and `NaN` are spelled out. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/** Adds one label to an escaped label set (used for `quantile`). */
export function withLabel(labelText: string, name: string, value: string): string {
  const pair = `${name}="${value}"`;
  return labelText === '' ? pair : `${labelText},${pair}`;
}

/** Families in the given order; a family with no samples is left out (a HELP/TYPE pair alone says nothing). */
export function renderPrometheus(families: readonly PrometheusFamily[]): string {
  let out = '';
  for (const family of families) {
    if (family.samples.length === 0) continue;
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const s of family.samples) {
      const labels = s.labelText === '' ? '' : `{${s.labelText}}`;
      out += `${family.name}${s.suffix}${labels} ${formatValue(s.value)}\n`;
    }
  }
  return out;
}
