/**
 * One fault rule of the router, a "proxy" in Toxiproxy's API: which requests it selects (the
 * service as the router names it, the client it is bound to, optionally a header) and the
 * toxics it applies to them. `listen` holds the service prefix and `upstream` the client prefix,
 * so Toxiproxy's clients create rules unchanged. What a valid rule is lives in
 * src/chaos/fault-rule-spec.ts (the registry checks the configs it pushes with it too); a rule is
 * parsed whole from its JSON before anything is stored.
 */
import type { ToxiproxyProxy } from '../../chaos/api.js';
import {
  type HeaderSelector,
  parseRuleSpec,
  type RuleFields,
  type RuleJson,
  type RuleSpec,
  ruleJson,
} from '../../chaos/fault-rule-spec.js';
import { ToxicList } from '../../chaos/toxic-list.js';
import type { Stream, Toxic } from '../../chaos/toxics.js';
import type { HeaderList } from '../core/exchange.js';

/** A rule's fields from JSON, or Toxiproxy's answer to the first problem; `current` fills what is left out. */
export function parseRule(raw: unknown, current?: RuleFields): RuleSpec {
  const parsed = parseRuleSpec(raw, current);
  if ('problems' in parsed) throw parsed.problems[0]!.error;
  return parsed.spec;
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
  readonly #toxics: ToxicList;

  constructor(spec: RuleSpec) {
    this.name = spec.name;
    this.listen = spec.listen;
    this.upstream = spec.upstream;
    this.header = spec.header;
    this.enabled = spec.enabled;
    this.#toxics = new ToxicList(spec.toxics);
  }

  /** Whether the rule can change any request (a rule with no toxics, enabled, changes nothing). */
  get live(): boolean {
    return !this.enabled || this.#toxics.all.length > 0;
  }

  get allToxics(): readonly Toxic[] {
    return this.#toxics.all;
  }

  matches(service: string, client: string, headers: HeaderList): boolean {
    return (
      this.selectsService(service) &&
      this.selectsClient(client) &&
      (this.header === null || hasHeader(headers, this.header))
    );
  }

  /** Whether requests named `service` (as the router names them, `/svc/web`) can be selected. */
  selectsService(service: string): boolean {
    return selects(this.listen, service);
  }

  /** Whether requests bound to `client` (a bound id) can be selected. */
  selectsClient(client: string): boolean {
    return selects(this.upstream, client);
  }

  toxics(stream: Stream): readonly Toxic[] {
    return this.#toxics.of(stream);
  }

  toxic(name: string): Toxic {
    return this.#toxics.get(name);
  }

  addToxic(toxic: Toxic): void {
    this.#toxics.add(toxic);
  }

  removeToxic(name: string): Toxic {
    return this.#toxics.remove(name);
  }

  resetToxics(): readonly Toxic[] {
    return this.#toxics.clear();
  }

  toJSON(): RuleJson {
    const { name, listen, upstream, header, enabled } = this;
    return ruleJson({ name, listen, upstream, header, enabled, toxics: this.#toxics.all });
  }
}
