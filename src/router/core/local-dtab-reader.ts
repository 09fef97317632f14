/**
 * Reads a request's `l5d-ctx-dtab` and `l5d-dtab` into its request-local dtab (at most
 * `maxDentries` entries), refused at once when overrides are off; what the dtab binds to is
 * judged later, per name, by `judge` (the override policy). Parsed values are memoised by their
 * text, errors too, so a header seen before costs a map lookup, and a caller repeating a bad
 * header cannot make the router parse it again and again.
 */
import type { Dtab } from '../../dtab/dtab.js';
import type { Path } from '../../dtab/path.js';
import {
  DEFAULT_MAX_DENTRIES,
  DTAB_HEADERS_LIMIT,
  L5D_CTX_DTAB,
  L5D_DTAB,
  readL5dDtabHeaders,
} from '../../dtab/request-dtab.js';
import type { OverridePolicy, OverrideVerdict } from './dtab-override-policy.js';

export interface LocalDtab {
  readonly dtab: Dtab;
  /** Identifies the dtab in route keys. */
  readonly key: string;
  /** The value for l5d-ctx-dtab downstream. */
  readonly shown: string;
}

type HeaderValue = string | string[] | undefined;

const CAPACITY = 1000;

export class LocalDtabReader {
  readonly #cache = new Map<string, LocalDtab | Error>();

  constructor(
    private readonly policy: OverridePolicy,
    private readonly maxDentries = DEFAULT_MAX_DENTRIES,
  ) {}

  /** What `name` may bind to through base ++ local; throws the policy's refusal or the bind budget. */
  judge(base: Dtab, local: Dtab, name: Path): OverrideVerdict {
    return this.policy.judge(base, local, name);
  }

  /** Null when the request carries no dtab headers; throws the registry error (400/403/431) otherwise. */
  read(ctx: HeaderValue, user: HeaderValue): LocalDtab | null {
    if (ctx === undefined && user === undefined) return null;
    const key = `${join(ctx)}\u0000${join(user)}`;
    let hit = this.#cache.get(key);
    if (hit === undefined) {
      hit = this.#parse(ctx, user);
      // Least recently inserted goes first; enough to bound memory against many distinct headers.
      if (this.#cache.size >= CAPACITY) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(key, hit);
    }
    if (hit instanceof Error) throw hit;
    return hit.dtab.isEmpty ? null : hit;
  }

  #parse(ctx: HeaderValue, user: HeaderValue): LocalDtab | Error {
    try {
      const pairs: [string, string][] = [];
      for (const v of values(ctx)) pairs.push([L5D_CTX_DTAB, v]);
      for (const v of values(user)) pairs.push([L5D_DTAB, v]);
      const dtab = readL5dDtabHeaders(pairs, DTAB_HEADERS_LIMIT, this.maxDentries);
      this.policy.check(dtab);
      const shown = dtab.show();
      return { dtab, key: shown, shown };
    } catch (e) {
      return e as Error;
    }
  }
}

function values(v: HeaderValue): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function join(v: HeaderValue): string {
  return v === undefined ? '' : Array.isArray(v) ? v.join('\u0001') : v;
}
