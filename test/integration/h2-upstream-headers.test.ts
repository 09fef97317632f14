/**
 * Header values the h2 upstream sends or refuses, as a property over hostile header text: what
 * it sends arrives at a real node:http2 server exactly (surrounding whitespace aside), and what
 * it refuses is refused as `rejected` before anything is written.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { H2Upstream } from '../../src/router/protocol/upstream/h2-upstream.js';
import { type H2UpstreamHarness, send, startH2Upstream, upstreamRequest } from '../helpers/h2-upstream-harness.js';

let server: H2UpstreamHarness;
let upstream: H2Upstream;
beforeAll(async () => {
  server = await startH2Upstream((stream) => {
    stream.respond({ ':status': 204 });
    stream.end();
  });
  upstream = new H2Upstream(server.host, server.port);
});
afterAll(async () => {
  await upstream.destroy();
  await server.close();
});

// Mostly good characters with a few bad ones, so both outcomes are common.
const nameChar = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('a', 'z', 'A', '-', '_', '0') },
  { weight: 1, arbitrary: fc.constantFrom(' ', ':', '\n', '@', '\x00') },
);
const valueChar = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('a', 'Z', '0', ' ', '\t', ';', '"', ':', ',') },
  { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\x00', '\x7f') },
);

it('sends what an h2 peer accepts and rejects the rest before writing', async () => {
  const outcomes = { sent: 0, rejected: 0 };
  await fc.assert(
    fc.asyncProperty(
      fc.string({ unit: nameChar, minLength: 1, maxLength: 6 }),
      fc.string({ unit: valueChar, maxLength: 12 }),
      async (suffix, value) => {
        const name = `x-${suffix}`;
        const streamsBefore = server.streams.length;
        const r = send(upstream, upstreamRequest('/', [name, value]));
        const end = await r.done;
        const acceptable = /^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/.test(name) && !/[\x00-\x08\x0a-\x1f\x7f]/.test(value);
        if (!acceptable) {
          expect(end.kind === 'error' && end.failure).toBe('rejected');
          expect(server.streams.length).toBe(streamsBefore);
          outcomes.rejected++;
          return;
        }
        expect(end.kind).toBe('end');
        expect(server.streams.at(-1)?.headers[name.toLowerCase()]).toBe(value.replace(/^[ \t]+|[ \t]+$/g, ''));
        outcomes.sent++;
      },
    ),
    { numRuns: 300, seed: 1206 },
  );
  console.log('header property over 300 runs:', outcomes);
  expect(outcomes.sent).toBeGreaterThan(0);
  expect(outcomes.rejected).toBeGreaterThan(0);
  // Every refused header was found before a stream was opened: one session carried all the rest.
  expect(server.sessions).toHaveLength(1);
}, 60_000);
