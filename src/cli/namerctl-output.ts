/**
 * How linkerd's Go namerctl spells things, for the namerctl twin: Go's encoding/json (which
 * escapes `<`, `>`, `&`, U+2028 and U+2029, and writes \b and \f as \u0008 and \u000c), its dtab
 * pretty-printer (prefixes padded to the longest, counted in bytes), and its error messages
 * (`unexpected response: 412 Precondition Failed`, `resource was not found by ID or name`,
 * `Get http://…: dial tcp …: connect: connection refused`).
 */
import { STATUS_CODES } from 'node:http';
import { NamerdHttpError, NamerdUnreachableError } from '../namerd-protocol/client.js';

export interface RawDentry {
  readonly prefix: string;
  readonly dst: string;
}

/** A string as Go's json.Marshal writes it. */
export function goQuote(text: string): string {
  // Escape pairs are matched whole, so the `\\b` of a backslash before a `b` is left alone.
  return JSON.stringify(text).replace(/\\.|[<>&\u2028\u2029]/g, (c) => {
    if (c === '\\b') return '\\u0008';
    if (c === '\\f') return '\\u000c';
    if (c.length === 2) return c;
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

export function goJsonNames(names: readonly string[]): string {
  return `[${names.map(goQuote).join(',')}]`;
}

/** namerctl's `dtab get --json`: `{"version":"…","dtab":[{"prefix":…,"dst":…}]}`. */
export function goJsonVersioned(version: string, entries: readonly RawDentry[]): string {
  const dtab = entries.map((d) => `{"prefix":${goQuote(d.prefix)},"dst":${goQuote(d.dst)}}`).join(',');
  return `{"version":${goQuote(version)},"dtab":[${dtab}]}`;
}

/** namerctl's pretty form: `/foo          => /bar ;` with `=>` aligned (widths in bytes, as Go counts). */
export function goPretty(entries: readonly RawDentry[]): string {
  const width = Math.max(0, ...entries.map((d) => Buffer.byteLength(d.prefix)));
  return entries
    .map((d) => `${d.prefix}  ${'=>'.padStart(width - Buffer.byteLength(d.prefix) + 2)} ${d.dst} ;\n`)
    .join('');
}

/** namerctl's `--pretty=false`: `p=>d;p=>d;`. */
export function goCompact(entries: readonly RawDentry[]): string {
  return entries.map((d) => `${d.prefix}=>${d.dst};`).join('');
}

export const ERR_NOT_FOUND = 'resource was not found by ID or name';

/**
 * The message namerctl printed for a failed request, or null when `error` is not the client's. A
 * 404 was "not found" for get, update and delete; list and create reported it as unexpected.
 */
export function namerctlMessage(error: unknown): string | null {
  if (error instanceof NamerdHttpError) {
    const onNamespace = /^\/api\/1\/dtabs\/./.test(error.path) && error.method !== 'POST';
    if (error.status === 404 && onNamespace) return ERR_NOT_FOUND;
    return `unexpected response: ${error.status} ${goStatusText(error.status)}`.trimEnd();
  }
  if (error instanceof NamerdUnreachableError && error.request !== undefined) {
    const { method, url } = error.request;
    // Go's url.Error: the method as `Get`, the URL, then the net package's words.
    return `${method.charAt(0)}${method.slice(1).toLowerCase()} ${url}: ${goNetError(error.cause, url)}`;
  }
  if (error instanceof NamerdUnreachableError) return error.message;
  return null;
}

/** Go's http.StatusText is node's STATUS_CODES but for a few spellings. */
function goStatusText(status: number): string {
  if (status === 413) return 'Request Entity Too Large';
  if (status === 414) return 'Request URI Too Long';
  if (status === 416) return 'Requested Range Not Satisfiable';
  return STATUS_CODES[status] ?? '';
}

/** What Go's net package says for the usual connection failures; node's words otherwise. */
function goNetError(cause: unknown, url: string): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const { hostname, port, protocol } = new URL(url);
  const hostPort = `${hostname}:${port === '' ? (protocol === 'https:' ? '443' : '80') : port}`;
  if (code === 'ECONNREFUSED') return `dial tcp ${hostPort}: connect: connection refused`;
  if (code === 'ENOTFOUND') return `dial tcp: lookup ${hostname}: no such host`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'EOF';
  return cause instanceof Error ? cause.message : String(cause);
}
