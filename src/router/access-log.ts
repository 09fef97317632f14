/**
 * linkerd's `httpAccessLog`: one line per request, in the Common Log Format that log tools
 * already parse (with the service and the latency appended, as linkerd's did), or as JSON. Lines
 * go through an asynchronous buffered writer so a slow disk never holds up a request; the buffer
 * is bounded and lines past it are dropped and counted rather than kept in memory.
 */
import pino from 'pino';
import type { RequestHead } from './core/exchange.js';
import type { AccessLog } from './core/router-events.js';

/** Bytes of lines waiting for the disk before new ones are dropped. */
const MAX_BUFFERED = 4 * 1024 * 1024;
/** A caller chooses the path and header values: a line never carries more than this of each. */
const MAX_FIELD = 2048;

export type AccessLogFormat = 'common' | 'json';

export class FileAccessLog implements AccessLog {
  readonly #out: ReturnType<typeof pino.destination>;
  readonly #format: AccessLogFormat;
  /** Lines the bounded buffer had no room for. */
  dropped = 0;

  constructor(path: string, format: AccessLogFormat) {
    this.#format = format;
    this.#out = pino.destination({
      dest: path === '-' ? 1 : path,
      sync: false,
      mkdir: path !== '-',
      minLength: path === '-' ? 0 : 4096,
      maxLength: MAX_BUFFERED,
    });
    this.#out.on('drop', () => {
      this.dropped++;
    });
  }

  write(head: RequestHead, service: string | undefined, status: number, latencyMs: number): void {
    const line =
      this.#format === 'json'
        ? jsonLine(head, service, status, latencyMs)
        : commonLine(head, service, status, latencyMs);
    this.#out.write(line);
  }

  /** Writes out what is buffered and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const out = this.#out;
      out.once('close', () => resolve());
      out.once('error', () => resolve());
      try {
        out.flush?.(() => out.end());
      } catch {
        out.end();
      }
    });
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `[06/Dec/2026:07:55:00 +0000]`, in UTC. */
function clfTime(d: Date): string {
  return `[${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000]`;
}

function header(head: RequestHead, name: string): string | undefined {
  const list = head.headers;
  for (let i = 0; i < list.length; i += 2) if (list[i]!.toLowerCase() === name) return list[i + 1];
  return undefined;
}

/** A value inside a quoted CLF field: quotes, backslashes and control bytes escaped, length bounded. */
function quoted(value: string | undefined): string {
  if (value === undefined || value === '') return '"-"';
  const cut = value.length > MAX_FIELD ? value.slice(0, MAX_FIELD) : value;
  return `"${cut.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

function requestLine(head: RequestHead): string {
  const proto = head.protocol === 'h2' ? 'HTTP/2.0' : head.http10 ? 'HTTP/1.0' : 'HTTP/1.1';
  return `${head.method} ${head.path} ${proto}`;
}

function commonLine(head: RequestHead, service: string | undefined, status: number, latencyMs: number): string {
  const remote = head.remoteAddress ?? '-';
  return `${remote} - - ${clfTime(new Date())} ${quoted(requestLine(head))} ${status} - ${quoted(header(head, 'referer'))} ${quoted(header(head, 'user-agent'))} ${quoted(head.authority)} ${quoted(service)} ${latencyMs.toFixed(3)}\n`;
}

function jsonLine(head: RequestHead, service: string | undefined, status: number, latencyMs: number): string {
  const bound = (v: string | undefined) => (v === undefined ? null : v.length > MAX_FIELD ? v.slice(0, MAX_FIELD) : v);
  return `${JSON.stringify({
    time: new Date().toISOString(),
    remote: head.remoteAddress ?? null,
    method: head.method,
    path: bound(head.path),
    protocol: head.protocol,
    authority: bound(head.authority),
    service: service ?? null,
    status,
    latencyMs: Math.round(latencyMs * 1000) / 1000,
    userAgent: bound(header(head, 'user-agent')),
  })}\n`;
}
