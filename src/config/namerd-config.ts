/**
 * namerd's configuration: defaults, the optional YAML file (`--config`) and flags, merged in
 * that order, validated in one pass that lists every problem, then frozen. Nothing here binds a
 * port or opens a store; the caller does that only once the whole configuration is valid.
 */

import { type LogFormat, logSettings } from './log-config.js';
import { type NamerConfig, namerConfig, namerFlag } from './namer-config.js';
import {
  deepFreeze,
  type HostPort,
  hostPort,
  integer,
  isObject,
  Problems,
  type Raw,
  string,
  unknownKeys,
} from './validation.js';
import { parseYaml } from './yaml-text.js';

export interface NamerdConfig {
  readonly listen: HostPort;
  /** `file:DIR`, `memory` or `redis://host:port/db`. */
  readonly store: string;
  /** A file holding the bearer token required for writes; null leaves writes open. */
  readonly tokenFile: string | null;
  readonly historyLimit: number;
  readonly heartbeatMs: number;
  readonly requestTimeoutMs: number;
  /** Unsent bytes a watch stream may hold for a client before it is cut off (the client reconnects). */
  readonly watchHighWaterBytes: number;
  /** Longest write message (`X-Dtab-Message`, `?message=`) accepted, in UTF-8 bytes. */
  readonly maxMessageBytes: number;
  readonly namers: readonly NamerConfig[];
  readonly log: { readonly level: string; readonly format: LogFormat };
}

export const NAMERD_DEFAULTS = {
  listen: '127.0.0.1:4180',
  store: 'file:./.switchyard/dtabs',
  tokenFile: null,
  historyLimit: 100,
  heartbeatMs: 10_000,
  requestTimeoutMs: 2_000,
  watchHighWaterBytes: 1024 * 1024,
  maxMessageBytes: 1024,
  namers: [],
  log: { level: 'info', format: 'auto' },
} as const;

/** Flags as the CLI parsed them; undefined means "not given". */
export interface NamerdFlags {
  readonly listen?: string;
  readonly store?: string;
  readonly tokenFile?: string;
  readonly historyLimit?: string;
  readonly namers?: readonly string[];
  readonly logLevel?: string;
  readonly logFormat?: string;
}

const KEYS = [
  'listen',
  'store',
  'tokenFile',
  'historyLimit',
  'heartbeatMs',
  'requestTimeoutMs',
  'watchHighWaterBytes',
  'maxMessageBytes',
  'namers',
  'log',
];

export function storeProblem(spec: string): string | null {
  if (spec === 'memory') return null;
  if (/^file:.+/.test(spec)) return null;
  if (/^redis:\/\/[^/:]+(:\d{1,5})?(\/\d{1,2})?$/.test(spec)) return null;
  return `must be memory, file:DIR or redis://host:port/db, got ${JSON.stringify(spec)}`;
}

/** Parses the YAML text (if any) and the flags into a validated, frozen config, or throws SY_ERR_CONFIG_INVALID. */
export function namerdConfig(yamlText: string | null, flags: NamerdFlags = {}, source = 'config'): NamerdConfig {
  const problems = new Problems();
  let file: Raw = {};
  if (yamlText !== null) {
    try {
      const parsed: unknown = parseYaml(yamlText);
      if (parsed === null || parsed === undefined) file = {};
      else if (isObject(parsed)) file = parsed;
      else problems.add(source, 'must be a YAML mapping');
    } catch (e) {
      problems.add(source, `is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  unknownKeys(file, KEYS, '', problems);
  const pick = <T>(flag: T | undefined, key: string, fallback: unknown): unknown => flag ?? file[key] ?? fallback;

  const listen = hostPort(pick(flags.listen, 'listen', NAMERD_DEFAULTS.listen), 'listen', problems);
  const store = string(pick(flags.store, 'store', NAMERD_DEFAULTS.store), 'store', problems);
  const storeIssue = store === undefined ? null : storeProblem(store);
  if (storeIssue !== null) problems.add('store', storeIssue);
  const tokenFileRaw = pick(flags.tokenFile, 'tokenFile', null);
  const tokenFile = tokenFileRaw === null ? null : (string(tokenFileRaw, 'tokenFile', problems) ?? null);
  const historyLimit = integer(pick(flags.historyLimit, 'historyLimit', 100), 'historyLimit', 1, 100_000, problems);
  const heartbeatMs = integer(pick(undefined, 'heartbeatMs', 10_000), 'heartbeatMs', 50, 3_600_000, problems);
  const requestTimeoutMs = integer(
    pick(undefined, 'requestTimeoutMs', 2_000),
    'requestTimeoutMs',
    10,
    600_000,
    problems,
  );
  const watchHighWaterBytes = integer(
    pick(undefined, 'watchHighWaterBytes', NAMERD_DEFAULTS.watchHighWaterBytes),
    'watchHighWaterBytes',
    1024,
    1024 * 1024 * 1024,
    problems,
  );
  const maxMessageBytes = integer(
    pick(undefined, 'maxMessageBytes', NAMERD_DEFAULTS.maxMessageBytes),
    'maxMessageBytes',
    1,
    64 * 1024,
    problems,
  );

  const namers: NamerConfig[] = [];
  const fileNamers = file.namers ?? [];
  if (!Array.isArray(fileNamers)) problems.add('namers', 'must be a list');
  else for (const [i, n] of fileNamers.entries()) push(namers, namerConfig(n, `namers[${i}]`, problems));
  for (const flag of flags.namers ?? []) push(namers, namerFlag(flag, problems));

  const log = logSettings(file.log, { level: flags.logLevel, format: flags.logFormat }, problems);

  if (!problems.ok) throw problems.error();
  return deepFreeze({
    listen: listen!,
    store: store!,
    tokenFile,
    historyLimit: historyLimit!,
    heartbeatMs: heartbeatMs!,
    requestTimeoutMs: requestTimeoutMs!,
    watchHighWaterBytes: watchHighWaterBytes!,
    maxMessageBytes: maxMessageBytes!,
    namers,
    log,
  });
}

function push<T>(list: T[], value: T | undefined): void {
  if (value !== undefined) list.push(value);
}
