/**
 * One fault rule of the router, a "proxy" in Toxiproxy's API: which requests it selects (the
 * service as the router names it, the client it is bound to, optionally a header) and the
 * toxics it applies to them. `listen` holds the service prefix and `upstream` the client prefix,
 * so Toxiproxy's clients create rules unchanged. A rule is parsed whole from its JSON before
 * anything is stored.
 */
import type { ToxiproxyProxy } from '../../chaos/api.js';
import { ApiError, badBody, toxicNotFound } from '../../chaos/api-error.js';
import {
  MAX_TOXICS,
  NAME_PATTERN,
  parseToxic,
  ROUTER_TOXIC_TYPES,
  type Stream,
  type Toxic,
  toxicJson,
} from '../../chaos/toxics.js';
import type { HeaderList } from '../core/exchange.js';

/** `*`, or a path prefix: `/svc/web`, `/#/io.l5d.fs/gen`, `/$/inet/127.0.0.1/7002`. */
const PREFIX = /^\/[\x21-\x7e]{0,511}$/;
/** An HTTP header name (RFC 9110 token), lower-cased for matching. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
/** A header value: visible ASCII and inner spaces, as matched after trimming. */
const HEADER_VALUE = /^[\x21-\x7e]([\x20-\x7e]{0,1022}[\x21-\x7e])?$/;

export interface HeaderSelector {
  /** Lower case. */
  readonly name: string;
  /** Exact value (after trimming); undefined: any value. */
  readonly value: string | undefined;
  readonly text: string;
}

export interface RuleSpec {
  readonly name: string;
  /** The service prefix, or `*`. */
  readonly listen: string;
  /** The client (bound id) prefix, or `*`. */
  readonly upstream: string;
  readonly header: HeaderSelector | null;
  readonly enabled: boolean;
  /** Toxics given with the rule (an extension of Toxiproxy's create and populate). */
  readonly toxics: readonly Toxic[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function prefix(key: 'listen' | 'upstream', raw: unknown): string {
  if (typeof raw !== 'string') throw badBody(`${key} must be a string`);
  if (raw === '*') return raw;
  if (!PREFIX.test(raw)) {
    throw badBody(`${key} must be "*" or a path prefix of at most 512 visible characters starting with "/"`);
  }
  // `/svc/web/` selects what `/svc/web` does.
  return raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw;
}

export function parseHeader(raw: unknown): HeaderSelector | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string') throw badBody('header must be a string: "NAME" or "NAME: VALUE"');
  const colon = raw.indexOf(':');
  const name = (colon < 0 ? raw : raw.slice(0, colon)).trim();
  const value = colon < 0 ? undefined : raw.slice(colon + 1).trim();
  if (!HEADER_NAME.test(name)) throw badBody('header name must be 1 to 256 token characters');
  if (value !== undefined && !HEADER_VALUE.test(value)) {
    throw badBody('header value must be 1 to 1024 visible ASCII characters');
  }
  const lower = name.toLowerCase();
  return { name: lower, value, text: value === undefined ? lower : `${lower}: ${value}` };
}

/** A rule's fields from JSON, in Toxiproxy's order of complaints; `current` fills what is left out. */
export function parseRule(raw: unknown, current?: FaultRule): RuleSpec {
  if (!isRecord(raw)) throw badBody('expected a JSON object');
  const name = current?.name ?? raw.name;
  if (name === undefined || name === '') throw new ApiError('missing required field: name', 400);
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw badBody('name must be 1 to 64 letters, digits, "_", "-" or "."');
  }
  if (current === undefined && (raw.upstream === undefined || raw.upstream === '')) {
    throw new ApiError('missing required field: upstream', 400);
  }
  const listen =
    raw.listen === undefined || raw.listen === '' ? (current?.listen ?? '*') : prefix('listen', raw.listen);
  const upstream =
    raw.upstream === undefined || raw.upstream === '' ? current!.upstream : prefix('upstream', raw.upstream);
  const header = raw.header === undefined ? (current?.header ?? null) : parseHeader(raw.header);
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') throw badBody('enabled must be true or false');
  const enabled = (raw.enabled as boolean | undefined) ?? current?.enabled ?? true;
  const toxics: Toxic[] = [];
  if (current === undefined && raw.toxics !== undefined && raw.toxics !== null) {
    if (!Array.isArray(raw.toxics)) throw badBody('toxics must be a list');
    if (raw.toxics.length > MAX_TOXICS) throw badBody(`a proxy has at most ${MAX_TOXICS} toxics`);
    for (const item of raw.toxics) {
      const toxic = parseToxic(item, ROUTER_TOXIC_TYPES);
      if (toxics.some((t) => t.name === toxic.name)) throw new ApiError('toxic already exists', 409);
      toxics.push(toxic);
    }
  }
  return { name, listen, upstream, header, enabled, toxics };
}

/** Whether `prefix` selects `name`, segment by segment: `/svc/web` selects `/svc/web/x`, not `/svc/webby`. */
export function selects(prefix: string, name: string): boolean {
  if (prefix === '*' || prefix === '/') return true;
  return name.startsWith(prefix) && (name.length === prefix.length || name.charCodeAt(prefix.length) === 47);
}

function hasHeader(headers: HeaderList, selector: HeaderSelector): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== selector.name) continue;
    if (selector.value === undefined || headers[i + 1]!.trim() === selector.value) return true;
  }
  return false;
}

export class FaultRule implements ToxiproxyProxy {
  readonly name: string;
  listen: string;
  upstream: string;
  header: HeaderSelector | null;
  enabled: boolean;
  #toxics: Toxic[];

  constructor(spec: RuleSpec) {
    this.name = spec.name;
    this.listen = spec.listen;
    this.upstream = spec.upstream;
    this.header = spec.header;
    this.enabled = spec.enabled;
    this.#toxics = [...spec.toxics];
  }

  /** Whether the rule can change any request (a rule with no toxics, enabled, changes nothing). */
  get live(): boolean {
    return !this.enabled || this.#toxics.length > 0;
  }

  get allToxics(): readonly Toxic[] {
    return this.#toxics;
  }

  matches(service: string, client: string, headers: HeaderList): boolean {
    return (
      selects(this.listen, service) &&
      selects(this.upstream, client) &&
      (this.header === null || hasHeader(headers, this.header))
    );
  }

  toxics(stream: Stream): readonly Toxic[] {
    return this.#toxics.filter((t) => t.stream === stream);
  }

  toxic(name: string): Toxic {
    const found = this.#toxics.find((t) => t.name === name);
    if (found === undefined) throw toxicNotFound();
    return found;
  }

  addToxic(toxic: Toxic): void {
    if (this.#toxics.some((t) => t.name === toxic.name)) throw new ApiError('toxic already exists', 409);
    if (this.#toxics.length >= MAX_TOXICS) throw badBody(`a proxy has at most ${MAX_TOXICS} toxics`);
    this.#toxics = [...this.#toxics, toxic];
  }

  removeToxic(name: string): Toxic {
    const toxic = this.toxic(name);
    this.#toxics = this.#toxics.filter((t) => t !== toxic);
    return toxic;
  }

  resetToxics(): Toxic[] {
    const gone = this.#toxics;
    this.#toxics = [];
    return gone;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      ...(this.header === null ? {} : { header: this.header.text }),
      toxics: this.#toxics.map(toxicJson),
    };
  }
}
