/**
 * Small building blocks for validating configuration: every check records a problem with the
 * key it concerns instead of throwing, so one run reports everything that is wrong, and the
 * caller turns the list into SY_ERR_CONFIG_INVALID (the CLI then exits 64 before binding a port).
 */
import { createError, type SwitchyardError } from '../errors.js';

export class Problems {
  readonly list: string[] = [];

  add(key: string, problem: string): void {
    this.list.push(`${key}: ${problem}`);
  }

  get ok(): boolean {
    return this.list.length === 0;
  }

  /**
   * A view whose problems are also recorded here under another name: the linkerd format is
   * validated by the flat format's validator, and each problem must name the key the user wrote.
   */
  renamed(rename: (key: string) => string): Problems {
    const parent = this;
    return new (class extends Problems {
      override add(key: string, problem: string): void {
        super.add(key, problem);
        // Blocks shared by several routers (namers:, admin:) are checked once per router; listed once.
        const named = rename(key);
        if (!parent.list.includes(`${named}: ${problem}`)) parent.add(named, problem);
      }
    })();
  }

  error(): SwitchyardError {
    return createError('SY_ERR_CONFIG_INVALID', [this.list.map((p) => `\n  - ${p}`).join('')]);
  }
}

export type Raw = Record<string, unknown>;

export function isObject(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reports keys the schema does not know (usually typos) instead of ignoring them. */
export function unknownKeys(raw: Raw, known: readonly string[], where: string, problems: Problems): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) problems.add(where ? `${where}.${key}` : key, `unknown key (known: ${known.join(', ')})`);
  }
}

export function integer(value: unknown, key: string, min: number, max: number, problems: Problems): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    problems.add(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return n;
}

export function string(value: unknown, key: string, problems: Problems): string | undefined {
  if (typeof value !== 'string' || value === '') {
    problems.add(key, `must be a non-empty string, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return value;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces is never the default; loopback is). */
export function hostPort(value: unknown, key: string, problems: Problems): HostPort | undefined {
  const text = string(value, key, problems);
  if (text === undefined) return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    problems.add(key, `must be host:port (e.g. 127.0.0.1:4180), got ${JSON.stringify(value)}`);
    return undefined;
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
