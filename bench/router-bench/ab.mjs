#!/usr/bin/env node
// HTTP/1.1 A/B of two router builds in one tight alternation (A B floor A B floor …), for a
// comparison on a shared machine that the full bench:router spreads over minutes:
//   node bench/router-bench/ab.mjs ROOT_A ROOT_B   (each a checkout with dist/ built)
// Both routers, the undici pass-through floor and the static nginx upstream are started once;
// every round runs `wrk -t1 -c50 -d${SECONDS}s` against each after a 1 s warm-up. Prints one JSON
// line per run and the medians: rps and the subject's own CPU µs per request.
// Environment: ROUNDS (8), SECONDS (5). Loopback only; every run bounded.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs, freePort, killAll, median, need, nginxConf, pinned, started, startPinned } from '../lib/processes.mjs';

const [rootA, rootB] = process.argv.slice(2);
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const SECONDS = Number(process.env.SECONDS ?? 5);
const tmp = mkdtempSync(join(tmpdir(), 'sy-ab-'));
process.on('exit', () => {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
});
setTimeout(() => process.exit(2), (60 + ROUNDS * 3 * (SECONDS + 4)) * 1000).unref();

const get = (port) =>
  new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: 'web' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end();
  });

function wrk(port, seconds) {
  const args = ['-t1', '-c50', `-d${seconds}s`, '-H', 'Host: web', `http://127.0.0.1:${port}/`];
  return new Promise((resolve, reject) => {
    const child = spawn(...pinned(1, 'wrk', args), { stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child.pid);
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) => {
      started.delete(child.pid);
      if (code !== 0) return reject(new Error(out));
      resolve({
        rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]),
        requests: Number(/(\d+) requests in/.exec(out)[1]),
        bad: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
      });
    });
  });
}

async function router(name, root, up1, up2) {
  const port = await freePort();
  const admin = await freePort();
  const conf = join(tmp, `${name}.yaml`);
  writeFileSync(
    conf,
    `drainGraceMs: 0\ndtab: |\n  /srv/web-a => /$/inet/127.0.0.1/${up1};\n  /srv/web-b => /$/inet/127.0.0.1/${up2};\n  /srv/api => /$/inet/127.0.0.1/9;\n  /srv/users => /$/inet/127.0.0.1/9;\n  /srv/legacy => /$/fail;\n  /host => /srv;\n  /svc/api => /host/api | /srv/legacy;\n  /svc/users => /host/users;\n  /svc => /host;\n  /svc/web => 1 * /srv/web-a & 1 * /srv/web-b;\n`,
  );
  const args = [join(root, 'bin', 'switchyard.js'), 'router', '--config', conf];
  args.push('--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--log-level', 'warn');
  const proc = await startPinned(name, 0, process.execPath, args, async () => (await get(port)) === 200);
  return { ...proc, port };
}

need('wrk', 'apt-get install wrk');
const nginx = need('nginx', 'apt-get install nginx');
const up1 = await freePort();
const up2 = await freePort();
const conf = nginxConf(
  join(tmp, 'up'),
  `  server { listen 127.0.0.1:${up1}; listen 127.0.0.1:${up2}; location / { default_type text/plain; return 200 "hello, world\\n"; } }`,
);
await startPinned('upstream', 1, nginx, ['-c', conf, '-g', 'daemon off;'], async () => (await get(up1)) === 200);
const floorPort = await freePort();
const floor = await startPinned(
  'floor',
  0,
  process.execPath,
  [join(import.meta.dirname, 'undici-passthrough.mjs'), String(floorPort), `http://127.0.0.1:${up1}`],
  async () => (await get(floorPort)) === 200,
);
const subjects = [
  { key: 'A', proc: await router('A', rootA, up1, up2) },
  { key: 'B', proc: await router('B', rootB, up1, up2) },
  { key: 'floor', proc: { ...floor, port: floorPort } },
];
const runs = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const s of subjects) {
    await wrk(s.proc.port, 1);
    const c0 = cpuMs(s.proc.pids ?? [s.proc.pid]);
    const w = await wrk(s.proc.port, SECONDS);
    const us = ((cpuMs(s.proc.pids ?? [s.proc.pid]) - c0) * 1000) / w.requests;
    runs.push({
      round,
      key: s.key,
      rps: Math.round(w.rps),
      cpuUsPerReq: Number(us.toFixed(1)),
      bad: w.bad,
      load: loadavg()[0].toFixed(2),
    });
    console.log(JSON.stringify(runs.at(-1)));
  }
}
const med = (key, f) => median(runs.filter((r) => r.key === key).map(f));
const per = {};
for (const s of subjects) per[s.key] = { rps: med(s.key, (r) => r.rps), cpuUsPerReq: med(s.key, (r) => r.cpuUsPerReq) };
// Per-round ratios, so a round's noise hits both sides of each ratio.
const ratio = (a, b, f) =>
  median(
    Array.from(
      { length: ROUNDS },
      (_, i) =>
        f(runs.find((r) => r.round === i + 1 && r.key === a)) / f(runs.find((r) => r.round === i + 1 && r.key === b)),
    ),
  );
console.log(
  JSON.stringify({
    medians: per,
    A_over_B_rps: ratio('A', 'B', (r) => r.rps).toFixed(3),
    B_over_A_cpu: ratio('B', 'A', (r) => r.cpuUsPerReq).toFixed(3),
    A_over_floor_rps: ratio('A', 'floor', (r) => r.rps).toFixed(3),
    B_over_floor_rps: ratio('B', 'floor', (r) => r.rps).toFixed(3),
    floor_over_A_cpu: ratio('floor', 'A', (r) => r.cpuUsPerReq).toFixed(3),
    floor_over_B_cpu: ratio('floor', 'B', (r) => r.cpuUsPerReq).toFixed(3),
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  }),
);
