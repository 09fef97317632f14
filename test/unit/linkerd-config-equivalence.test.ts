/**
 * The linkerd format is a translation, not a second set of rules: a linkerd router entry and the
 * flat config that says the same thing produce the same settings, whatever the values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routerConfigs } from '../../src/config/linkerd-format.js';
import { routerConfig } from '../../src/config/router-config.js';
import { dtab } from '../helpers/dtab-arbitraries.js';

const segment = fc.stringMatching(/^[a-z][a-z0-9.-]{0,8}$/);
const classifiers = [
  ['io.l5d.http.retryableRead5XX', 'io.l5d.http.retryableRead5XX'],
  ['io.l5d.retryableAll5XX', 'io.l5d.http.retryableAll5XX'],
  ['io.l5d.h2.retryableIdempotent5XX', 'io.l5d.http.retryableIdempotent5XX'],
  ['io.l5d.h2.grpc.default', 'io.l5d.h2.grpc.default'],
] as const;

/** One router said both ways: linkerd's entry (and admin), and the flat keys it means. */
const router = fc
  .record({
    protocol: fc.constantFrom('http', 'h2'),
    label: fc.option(fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/), { nil: undefined }),
    ip: fc.constantFrom('127.0.0.1', '127.0.0.2', '::1'),
    port: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
    admin: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
    dstPrefix: fc.option(fc.array(segment, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    identifier: fc.oneof(
      fc.constant(undefined),
      fc.record({ kind: fc.constant('io.l5d.header.path'), segments: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('io.l5d.header.token'), header: fc.constantFrom('host', ':authority') }),
      fc.constant({ kind: 'io.l5d.methodAndHost' }),
    ),
    dtab: dtab.filter((d) => d.size > 0).map((d) => d.show()),
    totalTimeoutMs: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
    attemptTimeoutMs: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
    classifier: fc.option(fc.constantFrom(...classifiers), { nil: undefined }),
    failures: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    backoff: fc.option(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1000, max: 100_000 })), {
      nil: undefined,
    }),
    static: fc.boolean(),
  })
  .map((r) => {
    const host = r.ip.includes(':') ? `[${r.ip}]` : r.ip;
    const port = r.port ?? (r.protocol === 'h2' ? 4142 : 4140);
    const dstPrefix = r.dstPrefix === undefined ? undefined : `/${r.dstPrefix.join('/')}`;
    const client: Record<string, unknown> = {};
    const service: Record<string, unknown> = {};
    const flat: Record<string, unknown> = {
      label: r.label ?? r.protocol,
      listen: `${host}:${port}`,
      admin: `127.0.0.1:${r.admin ?? 9990}`,
      protocol: r.protocol === 'h2' ? 'h2' : 'auto',
      client: { protocol: r.protocol === 'h2' ? 'h2' : 'inbound' },
      dtab: r.dtab,
    };
    if (dstPrefix !== undefined) flat.dstPrefix = dstPrefix;
    if (r.identifier !== undefined) flat.identifier = r.identifier;
    if (r.totalTimeoutMs !== undefined) service.totalTimeoutMs = flat.totalTimeoutMs = r.totalTimeoutMs;
    if (r.attemptTimeoutMs !== undefined) client.requestAttemptTimeoutMs = flat.attemptTimeoutMs = r.attemptTimeoutMs;
    if (r.classifier !== undefined) {
      service.responseClassifier = { kind: r.classifier[0] };
      flat.responseClassifier = r.classifier[1];
    }
    if (r.failures !== undefined || r.backoff !== undefined) {
      const fa: Record<string, unknown> = { kind: 'io.l5d.consecutiveFailures' };
      const flatFa: Record<string, unknown> = {};
      if (r.failures !== undefined) fa.failures = flatFa.failures = r.failures;
      if (r.backoff !== undefined) {
        fa.backoff = { kind: 'jittered', minMs: r.backoff[0], maxMs: r.backoff[1] };
        [flatFa.minBackoffMs, flatFa.maxBackoffMs] = r.backoff;
      }
      client.failureAccrual = fa;
      flat.failureAccrual = flatFa;
    }
    const policy = (p: Record<string, unknown>, everything: string) =>
      r.static ? { kind: 'io.l5d.static', configs: [{ prefix: everything, ...p }] } : p;
    const linkerd: Record<string, unknown> = {
      protocol: r.protocol,
      servers: [{ ip: r.ip, ...(r.port === undefined ? {} : { port: r.port }) }],
      dtab: r.dtab,
      client: policy(client, '/*'),
      service: policy(service, `${dstPrefix ?? '/svc'}/*`),
    };
    for (const key of ['label', 'identifier'] as const) if (r[key] !== undefined) linkerd[key] = r[key];
    if (dstPrefix !== undefined) linkerd.dstPrefix = dstPrefix;
    const top = { ...(r.admin === undefined ? {} : { admin: { port: r.admin } }), routers: [linkerd] };
    return { top, flat };
  });

describe('linkerd format ≡ flat format', () => {
  it('a linkerd router entry and its flat keys give the same settings', () => {
    fc.assert(
      fc.property(router, ({ top, flat }) => {
        // JSON is YAML: both go through the same text reader as a file would.
        const fromLinkerd = routerConfigs(JSON.stringify(top)).routers[0];
        expect(fromLinkerd).toEqual(routerConfig(JSON.stringify(flat)));
      }),
      { numRuns: 200 },
    );
  });
});
