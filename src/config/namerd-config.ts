/**
 * namerd's configuration: defaults, the optional YAML file (`--config`) and flags, merged in
 * that order, validated in one pass that lists every problem, then frozen. Nothing here binds a
 * port or opens a store; the caller does that only once the whole configuration is valid.
 */

import { readSection } from './config-schema.js';
import { type LogFormat, logSettings } from './log-config.js';
import { type NamerConfig, namerConfig, namerFlag } from './namer-config.js';
import { NAMERD_FIELDS } from './namerd-keys.js';
import { deepFreeze, type HostPort, Problems, type Raw } from './validation.js';
import { yamlMapping } from './yaml-text.js';

export interface NamerdConfig {
  readonly listen: HostPort;
  readonly admin: HostPort;
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
  /** Bind budget of /api/1/bind and /api/1/delegate. */
  readonly maxDentries: number;
  readonly maxBindLookups: number;
  readonly namers: readonly NamerConfig[];
  readonly log: { readonly level: string; readonly format: LogFormat };
}

/** Flags as the CLI parsed them; undefined means "not given". */
export interface NamerdFlags {
  readonly listen?: string;
  readonly admin?: string;
  readonly store?: string;
  readonly tokenFile?: string;
  readonly historyLimit?: string;
  readonly namers?: readonly string[];
  readonly logLevel?: string;
  readonly logFormat?: string;
}

/** Parses the YAML text (if any) and the flags into a validated, frozen config, or throws SY_ERR_CONFIG_INVALID. */
export function namerdConfig(
  yamlText: string | Raw | null,
  flags: NamerdFlags = {},
  source = 'config',
  problems = new Problems(),
): NamerdConfig {
  // The linkerd format (namerd-linkerd-format.ts) hands over its translated mapping and its Problems.
  const file = typeof yamlText === 'string' || yamlText === null ? yamlMapping(yamlText, source, problems) : yamlText;
  const scalars = readSection(NAMERD_FIELDS, file, '', problems, {
    listen: flags.listen,
    admin: flags.admin,
    store: flags.store,
    tokenFile: flags.tokenFile,
    historyLimit: flags.historyLimit,
  }) as unknown as Omit<NamerdConfig, 'namers' | 'log'>;

  const namers: NamerConfig[] = [];
  const fileNamers = file.namers ?? [];
  if (!Array.isArray(fileNamers)) problems.add('namers', 'must be a list');
  else for (const [i, n] of fileNamers.entries()) push(namers, namerConfig(n, `namers[${i}]`, problems));
  for (const flag of flags.namers ?? []) push(namers, namerFlag(flag, problems));

  const log = logSettings(file.log, { level: flags.logLevel, format: flags.logFormat }, problems);

  if (!problems.ok) throw problems.error();
  // A namerd on a system-chosen port (tests, a second namerd on one machine) would otherwise
  // collide on the fixed default admin port.
  const admin =
    flags.admin === undefined && file.admin === undefined && scalars.listen.port === 0
      ? { host: scalars.admin.host, port: 0 }
      : scalars.admin;
  return deepFreeze({ ...scalars, admin, namers, log });
}

function push<T>(list: T[], value: T | undefined): void {
  if (value !== undefined) list.push(value);
}
