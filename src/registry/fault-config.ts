/**
 * A fault config as the registry stores and pushes it (docs/registry-and-traffic.md#faults-by-label):
 * one proxy object of the router's Toxiproxy-compatible fault API — `name`, the service it matches
 * (`listen`), the client it matches (`upstream`), an optional `header`, `enabled` — with its
 * `toxics`. It is checked whole here, with the same toxic parsing the routers use, so a bad config
 * is refused once with a clear message instead of by every pod, and nothing is stored or pushed.
 * What is stored is the normalised form (defaults filled in), which is exactly what pods receive.
 */
import { ApiError } from '../chaos/api-error.js';
import { MAX_TOXICS, NAME_PATTERN, parseToxic, ROUTER_TOXIC_TYPES, toxicJson } from '../chaos/toxics.js';
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

export interface FaultConfig {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly header?: string;
  readonly enabled: boolean;
  readonly toxics: readonly Record<string, unknown>[];
}

const FIELDS = new Set(['name', 'listen', 'upstream', 'header', 'enabled', 'toxics']);
/**
 * The routers' own rules for a rule's fields: a logical-name or bound-id prefix (`/svc/web`,
 * `/$/inet/127.0.0.1/7002`) or `*`; a header name, and a value of visible ASCII. The router's
 * parser lives in src/router/faults/, which the registry may not import (the same layer), so
 * they are restated here; test/integration/registry-faults-agree.test.ts keeps the two in step.
 */
const PREFIX = /^(?:\*|\/[\x21-\x7e]{0,511})$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
const HEADER_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]{0,1022}[\x21-\x7e])?$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const invalid = (problems: readonly string[]) => createError('SY_ERR_INVALID_FAULT', [problems.join('; ')]);

function parseHeader(raw: unknown, problems: string[]): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') {
    problems.push('header: must be "NAME" or "NAME: VALUE"');
    return undefined;
  }
  const colon = raw.indexOf(':');
  const name = (colon < 0 ? raw : raw.slice(0, colon)).trim();
  const value = colon < 0 ? undefined : raw.slice(colon + 1).trim();
  if (!HEADER_NAME.test(name) || (value !== undefined && !HEADER_VALUE.test(value))) {
    problems.push(`header: must be "NAME" or "NAME: VALUE", got ${JSON.stringify(raw.slice(0, 80))}`);
  }
  return raw;
}

/** Each toxic through the routers' own parser; a problem names the toxic by its place in the list. */
function parseToxics(raw: unknown, problems: string[]): Record<string, unknown>[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.push('toxics: must be a list of toxics');
    return [];
  }
  if (raw.length > FAULT_LIMITS.toxics) {
    problems.push(`toxics: at most ${FAULT_LIMITS.toxics}, got ${raw.length}`);
    return [];
  }
  const toxics: Record<string, unknown>[] = [];
  const names = new Set<string>();
  raw.forEach((item, i) => {
    try {
      const toxic = parseToxic(item, ROUTER_TOXIC_TYPES);
      if (names.has(toxic.name)) problems.push(`toxics[${i}]: the name ${toxic.name} appears twice`);
      names.add(toxic.name);
      toxics.push(toxicJson(toxic));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      problems.push(`toxics[${i}]: ${e.message}`);
    }
  });
  return toxics;
}

/** The config from a request body, every problem listed; SY_ERR_INVALID_FAULT when there is one. */
export function parseFaultConfig(raw: unknown): FaultConfig {
  if (!isRecord(raw)) throw invalid(['the body must be a JSON object (one proxy with its toxics)']);
  const problems: string[] = [];
  const unknown = Object.keys(raw).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) problems.push(`${unknown.slice(0, 5).join(', ')}: unknown field`);
  const { name, upstream, enabled } = raw;
  const listen = raw.listen === undefined || raw.listen === '' ? '*' : raw.listen;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    problems.push('name: must be 1 to 64 letters, digits, "_", "-" or "."');
  }
  // As in Toxiproxy the upstream is required; the service (`listen`) defaults to any.
  for (const [key, value] of [
    ['listen', listen],
    ['upstream', upstream],
  ] as const) {
    if (typeof value !== 'string' || !PREFIX.test(value)) {
      problems.push(`${key}: must be "*" or a path prefix such as /svc/web (at most 512 characters)`);
    }
  }
  if (enabled !== undefined && typeof enabled !== 'boolean') problems.push('enabled: must be true or false');
  const header = parseHeader(raw.header, problems);
  const toxics = parseToxics(raw.toxics, problems);
  if (problems.length > 0) throw invalid(problems);
  return {
    name: name as string,
    listen: listen as string,
    upstream: upstream as string,
    ...(header === undefined ? {} : { header }),
    enabled: (enabled as boolean | undefined) ?? true,
    toxics,
  };
}
