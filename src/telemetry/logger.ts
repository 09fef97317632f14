/**
 * The process logger (pino): JSON lines, one object per event, for log pipelines; readable
 * colored lines when a person is watching a terminal. Only the entry points create loggers;
 * everything below receives one.
 */
import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
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
  // Loaded only for a person at a terminal: pods log JSON and should not carry it (~10 MB).
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
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
