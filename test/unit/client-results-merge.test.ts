/**
 * The registry's merge of pods' locker snapshots: counts add up, the earliest first result and
 * the latest last result win, a target still running on one pod is running, and latency
 * percentiles come from the merged histograms — the same numbers one generator would have
 * reported for all the requests.
 */
import { describe, expect, it } from 'vitest';
import { mergeClientResults } from '../../src/registry/client-results-merge.js';
import type { InstanceLocker } from '../../src/registry/locker.js';
import { type Outcome, TargetResults } from '../../src/traffic/target-results.js';

const ok = (latencyUs: number, version: string, status = 200): Outcome => ({
  status,
  headers: { 'x-version': version },
  error: null,
  latencyUs,
  retries: 0,
  retryReason: null,
});

function locker(targets: Record<string, TargetResults>): InstanceLocker {
  const at = '2026-01-01T00:00:00.000Z';
  const subKeys = Object.fromEntries(
    Object.entries(targets).map(([name, r]) => [
      name,
      { data: JSON.parse(JSON.stringify(r)), firstReported: at, lastReported: at },
    ]),
  );
  return {
    active: true,
    locker: {
      firstReported: at,
      lastReported: at,
      subKeys: { client: { firstReported: at, lastReported: at, subKeys } },
    },
  };
}

describe('mergeClientResults', () => {
  it('adds counts, keeps the time span, and recomputes percentiles from the merged histograms', () => {
    const a = new TargetResults('split');
    const b = new TargetResults('split');
    const all = new TargetResults('split');
    a.begin(['x-version'], '/', 1_000);
    b.begin(['x-version'], '/', 2_000);
    all.begin(['x-version'], '/', 1_000);
    for (let i = 0; i < 400; i++) {
      const outcome = ok(100 + i * 37, i % 5 === 0 ? 'v2' : 'v1', i % 7 === 0 ? 503 : 200);
      (i % 2 === 0 ? a : b).record(outcome, 1_000 + i * 10);
      all.record(outcome, 1_000 + i * 10);
    }
    a.end(5_000);
    const merged = mergeClientResults([locker({ split: a }), locker({ split: b }), locker({})]);
    expect(merged.instances).toBe(2);
    const m = merged.byTargets.split as unknown as ReturnType<TargetResults['toJSON']>;
    const expected = all.toJSON();
    expect(m.requests).toBe(400);
    expect(m.invocationCount).toBe(2);
    expect(m.countsByStatusCodes).toEqual(expected.countsByStatusCodes);
    expect(m.countsByHeaders).toEqual(expected.countsByHeaders);
    expect(m.latency).toEqual(expected.latency);
    expect(m.firstResultAt).toBe(new Date(1_000).toISOString());
    expect(m.lastResultAt).toBe(new Date(1_000 + 399 * 10).toISOString());
    expect(m.running).toBe(true);
    expect(m.finishedAt).toBeNull();
    expect('intervals' in m).toBe(false);
    expect(merged.summary).toMatchObject({ target: '', requests: 400 });
  });

  it('sums targets into the summary and ignores what is not a results object', () => {
    const x = new TargetResults('x');
    const y = new TargetResults('y');
    x.begin([], '/x', 0);
    y.begin([], '/y', 0);
    x.record(ok(1000, 'v1'), 1);
    y.record(ok(3000, 'v1'), 2);
    x.end(3);
    y.end(4);
    const odd = locker({ x });
    odd.locker.subKeys!.client!.subKeys!.junk = { data: 'text', firstReported: '', lastReported: '' };
    const merged = mergeClientResults([odd, locker({ y })]);
    expect(Object.keys(merged.byTargets).sort()).toEqual(['x', 'y']);
    expect(merged.summary).toMatchObject({
      requests: 2,
      running: false,
      countsByURIs: { '/x': { count: 1 }, '/y': { count: 1 } },
    });
    expect((merged.summary.latency as { max: number }).max).toBe(3);
  });
});
