/**
 * The traffic generator's gRPC targets against the real gob apps (gen, gen-growthhack, word),
 * straight and through a real router that names gRPC calls by path: calls counted per
 * grpc-status, x-version tracked from the response headers, a weighted split measured on gRPC
 * calls, INVALID_ARGUMENT counted as bad, an endless stream ended by requestTimeout as
 * DEADLINE_EXCEEDED, a target added through the router admin's /client API, and the CLI's
 * `--grpc` path through bin/switchyard.js.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/switchyard.js';
import { routerConfig } from '../../src/config/router-config.js';
import { type App, type GenApp, startGen, startGenGrowthhack, startWord } from '../../src/quickstart/example-apps.js';
import { type RunningRouter, startRouter } from '../../src/router/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { registerClientRoutes } from '../../src/traffic/client-routes.js';
import type { TargetResultsJson } from '../../src/traffic/target-results.js';
import { TrafficClient } from '../../src/traffic/traffic-client.js';
import { runMain, spawnBin } from '../helpers/cli-run.js';

let gen: GenApp;
let growthhack: GenApp;
let word: App;
let router: RunningRouter;
/** The router's own traffic generator, on its admin port, as `switchyard router` mounts it. */
const routerTraffic = new TrafficClient();
const inet = (app: App) => `/$/inet/127.0.0.1/${app.port}`;

beforeAll(async () => {
  [gen, growthhack, word] = await Promise.all([startGen(0, 'gen'), startGenGrowthhack(0), startWord(0)]);
  const yaml = [
    'identifier: {kind: io.l5d.header.path, segments: 1}',
    `dtab: /svc/proto.GenSvc => 3 * ${inet(gen)} & 1 * ${inet(growthhack)}; /svc/proto.WordSvc => ${inet(word)};`,
    'listen: 127.0.0.1:0',
    'admin: 127.0.0.1:0',
  ].join('\n');
  router = await startRouter(routerConfig(yaml), createLogger({ level: 'silent' }), {
    admin: (app) => registerClientRoutes(app, { client: routerTraffic }),
  });
});

afterAll(async () => {
  await routerTraffic.close();
  await router?.close();
  await Promise.all([gen?.close(), growthhack?.close(), word?.close()]);
});

/** Runs one target to its end in a generator of its own and answers the results. */
async function run(target: Record<string, unknown>): Promise<TargetResultsJson> {
  const client = new TrafficClient();
  try {
    client.addTarget({ name: 't', ...target });
    client.invoke(['t']);
    await client.done('t');
    return client.resultsOf('t')!;
  } finally {
    await client.close();
  }
}

const genTarget = (url: string, body: object) => ({
  url,
  protocol: 'grpc',
  service: 'proto.GenSvc',
  method: 'Gen',
  body: JSON.stringify(body),
  replicas: 8,
  trackHeaders: ['x-version'],
});

describe('gRPC targets on the gob apps', () => {
  it('counts Gen calls by grpc-status and tracks x-version from the response headers', async () => {
    const r = await run({
      ...genTarget(`http://127.0.0.1:${gen.port}`, { text: 'gob', limit: 3 }),
      totalRequests: 200,
    });
    expect(r).toMatchObject({ requests: 200, good: 200, bad: 0, failed: 0 });
    expect(r.countsByGrpcStatus).toEqual({ 0: 200 });
    expect(r.countsByStatusCodes).toEqual({ 200: 200 });
    expect(r.countsByHeaders['x-version']).toMatchObject({
      count: 200,
      countsByValues: { gen: 200 },
      countsByGrpcStatus: { 0: 200 },
      countsByValuesGrpcStatus: { gen: { 0: 200 } },
    });
    expect(r.countsByURIs).toHaveProperty(['/proto.GenSvc/Gen']);
  });

  it('a unary call with no body sends the empty message (WordSvc.GetWord)', async () => {
    const r = await run({
      url: `http://127.0.0.1:${word.port}`,
      protocol: 'GRPC',
      service: 'proto.WordSvc',
      method: 'GetWord',
      totalRequests: 20,
    });
    expect(r.countsByGrpcStatus).toEqual({ 0: 20 });
  });

  it('counts INVALID_ARGUMENT (an empty text) as bad, by grpc-status 3', async () => {
    const r = await run({ ...genTarget(`http://127.0.0.1:${gen.port}`, { text: '', limit: 1 }), totalRequests: 30 });
    expect(r).toMatchObject({ requests: 30, good: 0, bad: 30, failed: 0 });
    expect(r.countsByGrpcStatus).toEqual({ 3: 30 });
    expect(r.countsByErrors).toEqual({});
  });

  it('retries the grpc-status codes listed in retriableStatusCodes', async () => {
    const r = await run({
      ...genTarget(`http://127.0.0.1:${gen.port}`, { text: '', limit: 1 }),
      totalRequests: 4,
      replicas: 1,
      retries: 2,
      retryDelay: '1ms',
      retriableStatusCodes: [3],
    });
    expect(r).toMatchObject({ requests: 4, bad: 4, retries: 8, countsByRetryReasons: { 'grpc-status 3': 4 } });
  });

  it('an endless stream (limit 0) ends at requestTimeout: cancelled, counted as DEADLINE_EXCEEDED', async () => {
    const before = gen.cancels;
    const r = await run({
      ...genTarget(`http://127.0.0.1:${gen.port}`, { text: 'gob', limit: 0 }),
      totalRequests: 4,
      replicas: 4,
      requestTimeout: '300ms',
    });
    expect(r).toMatchObject({ requests: 4, bad: 4, failed: 0 });
    expect(r.countsByGrpcStatus).toEqual({ 4: 4 });
    await gen.cancelled(before + 4);
    expect(gen.open).toBe(0);
  });
});

describe('gRPC targets through a router that names calls by path', () => {
  it('measures the dtab weighted split (3:1) on gRPC calls by x-version', async () => {
    const r = await run({ ...genTarget(router.url, { text: 'gob', limit: 1 }), totalRequests: 800 });
    expect(r.countsByGrpcStatus).toEqual({ 0: 800 });
    const split = r.countsByHeaders['x-version']!.countsByValues;
    expect(split.gen! + split['gen-growthhack']!).toBe(800);
    // 600 expected; 5 standard deviations of a binomial(800, 0.75) is about 61.
    expect(split.gen).toBeGreaterThan(540);
    expect(split.gen).toBeLessThan(660);
  });

  it('adds, runs and reports a grpc target through the router admin /client API', async () => {
    const admin = router.adminUrl;
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field below
    const json = (res: Response) => res.json() as Promise<any>;
    const post = (path: string, body?: unknown) =>
      fetch(`${admin}${path}`, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const added = await post('/client/targets/add', {
      ...genTarget(router.url, { text: 'gob', limit: 2 }),
      name: 'gob',
      protocol: 'grpc',
      requestCount: 10,
      replicas: 2,
    });
    expect(added.status).toBe(200);
    expect((await json(added)).added).toMatchObject({ protocol: 'grpc', service: 'proto.GenSvc', method: 'Gen' });
    const bad = await post('/client/targets/add', { ...genTarget(router.url, { txt: 'gob' }), name: 'bad' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).message).toMatch(/body: .*no field "txt"/);
    expect((await fetch(`${admin}/client/targets`).then(json)).bad).toBeUndefined();
    expect((await post('/client/targets/gob/invoke')).status).toBe(200);
    let results: TargetResultsJson | undefined;
    for (let i = 0; i < 200; i++) {
      results = await fetch(`${admin}/client/results/gob`).then(json);
      if (results?.requests === 20 && !results.running) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(results).toMatchObject({ requests: 20, good: 20, countsByGrpcStatus: { 0: 20 } });
  });

  it("uploads a proto on the router admin (goto's /grpc/protos/add/{name}), bounded and refused whole when broken", async () => {
    const admin = router.adminUrl;
    const upload = (name: string, text: string) =>
      fetch(`${admin}/grpc/protos/add/${name}`, { method: 'POST', body: text });
    const alt =
      'syntax = "proto3"; package alt; service Words { rpc GetWord(E) returns (W); } message E {} message W { string word = 1; }';
    const ok = await upload('alt', alt);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ added: { name: 'alt', methods: ['alt.Words/GetWord'] } });
    const big = await upload('big', `${alt}//${'x'.repeat(70_000)}`);
    expect(big.status).toBe(400);
    const broken = await upload('broken', 'syntax = "proto3";\nservice S { rpc A(Nope) returns (Nope); }');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { message: string }).message).toMatch(/proto: broken: .*Nope/);
    const listed = (await fetch(`${admin}/client/grpc/protos`).then((r) => r.json())) as { protos: { name: string }[] };
    expect(listed.protos.map((p) => p.name)).toEqual(['gob', 'alt']);
    const added = await fetch(`${admin}/client/targets/add`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'alt',
        url: router.url,
        protocol: 'grpc',
        service: 'alt.Words',
        method: 'GetWord',
        body: '{}',
      }),
    });
    expect(added.status).toBe(200);
  });

  it('switchyard traffic refuses bad gRPC flags with exit 64, naming the flag or field', async () => {
    const traffic = (...args: string[]) => runMain(main, ['traffic', '--url', router.url, ...args]);
    const cases: [string[], RegExp][] = [
      [['--grpc', 'nope'], /--grpc wants SERVICE\/METHOD/],
      [['--grpc', 'proto.GenSvc/Gen', '--data', '{"txt":"gob"}'], /body: proto.GenRequest has no field "txt"/],
      [['--grpc', 'proto.GenSvc/Gen', '--proto', 'no-such.proto'], /--proto no-such.proto: /],
      [['--protocol', 'grpcs'], /protocol: "grpcs": TLS is not supported/],
    ];
    for (const [args, message] of cases) {
      const run = await traffic(...args);
      expect(run.code, args.join(' ')).toBe(64);
      expect(run.stderr).toMatch(message);
    }
  });

  it('switchyard traffic --grpc through bin/switchyard.js, the JSON report and the summary', async () => {
    const args = [
      'traffic',
      '--url',
      router.url,
      '--grpc',
      'proto.GenSvc/Gen',
      '--data',
      '{"text":"gob","limit":1}',
      '--requests',
      '2000',
      '--track-header',
      'x-version',
    ];
    const few = args.map((a) => (a === '2000' ? '200' : a));
    const [json, text] = await Promise.all([
      spawnBin('switchyard.js', [...args, '--json']),
      spawnBin('switchyard.js', few),
    ]);
    expect(json.code, json.stderr).toBe(0);
    const { target, results } = JSON.parse(json.stdout);
    expect(target).toMatchObject({ protocol: 'grpc', service: 'proto.GenSvc', method: 'Gen' });
    expect(results.countsByGrpcStatus).toEqual({ 0: 2000 });
    const split = results.countsByHeaders['x-version'].countsByValuesGrpcStatus;
    expect(split.gen['0'] + split['gen-growthhack']['0']).toBe(2000);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/grpc-status\s+Count\s+Share\n0 OK\s+200\s+100\.0%/);
    expect(text.stdout).toMatch(/x-version\s+Count\s+Share\s+grpc 0 OK\ngen\s+\d+/);
  }, 60_000);
});
