/**
 * What the router answers when node's HTTP parser gives up on a request before the handler sees
 * it: a head that did not arrive in time (408), a request line longer than the header budget
 * (414), a head larger than it (431), or bytes that are not HTTP/1.1 (400). Every answer goes
 * through the one error edge (l5d-err, `Connection: close`); a client that already went away
 * gets nothing.
 */
import { createError, type SwitchyardError } from '../../../errors.js';

/** A method token and a space at the start of the chunk: the request line began in it. */
const REQUEST_LINE_START = /^[A-Z]{3,12} /;

/**
 * Whether an overflow happened inside the request line: node reports only the chunk it was
 * parsing, so this holds when that chunk starts a request and has no line end before the
 * error. A head dribbled in pieces that overflows later reads as 431, the safe answer.
 */
function inRequestLine(raw: Buffer | undefined, at: number | undefined): boolean {
  if (raw === undefined || raw.length === 0) return false;
  const start = raw.subarray(0, 16).toString('latin1');
  if (!REQUEST_LINE_START.test(start)) return false;
  const end = at !== undefined && at > 0 && at <= raw.length ? at : raw.length;
  return raw.subarray(0, end).indexOf(0x0a) === -1;
}

export interface ClientErrorLimits {
  readonly maxHeaderBytes: number;
  readonly headersTimeoutMs: number;
}

/** The error to answer with, or null when the socket should just be closed (the peer is gone). */
export function clientErrorAnswer(err: Error, limits: ClientErrorLimits): SwitchyardError | null {
  const e = err as Error & { code?: string; reason?: string; rawPacket?: Buffer; bytesParsed?: number };
  const code = e.code ?? '';
  if (code.startsWith('ECONN') || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') return null;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return createError('SY_ERR_REQUEST_TIMEOUT', ['head', limits.headersTimeoutMs]);
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return inRequestLine(e.rawPacket, e.bytesParsed)
      ? createError('SY_ERR_URI_TOO_LONG', [limits.maxHeaderBytes])
      : createError('SY_ERR_HEADERS_TOO_LARGE', [limits.maxHeaderBytes]);
  }
  return createError('SY_ERR_BAD_REQUEST', [e.reason ?? (code || 'malformed request')]);
}
