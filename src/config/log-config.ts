/**
 * Log settings every role shares: pino's levels, and JSON, readable, or readable-on-a-TTY output,
 * read from a config file's `log:` block and/or the `--log-level` / `--log-format` flags.
 */
import { isObject, type Problems, unknownKeys } from './validation.js';

export type LogFormat = 'json' | 'pretty' | 'auto';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LogSettings {
  readonly level: string;
  readonly format: LogFormat;
}

/**
 * The log settings from a `log:` mapping (may be absent) and flags, which win. Problems are
 * named by the config key, or by the flag when the value came from one.
 */
export function logSettings(
  raw: unknown,
  flags: { readonly level?: string | undefined; readonly format?: string | undefined },
  problems: Problems,
): LogSettings {
  if (raw !== undefined && !isObject(raw)) problems.add('log', 'must be a mapping');
  const file = isObject(raw) ? raw : {};
  unknownKeys(file, ['level', 'format'], 'log', problems);
  const level = String(flags.level ?? file.level ?? 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    problems.add(flags.level === undefined ? 'log.level' : '--log-level', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const format = String(flags.format ?? file.format ?? 'auto');
  if (!['json', 'pretty', 'auto'].includes(format)) {
    problems.add(flags.format === undefined ? 'log.format' : '--log-format', 'must be json, pretty or auto');
  }
  return { level, format: format as LogFormat };
}
