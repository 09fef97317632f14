/**
 * The pure parts of the router's edge: the request-target and Host check (property-tested: an
 * absolute-form target routes by its authority exactly when Host agrees), the parser-error
 * mapping (408/414/431/400), `Connection` never nominating Host, failure accrual's "no verdict",
 * and capped metric scopes.
 */
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/errors.js';
import { upstreamHeaders } from '../../src/router/core/header-policy.js';
import { checkRequestTarget } from '../../src/router/core/request-target.js';
import { RouterStats } from '../../src/router/core/stats.js';
import { EndpointAccrual, FailureAccrualPolicy } from '../../src/router/policy/failure-accrual.js';
import { clientErrorAnswer } from '../../src/router/protocol/http1/client-error.js';
import { readHead } from '../../src/router/protocol/http1/exchange.js';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';

function request(url: string, rawHeaders: string[]): IncomingMessage {
  return { url, rawHeaders, headers: {}, method: 'GET' } as unknown as IncomingMessage;
}

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const authority = fc
  .tuple(label, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
  .map(([h, p]) => (p === undefined ? h : `${h}:${p}`));
const pathAndQuery = fc.stringMatching(/^(\/[a-z0-9._~-]{0,8}){0,3}(\?[a-z0-9=&]{0,10})?$/);

describe('checkRequestTarget', () => {
  it('turns an absolute-form target into origin form and routes by its authority when Host agrees', () => {
    fc.assert(
      fc.property(authority, pathAndQuery, fc.boolean(), (auth, path, upper) => {
        const host = upper ? auth.toUpperCase() : auth;
        const req = request(`http://${auth}${path}`, ['Host', host]);
        const head = readHead(req);
        expect(checkRequestTarget(head)).toBeUndefined();
        expect(head.path).toBe(path === '' ? '/' : path.startsWith('/') ? path : `/${path}`);
        expect(head.authority).toBe(auth);
      }),
    );
  });

  it('refuses an absolute-form target whose authority is not the Host', () => {
    fc.assert(
      fc.property(authority, authority, pathAndQuery, (a, b, path) => {
        fc.pre(a.toLowerCase().replace(/:80$/, '') !== b.toLowerCase().replace(/:80$/, ''));
        const req = request(`http://${a}${path}`, ['Host', b]);
        expect(() => checkRequestTarget(readHead(req))).toThrow(/another authority/);
      }),
    );
  });

  it('gives the authority as the Host to send when the request had none', () => {
    const head = readHead(request('http://web:8080/x', []));
    expect(checkRequestTarget(head)).toBe('web:8080');
    expect(head.path).toBe('/x');
  });

  it('refuses two Host headers, other schemes and user information, and leaves origin form alone', () => {
    const twice = request('/', ['Host', 'a', 'host', 'a']);
    expect(() => checkRequestTarget(readHead(twice))).toThrow(/more than one Host/);
    for (const url of ['https://web/', 'http://u@web/', 'http:///x', 'web/x']) {
      const req = request(url, ['Host', 'web']);
      expect(() => checkRequestTarget(readHead(req)), url).toThrow(SwitchyardError);
    }
    const plain = readHead(request('/a?b', ['Host', 'web']));
    expect(checkRequestTarget(plain)).toBeUndefined();
    expect(plain.path).toBe('/a?b');
  });
});

describe('clientErrorAnswer', () => {
  const limits = { maxHeaderBytes: 8192, headersTimeoutMs: 10_000 };
  const err = (code: string, extra: object = {}) => Object.assign(new Error(code), { code }, extra);
  it('maps node parser errors to 408, 414, 431 and 400, and a gone peer to nothing', () => {
    expect(clientErrorAnswer(err('ERR_HTTP_REQUEST_TIMEOUT'), limits)?.status).toBe(408);
    const longLine = Buffer.from(`GET /${'a'.repeat(9000)}`);
    expect(
      clientErrorAnswer(err('HPE_HEADER_OVERFLOW', { rawPacket: longLine, bytesParsed: 8200 }), limits)?.status,
    ).toBe(414);
    const bigHead = Buffer.from(`GET / HTTP/1.1\r\nX: ${'b'.repeat(9000)}`);
    expect(
      clientErrorAnswer(err('HPE_HEADER_OVERFLOW', { rawPacket: bigHead, bytesParsed: 8200 }), limits)?.status,
    ).toBe(431);
    expect(clientErrorAnswer(err('HPE_INVALID_METHOD', { reason: 'Invalid method' }), limits)?.status).toBe(400);
    expect(clientErrorAnswer(err('ECONNRESET'), limits)).toBeNull();
  });
});

describe('upstreamHeaders', () => {
  it('never lets Connection nominate Host or Content-Length, and still drops what it nominates', () => {
    const f = {
      service: '/svc/web',
      client: '/$/inet/h/1',
      residual: undefined,
      ctxDtab: undefined,
      clientIp: undefined,
      clearContext: true,
    };
    const out = upstreamHeaders(
      ['Host', 'web', 'Connection', 'host, Content-Length, x-a', 'X-A', '1', 'Content-Length', '3'],
      f,
    );
    expect(out).toContain('Host');
    expect(out).toContain('Content-Length');
    expect(out).not.toContain('X-A');
  });
});

describe('failure accrual without a verdict', () => {
  it('leaves the streak alone and hands a probe back', () => {
    const policy = new FailureAccrualPolicy({ failures: 2, minBackoffMs: 10, maxBackoffMs: 10, random: () => 0 });
    const e = new EndpointAccrual(policy);
    e.onFailure(0);
    e.onNoVerdict(1);
    e.onNoVerdict(2);
    expect(e.stateAt(3)).toBe('alive');
    e.onFailure(3);
    expect(e.stateAt(4)).toBe('dead');
    e.onDispatch(20);
    expect(e.stateAt(20)).toBe('probe-closed');
    e.onNoVerdict(21);
    expect(e.stateAt(21)).toBe('probe-open');
    expect(policy.counters).toMatchObject({ removals: 1, probes: 1, revivals: 0 });
  });
});

describe('RouterStats', () => {
  it('caps service scopes, sends the rest to other, and registers a scope only when it counts', () => {
    const registry = new MetricsRegistry({ histograms: { mode: 'cumulative' } });
    const stats = new RouterStats(registry, 'http', { maxServices: 2, maxClients: 2, idleTtlMs: 1_000 });
    const unused = stats.service('/svc/unused');
    expect(unused).toBeDefined();
    for (const name of ['/svc/a', '/svc/b', '/svc/c', '/svc/d']) stats.service(name).record(200, true, 1);
    const json = registry.toJSON();
    expect(json['rt/http/service/svc/a/requests']).toBe(1);
    expect(json['rt/http/service/svc/b/requests']).toBe(1);
    expect(json['rt/http/service/svc/c/requests']).toBeUndefined();
    expect(json['rt/http/service/other/requests']).toBe(2);
    expect(Object.keys(json).some((k) => k.includes('unused'))).toBe(false);
    stats.sweep(0);
    stats.sweep(2_000);
    expect(registry.toJSON()['rt/http/service/svc/a/requests']).toBeUndefined();
    stats.service('/svc/c').record(200, true, 1);
    expect(registry.toJSON()['rt/http/service/svc/c/requests']).toBe(1);
  });
});
