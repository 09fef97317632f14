/**
 * The registry's check of a fault config before it stores or pushes it: a valid proxy with its
 * toxics comes back normalised (defaults filled in, the form pods receive), anything else is one
 * SY_ERR_INVALID_FAULT listing every problem, a toxic's named by its place in the list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/errors.js';
import { parseFaultConfig } from '../../src/registry/fault-config.js';

function problem(raw: unknown): string {
  try {
    parseFaultConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(SwitchyardError);
    expect((e as SwitchyardError).code).toBe('SY_ERR_INVALID_FAULT');
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

describe('parseFaultConfig', () => {
  it('fills in the defaults of the proxy and of each toxic', () => {
    const config = parseFaultConfig({
      name: 'web-slow',
      upstream: '*',
      toxics: [{ type: 'latency', attributes: { latency: 200 } }],
    });
    expect(config).toEqual({
      name: 'web-slow',
      listen: '*',
      upstream: '*',
      enabled: true,
      toxics: [
        {
          name: 'latency_downstream',
          type: 'latency',
          stream: 'downstream',
          toxicity: 1,
          attributes: { latency: 200, jitter: 0 },
        },
      ],
    });
  });

  it('keeps a header selector and a service prefix', () => {
    const config = parseFaultConfig({
      name: 'canary-only',
      listen: '/svc/web',
      upstream: '/$/inet/127.0.0.1/7002',
      header: 'x-canary: 1',
      enabled: false,
    });
    expect(config).toMatchObject({ listen: '/svc/web', header: 'x-canary: 1', enabled: false, toxics: [] });
  });

  it('stores the form a router prints: header lower-cased and trimmed, trailing slashes dropped', () => {
    const config = parseFaultConfig({
      name: 'f',
      listen: '/svc/web//',
      upstream: '/$/inet/127.0.0.1/7002/',
      header: ' X-Canary :  1 ',
    });
    expect(config).toMatchObject({ listen: '/svc/web', upstream: '/$/inet/127.0.0.1/7002', header: 'x-canary: 1' });
  });

  it('lists every problem, a toxic by its place', () => {
    const message = problem({
      name: 'bad name!',
      listen: 'svc/web',
      bogus: 1,
      toxics: [{ type: 'latency' }, { type: 'nope' }, { type: 'latency', toxicity: 2 }],
    });
    expect(message).toContain('bogus: unknown field');
    expect(message).toContain('name: must be 1 to 64');
    expect(message).toContain('listen: must be "*" or a path prefix');
    expect(message).toContain('upstream: must be "*" or a path prefix');
    expect(message).toContain('toxics[1]: invalid toxic type');
    expect(message).toContain('toxics[2]: bad request body: toxicity must be a number from 0 to 1');
  });

  it('refuses non-objects, duplicate toxic names, bad headers and too many toxics', () => {
    for (const raw of [null, [], 'x', 3]) expect(problem(raw)).toContain('JSON object');
    const twice = { name: 'f', upstream: '*', toxics: [{ type: 'latency' }, { type: 'latency' }] };
    expect(problem(twice)).toContain('toxics[1]: the name latency_downstream appears twice');
    expect(problem({ name: 'f', upstream: '*', header: 'bad name: v' })).toContain('header:');
    expect(problem({ name: 'f', upstream: '*', header: 'x-a:' })).toContain('header:');
    const many = {
      name: 'f',
      upstream: '*',
      toxics: Array.from({ length: 33 }, (_, i) => ({ type: 'latency', name: `t${i}` })),
    };
    expect(problem(many)).toContain('toxics: at most 32');
    expect(problem({ name: 'f', upstream: '*', toxics: {} })).toContain('toxics: must be a list');
  });

  it('is idempotent on what it accepts, and throws only its own error on any JSON', () => {
    const toxic = fc.record(
      {
        name: fc.stringMatching(/^[a-z]{1,8}$/),
        type: fc.constantFrom('latency', 'timeout', 'bandwidth', 'nope'),
        stream: fc.constantFrom('upstream', 'downstream', 'sideways'),
        toxicity: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), fc.constant(1)),
        attributes: fc.dictionary(
          fc.constantFrom('latency', 'jitter', 'timeout', 'rate'),
          fc.integer({ min: -5, max: 1e6 }),
        ),
      },
      { requiredKeys: ['type'] },
    );
    const config = fc.record(
      {
        name: fc.oneof(fc.stringMatching(/^[a-z0-9_.-]{1,10}$/), fc.string()),
        listen: fc.oneof(fc.constant('*'), fc.stringMatching(/^\/[a-z/]{0,10}$/), fc.string()),
        upstream: fc.oneof(fc.constant('*'), fc.stringMatching(/^\/[a-z/#$.0-9]{0,10}$/)),
        header: fc.oneof(fc.constant('x-a'), fc.constant('x-a: b'), fc.string()),
        enabled: fc.oneof(fc.boolean(), fc.anything()),
        toxics: fc.array(toxic, { maxLength: 4 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(config, fc.jsonValue()), (raw) => {
        let parsed: ReturnType<typeof parseFaultConfig>;
        try {
          parsed = parseFaultConfig(raw);
        } catch (e) {
          expect((e as SwitchyardError).code).toBe('SY_ERR_INVALID_FAULT');
          return;
        }
        expect(parseFaultConfig(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
      }),
      { numRuns: 500, seed: 4242 },
    );
  });
});
