/**
 * Toxic bodies and addresses as switchyard toxiproxy judges them: any JSON either becomes a toxic
 * whose every attribute is an integer in range, or is refused with a 400 in Toxiproxy's shape;
 * only loopback addresses pass.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/chaos/api-error.js';
import { isLoopback, loopbackAddress, splitHostPort } from '../../src/chaos/loopback.js';
import { parseToxic, TCP_TOXIC_TYPES, TOXIC_TYPES } from '../../src/chaos/toxics.js';

const types = [...TCP_TOXIC_TYPES];
const attributeValue = fc.oneof(
  fc.integer({ min: -10, max: 2 ** 41 }),
  fc.double(),
  fc.string(),
  fc.constant(null),
  fc.constant(1e300),
);
const body = fc.record(
  {
    name: fc.oneof(fc.string(), fc.constant(undefined), fc.integer()),
    type: fc.oneof(fc.constantFrom(...types), fc.string()),
    stream: fc.oneof(fc.constantFrom('upstream', 'downstream'), fc.string()),
    toxicity: fc.oneof(fc.double(), fc.constant(undefined), fc.string()),
    attributes: fc.oneof(
      fc.dictionary(
        fc.constantFrom(
          'latency',
          'jitter',
          'rate',
          'delay',
          'timeout',
          'bytes',
          'average_size',
          'size_variation',
          'x',
        ),
        attributeValue,
      ),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);

describe('toxiproxy toxics', () => {
  it('any body is a toxic with integer attributes in range, or a 400 ApiError', () => {
    fc.assert(
      fc.property(fc.oneof(body, fc.anything()), (raw) => {
        let toxic: ReturnType<typeof parseToxic>;
        try {
          toxic = parseToxic(raw, TCP_TOXIC_TYPES);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          expect((e as ApiError).status).toBe(400);
          return;
        }
        const spec = TOXIC_TYPES[toxic.type]!;
        expect(Object.keys(toxic.attributes).sort()).toEqual(Object.keys(spec).sort());
        for (const [key, value] of Object.entries(toxic.attributes)) {
          expect(Number.isInteger(value)).toBe(true);
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThanOrEqual((spec[key] as { max: number }).max);
        }
        expect(toxic.toxicity >= 0 && toxic.toxicity <= 1).toBe(true);
        expect(toxic.name).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
      }),
      { numRuns: 500 },
    );
  });

  it('defaults as Toxiproxy: downstream, toxicity 1, name type_stream, attributes 0', () => {
    expect(parseToxic({ type: 'slicer', stream: 'upstream' }, TCP_TOXIC_TYPES)).toEqual({
      name: 'slicer_upstream',
      type: 'slicer',
      stream: 'upstream',
      toxicity: 1,
      attributes: { average_size: 0, size_variation: 0, delay: 0 },
    });
  });
});

describe('toxiproxy addresses', () => {
  it('knows loopback from everything else', () => {
    for (const ip of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1']) expect(isLoopback(ip), ip).toBe(true);
    for (const ip of ['10.0.0.1', '0.0.0.0', '::', '169.254.169.254', '::ffff:10.0.0.1', 'localhost', '']) {
      expect(isLoopback(ip), ip).toBe(false);
    }
  });

  it('splits host:port and refuses the rest', () => {
    expect(splitHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(splitHostPort('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    for (const bad of ['127.0.0.1', ':80', '127.0.0.1:65536', 'a b:1', '127.0.0.1:80/x', '[::1]:']) {
      expect(splitHostPort(bad), bad).toBeNull();
    }
  });

  it('resolves a name and accepts it only when every address is loopback', async () => {
    expect((await loopbackAddress('upstream', 'localhost:6379', false)).ip).toSatisfy(isLoopback);
    await expect(loopbackAddress('upstream', '10.1.1.1:80', false)).rejects.toMatchObject({ status: 400 });
    await expect(loopbackAddress('upstream', '127.0.0.1:0', false)).rejects.toMatchObject({ status: 400 });
    await expect(loopbackAddress('listen', `${'a'.repeat(400)}:1`, true)).rejects.toMatchObject({ status: 400 });
  });
});
