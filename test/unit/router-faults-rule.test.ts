/**
 * Fault rules and router toxics as the router judges them: any JSON either becomes a rule whose
 * selectors and toxics are valid, or is refused with Toxiproxy's 400; prefixes select whole
 * path segments; a header selector matches its name case-insensitively and its value exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/chaos/api-error.js';
import { parseToxic, ROUTER_TOXIC_TYPES, TOXIC_TYPES } from '../../src/chaos/toxics.js';
import { FaultRule, parseRule, selects } from '../../src/router/faults/fault-rule.js';

const prefix = fc.oneof(
  fc.constantFrom('*', '/svc/web', '/#/io.l5d.fs/gen', '/$/inet/127.0.0.1/7002', '', 'svc', '/a b'),
  fc.string(),
);
const toxic = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...ROUTER_TOXIC_TYPES, 'slicer', 'reset_peer'), fc.string()),
    stream: fc.constantFrom('upstream', 'downstream', 'x'),
    toxicity: fc.oneof(fc.double(), fc.constant(0.5)),
    attributes: fc.dictionary(
      fc.constantFrom('latency', 'jitter', 'status', 'grpc_status', 'message', 'mode', 'bytes', 'rate'),
      fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.string(), fc.constantFrom('refuse', 'reset')),
    ),
  },
  { requiredKeys: [] },
);
const body = fc.record(
  {
    name: fc.oneof(fc.string(), fc.constantFrom('canary', 'x'.repeat(65)), fc.integer()),
    listen: prefix,
    upstream: prefix,
    header: fc.oneof(fc.string(), fc.constantFrom('x-chaos', 'X-Chaos: on', 'bad name: x', 'x: \u0001')),
    enabled: fc.oneof(fc.boolean(), fc.string()),
    toxics: fc.oneof(fc.array(toxic, { maxLength: 3 }), fc.anything()),
  },
  { requiredKeys: [] },
);

describe('router fault rules', () => {
  it('any body is a valid rule or a 400/409 ApiError', () => {
    fc.assert(
      fc.property(fc.oneof(body, fc.anything()), (raw) => {
        let rule: FaultRule;
        try {
          rule = new FaultRule(parseRule(raw));
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          expect([400, 409]).toContain((e as ApiError).status);
          return;
        }
        expect(rule.name).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
        for (const p of [rule.listen, rule.upstream]) expect(p === '*' || /^\/[\x21-\x7e]*$/.test(p)).toBe(true);
        for (const t of rule.allToxics) {
          expect(ROUTER_TOXIC_TYPES.has(t.type)).toBe(true);
          expect(Object.keys(t.attributes).sort()).toEqual(Object.keys(TOXIC_TYPES[t.type]!).sort());
        }
        expect(JSON.parse(JSON.stringify(rule))).toMatchObject({ name: rule.name });
      }),
      { numRuns: 1000 },
    );
  });

  it('router toxics have router attributes; TCP-only types are refused', () => {
    expect(parseToxic({ type: 'abort', attributes: { grpc_status: 14, message: 'x' } }, ROUTER_TOXIC_TYPES)).toEqual({
      name: 'abort_downstream',
      type: 'abort',
      stream: 'downstream',
      toxicity: 1,
      attributes: { status: 0, grpc_status: 14, message: 'x' },
    });
    expect(parseToxic({ type: 'down' }, ROUTER_TOXIC_TYPES).attributes).toEqual({ mode: 'refuse' });
    expect(() => parseToxic({ type: 'slicer' }, ROUTER_TOXIC_TYPES)).toThrow('invalid toxic type');
  });

  it('prefixes select whole segments', () => {
    expect(selects('/svc/web', '/svc/web')).toBe(true);
    expect(selects('/svc/web', '/svc/web/v2')).toBe(true);
    expect(selects('/svc/web', '/svc/webby')).toBe(false);
    expect(selects('/svc/web', '/svc')).toBe(false);
    expect(selects('*', '/anything')).toBe(true);
    expect(selects('/', '/anything')).toBe(true);
    expect(parseRule({ name: 'a', upstream: '/$/inet/127.0.0.1/7002/' }).upstream).toBe('/$/inet/127.0.0.1/7002');
    // Every trailing `/` goes, so a rule's printed form parses to itself (the registry stores that form).
    expect(parseRule({ name: 'a', upstream: '/svc/web//' }).upstream).toBe('/svc/web');
    expect(parseRule({ name: 'a', upstream: '///' }).upstream).toBe('/');
  });

  it('a header selector: name in any case, value exact after trimming', () => {
    const rule = new FaultRule(parseRule({ name: 'h', upstream: '*', header: 'X-Chaos: on' }));
    expect(rule.matches('/svc/a', '/c', ['x-chaos', ' on '])).toBe(true);
    expect(rule.matches('/svc/a', '/c', ['X-CHAOS', 'on'])).toBe(true);
    expect(rule.matches('/svc/a', '/c', ['x-chaos', 'off'])).toBe(false);
    expect(rule.matches('/svc/a', '/c', [])).toBe(false);
    const header = (text: string) => parseRule({ name: 'h', upstream: '*', header: text }).header;
    expect(header('x-chaos')).toEqual({ name: 'x-chaos', value: undefined, text: 'x-chaos' });
    expect(() => header('x'.repeat(257))).toThrow(/header name/);
  });
});
