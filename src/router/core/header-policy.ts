/**
 * The headers a router rewrites on the way through, per (inbound, upstream) protocol pair.
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus any named by Connection) stay on their hop; `l5d-dtab` is consumed and the request-local dtab
 * travels on as `l5d-ctx-dtab`; `l5d-dst-*` say where the router sent the request; `l5d-reqid`
 * is kept or made; X-Forwarded-For/-Proto and Via record the hop. W3C `traceparent` and every
 * other end-to-end header pass untouched. With `clearContext` (edge routers) every `l5d-*`
 * header is dropped in both directions instead, without being applied.
 */
import { randomBytes } from 'node:crypto';
import type { HeaderList, Protocol } from './exchange.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  // Node answers `Expect: 100-continue` itself; forwarding it would make undici wait for a 100.
  'expect',
]);

/**
 * End-to-end headers that a `Connection` header may not make hop-by-hop: without Host the
 * upstream cannot tell which site is meant, without Content-Length the framing changes.
 */
const NEVER_NOMINATED = new Set(['host', 'content-length']);

export const VIA = '1.1 switchyard';

export interface Forwarding {
  /** The logical name, e.g. /svc/web. */
  readonly service: string;
  /** The bound id, e.g. /$/inet/10.0.0.7/8080. */
  readonly client: string;
  /** The bound residual, only when not empty. */
  readonly residual: string | undefined;
  /** The request-local dtab to send on as l5d-ctx-dtab, if any. */
  readonly ctxDtab: string | undefined;
  readonly clientIp: string | undefined;
  readonly clearContext: boolean;
  /** A Host to send in place of the client's (an absolute-form target without one). */
  readonly host?: string | undefined;
  /** The caller's protocol; HTTP/1.1 when not given. */
  readonly inbound?: Protocol;
  /** The upstream's protocol; HTTP/1.1 when not given. */
  readonly upstream?: Protocol;
  /** The caller's `:authority` (h2 callers): an HTTP/1.1 upstream gets it as Host. */
  readonly authority?: string | undefined;
}

/**
 * `te` is connection-specific, but an h2 request may carry `te: trailers` (RFC 9113 §8.2.2), and
 * gRPC servers refuse a call without it.
 */
function keepsTe(value: string, upstream: Protocol | undefined): boolean {
  return upstream === 'h2' && value.trim().toLowerCase() === 'trailers';
}

/** Header names listed in Connection are hop-by-hop too. */
function connectionListed(raw: readonly string[]): Set<string> | null {
  let listed: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      listed ??= new Set();
      for (const token of raw[i + 1]!.split(',')) {
        const name = token.trim().toLowerCase();
        if (!NEVER_NOMINATED.has(name)) listed.add(name);
      }
    }
  }
  return listed;
}

function isL5dDropped(lower: string, clearContext: boolean): boolean {
  if (!lower.startsWith('l5d-')) return false;
  // Consumed here and replaced below; l5d-ctx-deadline, l5d-reqid and l5d-ctx-trace travel on.
  return clearContext || lower === 'l5d-dtab' || lower === 'l5d-ctx-dtab' || lower.startsWith('l5d-dst-');
}

const idPrefix = randomBytes(4).toString('hex');
let idCounter = 0;

/** A request id unique to this process run (cheaper than random bytes per request). */
export function newRequestId(): string {
  idCounter = (idCounter + 1) % 0x100000000;
  return `${idPrefix}${idCounter.toString(16).padStart(8, '0')}`;
}

/**
 * The header list for the upstream request, from the caller's ([name, value, …]). An h2 upstream
 * gets no connection-specific header (and no Host: the authority travels as `:authority`); an
 * HTTP/1.1 upstream of an h2 caller gets the caller's `:authority` as Host.
 */
export function upstreamHeaders(raw: readonly string[], f: Forwarding): string[] {
  const listed = connectionListed(raw);
  const out: string[] = [];
  const toH2 = f.upstream === 'h2';
  // Where Host comes from when not from the caller's own Host header.
  const host = toH2 ? undefined : (f.host ?? (f.inbound === 'h2' ? f.authority : undefined));
  const dropHost = toH2 || host !== undefined;
  let forwardedFor: string | undefined;
  let via: string | undefined;
  let reqId = false;
  let proto = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    const value = raw[i + 1]!;
    if (HOP_BY_HOP.has(lower) || listed?.has(lower) || isL5dDropped(lower, f.clearContext)) {
      if (lower === 'te' && keepsTe(value, f.upstream)) out.push('te', 'trailers');
      continue;
    }
    if (dropHost && lower === 'host') continue;
    if (lower === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
    else if (lower === 'via') via = via === undefined ? value : `${via}, ${value}`;
    else {
      if (lower === 'l5d-reqid') reqId = true;
      else if (lower === 'x-forwarded-proto') proto = true;
      out.push(name, value);
    }
  }
  if (host !== undefined) out.push('host', host);
  if (!f.clearContext) {
    out.push('l5d-dst-service', f.service, 'l5d-dst-client', f.client);
    if (f.residual !== undefined) out.push('l5d-dst-residual', f.residual);
    if (f.ctxDtab !== undefined) out.push('l5d-ctx-dtab', f.ctxDtab);
    if (!reqId) out.push('l5d-reqid', newRequestId());
  }
  if (f.clientIp !== undefined) {
    out.push('x-forwarded-for', forwardedFor === undefined ? f.clientIp : `${forwardedFor}, ${f.clientIp}`);
  } else if (forwardedFor !== undefined) out.push('x-forwarded-for', forwardedFor);
  if (!proto) out.push('x-forwarded-proto', 'http');
  out.push('via', via === undefined ? VIA : `${via}, ${VIA}`);
  return out;
}

/**
 * The response headers for the caller, filtered in place (the list is the upstream adapter's own,
 * made for this response): hop-by-hop and Connection-nominated headers go, and so do `l5d-*` ones
 * on an edge router. Names arrive lower-case. The same set is connection-specific for an h2 caller
 * (RFC 9113 §8.2.2), so one rule serves both protocols; HTTP/1.1's `Connection: close` while
 * draining is the HTTP/1.1 sink's business.
 */
export function downstreamHeaders(
  headers: HeaderList,
  clearContext: boolean,
  _caller: Protocol = 'http/1.1',
): HeaderList {
  let listed: Set<string> | null = null;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'connection') {
      listed ??= new Set();
      for (const t of headers[i + 1]!.split(',')) listed.add(t.trim().toLowerCase());
    }
  }
  let w = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    if (clearContext && name.startsWith('l5d-')) continue;
    headers[w++] = name;
    headers[w++] = headers[i + 1]!;
  }
  headers.length = w;
  return headers;
}

/** How many proxies the request has crossed, by its Via entries (linkerd's maxCallDepth). */
export function callDepth(via: string | string[] | undefined): number {
  if (via === undefined) return 0;
  const text = Array.isArray(via) ? via.join(',') : via;
  return text.split(',').filter((s) => s.trim() !== '').length;
}
