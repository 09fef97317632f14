/**
 * A gRPC target through the registry: added at a standalone registry under a label, checked there
 * for its shape only, pushed to a peer (a `switchyard peer` process with `--locker`), encoded
 * there with the gob proto, run against the real gen app, and its results merged by the registry
 * with countsByGrpcStatus and the x-version split by grpc-status intact.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type GenApp, startGen } from '../../src/quickstart/example-apps.js';
import { eventually, type RoleProcess, startRole, stopAll } from '../helpers/switchyard-process.js';

let gen: GenApp | undefined;
afterAll(async () => {
  await stopAll();
  await gen?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: registry answers are checked with expect().
async function json(url: string, method = 'GET', body?: unknown): Promise<any> {
  const res = await fetch(url, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, ...(text === '' ? {} : JSON.parse(text)) };
}

describe('a gRPC target pushed by the registry', () => {
  it('runs on the peer and its results merge with countsByGrpcStatus', async () => {
    gen = await startGen(0, 'gen');
    const registry: RoleProcess = await startRole('registry', ['--listen', '127.0.0.1:0']);
    await startRole('peer', ['--listen', '127.0.0.1:0', '--registry', registry.url, '--label', 'grpc', '--locker']);
    await eventually(
      async () =>
        Object.keys((await json(`${registry.url}/registry/peers`)).grpc?.pods ?? {}).length === 1 ? true : undefined,
      10_000,
      'the peer registered',
    );
    const target = {
      name: 'gen',
      url: `http://127.0.0.1:${gen.port}`,
      protocol: 'grpc',
      service: 'proto.GenSvc',
      method: 'Gen',
      body: '{"text":"gob","limit":2}',
      totalRequests: 300,
      replicas: 4,
      trackHeaders: ['x-version'],
      autoInvoke: true,
    };
    const bad = await json(`${registry.url}/registry/peers/grpc/targets/add`, 'POST', { ...target, body: '{"text"' });
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/body: must be the request message as JSON/);
    const added = await json(`${registry.url}/registry/peers/grpc/targets/add`, 'POST', target);
    expect(Object.values(added.grpc ?? {})).toEqual(['ok']);
    const results = await eventually(
      async () => {
        const split = (await json(`${registry.url}/registry/peers/grpc/client/results`)).grpc?.byTargets?.gen;
        return split?.requests === 300 && split.running === false ? split : undefined;
      },
      30_000,
      'the final results in the locker',
    );
    expect(results).toMatchObject({ good: 300, countsByGrpcStatus: { 0: 300 } });
    expect(results.countsByHeaders['x-version'].countsByValuesGrpcStatus).toEqual({ gen: { 0: 300 } });
  }, 60_000);
});
