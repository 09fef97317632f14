/**
 * Canary specs are untrusted input: every bad field is named, all of them at once, absurd values
 * are refused before anything is sent, and the CLIs exit with their usage codes (namectl 2,
 * switchyard 64). The run's state, kept in namerd's history messages, reads back exactly and
 * ignores messages that only look like it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readClients, windowOf } from '../../src/canary/client-metrics.js';
import { validateSpec } from '../../src/canary/spec.js';
import { latestState, readState, stateMessage, stateProblem } from '../../src/canary/state.js';
import { main as namectl } from '../../src/cli/namectl.js';
import { main as switchyard } from '../../src/cli/switchyard.js';
import { repoRoot, runMain } from '../helpers/cli-run.js';

const good = {
  namespace: 'default',
  service: '/srv/proto.GenSvc',
  primary: '/srv/gen',
  canary: '/srv/gen-growthhack',
  steps: [5, 20, 50, 100],
  interval: '1m',
};

describe('canary spec validation', () => {
  it('accepts the walkthrough spec with its defaults', () => {
    const { spec } = validateSpec(good);
    expect(spec).toMatchObject({
      steps: [5, 20, 50, 100],
      intervalMs: 60_000,
      fallback: false,
      gates: { minRequests: 20, alpha: 0.05, maxErrorRate: null },
      routers: ['http://127.0.0.1:9990'],
    });
  });

  it("k8s/canary-controller.yaml's spec is valid and finds the routers through the registry", () => {
    const docs = parseAllDocuments(readFileSync(join(repoRoot, 'k8s/canary-controller.yaml'), 'utf8')).map((d) =>
      d.toJS(),
    );
    const map = docs.find((d) => d.kind === 'ConfigMap');
    const { spec, problems } = validateSpec(parseAllDocuments(map.data['canary.yaml'])[0]!.toJS());
    expect(problems).toBeNull();
    expect(spec).toMatchObject({ registry: 'http://registry:4190', routers: [], fallback: true });
  });

  it('names every bad field at once', () => {
    const { problems } = validateSpec({
      namespace: 'a b',
      service: 'srv',
      primary: '/srv/gen',
      canary: '/srv/gen',
      steps: [5, 20, 50],
      interval: '100y',
      fallback: 'yes',
      minRequests: -1,
      significance: 2,
      maxErrorRate: 1.5,
      maxP99: 'fast',
      p99Factor: 0.5,
      maxExtensions: 1e9,
      routers: ['ftp://x', 'http://127.0.0.1:9990'],
      registry: 'nope',
      routerLabel: '../x',
      colour: 'blue',
    });
    const fields = (problems ?? []).map((p) => p.split(':')[0]);
    expect(fields.sort()).toEqual(
      [
        'colour',
        'namespace',
        'service',
        'canary',
        'steps',
        'interval',
        'fallback',
        'minRequests',
        'significance',
        'maxErrorRate',
        'maxP99',
        'p99Factor',
        'maxExtensions',
        'routers[0]',
        'registry',
        'routerLabel',
      ].sort(),
    );
  });

  it('refuses absurd values: too many steps, steps out of order, endless intervals, huge lists and texts', () => {
    const problems = (extra: object) => validateSpec({ ...good, ...extra }).problems ?? [];
    expect(problems({ steps: Array.from({ length: 21 }, (_, i) => i + 1) })[0]).toMatch(
      /^steps: must be a list of 1 to 20/,
    );
    expect(problems({ steps: [50, 20, 100] })[0]).toMatch(/^steps\[1\]: must be greater than the step before it/);
    expect(problems({ steps: [0, 100] })[0]).toMatch(/^steps\[0\]: must be an integer percentage/);
    expect(problems({ steps: '5,x,100' })[0]).toMatch(/^steps\[1\]/);
    expect(problems({ interval: '25h' })[0]).toMatch(/^interval: must be a duration from 100ms to 1440m/);
    expect(problems({ interval: '1ms' })[0]).toMatch(/^interval/);
    expect(problems({ interval: '9'.repeat(400) })[0]).toMatch(/^interval/);
    expect(problems({ routers: Array.from({ length: 17 }, () => 'http://127.0.0.1:1') })[0]).toMatch(
      /^routers: must be a list of 1 to 16/,
    );
    expect(problems({ service: `/${'a'.repeat(300)}` })[0]).toMatch(/^service: is 301 characters long/);
    expect(problems({ minRequests: '1e99' })[0]).toMatch(/^minRequests/);
    expect(validateSpec([1, 2]).problems).toEqual(['spec: must be a mapping of keys to values']);
  });

  it('namectl canary run exits 2 naming the bad flags; switchyard canary exits 64 naming the spec fields', async () => {
    const bad = await runMain(namectl, [
      'canary',
      'run',
      'default',
      '--service',
      '/srv/proto.GenSvc',
      '--primary',
      '/srv/gen',
      '--canary',
      '/srv/gen-growthhack',
      '--steps',
      '5,20,500',
      '--max-error-rate',
      'lots',
      '--interval',
      '0s',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid canary spec');
    expect(bad.stderr).toContain('steps[2]: must be an integer percentage from 1 to 100, got "500"');
    expect(bad.stderr).toContain('maxErrorRate: must be a number from 0 to 1, got "lots"');
    expect(bad.stderr).toContain('interval: must be a duration');

    const missing = await runMain(namectl, ['canary', 'run']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing NS');

    const dir = mkdtempSync(join(tmpdir(), 'canary-spec-'));
    const file = join(dir, 'spec.yaml');
    writeFileSync(file, 'namespace: default\nservice: /srv/proto.GenSvc\nsteps: [5, 200]\nretries: 3\n');
    const sy = await runMain(switchyard, ['canary', '--spec', file]);
    expect(sy.code).toBe(64);
    for (const field of ['primary: is required', 'canary: is required', 'steps[1]', 'retries: unknown key']) {
      expect(sy.stderr).toContain(field);
    }
    writeFileSync(file, 'a: [1, 2\n');
    const yaml = await runMain(switchyard, ['canary', '--spec', file]);
    expect(yaml.code).toBe(64);
    expect(yaml.stderr).toContain(file);
    writeFileSync(file, `${'x: '.repeat(1)}${'y'.repeat(70_000)}\n`);
    expect((await runMain(switchyard, ['canary', '--spec', file])).stderr).toContain('larger than 64 KiB');
  });
});

describe('the run state in history messages', () => {
  const { spec } = validateSpec(good);
  it('reads back what it wrote, after a line a person reads', () => {
    const state = { phase: 'step' as const, step: 2, base: 7, id: 'abc123abc123', spec: spec! };
    const message = stateMessage(state);
    expect(message.startsWith('canary gen-growthhack: step 2/4, 20% | state {')).toBe(true);
    expect(readState(message)).toEqual(state);
    expect(stateProblem(spec!)).toBeNull();
    const found = latestState([
      { version: 'c', number: 9, time: 't', message: 'hand edit' },
      { version: 'b', number: 8, time: 't', message },
    ]);
    expect(found?.at.number).toBe(8);
    expect(found?.since.map((v) => v.number)).toEqual([9]);
  });

  it('ignores messages that only look like state, and states with a broken spec', () => {
    expect(readState('canary x: step 1/2 | state {"v":1,')).toBeNull();
    expect(readState('hello | state {"v":1}')).toBeNull();
    const bad = stateMessage({ phase: 'step', step: 2, base: 7, id: 'x', spec: spec! }).replace(
      '"steps":[5,20,50,100]',
      '"steps":[5]',
    );
    expect(readState(bad)).toBeNull();
    expect(readState(undefined)).toBeNull();
  });
});

describe('client metrics from metrics.json', () => {
  it('sums counters over router labels, ignores garbage values, and takes deltas across a restart', () => {
    const id = '/#/io.l5d.k8s/default/grpc/gen';
    const start = readClients(
      {
        'rt/http/client/#/io.l5d.k8s/default/grpc/gen/requests': 100,
        'rt/http/client/#/io.l5d.k8s/default/grpc/gen/failures': 2,
        'rt/h2/client/#/io.l5d.k8s/default/grpc/gen/requests': 50,
        'rt/http/client/#/io.l5d.k8s/default/grpc/gen/grpc/status/14': 2,
        'rt/http/client/#/io.l5d.k8s/default/grpc/gen-growthhack/requests': 999,
        'rt/a/b/client/#/io.l5d.k8s/default/grpc/gen/requests': 999,
        'rt/http/client/#/io.l5d.k8s/default/grpc/gen/success': 'many',
      },
      [id],
    );
    expect(start.get(id)).toMatchObject({ requests: 150, failures: 2, grpcErrors: { 14: 2 } });
    const end = readClients(
      {
        'rt/http/client/#/io.l5d.k8s/default/grpc/gen/requests': 40,
        'rt/http/client/#/io.l5d.k8s/default/grpc/gen/failures': 1e300,
        'rt/http/client/#/io.l5d.k8s/default/grpc/gen/request_latency_ms.p99': 12.5,
        'rt/http/client/#/io.l5d.k8s/default/grpc/gen/request_latency_ms.count': 40,
      },
      [id],
    );
    const w = windowOf(new Map([['r', start]]), new Map([['r', end]]), [id]);
    // No /metrics buckets in these scrapes: the p99 is the router's last snapshot.
    expect(w).toEqual({ requests: 40, failures: 0, grpcErrors: {}, p99: 12.5, p99Source: 'snapshot' });
  });
});
