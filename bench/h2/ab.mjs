#!/usr/bin/env node
// HTTP/2 A/B of two router builds in one tight alternation (A B floor A B floor …), to measure a
// change to the h2 path on a shared machine:
//   node bench/h2/ab.mjs ROOT_A ROOT_B [get|unary]   (each a checkout with dist/ built)
// The node:http2 upstream, both routers and the node:http2 pass-through floor are started once;
// every round runs `h2load -c10 -m10 -D${SECONDS}s` against each after a 1 s warm-up. Prints one
// JSON line per run, then medians and per-round ratios of rps and of the subject's own CPU µs per
// request. Environment: ROUNDS (6), SECONDS (5). Loopback only; every run bounded.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs, freePort, killAll, median, startPinned } from '../lib/processes.mjs';
import { probe } from './grpc-client.mjs';
import { frame } from './grpc-frame.mjs';
import { runH2load } from './h2load.mjs';

const [rootA, rootB, kind = 'get'] = process.argv.slice(2);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const SECONDS = Number(process.env.SECONDS ?? 5);
const tmp = mkdtempSync(join(tmpdir(), 'sy-h2ab-'));
process.on('exit', () => {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
});
setTimeout(() => process.exit(2), (60 + ROUNDS * 3 * (SECONDS + 4)) * 1000).unref();

const listening = (o) => /listening (\d+)/.exec(o);
async function node(name, script, args) {
  const proc = await startPinned(
    name,
    name === 'upstream' ? 1 : 0,
    process.execPath,
    [join(import.meta.dirname, script), ...args],
    async (o) => Boolean(listening(o)),
  );
  return { ...proc, port: Number(listening(proc.output())[1]) };
}
const ready = (admin) =>
  new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: admin, path: '/ready', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
async function router(name, root, upstreamPort) {
  const port = await freePort();
  const admin = await freePort();
  const conf = join(tmp, `${name}.yaml`);
  writeFileSync(
    conf,
    `drainGraceMs: 0\nidentifier:\n  kind: io.l5d.header.path\n  segments: 1\ndtab: |\n  /svc => /$/inet/127.0.0.1/${upstreamPort};\n`,
  );
  const args = [join(root, 'bin', 'switchyard.js'), 'router', '--config', conf];
  args.push('--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--log-level', 'warn');
  const proc = await startPinned(name, 0, process.execPath, args, () => ready(admin));
  await probe(port);
  return { ...proc, port };
}

const unaryFile = join(tmp, 'unary.bin');
writeFileSync(unaryFile, frame(Buffer.from('ping')));
const workload =
  kind === 'unary'
    ? { path: '/bench.Echo/Unary', dataFile: unaryFile, headers: ['content-type: application/grpc', 'te: trailers'] }
    : { path: '/hello' };
const upstream = await node('upstream', 'upstream.mjs', ['0']);
const floor = await node('floor', 'passthrough.mjs', ['0', `http://127.0.0.1:${upstream.port}`]);
const subjects = [
  { key: 'A', proc: await router('A', rootA, upstream.port) },
  { key: 'B', proc: await router('B', rootB, upstream.port) },
  { key: 'floor', proc: floor },
];
const load = (s, seconds) => runH2load({ cpu: 1, port: s.proc.port, workload, clients: 10, streams: 10, seconds });
const runs = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const s of subjects) {
    await load(s, 1);
    const c0 = cpuMs(s.proc.pids);
    const w = await load(s, SECONDS);
    const us = ((cpuMs(s.proc.pids) - c0) * 1000) / Math.max(1, w.succeeded);
    runs.push({
      round,
      key: s.key,
      rps: Math.round(w.rps),
      cpuUsPerReq: Number(us.toFixed(1)),
      errors: w.errors,
      load: loadavg()[0].toFixed(2),
    });
    console.log(JSON.stringify(runs.at(-1)));
  }
}
const med = (key, f) => median(runs.filter((r) => r.key === key).map(f));
const ratio = (a, b, f) =>
  median(
    Array.from({ length: ROUNDS }, (_, i) => {
      const x = runs.find((r) => r.round === i + 1 && r.key === a);
      const y = runs.find((r) => r.round === i + 1 && r.key === b);
      return f(x) / f(y);
    }),
  ).toFixed(3);
const per = {};
for (const s of subjects) per[s.key] = { rps: med(s.key, (r) => r.rps), cpuUsPerReq: med(s.key, (r) => r.cpuUsPerReq) };
console.log(
  JSON.stringify({
    workload: kind,
    medians: per,
    A_over_B_rps: ratio('A', 'B', (r) => r.rps),
    B_over_A_cpu: ratio('B', 'A', (r) => r.cpuUsPerReq),
    A_over_floor_rps: ratio('A', 'floor', (r) => r.rps),
    B_over_floor_rps: ratio('B', 'floor', (r) => r.rps),
    floor_over_A_cpu: ratio('floor', 'A', (r) => r.cpuUsPerReq),
    floor_over_B_cpu: ratio('floor', 'B', (r) => r.cpuUsPerReq),
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  }),
);
