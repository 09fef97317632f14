/**
 * One metric name, two spellings. A metric is named by `:`-separated parts plus labels, and a
 * label named like a part carries that part's value (`rt:service:requests` with
 * `{rt: 'http', service: 'svc/foo'}`). From that single description come linkerd's flat
 * metrics.json key, where each labelled part is followed by its value
 * (`rt/http/service/svc/foo/requests`), and linkerd's Prometheus form, where the parts stay in the
 * name and the values move to labels (`rt:service:requests{rt="http",service="svc/foo"}`). Deriving
 * both from one place is what keeps the two admin endpoints describing the same series.
 */

export type Labels = Readonly<Record<string, string>>;

export interface MetricName {
  /** The name as given, e.g. `rt:service:requests`. */
  readonly name: string;
  /** Label pairs in output order: those naming a part in the part's order, then the rest by label name. */
  readonly labels: readonly (readonly [string, string])[];
  /** linkerd's metrics.json key, e.g. `rt/http/service/svc/foo/requests`. */
  readonly flatKey: string;
  /** The Prometheus metric name (the family), e.g. `rt:service:requests`. */
  readonly family: string;
  /** The Prometheus label set without braces, e.g. `rt="http",service="svc/foo"`; empty when unlabelled. */
  readonly labelText: string;
  /** The flat key with `{label}` in place of each value, e.g. `rt/{rt}/service/{service}/requests`. */
  readonly pattern: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Characters a Prometheus metric name may not hold become `_` (linkerd's PrometheusTelemeter). */
export function prometheusName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9:_]/g, '_');
  // A name may not start with a digit; linkerd never produced one, so this only guards odd input.
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

/** Escapes a label value per the text exposition format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Escapes HELP text per the text exposition format: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** Builds both spellings; throws (a programming error, not input) on an empty part or a bad label name. */
export function metricName(name: string, labels: Labels = {}): MetricName {
  const parts = name.split(':');
  if (parts.some((p) => p === '')) throw new Error(`metric name ${JSON.stringify(name)} has an empty part`);
  const names = Object.keys(labels);
  for (const label of names) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      throw new Error(`metric ${name}: ${JSON.stringify(label)} is not a valid label name`);
    }
    if (typeof labels[label] !== 'string') throw new Error(`metric ${name}: label ${label} is not a string`);
  }

  const ordered: (readonly [string, string])[] = [];
  const flat: string[] = [];
  const pattern: string[] = [];
  const used = new Set<string>();
  for (const part of parts) {
    flat.push(part);
    pattern.push(part);
    const value = labels[part];
    // A part named twice takes its label once, where it first appears.
    if (value !== undefined && !used.has(part)) {
      used.add(part);
      ordered.push([part, value]);
      flat.push(value);
      pattern.push(`{${part}}`);
    }
  }
  // Labels naming no part qualify the whole metric, as linkerd's `…/failures/<exception>` does.
  for (const label of names.filter((l) => !used.has(l)).sort()) {
    ordered.push([label, labels[label]!]);
    flat.push(labels[label]!);
    pattern.push(`{${label}}`);
  }

  return {
    name,
    labels: ordered,
    flatKey: flat.join('/'),
    family: prometheusName(name),
    labelText: ordered.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(','),
    pattern: pattern.join('/'),
  };
}
