/**
 * Log settings every role shares: pino's levels, and JSON, readable, or readable-on-a-TTY output,
 * read from a config file's `log:` block and/or the `--log-level` / `--log-format` flags.
 */
import { type Fields, readSection } from './config-schema.js';
import type { Problems } from './validation.js';

export type LogFormat = 'json' | 'pretty' | 'auto';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const LOG_FIELDS: Fields = {
  level: {
    kind: 'string',
    default: 'info',
    choices: LOG_LEVELS,
    flag: '--log-level',
    doc: 'The least severe level written.',
  },
  format: {
    kind: 'string',
    default: 'auto',
    choices: ['json', 'pretty', 'auto'],
    flag: '--log-format',
    doc: 'JSON lines, readable text, or readable on a terminal and JSON otherwise.',
  },
};

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
  return readSection(LOG_FIELDS, raw, 'log', problems, flags) as unknown as LogSettings;
}
