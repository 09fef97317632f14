/**
 * Configured namers (linkerd's `namers:` block): each entry names a kind and is mounted under
 * `/#/<prefix>` (the kind's name by default). Shared by namerd and the router.
 */
import { isObject, type Problems, string, unknownKeys } from './validation.js';

export interface FsNamerConfig {
  readonly kind: 'io.l5d.fs';
  /** Mount point under /#, without the /# (linkerd's `prefix`). */
  readonly prefix: string;
  readonly rootDir: string;
}

export type NamerConfig = FsNamerConfig;

export const NAMER_KINDS = ['io.l5d.fs'] as const;

export function namerConfig(raw: unknown, key: string, problems: Problems): NamerConfig | undefined {
  if (!isObject(raw)) {
    problems.add(key, 'must be a mapping with a kind');
    return undefined;
  }
  const kind = raw.kind;
  if (kind !== 'io.l5d.fs') {
    problems.add(`${key}.kind`, `unknown namer kind ${JSON.stringify(kind)} (known: ${NAMER_KINDS.join(', ')})`);
    return undefined;
  }
  unknownKeys(raw, ['kind', 'prefix', 'rootDir'], key, problems);
  const rootDir = string(raw.rootDir, `${key}.rootDir`, problems);
  const prefix = raw.prefix === undefined ? `/${kind}` : string(raw.prefix, `${key}.prefix`, problems);
  if (prefix !== undefined && !/^(\/[A-Za-z0-9_:.#$%-]+)+$/.test(prefix)) {
    problems.add(`${key}.prefix`, `must be a path such as /io.l5d.fs, got ${JSON.stringify(prefix)}`);
  }
  if (rootDir === undefined || prefix === undefined) return undefined;
  return { kind, prefix, rootDir };
}

/** The `--namers kind=arg` shorthand: `io.l5d.fs=./disco`. */
export function namerFlag(text: string, problems: Problems): NamerConfig | undefined {
  const m = /^([^=]+)=(.+)$/.exec(text);
  if (!m) {
    problems.add('--namers', `expected kind=argument (e.g. io.l5d.fs=./disco), got ${JSON.stringify(text)}`);
    return undefined;
  }
  return namerConfig({ kind: m[1], rootDir: m[2] }, `--namers ${m[1]}`, problems);
}
