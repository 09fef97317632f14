/**
 * The fault rules as the admin page reads them (`/admin/faults.json`): each rule's selector, its
 * toxics with how many requests (attempts) each was applied to so far (the `rt:faults:applied`
 * counters), and which of the services and clients the router knows right now it selects. A
 * selector is judged by the rule itself (FaultRule.selectsService / selectsClient), the same code
 * the data path asks, so the page never marks what the router would not fault or misses what it
 * would. A header selector cannot be judged without a request: a rule with one is reported as
 * selecting its services and clients, with `header` saying which requests of theirs.
 */
import type { Toxic } from '../../chaos/toxics.js';
import type { FaultRule } from './fault-rule.js';

/** Most service and client names listed per rule; past it, `more` counts the rest. */
export const MAX_MATCHES = 50;

export interface ToxicReport {
  readonly name: string;
  readonly type: string;
  readonly stream: string;
  readonly toxicity: number;
  readonly attributes: Record<string, unknown>;
  readonly applied: number;
}

export interface RuleReport {
  readonly name: string;
  /** The service prefix (Toxiproxy's `listen`), or `*`. */
  readonly service: string;
  /** The client prefix (Toxiproxy's `upstream`), or `*`. */
  readonly client: string;
  /** `name` or `name: value`; null: any request. */
  readonly header: string | null;
  readonly enabled: boolean;
  /** Whether the rule changes any request now (disabled, or with a toxic); only live rules match. */
  readonly live: boolean;
  readonly toxics: ToxicReport[];
  /** Requests a disabled rule refused so far. */
  readonly refused: number;
  /** Every toxic's applied count plus `refused`. */
  readonly applied: number;
  readonly matches: {
    readonly services: string[];
    readonly clients: string[];
    /** Names selected beyond MAX_MATCHES, not listed. */
    readonly more: { readonly services: number; readonly clients: number };
  };
}

export interface FaultReport {
  readonly rules: RuleReport[];
}

function bounded(names: readonly string[], keep: (name: string) => boolean): { list: string[]; more: number } {
  const list: string[] = [];
  let more = 0;
  for (const name of names) {
    if (!keep(name)) continue;
    if (list.length < MAX_MATCHES) list.push(name);
    else more++;
  }
  return { list: list.sort(), more };
}

export function reportRules(
  rules: readonly FaultRule[],
  services: readonly string[],
  clients: readonly string[],
  applied: (key: Toxic | FaultRule) => number,
): FaultReport {
  return {
    rules: rules.map((rule) => {
      const toxics = rule.allToxics.map((t) => ({
        name: t.name,
        type: t.type,
        stream: t.stream,
        toxicity: t.toxicity,
        attributes: { ...t.attributes },
        applied: applied(t),
      }));
      const refused = applied(rule);
      const live = rule.live;
      const s = bounded(services, (n) => live && rule.selectsService(n));
      const c = bounded(clients, (n) => live && rule.selectsClient(n));
      return {
        name: rule.name,
        service: rule.listen,
        client: rule.upstream,
        header: rule.header?.text ?? null,
        enabled: rule.enabled,
        live,
        toxics,
        refused,
        applied: toxics.reduce((sum, t) => sum + t.applied, refused),
        matches: { services: s.list, clients: c.list, more: { services: s.more, clients: c.more } },
      };
    }),
  };
}
