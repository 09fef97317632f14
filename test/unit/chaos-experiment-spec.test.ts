/**
 * The pure parts of chaos experiments (docs/experiments.md): the file's validation (any JSON value
 * gives an experiment or a list of problems, never an exception; a valid file round-trips its
 * figures), /proc/net/tcp address decoding, and the judging of a process by its command line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeFigures } from '../../src/experiment/hypothesis.js';
import { decodeAddress, switchyardRole } from '../../src/experiment/local-process.js';
import { validateExperiment } from '../../src/experiment/spec.js';

const good = {
  title: 'gen survives',
  steadyStateHypothesis: {
    probes: [
      {
        name: 'gen',
        window: '2s',
        router: { registry: 'http://127.0.0.1:4190/', service: '/svc/gen' },
        tolerance: { minSuccessRate: 0.99, maxP99: '250ms' },
      },
    ],
  },
  method: [
    { action: 'kill-pod', labelSelector: 'app.kubernetes.io/name in (gen, word),tier!=db' },
    { action: 'wait', duration: '1m30s' },
    {
      action: 'add-toxic',
      api: 'http://127.0.0.1:9990/toxiproxy',
      proxy: 'gen',
      toxic: { name: 'slow', type: 'latency', attributes: { latency: 100 } },
    },
  ],
};

describe('experiment files', () => {
  it('reads a valid file into numbers, with the defaults', () => {
    const { experiment } = validateExperiment(good);
    expect(experiment?.hypothesis.title).toBe('steady state');
    expect(experiment?.hypothesis.probes[0]).toEqual({
      name: 'gen',
      windowMs: 2000,
      source: {
        kind: 'router',
        admins: [],
        registry: 'http://127.0.0.1:4190',
        routerLabel: 'http',
        scope: 'service',
        name: '/svc/gen',
      },
      tolerance: { minSuccessRate: 0.99, maxP99Ms: 250, minRequests: 20 },
    });
    expect(experiment?.method).toEqual([
      { action: 'kill-pod', namespace: 'default', labelSelector: 'app.kubernetes.io/name in (gen, word),tier!=db' },
      { action: 'wait', ms: 90_000 },
      {
        action: 'add-toxic',
        api: 'http://127.0.0.1:9990/toxiproxy',
        proxy: 'gen',
        toxic: { name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 100 } },
      },
    ]);
    expect(Object.isFrozen(experiment?.method[2])).toBe(true);
  });

  it('any JSON value gives an experiment or problems, never an exception', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (raw) => {
        const r = validateExperiment(raw);
        expect(r.experiment === null ? r.problems.length > 0 : r.problems === null).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a valid file with one field broken names that field', () => {
    const breakers: [string, (e: typeof good) => void][] = [
      ['steadyStateHypothesis.probes[0].window', (e) => (e.steadyStateHypothesis.probes[0]!.window = '-1s')],
      ['method[1].duration', (e) => (e.method[1] = { action: 'wait', duration: 'soon' } as never)],
      [
        'method[2].toxic.attributes.latency',
        (e) => ((e.method[2] as { toxic: { attributes: object } }).toxic.attributes = { latency: {} }),
      ],
      [
        'steadyStateHypothesis.probes[0].router.registry',
        (e) => (e.steadyStateHypothesis.probes[0]!.router.registry = 'file:///etc'),
      ],
    ];
    for (const [path, breakIt] of breakers) {
      const copy = structuredClone(good);
      breakIt(copy);
      const { problems } = validateExperiment(copy);
      expect(
        problems?.map((p) => p.split(':')[0]),
        path,
      ).toEqual([path]);
    }
  });
});

describe('judging a window', () => {
  const t = { minSuccessRate: 0.99, maxP99Ms: 100, minRequests: 10 };
  it('names the probe and the figure that failed', () => {
    expect(judgeFigures('web', { requests: 200, failures: 4, p99Ms: 50, p99Source: 'window' }, t)).toEqual([
      'web: success rate 98.00% (4 of 200 failed) is below 99.00%',
    ]);
    expect(judgeFigures('web', { requests: 200, failures: 0, p99Ms: 250, p99Source: 'window' }, t)).toEqual([
      'web: p99 250 ms is above 100 ms',
    ]);
    expect(judgeFigures('web', { requests: 3, failures: 0, p99Ms: 1, p99Source: 'window' }, t)).toEqual([
      'web: 3 requests in the window, fewer than the 10 it needs as evidence',
    ]);
    expect(judgeFigures('web', { requests: 200, failures: 2, p99Ms: 100, p99Source: 'window' }, t)).toEqual([]);
  });
});

describe('local processes', () => {
  it('decodes /proc/net/tcp and tcp6 addresses', () => {
    expect(decodeAddress('0100007F:1F90')).toEqual({ ip: '127.0.0.1', port: 8080 });
    expect(decodeAddress('00000000:0050')).toEqual({ ip: '0.0.0.0', port: 80 });
    expect(decodeAddress('00000000000000000000000001000000:0016')).toEqual({ ip: '::1', port: 22 });
    expect(decodeAddress('00000000000000000000000000000000:0016')).toEqual({ ip: '::', port: 22 });
    expect(decodeAddress('0000000000000000FFFF00000100007F:0016')).toEqual({ ip: '127.0.0.1', port: 22 });
    expect(decodeAddress('garbage')).toBeNull();
  });

  it('judges a process by its command line: switchyard peer, router or app only', () => {
    expect(switchyardRole(['/usr/bin/node', '/app/bin/switchyard.js', 'peer', '--label', 'gen'])).toEqual({
      role: 'peer',
    });
    expect(switchyardRole(['node', '/usr/local/bin/switchyard', 'router', '--listen', ':4140'])).toEqual({
      role: 'router',
    });
    expect(switchyardRole(['node', '--enable-source-maps', '/app/bin/switchyard.js', 'example-app', 'gen'])).toEqual({
      role: 'example-app',
    });
    expect(switchyardRole(['node', '/app/bin/switchyard.js', 'registry'])).toMatchObject({
      refused: expect.stringContaining('switchyard registry'),
    });
    expect(switchyardRole(['node', '/app/bin/switchyard.js', 'namerd'])).toHaveProperty('refused');
    expect(switchyardRole(['python3', '-m', 'http.server'])).toHaveProperty('refused');
    expect(switchyardRole(['node', '-e', 'require("switchyard")', 'peer'])).toHaveProperty('refused');
    expect(switchyardRole(['/usr/bin/sshd', 'switchyard', 'peer'])).toHaveProperty('refused');
    expect(switchyardRole([])).toHaveProperty('refused');
  });
});
