/**
 * The process logger (pino): JSON lines, one object per event, for log pipelines; readable
 * colored lines when a person is watching a terminal. Only the entry points create loggers;
 * everything below receives one.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat } from '../config/log-config.js';

export type { Logger };

export interface LoggerOptions {
  readonly level?: string;
  /** `auto` is pretty on a TTY and JSON otherwise. */
  readonly format?: LogFormat;
  readonly name?: string;
  /** Where lines go (standard error by default: standard output belongs to the program). */
  readonly destination?: NodeJS.WritableStream & { isTTY?: boolean };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const format = options.format ?? 'auto';
  const readable = format === 'pretty' || (format === 'auto' && destination.isTTY === true);
  const base = { level: options.level ?? 'info', ...(options.name ? { name: options.name } : {}) };
  if (!readable) return pino(base, destination as pino.DestinationStream);
  return pino(
    base,
    pretty({
      destination: destination as never,
      colorize: destination.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      sync: true,
    }),
  );
}
