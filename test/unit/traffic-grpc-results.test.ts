/**
 * gRPC results: good is grpc-status 0, bad any other code or none, failed no response;
 * countsByGrpcStatus beside countsByStatusCodes; tracked headers found in the trailers too, with
 * their values split by grpc-status; the registry's merge carries all of it. And the frame
 * counter that lets the generator count streamed messages without keeping them: any split of
 * any frames into chunks counts the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeClientResults } from '../../src/registry/client-results-merge.js';
import type { InstanceLocker } from '../../src/registry/locker.js';
import * as router from '../../src/router/protocol/grpc/status.js';
import { parseGrpcTimeout } from '../../src/router/protocol/grpc/timeout.js';
import { formatGrpcTimeout, grpcStatusFromHttp, parseGrpcStatus } from '../../src/traffic/grpc-codes.js';
import { GrpcFrameCounter } from '../../src/traffic/h2-exchange.js';
import { type Outcome, TargetResults } from '../../src/traffic/target-results.js';

const call = (grpcStatus: number | null, version: string, where: 'headers' | 'trailers' = 'headers'): Outcome => ({
  status: 200,
  headers: where === 'headers' ? { 'x-version': version } : {},
  trailers: where === 'trailers' ? { 'x-version': version } : null,
  grpcStatus,
  error: grpcStatus === null ? 'grpc-status-missing' : null,
  latencyUs: 1000,
  retries: 0,
  retryReason: null,
});

function locker(r: TargetResults): InstanceLocker {
  const at = '2026-01-01T00:00:00.000Z';
  const node = { data: JSON.parse(JSON.stringify(r)), firstReported: at, lastReported: at };
  return {
    active: true,
    locker: {
      firstReported: at,
      lastReported: at,
      subKeys: { client: { firstReported: at, lastReported: at, subKeys: { gen: node } } },
    },
  };
}

describe('gRPC results', () => {
  const results = () => {
    const r = new TargetResults('gen');
    r.begin(['x-version'], '/proto.GenSvc/Gen');
    r.record(call(0, 'gen'));
    r.record(call(0, 'gen-growthhack', 'trailers'));
    r.record(call(14, 'gen'));
    r.record(call(null, 'gen'));
    r.record({ ...call(null, 'gen'), status: 0, headers: null, error: 'refused' });
    r.end();
    return r;
  };

  it('classifies by grpc-status and counts it beside the HTTP status', () => {
    const j = results().toJSON();
    expect(j).toMatchObject({ requests: 5, good: 2, bad: 2, failed: 1 });
    expect(j.countsByGrpcStatus).toEqual({ 0: 2, 14: 1 });
    expect(j.countsByStatusCodes).toEqual({ 200: 4 });
    expect(j.countsByErrors).toEqual({ 'grpc-status-missing': 1, refused: 1 });
  });

  it('tracks headers from the trailers and splits each value by grpc-status', () => {
    const h = results().toJSON().countsByHeaders['x-version']!;
    expect(h.countsByValues).toEqual({ gen: 3, 'gen-growthhack': 1 });
    expect(h.countsByGrpcStatus).toEqual({ 0: 2, 14: 1 });
    expect(h.countsByValuesGrpcStatus).toEqual({ gen: { 0: 1, 14: 1 }, 'gen-growthhack': { 0: 1 } });
  });

  it('HTTP results carry no grpc maps per header', () => {
    const r = new TargetResults('web');
    r.begin(['x-version'], '/');
    r.record({ status: 200, headers: { 'x-version': 'v1' }, error: null, latencyUs: 1, retries: 0, retryReason: null });
    const j = r.toJSON();
    expect(j.countsByGrpcStatus).toEqual({});
    expect(j.countsByHeaders['x-version']).not.toHaveProperty('countsByGrpcStatus');
  });

  it("the registry's merge adds the grpc maps of every pod", () => {
    const merged = mergeClientResults([locker(results()), locker(results())]);
    expect(merged.byTargets.gen).toMatchObject({
      good: 4,
      bad: 4,
      countsByGrpcStatus: { 0: 4, 14: 2 },
      countsByHeaders: { 'x-version': { countsByValuesGrpcStatus: { gen: { 0: 2, 14: 2 } } } },
    });
    expect(merged.summary.countsByGrpcStatus).toEqual({ 0: 4, 14: 2 });
  });
});

describe('GrpcFrameCounter', () => {
  it('counts messages however the bytes are split, keeping none of them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 30 }),
        (messages, cuts) => {
          const wire = Buffer.concat(
            messages.map((m) => {
              const prefix = Buffer.alloc(5);
              prefix.writeUInt32BE(m.length, 1);
              return Buffer.concat([prefix, m]);
            }),
          );
          const counter = new GrpcFrameCounter();
          for (let at = 0, i = 0; at < wire.length; i++) {
            const n = cuts[i % cuts.length]!;
            counter.push(wire.subarray(at, at + n));
            at += n;
          }
          expect(counter.messages).toBe(messages.length);
          expect(counter.partial).toBe(false);
        },
      ),
    );
  });

  it('a 4 GiB announcement is skipped, not allocated', () => {
    const counter = new GrpcFrameCounter();
    counter.push(Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect(counter.messages).toBe(1);
    expect(counter.partial).toBe(true);
  });
});

describe("the generator's gRPC rules agree with the router's", () => {
  it('reads grpc-status values and maps HTTP errors the same way', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 12 }),
          fc.stringMatching(/^[0-9]{1,12}$/),
          fc.integer({ min: -5, max: 120 }).map(String),
        ),
        (v) => {
          expect(parseGrpcStatus(v)).toBe(router.parseGrpcStatus(v));
        },
      ),
    );
    for (let status = 100; status < 600; status++)
      expect(grpcStatusFromHttp(status)).toBe(router.grpcStatusFromHttp(status));
  });

  it('writes a grpc-timeout the router reads back as no shorter than asked', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1e12, noNaN: true }), (ms) => {
        const read = parseGrpcTimeout(formatGrpcTimeout(ms));
        expect(read.ok && read.ms >= Math.min(ms, 99_999_999_000)).toBe(true);
      }),
    );
  });
});
