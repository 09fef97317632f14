/**
 * An h2 request's HEADERS frame as core's RequestHead, in one pass over the raw header list
 * node hands the 'stream' event (names already lower-case, arrival order kept). Pseudo-headers
 * get their own fields; every other field lands in `headers` as sent.
 */
import type { HeaderList, RequestHead } from '../../core/exchange.js';

/** `application/grpc`, `application/grpc+proto`, `application/grpc;…`, never `application/grpc-web`. */
function isGrpcContentType(value: string): boolean {
  const v = value.toLowerCase();
  if (!v.startsWith('application/grpc')) return false;
  const next = v.charCodeAt('application/grpc'.length);
  return Number.isNaN(next) || next === 0x2b /* + */ || next === 0x3b /* ; */;
}

export function headFromH2(
  rawHeaders: readonly string[],
  endStream: boolean,
  remoteAddress: string | undefined,
): RequestHead {
  let method = '';
  let path = '';
  let authority: string | undefined;
  let host: string | undefined;
  let hosts = 0;
  let via: string | undefined;
  let ctxDtab: string[] | undefined;
  let userDtab: string[] | undefined;
  let deadline: string[] | undefined;
  let grpcTimeout: string | undefined;
  let grpc = false;
  let contentLength: number | undefined;
  let expectContinue = false;
  const headers: HeaderList = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    if (name.charCodeAt(0) === 0x3a /* : */) {
      if (name === ':method') method = value;
      else if (name === ':path') path = value;
      else if (name === ':authority') authority = value;
      // :scheme and :protocol say nothing core routes on.
      continue;
    }
    headers.push(name, value);
    switch (name) {
      case 'host':
        hosts++;
        host ??= value;
        break;
      case 'via':
        via = via === undefined ? value : `${via}, ${value}`;
        break;
      case 'l5d-ctx-dtab':
        (ctxDtab ??= []).push(value);
        break;
      case 'l5d-dtab':
        (userDtab ??= []).push(value);
        break;
      case 'l5d-ctx-deadline':
        (deadline ??= []).push(value);
        break;
      case 'grpc-timeout':
        grpcTimeout ??= value;
        break;
      case 'content-type':
        grpc = isGrpcContentType(value);
        break;
      case 'content-length': {
        const n = Number(value);
        if (/^\d+$/.test(value) && Number.isSafeInteger(n)) contentLength = n;
        break;
      }
      case 'expect':
        if (value.toLowerCase() === '100-continue') expectContinue = true;
        break;
    }
  }
  return {
    protocol: 'h2',
    method,
    // A Host header stands in for a missing :authority (an h2 client translating HTTP/1.1).
    authority: authority ?? host,
    path,
    headers,
    remoteAddress,
    http10: false,
    // Ambiguous like two Host headers on HTTP/1.1: two Hosts, or a Host naming another authority.
    duplicateHost: hosts > 1 || (authority !== undefined && host !== undefined && host !== authority),
    expectContinue,
    via,
    hasBody: !endStream,
    contentLength,
    ctxDtab,
    userDtab,
    deadline,
    grpcTimeout,
    grpc,
  };
}
