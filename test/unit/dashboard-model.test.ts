/**
 * The two computations the dashboards make themselves: rates and success rates from two
 * snapshots of linkerd's flat metrics, and the line diff of the dtab editor (a property: the
 * diff's kept and removed lines are the old text, its kept and added lines the new one).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineDiff } from '../../src/ui/web/line-diff.js';
import { rows } from '../../src/ui/web/metrics-model.js';

describe('dashboard rates', () => {
  it('turns counter deltas into requests/s and the interval success rate, per router, service and client', () => {
    const before = {
      'rt/http/server/requests': 100,
      'rt/http/server/success': 90,
      'rt/http/server/failures': 10,
      'rt/http/service/svc/web/requests': 100,
      'rt/http/service/svc/web/success': 100,
      'rt/http/client/$/inet/127.0.0.1/80/requests': 5,
    };
    const after = {
      ...before,
      'rt/http/server/requests': 300,
      'rt/http/server/success': 280,
      'rt/http/server/failures': 20,
      'rt/http/server/request_latency_ms.p99': 12,
      'rt/http/server/protocol/http/requests': 300,
      'rt/http/service/svc/web/requests': 150,
      'rt/http/service/svc/web/success': 150,
    };
    const [server, service, client] = rows(before, after, 2);
    expect(server).toMatchObject({ kind: 'server', label: 'http', rps: 100, successRate: 190 / 200, p99: 12 });
    expect(service).toMatchObject({ kind: 'service', name: 'svc/web', rps: 25, successRate: 1, requests: 150 });
    expect(client).toMatchObject({ kind: 'client', name: '$/inet/127.0.0.1/80', rps: 0 });
    expect(client!.successRate).toBeNaN();
    expect(rows(before, after, 2)).toHaveLength(3);
  });
});

describe('dtab editor diff', () => {
  const text = fc.array(fc.constantFrom('/a=>/b', '/c=>/d', '/e=>/f', ''), { maxLength: 30 }).map((l) => l.join('\n'));
  it('keeps and removes the old lines, keeps and adds the new ones', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const d = lineDiff(a, b);
        const old = d.filter((l) => l.op !== '+').map((l) => l.text);
        const now = d.filter((l) => l.op !== '-').map((l) => l.text);
        expect(old.join('\n')).toBe(a.replace(/\n$/, ''));
        expect(now.join('\n')).toBe(b.replace(/\n$/, ''));
      }),
    );
  });
});
