/**
 * Label and field selectors as the API server reads them (docs/k8s-namer.md#the-fake-api-server):
 * labels take `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)` and `k notin (a,b)`, comma-separated
 * and all required; fields take `metadata.name` and `metadata.namespace` with `=`, `==` or `!=`. A
 * selector the server cannot read is a 400, as the real one answers.
 */
import { type Json, metaOf } from './object-store.js';

export type Matcher = (object: Json) => boolean;

export class SelectorError extends Error {}

/** Splits on commas that are not inside parentheses. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

export function labelSelector(text: string | null): Matcher {
  if (text === null || text.trim() === '') return () => true;
  const checks = terms(text).map((term): ((labels: Record<string, string>) => boolean) => {
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      return op === 'in'
        ? (l) => l[key] !== undefined && values.includes(l[key]!)
        : (l) => l[key] === undefined || !values.includes(l[key]!);
    }
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    m = /^(!?)([\w./-]+)$/.exec(term);
    if (m) return m[1] === '!' ? (l) => !(m![2]! in l) : (l) => m![2]! in l;
    throw new SelectorError(`unable to parse requirement: ${term}`);
  });
  return (o) => {
    const labels = (metaOf(o).labels ?? {}) as Record<string, string>;
    return checks.every((c) => c(labels));
  };
}

const FIELDS: Record<string, (o: Json) => unknown> = {
  'metadata.name': (o) => metaOf(o).name,
  'metadata.namespace': (o) => metaOf(o).namespace,
};

export function fieldSelector(text: string | null): Matcher {
  if (text === null || text.trim() === '') return () => true;
  const checks = terms(text).map((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    const get = m ? FIELDS[m[1]!] : undefined;
    if (!m || get === undefined) throw new SelectorError(`field label not supported: ${term}`);
    const value = m[3]!;
    return m[2] === '!=' ? (o: Json) => get(o) !== value : (o: Json) => get(o) === value;
  });
  return (o) => checks.every((c) => c(o));
}
