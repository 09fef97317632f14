/**
 * The header policy per (inbound, upstream) protocol pair: HTTP/1.1 → HTTP/1.1 as the router has
 * always done it, and the h2 cases (connection-specific headers never reach an h2 upstream, `te:
 * trailers` does; an h2 caller's `:authority` becomes Host for an HTTP/1.1 upstream), and the
 * response side for both kinds of caller.
 */
import { describe, expect, it } from 'vitest';
import type { Protocol } from '../../../src/router/core/exchange.js';
import { downstreamHeaders, type Forwarding, upstreamHeaders } from '../../../src/router/core/header-policy.js';

function forwarding(inbound: Protocol, upstream: Protocol, extra: Partial<Forwarding> = {}): Forwarding {
  return {
    service: '/svc/web',
    client: '/$/inet/127.0.0.1/8080',
    residual: undefined,
    ctxDtab: undefined,
    clientIp: '10.0.0.1',
    clearContext: false,
    inbound,
    upstream,
    ...extra,
  };
}

/** Header names of a flat list, lower-cased. */
function names(list: readonly string[]): string[] {
  return list.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
}

function value(list: readonly string[], name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i]!.toLowerCase() === name) return list[i + 1];
  return undefined;
}

const CONNECTION_SPECIFIC = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

describe('upstream headers', () => {
  it('HTTP/1.1 → HTTP/1.1: keeps Host, drops hop-by-hop and te, adds the l5d-dst-*, XFF, Via', () => {
    const out = upstreamHeaders(
      ['Host', 'web', 'Connection', 'keep-alive, x-hop', 'X-Hop', '1', 'TE', 'trailers', 'Accept', '*/*'],
      forwarding('http/1.1', 'http/1.1'),
    );
    expect(value(out, 'host')).toBe('web');
    expect(names(out)).not.toContain('te');
    expect(names(out)).not.toContain('x-hop');
    expect(names(out)).not.toContain('connection');
    expect(value(out, 'accept')).toBe('*/*');
    expect(value(out, 'l5d-dst-service')).toBe('/svc/web');
    expect(value(out, 'x-forwarded-for')).toBe('10.0.0.1');
    expect(value(out, 'via')).toBe('1.1 switchyard');
  });

  it('HTTP/1.1 → h2: no connection-specific header and no Host; te: trailers kept, any other te dropped', () => {
    const raw = [
      'Host',
      'web',
      'Connection',
      'keep-alive',
      'Keep-Alive',
      'timeout=5',
      'Proxy-Connection',
      'keep-alive',
      'Transfer-Encoding',
      'chunked',
      'Upgrade',
      'websocket',
      'TE',
      'trailers',
      'content-type',
      'application/grpc',
    ];
    const out = upstreamHeaders(raw, forwarding('http/1.1', 'h2'));
    for (const name of CONNECTION_SPECIFIC) expect(names(out), name).not.toContain(name);
    expect(names(out)).not.toContain('host');
    expect(value(out, 'te')).toBe('trailers');
    expect(value(out, 'content-type')).toBe('application/grpc');
    const gzip = upstreamHeaders(['TE', 'gzip, trailers'], forwarding('http/1.1', 'h2'));
    expect(names(gzip)).not.toContain('te');
  });

  it('h2 → h2: te: trailers passes, names stay lower-case', () => {
    const out = upstreamHeaders(['te', 'trailers', 'content-type', 'application/grpc'], forwarding('h2', 'h2'));
    expect(out.slice(0, 4)).toEqual(['te', 'trailers', 'content-type', 'application/grpc']);
  });

  it('h2 → HTTP/1.1: the caller’s :authority becomes Host; te is dropped', () => {
    const out = upstreamHeaders(
      ['te', 'trailers', 'accept', '*/*'],
      forwarding('h2', 'http/1.1', { authority: 'web:80' }),
    );
    expect(value(out, 'host')).toBe('web:80');
    expect(names(out).filter((n) => n === 'host')).toHaveLength(1);
    expect(names(out)).not.toContain('te');
  });

  it('h2 → HTTP/1.1: a host header the h2 caller sent as well gives way to :authority', () => {
    const out = upstreamHeaders(['host', 'other'], forwarding('h2', 'http/1.1', { authority: 'web' }));
    expect(names(out).filter((n) => n === 'host')).toHaveLength(1);
    expect(value(out, 'host')).toBe('web');
  });

  it('an absolute-form target’s authority still wins for HTTP/1.1 callers', () => {
    const out = upstreamHeaders([], forwarding('http/1.1', 'http/1.1', { host: 'web:8080' }));
    expect(value(out, 'host')).toBe('web:8080');
  });
});

describe('response headers', () => {
  for (const caller of ['http/1.1', 'h2'] as const) {
    it(`strips connection-specific and Connection-named headers for a ${caller} caller`, () => {
      const headers = [
        'connection',
        'keep-alive, x-hop',
        'keep-alive',
        'timeout=5',
        'transfer-encoding',
        'chunked',
        'upgrade',
        'h2c',
        'proxy-connection',
        'close',
        'x-hop',
        '1',
        'content-type',
        'text/plain',
        'l5d-success-class',
        '1.0',
      ];
      expect(downstreamHeaders(headers, false, caller)).toEqual([
        'content-type',
        'text/plain',
        'l5d-success-class',
        '1.0',
      ]);
    });
  }

  it('drops l5d-* on an edge router (clearContext)', () => {
    expect(downstreamHeaders(['l5d-err', 'x', 'a', 'b'], true)).toEqual(['a', 'b']);
  });
});
