/**
 * A fault config as the registry stores and pushes it (docs/registry-and-traffic.md#faults-by-label):
 * one proxy object of the router's Toxiproxy-compatible fault API — `name`, the service it matches
 * (`listen`), the client it matches (`upstream`), an optional `header`, `enabled` — with its
 * `toxics`. It is checked whole here by the routers' own parser (src/chaos/fault-rule-spec.ts), so
 * a bad config is refused once with a clear message instead of by every pod, and nothing is stored
 * or pushed. What is stored is the normalised form (defaults filled in, as a router prints the
 * rule), which is exactly what pods receive.
 */
import { parseRuleSpec, RULE_FIELDS, type RuleJson, ruleJson } from '../chaos/fault-rule-spec.js';
import { MAX_TOXICS } from '../chaos/toxics.js';
import { createError } from '../errors.js';

/** Ceilings of what the registry holds: per label, labels with faults, and one add's body. */
export const FAULT_LIMITS = {
  /** Well under a router's own ceiling of proxies, so a pod never refuses a label's whole set. */
  perLabel: 32,
  /** Labels that have faults; also bounds the per-label gauge's series. */
  labels: 256,
  toxics: MAX_TOXICS,
  /** Body of one add (a config with 32 toxics is about 6 KiB). */
  bodyBytes: 64 * 1024,
} as const;

export type FaultConfig = RuleJson;

const invalid = (problems: readonly string[]) => createError('SY_ERR_INVALID_FAULT', [problems.join('; ')]);

/**
 * The config from a request body, every problem listed; SY_ERR_INVALID_FAULT when there is one.
 * Stricter than a router in one way: a field that is not a rule's is refused (a router ignores
 * it, so it would be a typo nobody hears of).
 */
export function parseFaultConfig(raw: unknown): FaultConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid(['the body must be a JSON object (one proxy with its toxics)']);
  }
  const problems: string[] = [];
  const unknown = Object.keys(raw).filter((k) => !RULE_FIELDS.has(k));
  if (unknown.length > 0) problems.push(`${unknown.slice(0, 5).join(', ')}: unknown field`);
  const parsed = parseRuleSpec(raw);
  if ('problems' in parsed) problems.push(...parsed.problems.map((p) => `${p.field}: ${p.detail}`));
  if (problems.length > 0 || !('spec' in parsed)) throw invalid(problems);
  return ruleJson(parsed.spec);
}
