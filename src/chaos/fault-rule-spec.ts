/**
 * A router fault rule as data, a "proxy" of the router's Toxiproxy-compatible fault API: its
 * `name`, the services it selects (`listen`, a service prefix or `*`), the clients it selects
 * (`upstream`, a bound-id prefix or `*`), an optional `header`, `enabled`, and its `toxics`.
 * This is the one definition of what a valid rule is. Both of its users parse with it: the router,
 * which holds rules and answers the first problem with Toxiproxy's 400 (or 409), and the registry,
 * which checks a config before storing and pushing it to routers and lists every problem. So
 * the parser collects every problem, each with both renderings, and each caller picks its own.
 */
import { ApiError, badBody } from './api-error.js';
import { tooManyToxics, toxicExists } from './toxic-list.js';
import { MAX_TOXICS, NAME_PATTERN, parseToxic, ROUTER_TOXIC_TYPES, type Toxic, toxicJson } from './toxics.js';

/** `*`, or a path prefix: `/svc/web`, `/#/io.l5d.fs/gen`, `/$/inet/127.0.0.1/7002`. */
const PREFIX = /^\/[\x21-\x7e]{0,511}$/;
/** An HTTP header name (RFC 9110 token), lower-cased for matching. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
/** A header value: visible ASCII and inner spaces, as matched after trimming. */
const HEADER_VALUE = /^[\x21-\x7e]([\x20-\x7e]{0,1022}[\x21-\x7e])?$/;

const NAME_RULE = 'must be 1 to 64 letters, digits, "_", "-" or "."';
const PREFIX_RULE = 'must be "*" or a path prefix of at most 512 visible characters starting with "/"';

/** The fields a rule has, in Toxiproxy's JSON; a registry config has no others. */
export const RULE_FIELDS: ReadonlySet<string> = new Set(['name', 'listen', 'upstream', 'header', 'enabled', 'toxics']);

export interface HeaderSelector {
  /** Lower case. */
  readonly name: string;
  /** Exact value (after trimming); undefined: any value. */
  readonly value: string | undefined;
  /** The normal form, `name` or `name: value`, as the rule prints it. */
  readonly text: string;
}

/** What a rule selects and whether it is on: what an update may change. */
export interface RuleFields {
  readonly name: string;
  /** The service prefix, or `*`. */
  readonly listen: string;
  /** The client (bound id) prefix, or `*`. */
  readonly upstream: string;
  readonly header: HeaderSelector | null;
  readonly enabled: boolean;
}

export interface RuleSpec extends RuleFields {
  /** Toxics given with the rule (an extension of Toxiproxy's create and populate). */
  readonly toxics: readonly Toxic[];
}

/** A rule as Toxiproxy's API prints it, and as the registry stores and pushes it. */
export type RuleJson = {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  readonly header?: string;
  readonly toxics: readonly Record<string, unknown>[];
};

export interface RuleProblem {
  /** The field, or a toxic by its place in the list: `name`, `toxics[1]`. */
  readonly field: string;
  /** What is wrong with it, to follow `field: ` in a list of problems. */
  readonly detail: string;
  /** Toxiproxy's answer to it, as the router gives it. */
  readonly error: ApiError;
}

export type RuleParse = { readonly spec: RuleSpec } | { readonly problems: readonly RuleProblem[] };

/** A problem whose Toxiproxy answer is "bad request body: FIELD DETAIL" unless another is given. */
function problem(field: string, detail: string, error = badBody(`${field} ${detail}`)): RuleProblem {
  return { field, detail, error };
}

const missing = (field: string, detail: string) =>
  problem(field, detail, new ApiError(`missing required field: ${field}`, 400));

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function prefix(key: 'listen' | 'upstream', raw: unknown, problems: RuleProblem[]): string {
  if (typeof raw !== 'string') {
    problems.push(problem(key, 'must be a string'));
    return '*';
  }
  if (raw === '*') return raw;
  if (!PREFIX.test(raw)) problems.push(problem(key, PREFIX_RULE));
  // `/svc/web/` selects what `/svc/web` does. Every trailing `/` goes, so that the printed form
  // parses to itself: the registry stores that form and routers parse it again.
  let out = raw;
  while (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out;
}

function parseHeader(raw: unknown, problems: RuleProblem[]): HeaderSelector | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string') {
    problems.push(problem('header', 'must be a string: "NAME" or "NAME: VALUE"'));
    return null;
  }
  const colon = raw.indexOf(':');
  const name = (colon < 0 ? raw : raw.slice(0, colon)).trim();
  const value = colon < 0 ? undefined : raw.slice(colon + 1).trim();
  if (!HEADER_NAME.test(name)) problems.push(problem('header', 'name must be 1 to 256 token characters'));
  if (value !== undefined && !HEADER_VALUE.test(value)) {
    problems.push(problem('header', 'value must be 1 to 1024 visible ASCII characters'));
  }
  const lower = name.toLowerCase();
  return { name: lower, value, text: value === undefined ? lower : `${lower}: ${value}` };
}

/** Each toxic through the toxics' own parser; a problem names the toxic by its place in the list. */
function parseToxics(raw: unknown, problems: RuleProblem[]): Toxic[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.push(problem('toxics', 'must be a list'));
    return [];
  }
  if (raw.length > MAX_TOXICS) {
    problems.push(problem('toxics', `at most ${MAX_TOXICS}, got ${raw.length}`, tooManyToxics()));
    return [];
  }
  const toxics: Toxic[] = [];
  raw.forEach((item, i) => {
    try {
      const toxic = parseToxic(item, ROUTER_TOXIC_TYPES);
      if (toxics.some((t) => t.name === toxic.name)) {
        problems.push(problem(`toxics[${i}]`, `the name ${toxic.name} appears twice`, toxicExists()));
      } else toxics.push(toxic);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      problems.push(problem(`toxics[${i}]`, e.message, e));
    }
  });
  return toxics;
}

/**
 * A rule from JSON, every problem listed in Toxiproxy's order of complaints (so the first is the
 * one Toxiproxy would answer). With `current` it is an update: the name is the rule's, what is
 * left out keeps its value, and toxics are not taken (they change through their own routes).
 * Fields other than the rule's are ignored, as Toxiproxy does.
 */
export function parseRuleSpec(raw: unknown, current?: RuleFields): RuleParse {
  if (!isRecord(raw))
    return { problems: [problem('body', 'expected a JSON object', badBody('expected a JSON object'))] };
  const problems: RuleProblem[] = [];
  const name = current?.name ?? raw.name;
  if (name === undefined || name === '') problems.push(missing('name', NAME_RULE));
  else if (typeof name !== 'string' || !NAME_PATTERN.test(name)) problems.push(problem('name', NAME_RULE));
  // As in Toxiproxy the upstream is required; the service (`listen`) defaults to any.
  const hasUpstream = raw.upstream !== undefined && raw.upstream !== '';
  if (current === undefined && !hasUpstream) problems.push(missing('upstream', PREFIX_RULE));
  const listen =
    raw.listen === undefined || raw.listen === '' ? (current?.listen ?? '*') : prefix('listen', raw.listen, problems);
  const upstream = hasUpstream ? prefix('upstream', raw.upstream, problems) : (current?.upstream ?? '*');
  const header = raw.header === undefined ? (current?.header ?? null) : parseHeader(raw.header, problems);
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') {
    problems.push(problem('enabled', 'must be true or false'));
  }
  const enabled = (raw.enabled as boolean | undefined) ?? current?.enabled ?? true;
  const toxics = current === undefined ? parseToxics(raw.toxics, problems) : [];
  if (problems.length > 0) return { problems };
  return { spec: { name: name as string, listen, upstream, header, enabled, toxics } };
}

/** The JSON of a rule: its fields in normal form, its toxics with every attribute. */
export function ruleJson(rule: RuleSpec): RuleJson {
  return {
    name: rule.name,
    listen: rule.listen,
    upstream: rule.upstream,
    enabled: rule.enabled,
    ...(rule.header === null ? {} : { header: rule.header.text }),
    toxics: rule.toxics.map(toxicJson),
  };
}
