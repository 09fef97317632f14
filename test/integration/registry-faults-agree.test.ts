/**
 * The registry's check of a fault config and a router's agree (fast-check, against a real router
 * process): a config the registry accepts is one every router takes — else each push would be a
 * 424 — and one a router refuses is one the registry refuses before storing it. Both parse with
 * the one rule parser (src/chaos/fault-rule-spec.ts); this shows it end to end, over the router's
 * populate route: a refusal is that parser's first problem as the router's 400/409, and the
 * registry's message lists every problem it found. Configs are built from valid and invalid parts
 * of every field; the registry also refuses unknown fields, which a router ignores, so none are
 * generated here.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRuleSpec } from '../../src/chaos/fault-rule-spec.js';
import { SwitchyardError } from '../../src/errors.js';
import { parseFaultConfig } from '../../src/registry/fault-config.js';
import { type DtabRouterProcess, startRouterOnDtab } from '../helpers/router-harness.js';

let router: DtabRouterProcess;
beforeAll(async () => {
  router = await startRouterOnDtab('/svc/web => /$/inet/127.0.0.1/9');
}, 30_000);
afterAll(async () => {
  await router?.stop();
});

/** Mostly valid, sometimes not: each field crosses the line on its own. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: invalid, weight: 1 });
const int = mostly(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(-1, 86_400_001, 1.5, '5'));
const toxic = fc.record(
  {
    name: mostly(fc.constantFrom('t1', 't2', ''), fc.constantFrom('bad name', 'x'.repeat(65))),
    type: mostly(
      fc.constantFrom('latency', 'down', 'abort', 'bandwidth', 'slow_close', 'timeout', 'limit_data'),
      fc.constantFrom('slicer', 'reset_peer', 'nope'),
    ),
    stream: mostly(fc.constantFrom('upstream', 'downstream'), fc.constant('sideways')),
    toxicity: mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(-0.5, 1.5, '1')),
    attributes: fc.record(
      {
        latency: int,
        jitter: int,
        status: mostly(fc.constantFrom(0, 200, 503, 599), fc.constantFrom(199, 600, -1)),
        grpc_status: mostly(fc.integer({ min: 0, max: 16 }), fc.constantFrom(17, -1)),
        message: mostly(fc.constantFrom('', 'down for maintenance'), fc.constantFrom('tab\there', 'x'.repeat(257))),
        mode: mostly(fc.constantFrom('refuse', 'reset'), fc.constant('explode')),
        rate: int,
        delay: int,
        timeout: int,
        bytes: int,
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['type'] },
);
const prefix = mostly(
  fc.constantFrom('*', '/svc/web', '/svc/web/', '/$/inet/127.0.0.1/7002', '/#/io.l5d.fs/web'),
  fc.constantFrom('svc', '', ' /a', `/${'a'.repeat(600)}`, null, 3),
);
const config = fc.record(
  {
    name: mostly(fc.constantFrom('f1', 'web-abort'), fc.constantFrom('', 'bad name!', 'x'.repeat(65), 7)),
    listen: prefix,
    upstream: prefix,
    header: mostly(
      fc.constantFrom('x-a', 'x-a: b', 'X-A:  b ', '', null),
      fc.constantFrom('x-a:', 'bad name', 5, `x-a: ${'v'.repeat(1030)}`),
    ),
    enabled: mostly(fc.boolean(), fc.constant('yes')),
    toxics: mostly(fc.array(toxic, { maxLength: 3 }), fc.constantFrom(null, {}, 'latency')),
  },
  { requiredKeys: ['name', 'upstream'] },
);

/** The registry's SY_ERR_INVALID_FAULT message, or null when it accepts the config. */
function registryRefusal(raw: unknown): string | null {
  try {
    parseFaultConfig(raw);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(SwitchyardError);
    return (e as Error).message;
  }
}

/** The router's Toxiproxy error body, or null when it took the config. */
async function routerRefusal(raw: Record<string, unknown>): Promise<{ error: string; status: number } | null> {
  const res = await fetch(`${router.adminUrl}/toxiproxy/populate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([raw]),
  });
  const body = (await res.json()) as { error: string; status: number };
  if (res.status >= 500) throw new Error(`router answered ${res.status}`);
  if (res.status < 300 && typeof raw.name === 'string') {
    await fetch(`${router.adminUrl}/toxiproxy/proxies/${encodeURIComponent(raw.name)}`, { method: 'DELETE' });
  }
  return res.status < 300 ? null : body;
}

describe('the registry and a router agree on fault configs', () => {
  it("accepts exactly what a router takes; both refuse with the one parser's problems", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(config, async (raw) => {
        const registry = registryRefusal(raw);
        const routerSays = await routerRefusal(raw);
        expect({ raw, registry: registry === null }).toEqual({ raw, registry: routerSays === null });
        if (registry === null || routerSays === null) {
          accepted++;
          return;
        }
        const parsed = parseRuleSpec(raw);
        if (!('problems' in parsed)) throw new Error(`the parser took ${JSON.stringify(raw)}`);
        const first = parsed.problems[0]!.error;
        // Populate names the entry: "… at proxy 1".
        expect(routerSays).toEqual({ error: `${first.message} at proxy 1`, status: first.status });
        for (const p of parsed.problems) expect(registry).toContain(`${p.field}: ${p.detail}`);
      }),
      { numRuns: 300, seed: 20261206 },
    );
    // The generator reaches both sides of the line.
    expect(accepted).toBeGreaterThan(30);
  }, 60_000);
});
