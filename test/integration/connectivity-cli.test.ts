/**
 * `switchyard registry connectivity` against a real registry on a loopback socket: the matrix as
 * a table (rows destinations, columns sources; latency in ms, x for a failure with its error
 * below, ? before the first sample), `--label`, `--json` (the registry's own JSON), and a
 * registry that is not there.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/switchyard.js';
import { Registry } from '../../src/registry/registry.js';
import { buildRegistryApp } from '../../src/registry/registry-app.js';
import { runMain } from '../helpers/cli-run.js';

let registry: Registry;
let app: FastifyInstance;
let url: string;
const [A, B, C] = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'];

beforeAll(async () => {
  registry = await Registry.open();
  app = buildRegistryApp({ registry });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  for (const address of [A, B, C]) await registry.addPeer({ name: 'gob', address });
  await registry.addPeer({ name: 'other', address: '127.0.0.1:7101' });
  const row = (results: unknown[]) => ({ intervalMs: 500, timeoutMs: 300, results });
  await registry.reportConnectivity(
    'gob',
    A,
    row([
      { destination: B, latencyMs: 1.25, healthy: true },
      { destination: C, latencyMs: 300.4, healthy: false, error: 'timeout: no answer within 300 ms' },
    ]),
  );
  await registry.reportConnectivity(
    'gob',
    B,
    row([
      { destination: A, latencyMs: 0.5, healthy: true },
      { destination: C, latencyMs: 251.7, healthy: true },
    ]),
  );
});

afterAll(async () => {
  await app?.close();
  await registry?.close();
});

describe('switchyard registry connectivity', () => {
  it('prints the matrix as a table: destinations down, sources across', async () => {
    const run = await runMain(main, ['registry', 'connectivity', '--registry', url, '--label', 'gob']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(TABLE);
  });

  it('every label without --label; --json answers the registry JSON', async () => {
    const all = await runMain(main, ['registry', 'connectivity', '--registry', url]);
    expect(all.stdout).toContain('label gob: 3 peers');
    expect(all.stdout).toContain('label other: 1 peer, ping every ?, timeout ?; 0 healthy, 0 unhealthy, 0 unknown\n');
    const json = await runMain(main, ['registry', 'connectivity', '--registry', url, '--label', 'gob', '--json']);
    const view = JSON.parse(json.stdout);
    expect(Object.keys(view.labels)).toEqual(['gob']);
    expect(view.labels.gob.pairs).toHaveLength(6);
    expect(view.labels.gob.pairs[0]).toMatchObject({ source: B, destination: A, latencyMs: 0.5, healthy: true });
  });

  it('--watch prints again every --every until interrupted, then exits 0', async () => {
    const run = await runMain(
      main,
      ['registry', 'connectivity', '--registry', url, '--label', 'gob', '--watch', '--every', '100ms'],
      { signal: AbortSignal.timeout(1500) },
    );
    expect(run.code).toBe(0);
    const tables = run.stdout.split('label gob: 3 peers').length - 1;
    expect(tables).toBeGreaterThanOrEqual(2);
    expect(run.stdout).toMatch(/\n\d{4}-\d\d-\d\dT[\d:.]+Z\nlabel gob/);
  });

  it('a registry that does not answer: exit 1 and why', async () => {
    const run = await runMain(main, ['registry', 'connectivity', '--registry', 'http://127.0.0.1:9']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^switchyard registry connectivity: .*ECONNREFUSED|connect/);
  });
});

const TABLE = `label gob: 3 peers, ping every 500ms, timeout 300ms; 3 healthy, 1 unhealthy, 2 unknown
destination \\ source                 [1]   [2]   [3]
[1] 127.0.0.1:7001                     -   0.5     ?
[2] 127.0.0.1:7002                   1.3     -     ?
[3] 127.0.0.1:7003 (not reporting)     x   252     -
  x 127.0.0.1:7001 -> 127.0.0.1:7003: timeout: no answer within 300 ms
latencies in ms; x: failed, ?: not measured yet, ~: source not reporting
`;
