/**
 * The few request headers the router acts on, read in one pass over node's rawHeaders. Asking
 * node for `req.headers` and `req.headersDistinct` instead builds two full header objects per
 * request, which the profile showed as the router's largest cost of its own.
 */
import type { IncomingMessage } from 'node:http';

export interface RequestHead {
  host: string | undefined;
  /** More than one Host header: ambiguous, refused before routing. */
  duplicateHost: boolean;
  /** `Expect: 100-continue`: the 100 is sent once the request has a route. */
  expectContinue: boolean;
  /** Every Via value, joined as one list. */
  via: string | undefined;
  hasBody: boolean;
  ctxDtab: string[] | undefined;
  userDtab: string[] | undefined;
  deadline: string[] | undefined;
}

export function readHead(req: IncomingMessage): RequestHead {
  const raw = req.rawHeaders;
  const head: RequestHead = {
    host: undefined,
    duplicateHost: false,
    expectContinue: false,
    via: undefined,
    hasBody: false,
    ctxDtab: undefined,
    userDtab: undefined,
    deadline: undefined,
  };
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Most headers are ruled out by length before any lower-casing.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') {
          if (head.host === undefined) head.host = raw[i + 1];
          else head.duplicateHost = true;
        }
        break;
      case 6:
        if (name.toLowerCase() === 'expect' && raw[i + 1]!.toLowerCase() === '100-continue') head.expectContinue = true;
        break;
      case 3:
        if (name.toLowerCase() === 'via') head.via = head.via === undefined ? raw[i + 1] : `${head.via}, ${raw[i + 1]}`;
        break;
      case 8:
        if (name.toLowerCase() === 'l5d-dtab') (head.userDtab ??= []).push(raw[i + 1]!);
        break;
      case 12:
        if (name.toLowerCase() === 'l5d-ctx-dtab') (head.ctxDtab ??= []).push(raw[i + 1]!);
        break;
      case 14:
        if (name.toLowerCase() === 'content-length' && raw[i + 1] !== '0') head.hasBody = true;
        break;
      case 16:
        if (name.toLowerCase() === 'l5d-ctx-deadline') (head.deadline ??= []).push(raw[i + 1]!);
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') head.hasBody = true;
        break;
    }
  }
  return head;
}
