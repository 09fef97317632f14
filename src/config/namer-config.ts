/**
 * Configured namers (linkerd's `namers:` block): each entry names a kind and is mounted under
 * `/#/<prefix>` (the kind's name by default). Shared by namerd and the router.
 */
import type { ApiSettings } from '../namers/k8s/api-connection.js';
import { type Fields, unknownFields } from './config-schema.js';
import { FS_NAMER_FIELDS, K8S_NAMER_FIELDS } from './namer-keys.js';
import { integer, isObject, type Problems, string } from './validation.js';

export interface FsNamerConfig {
  readonly kind: 'io.l5d.fs';
  /** Mount point under /#, without the /# (linkerd's `prefix`). */
  readonly prefix: string;
  readonly rootDir: string;
}

/**
 * `io.l5d.k8s` (docs/k8s-namer.md#configuring-it; linkerd's K8sInitializer): where the API is (at
 * most one of `apiUrl`, linkerd's `host`/`port`, or `kubeconfig`; none means in-cluster when
 * KUBERNETES_SERVICE_HOST is set, else linkerd's default localhost:8001), linkerd's `labelSelector`
 * (a label key whose value becomes a fourth name segment), and the watch clock for tests and odd
 * clusters.
 */
/** How to reach the API (apiUrl, host/port, kubeconfig, in-cluster) is the namer's own ApiSettings. */
export interface K8sNamerConfig extends ApiSettings {
  readonly kind: 'io.l5d.k8s';
  readonly prefix: string;
  readonly labelSelector?: string;
  readonly idleMs?: number;
  readonly inactivityMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
}

export type NamerConfig = FsNamerConfig | K8sNamerConfig;

export const NAMER_KINDS = ['io.l5d.fs', 'io.l5d.k8s'] as const;

/** The keys of a kind (other than `kind`, `prefix` and `port`) that hold a value of `type`. */
function keysOf(fields: Fields, type: 'string' | 'integer'): string[] {
  return Object.entries(fields)
    .filter(([k, f]) => f.kind === type && k !== 'kind' && k !== 'prefix' && k !== 'port')
    .map(([k]) => k);
}

const K8S_STRINGS = keysOf(K8S_NAMER_FIELDS, 'string');
const K8S_DURATIONS = keysOf(K8S_NAMER_FIELDS, 'integer');

function k8sNamerConfig(raw: Record<string, unknown>, key: string, prefix: string, problems: Problems) {
  unknownFields(raw, K8S_NAMER_FIELDS, key, problems);
  const config: Record<string, unknown> = { kind: 'io.l5d.k8s', prefix };
  for (const k of K8S_STRINGS) if (raw[k] !== undefined) config[k] = string(raw[k], `${key}.${k}`, problems);
  for (const k of K8S_DURATIONS)
    if (raw[k] !== undefined) config[k] = integer(raw[k], `${key}.${k}`, 1, 86_400_000, problems);
  if (raw.port !== undefined) config.port = integer(raw.port, `${key}.port`, 1, 65535, problems);
  if (typeof config.apiUrl === 'string' && !/^https?:\/\/[^/]+/.test(config.apiUrl))
    problems.add(`${key}.apiUrl`, `must be an http:// or https:// URL, got ${JSON.stringify(config.apiUrl)}`);
  const given = [
    raw.apiUrl !== undefined && 'apiUrl',
    (raw.host !== undefined || raw.port !== undefined) && 'host/port',
    raw.kubeconfig !== undefined && 'kubeconfig',
  ].filter(Boolean);
  if (given.length > 1) problems.add(key, `give one of apiUrl, host/port and kubeconfig, not ${given.join(' and ')}`);
  return config as unknown as K8sNamerConfig;
}

export function namerConfig(raw: unknown, key: string, problems: Problems): NamerConfig | undefined {
  if (!isObject(raw)) {
    problems.add(key, 'must be a mapping with a kind');
    return undefined;
  }
  const kind = raw.kind;
  if (kind !== 'io.l5d.fs' && kind !== 'io.l5d.k8s') {
    problems.add(`${key}.kind`, `unknown namer kind ${JSON.stringify(kind)} (known: ${NAMER_KINDS.join(', ')})`);
    return undefined;
  }
  const prefix = raw.prefix === undefined ? `/${kind}` : string(raw.prefix, `${key}.prefix`, problems);
  if (prefix !== undefined && !/^(\/[A-Za-z0-9_:.#$%-]+)+$/.test(prefix)) {
    problems.add(`${key}.prefix`, `must be a path such as /${kind}, got ${JSON.stringify(prefix)}`);
  }
  if (kind === 'io.l5d.k8s') return prefix === undefined ? undefined : k8sNamerConfig(raw, key, prefix, problems);
  unknownFields(raw, FS_NAMER_FIELDS, key, problems);
  const rootDir = string(raw.rootDir, `${key}.rootDir`, problems);
  if (rootDir === undefined || prefix === undefined) return undefined;
  return { kind, prefix, rootDir };
}

/** The `--namers kind=arg` shorthand: `io.l5d.fs=./disco`, `io.l5d.k8s=http://127.0.0.1:8001`. */
export function namerFlag(text: string, problems: Problems): NamerConfig | undefined {
  const m = /^([^=]+)=(.+)$/.exec(text);
  if (!m) {
    problems.add('--namers', `expected kind=argument (e.g. io.l5d.fs=./disco), got ${JSON.stringify(text)}`);
    return undefined;
  }
  const arg = m[1] === 'io.l5d.k8s' ? { apiUrl: m[2] } : { rootDir: m[2] };
  return namerConfig({ kind: m[1], ...arg }, `--namers ${m[1]}`, problems);
}
