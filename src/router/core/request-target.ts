/**
 * What the router checks in a request head before routing it, so that the name it routes by and
 * the Host the upstream sees are one and the same (RFC 9112 §3.2): a second Host header is
 * refused (a router and an upstream could each pick a different one); an absolute-form target
 * (`GET http://web/ HTTP/1.1`, what clients send to a configured HTTP proxy) is turned into
 * origin form, and its authority becomes the Host, for routing and upstream. A Host header that
 * names another authority than the target is refused rather than silently overridden, for the
 * same reason as a duplicate. Refusals are 400s that count against no endpoint.
 */
import { createError } from '../../errors.js';
import type { RequestHead } from './exchange.js';

/** `scheme://authority` then the rest; the authority ends at the first `/`, `?` or `#`. */
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

/** Host and port as compared: lower-cased, without http's default port. */
function comparable(authority: string): string {
  const lower = authority.toLowerCase();
  return lower.endsWith(':80') ? lower.slice(0, -3) : lower;
}

/**
 * Checks the head and normalises an absolute-form target in place (`head.path`, `head.authority`).
 * Returns the Host value the upstream must get when it differs from what the client sent (an
 * absolute-form target without a Host header), otherwise undefined.
 */
export function checkRequestTarget(head: RequestHead): string | undefined {
  if (head.duplicateHost) throw createError('SY_ERR_BAD_REQUEST', ['more than one Host header']);
  const url = head.path;
  if (url.charCodeAt(0) === 0x2f /* / */ || url === '*') return undefined;
  const m = ABSOLUTE.exec(url);
  if (m === null) throw createError('SY_ERR_BAD_REQUEST', ['the request target is neither a path nor an http:// URL']);
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  if (scheme.toLowerCase() !== 'http') {
    throw createError('SY_ERR_BAD_REQUEST', [`the request target's scheme ${scheme} is not http`]);
  }
  if (authority === '' || authority.includes('@')) {
    throw createError('SY_ERR_BAD_REQUEST', ['the request target has no authority, or carries user information']);
  }
  if (head.authority !== undefined && comparable(head.authority) !== comparable(authority)) {
    throw createError('SY_ERR_BAD_REQUEST', ['the Host header names another authority than the request target']);
  }
  const path = rest === '' || rest.charCodeAt(0) !== 0x2f ? `/${rest}` : rest;
  head.path = path;
  const hadHost = head.authority !== undefined;
  head.authority = authority;
  return hadHost ? undefined : authority;
}
