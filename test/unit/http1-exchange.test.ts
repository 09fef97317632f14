/**
 * The HTTP/1.1 adapter's head: one pass over rawHeaders gives core every field it reads, with
 * header names in any case, and the raw list itself as the head's headers (no copy).
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { readHead } from '../../src/router/protocol/http1/exchange.js';

function request(rawHeaders: string[], extra: Partial<IncomingMessage> = {}): IncomingMessage {
  return { url: '/a?b', method: 'POST', httpVersion: '1.1', rawHeaders, ...extra } as unknown as IncomingMessage;
}

describe('readHead', () => {
  it('reads every field core uses in one pass, whatever the case of the names', () => {
    const raw = [
      'HOST',
      'web:8080',
      'Content-Type',
      'application/grpc+proto',
      'Grpc-Timeout',
      '5S',
      'Content-Length',
      '12',
      'L5d-Ctx-Dtab',
      '/a=>/b',
      'l5d-dtab',
      '/c=>/d',
      'Via',
      '1.1 a',
      'via',
      '1.1 b',
      'Expect',
      '100-Continue',
      'L5d-Ctx-Deadline',
      '1 2',
    ];
    const head = readHead(request(raw));
    expect(head).toMatchObject({
      protocol: 'http/1.1',
      method: 'POST',
      authority: 'web:8080',
      path: '/a?b',
      http10: false,
      grpc: true,
      grpcTimeout: '5S',
      hasBody: true,
      contentLength: 12,
      ctxDtab: ['/a=>/b'],
      userDtab: ['/c=>/d'],
      via: '1.1 a, 1.1 b',
      expectContinue: true,
      deadline: ['1 2'],
      duplicateHost: false,
    });
    expect(head.headers).toBe(raw);
  });

  it('tells HTTP/1.0, a second Host, chunked bodies and empty ones apart', () => {
    expect(readHead(request(['Host', 'a'], { httpVersion: '1.0' })).http10).toBe(true);
    expect(readHead(request(['Host', 'a', 'host', 'b'])).duplicateHost).toBe(true);
    expect(readHead(request(['Transfer-Encoding', 'chunked'])).hasBody).toBe(true);
    expect(readHead(request(['Content-Length', '0']))).toMatchObject({ hasBody: false, contentLength: 0 });
    expect(readHead(request(['Content-Type', 'text/plain'])).grpc).toBe(false);
  });
});
