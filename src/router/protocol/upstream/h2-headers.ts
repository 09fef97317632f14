/**
 * Headers between core's flat lists and node:http2's header objects, for the h2 upstream.
 * Outgoing headers are checked here first: node:http2 sends a value with a newline as given
 * (or fails the whole session later), so a header it would refuse, or that no h2 peer may
 * accept, is found before anything is written and the attempt is `rejected`.
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import type { HeaderList, UpstreamRequest } from '../../core/exchange.js';

/** RFC 9110 token characters, lower-case only: h2 field names must be lower-case. */
const fieldName = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** A method is a token (any case). */
const methodToken = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: visible ASCII, obs-text, space and tab; no CR, LF, NUL or other controls. */
const badValue = /[\x00-\x08\x0a-\x1f\x7f]/;
/** Connection-specific headers h2 forbids (node refuses them too). `te` is allowed only as `trailers`. */
const connectionSpecific = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * The request's pseudo-headers and headers as node:http2 takes them (repeated names become
 * arrays), or, as a string, why the request cannot be sent as given. One pass: each name is
 * lower-cased and checked once.
 */
export function requestHeaders(request: UpstreamRequest): OutgoingHttpHeaders | string {
  if (!methodToken.test(request.method)) return `invalid method ${JSON.stringify(request.method)}`;
  if (request.path === '' || badValue.test(request.path) || request.path.includes(' ')) {
    return `invalid path ${JSON.stringify(request.path)}`;
  }
  if (request.authority !== undefined && badValue.test(request.authority)) {
    return `invalid authority ${JSON.stringify(request.authority)}`;
  }
  const out: OutgoingHttpHeaders = {
    ':method': request.method,
    ':path': request.path,
    ':scheme': 'http',
  };
  if (request.authority !== undefined) out[':authority'] = request.authority;
  const { headers } = request;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = (headers[i] as string).toLowerCase();
    const raw = headers[i + 1] as string;
    if (!fieldName.test(name)) return `invalid header name ${JSON.stringify(headers[i])}`;
    if (badValue.test(raw)) return `invalid value for header ${name}`;
    if (connectionSpecific.has(name)) return `connection-specific header ${name} is not allowed in h2`;
    const value = trimOws(raw);
    if (name === 'te' && value.toLowerCase() !== 'trailers') return 'te other than "trailers" is not allowed in h2';
    // Host is :authority in h2: it stands in only when core gave no authority, and never goes twice.
    if (name === 'host') {
      if (out[':authority'] === undefined) out[':authority'] = value;
      continue;
    }
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else out[name] = [String(previous), value];
  }
  return out;
}

/**
 * h2 peers drop (or reset the stream over) a value with leading or trailing space or tab; in
 * HTTP that whitespace is never part of the value, so it goes.
 */
function trimOws(value: string): string {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  if (first !== 32 && first !== 9 && last !== 32 && last !== 9) return value;
  return value.replace(/^[ \t]+|[ \t]+$/g, '');
}

/** node's raw header list (`[name, value, …]`) without pseudo-headers. */
export function fromRawHeaders(raw: readonly string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    out.push(name, raw[i + 1] as string);
  }
  return out;
}

/** A node header object flattened, for events that carry no raw list. */
export function fromHeaderObject(headers: Record<string, string | string[] | number | undefined>): HeaderList {
  const out: HeaderList = [];
  for (const name of Object.keys(headers)) {
    if (name.charCodeAt(0) === 58) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, String(value));
  }
  return out;
}
