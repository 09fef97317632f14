/** Log settings every role shares: pino's levels, and JSON, readable, or readable-on-a-TTY output. */
export type LogFormat = 'json' | 'pretty' | 'auto';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
