#!/usr/bin/env node
// npm run bench:router — the router's throughput, latency and memory against reference proxies,
// measured in the same run (method: docs/performance.md#how-to-measure):
//  - closed loop: `taskset -c 1 wrk -t1 -c50 -d10s --latency`, keep-alive, against each subject
//    pinned with `taskset -c 0`: (1) direct to the upstream, (2) nginx as a reverse proxy (1
//    worker, upstream keepalive), (3) fastify 5 + @fastify/http-proxy, (4) the switchyard router
//    with full routing (Host identifier, 10-dentry dtab, a weighted union on the route used,
//    metrics on), (5) the same router with a 3-dentry `l5d-dtab` on every request; and, for
//    scale, a bare node:http + undici pass-through (router-bench/undici-passthrough.mjs), the
//    floor of any router built on them. Subjects run in turn, A B C D E F A B C D E F, each
//    measured run after a short warm-up; medians and ratios.
//  - fixed rate: an open-loop generator (router-bench/open-loop.mjs, pinned to CPU 1) at RATE
//    requests/s, latency from each request's due time; direct, nginx proxy and router alternated.
//  - memory: the router's RSS idle after start and right after the load runs (`ps -o rss=`).
//  - profile: one more router under `node --cpu-prof` for one closed-loop run, summarised.
// The upstream is a static nginx (13-byte body) pinned to CPU 1 with the load generator.
// Everything binds to 127.0.0.1; every run is bounded in time; every process started here is
// killed at the end, also on error. Environment: DURATION (s, default 10), ROUNDS (default 2),
// RATE (default 1000), RATE_DURATION (s, default DURATION), WARMUP (s, default 2), PROFILE=0 to
// skip the profile, KEEP_PROFILE=FILE to keep the .cpuprofile.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  busyPct,
  childrenOf,
  cpuMs,
  cpuTimes,
  freePort,
  killAll,
  median,
  need,
  nginxConf,
  pinned,
  rssKb,
  sleep,
  started,
  startPinned,
  stop,
} from './lib/processes.mjs';
import { summarise } from './router-bench/cpu-profile.mjs';

const DURATION = Number(process.env.DURATION ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const RATE = Number(process.env.RATE ?? 1000);
const RATE_DURATION = Number(process.env.RATE_DURATION ?? DURATION);
const WARMUP = Number(process.env.WARMUP ?? 2);
const PROFILE = process.env.PROFILE !== '0';
const CONNECTIONS = 50;
const BODY = 'hello, world\n'; // 13 bytes
const L5D_DTAB = '/srv/canary => /srv/web-b; /svc/web => 3 * /srv/web-a & 1 * /srv/canary; /svc/api => /srv/web-a';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'switchyard.js');
const tmp = mkdtempSync(join(tmpdir(), 'sy-bench-router-'));

// ---- process bookkeeping: every pid started here is killed on the way out (bench/lib/processes.mjs) ----

function cleanUp() {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
const budgetS =
  60 +
  ROUNDS * 6 * (DURATION + WARMUP + 5) +
  ROUNDS * 3 * (RATE_DURATION + WARMUP + 6) +
  (PROFILE ? DURATION + WARMUP + 30 : 0);
setTimeout(() => {
  console.error(`router bench: over its time budget of ${budgetS} s, giving up`);
  process.exit(1);
}, budgetS * 1000).unref();

function get(port, path = '/', headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const serves13 = (port, headers) => async () => {
  const r = await get(port, '/', headers);
  return r.status === 200 && r.body === BODY;
};

// ---- nginx ----

async function startNginx(name, cpu, nginx, http, port, headers) {
  const dir = join(tmp, name);
  const conf = nginxConf(dir, http);
  const proc = await startPinned(name, cpu, nginx, ['-c', conf, '-g', 'daemon off;'], serves13(port, headers));
  proc.pids = [proc.pid, ...childrenOf(proc.pid)];
  return proc;
}

// ---- load generators ----

function parseWrk(text) {
  const num = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : 0;
  };
  const ms = (label) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\b`, 'm').exec(text);
    if (!m) return Number.NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    p50: ms('50'),
    p99: ms('99'),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

function runWrk(port, headers, seconds) {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(`http://127.0.0.1:${port}/`);
  return new Promise((resolve, reject) => {
    const child = spawn(...pinned(1, 'wrk', args), { stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child.pid);
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      started.delete(child.pid);
      if (code !== 0) reject(new Error(`wrk exited ${code}: ${out}`));
      else resolve({ ...parseWrk(out), raw: out });
    });
  });
}

function runOpenLoop(port, headers, seconds) {
  const args = [join(import.meta.dirname, 'router-bench', 'open-loop.mjs')];
  args.push('--target', `127.0.0.1:${port}`, '--rate', String(RATE), '--duration', String(seconds));
  args.push('--warmup', String(WARMUP));
  for (const [k, v] of Object.entries(headers)) args.push('--header', `${k}: ${v}`);
  return new Promise((resolve, reject) => {
    const child = spawn(...pinned(1, process.execPath, args), { stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child.pid);
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + WARMUP + 10) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      started.delete(child.pid);
      if (code !== 0) reject(new Error(`open-loop generator exited ${code}: ${err}`));
      else resolve(JSON.parse(out));
    });
  });
}

// ---- the subjects ----

function routerYaml(up1, up2) {
  // Ten dentries; the route used, /svc/web, is a 1:1 weighted union of two clients (two ports
  // of the same upstream nginx). The rest is the kind of table a router carries and is not hit.
  const dtab = [
    `/srv/web-a => /$/inet/127.0.0.1/${up1}`,
    `/srv/web-b => /$/inet/127.0.0.1/${up2}`,
    '/srv/api => /$/inet/127.0.0.1/9',
    '/srv/users => /$/inet/127.0.0.1/9',
    '/srv/legacy => /$/fail',
    '/host => /srv',
    '/svc/api => /host/api | /srv/legacy',
    '/svc/users => /host/users',
    '/svc => /host',
    '/svc/web => 1 * /srv/web-a & 1 * /srv/web-b',
  ];
  return `# written by bench/router.bench.mjs
drainGraceMs: 0
dtab: |
${dtab.map((d) => `  ${d};`).join('\n')}
`;
}

async function startRouter(name, cpu, up1, up2, nodeArgs = []) {
  const port = await freePort();
  const admin = await freePort();
  const conf = join(tmp, `${name}.yaml`);
  writeFileSync(conf, routerYaml(up1, up2));
  const args = [...nodeArgs, bin, 'router', '--config', conf];
  args.push('--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--log-level', 'warn');
  const proc = await startPinned(name, cpu, process.execPath, args, async () => {
    const r = await get(admin, '/ready');
    return r.status === 200;
  });
  return { ...proc, port, admin };
}

// ---- main ----

const k = (rps) => `${(rps / 1000).toFixed(1)}k`;
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');
const signed = (x) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}` : '–');

async function main() {
  const nginx = need('nginx', 'run scripts/install-system-deps.sh');
  need('wrk', 'run scripts/install-system-deps.sh');
  need('taskset', 'install util-linux');
  if (cpus().length < 2) throw new Error('needs two CPUs (subject on CPU 0, load generator on CPU 1)');

  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0].model,
    node: process.version,
    nginx: spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', ''),
    wrk: spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].split(' [')[0],
    commit: execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
    loadStart: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
  console.log(`router bench: DURATION=${DURATION}s ROUNDS=${ROUNDS} RATE=${RATE}/s WARMUP=${WARMUP}s`);
  console.log(JSON.stringify(machine));

  const host = { Host: 'web' };
  const up1 = await freePort();
  const up2 = await freePort();
  const upstream = await startNginx(
    'upstream',
    1,
    nginx,
    `  server {
    listen 127.0.0.1:${up1};
    listen 127.0.0.1:${up2};
    location / { default_type text/plain; return 200 "hello, world\\n"; }
  }`,
    up1,
    host,
  );

  const ngxPort = await freePort();
  const nginxProxy = await startNginx(
    'nginx-proxy',
    0,
    nginx,
    `  upstream up { server 127.0.0.1:${up1}; keepalive 64; keepalive_requests 1000000000; }
  server {
    listen 127.0.0.1:${ngxPort};
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`,
    ngxPort,
    host,
  );

  const fastifyPort = await freePort();
  const fastify = await startPinned(
    'fastify',
    0,
    process.execPath,
    [join(import.meta.dirname, 'router-bench', 'fastify-proxy.mjs'), String(fastifyPort), `http://127.0.0.1:${up1}`],
    serves13(fastifyPort, host),
  );

  // For scale: a node process that does nothing, and one that has only loaded the router's modules.
  const bare = await startPinned(
    'bare node',
    0,
    process.execPath,
    ['-e', 'setInterval(() => {}, 1e6)'],
    async () => true,
  );
  const loaded = await startPinned(
    'node with dist/router loaded',
    0,
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(join(root, 'dist', 'router', 'router.js'))}); setInterval(() => {}, 1e6)`,
    ],
    async () => true,
  );
  await sleep(1500);
  const bareKb = rssKb(bare.pids);
  const loadedKb = rssKb(loaded.pids);
  await stop(bare);
  await stop(loaded);

  const floorPort = await freePort();
  const floor = await startPinned(
    'undici pass-through',
    0,
    process.execPath,
    [join(import.meta.dirname, 'router-bench', 'undici-passthrough.mjs'), String(floorPort), `http://127.0.0.1:${up1}`],
    serves13(floorPort, host),
  );

  const router = await startRouter('router', 0, up1, up2);
  await sleep(1000);
  const routerIdleKb = rssKb(router.pids);
  const fastifyIdleKb = rssKb(fastify.pids);
  const nginxIdleKb = rssKb(nginxProxy.pids);
  for (const headers of [host, { ...host, 'l5d-dtab': L5D_DTAB }]) {
    const r = await get(router.port, '/', headers);
    if (r.status !== 200 || r.body !== BODY) throw new Error(`router answered ${r.status}: ${r.body}`);
  }

  const subjects = [
    { key: 'direct', label: 'direct to the upstream (nginx static, CPU 1)', port: up1, headers: host, proc: upstream },
    {
      key: 'nginx',
      label: 'nginx 1 worker, reverse proxy, upstream keepalive',
      port: ngxPort,
      headers: host,
      proc: nginxProxy,
    },
    { key: 'fastify', label: 'fastify 5 + @fastify/http-proxy 11', port: fastifyPort, headers: host, proc: fastify },
    {
      key: 'floor',
      label: 'for scale: node:http + undici `Pool.dispatch` pass-through, no routing',
      port: floorPort,
      headers: host,
      proc: floor,
    },
    { key: 'router', label: 'switchyard router, full routing', port: router.port, headers: host, proc: router },
    {
      key: 'router-dtab',
      label: 'switchyard router + 3-dentry `l5d-dtab` per request',
      port: router.port,
      headers: { ...host, 'l5d-dtab': L5D_DTAB },
      proc: router,
    },
  ];

  // Closed loop, every subject once per round.
  const runs = [];
  let routerLoadKb = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of subjects) {
      if (WARMUP > 0) await runWrk(s.port, s.headers, WARMUP);
      const cpu0 = cpuMs(s.proc.pids);
      const t0 = cpuTimes();
      const w = await runWrk(s.port, s.headers, DURATION);
      const t1 = cpuTimes();
      const cpu = cpuMs(s.proc.pids) - cpu0;
      const rss = rssKb(s.proc.pids);
      if (s.proc === router) routerLoadKb = Math.max(routerLoadKb, rss);
      const run = {
        round,
        key: s.key,
        rps: w.rps,
        p50: w.p50,
        p99: w.p99,
        errors: w.non2xx + w.socketErrors,
        cpuUsPerReq: (cpu * 1000) / Math.max(1, w.requests),
        subjectCpuPct: Math.round((100 * cpu) / (DURATION * 1000)),
        cpu0Pct: busyPct(t0, t1, '0'),
        cpu1Pct: busyPct(t0, t1, '1'),
        rssKb: rss,
      };
      runs.push(run);
      console.log(JSON.stringify(run));
    }
  }

  // Fixed rate, open loop: direct, nginx proxy, router, per round.
  const rateSubjects = subjects.filter((s) => ['direct', 'nginx', 'router'].includes(s.key));
  const rateRuns = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of rateSubjects) {
      const r = await runOpenLoop(s.port, s.headers, RATE_DURATION);
      if (s.proc === router) routerLoadKb = Math.max(routerLoadKb, rssKb(router.pids));
      rateRuns.push({ round, key: s.key, ...r });
      console.log(JSON.stringify({ round, key: s.key, ...r }));
    }
  }
  const routerAfterKb = rssKb(router.pids);

  const metrics = JSON.parse((await get(router.admin, '/admin/metrics.json')).body);
  const counted = Object.entries(metrics).filter(
    ([key]) => /\/requests$/.test(key) || /bindcache|overrides_refused/.test(key),
  );
  const fastifyAfterKb = rssKb(fastify.pids);
  const nginxAfterKb = rssKb(nginxProxy.pids);

  await stop(router);
  await stop(fastify);
  await stop(floor);
  await stop(nginxProxy, 'SIGQUIT');

  // The profile: a fresh router under --cpu-prof, one warm-up and one measured closed-loop run.
  let profile = null;
  if (PROFILE) {
    const dir = join(tmp, 'prof');
    mkdirSync(dir);
    const profiled = await startRouter('router-prof', 0, up1, up2, ['--cpu-prof', '--cpu-prof-dir', dir]);
    if (WARMUP > 0) await runWrk(profiled.port, host, WARMUP);
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const w = await runWrk(profiled.port, host, DURATION);
    const toUs = Number(process.hrtime.bigint() / 1000n);
    await stop(profiled, 'SIGTERM', 15_000);
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length === 0) console.log('profile: the router wrote no .cpuprofile (did it exit cleanly?)');
    else {
      const file = join(dir, files[0]);
      profile = { rps: w.rps, ...summarise(file, fromUs, toUs) };
      if (process.env.KEEP_PROFILE) writeFileSync(process.env.KEEP_PROFILE, readFileSync(file));
    }
  }
  await stop(upstream, 'SIGQUIT');
  machine.loadEnd = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

  // ---- report ----
  const by = (key) => runs.filter((r) => r.key === key);
  const med = (key, field) => median(by(key).map((r) => r[field]));
  const nginxRps = med('nginx', 'rps');
  const fastifyRps = med('fastify', 'rps');
  const lines = [];
  const out = (s = '') => lines.push(s);
  out(
    `Machine: ${machine.nproc} × ${machine.cpu}, Node ${machine.node}, nginx ${machine.nginx}, ${machine.wrk}; ` +
      `commit ${machine.commit}; load average ${machine.loadStart} at start, ${machine.loadEnd} at end.`,
  );
  out(`Settings: DURATION=${DURATION}s ROUNDS=${ROUNDS} WARMUP=${WARMUP}s RATE=${RATE}/s.`);
  out();
  out(`Closed loop, \`taskset -c 1 wrk -t1 -c50 -d${DURATION}s --latency\`, keep-alive, subject on CPU 0:`);
  out();
  out(
    '| subject (1 process, CPU 0) | rps (median) | runs | ÷ nginx proxy | ÷ @fastify/http-proxy | subject CPU µs/req | ' +
      'by CPU cost: ÷ nginx / ÷ fastify | wrk p50 / p99 (ms) | errors |',
  );
  out('|---|---|---|---|---|---|---|---|---|');
  const nginxCost = med('nginx', 'cpuUsPerReq');
  const fastifyCost = med('fastify', 'cpuUsPerReq');
  for (const s of subjects) {
    const rs = by(s.key);
    const rps = med(s.key, 'rps');
    const cost = med(s.key, 'cpuUsPerReq');
    out(
      `| ${s.label} | ${k(rps)} | ${rs.map((r) => k(r.rps)).join(', ')} | ${f2(rps / nginxRps)} | ${f2(rps / fastifyRps)} | ` +
        `${cost.toFixed(1)} | ${s.key === 'direct' ? '–' : `${f2(nginxCost / cost)} / ${f2(fastifyCost / cost)}`} | ` +
        `${f2(med(s.key, 'p50'))} / ${f2(med(s.key, 'p99'))} | ` +
        `${rs.reduce((a, r) => a + r.errors, 0)} |`,
    );
  }
  out();
  out('Per run (CPU 0 / CPU 1 busy: whole machine, from /proc/stat; subject CPU: its own processes):');
  out();
  out('| round | subject | rps | subject CPU | CPU 0 busy | CPU 1 busy |');
  out('|---|---|---|---|---|---|');
  for (const r of runs)
    out(`| ${r.round} | ${r.key} | ${k(r.rps)} | ${r.subjectCpuPct}% | ${r.cpu0Pct}% | ${r.cpu1Pct}% |`);
  out();
  const rmed = (key, group, q) => median(rateRuns.filter((r) => r.key === key).map((r) => r[group][q]));
  out(
    `Fixed rate, open loop (router-bench/open-loop.mjs on CPU 1, ${RATE} req/s for ${RATE_DURATION} s after a ${WARMUP} s warm-up, ` +
      `16 keep-alive connections), medians of ${ROUNDS} runs, ms:`,
  );
  out();
  out(
    '| subject | p50 | p99 | p99.9 | added p50 / p99 / p99.9 vs direct | from send: p50 / p99 / p99.9 | send lateness p99 | errors |',
  );
  out('|---|---|---|---|---|---|---|---|');
  for (const s of rateSubjects) {
    const rs = rateRuns.filter((r) => r.key === s.key);
    const add = (q) => signed(rmed(s.key, 'fromDueMs', q) - rmed('direct', 'fromDueMs', q));
    out(
      `| ${s.key === 'direct' ? 'direct' : s.key === 'nginx' ? 'nginx proxy' : 'switchyard router'} | ` +
        `${f3(rmed(s.key, 'fromDueMs', 'p50'))} | ${f3(rmed(s.key, 'fromDueMs', 'p99'))} | ${f3(rmed(s.key, 'fromDueMs', 'p999'))} | ` +
        `${s.key === 'direct' ? '–' : `${add('p50')} / ${add('p99')} / ${add('p999')}`} | ` +
        `${f3(rmed(s.key, 'fromSendMs', 'p50'))} / ${f3(rmed(s.key, 'fromSendMs', 'p99'))} / ${f3(rmed(s.key, 'fromSendMs', 'p999'))} | ` +
        `${f3(rmed(s.key, 'latenessMs', 'p99'))} | ${rs.reduce((a, r) => a + r.errors + r.non2xx + r.unanswered, 0)} |`,
    );
  }
  out();
  out('Memory, RSS (`ps -o rss=`, whole process tree):');
  out();
  out('| process | idle after start | after the load runs |');
  out('|---|---|---|');
  const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
  out(`| switchyard router | ${mb(routerIdleKb)} | ${mb(routerAfterKb)} (max seen ${mb(routerLoadKb)}) |`);
  out(`| fastify + @fastify/http-proxy | ${mb(fastifyIdleKb)} | ${mb(fastifyAfterKb)} |`);
  out(`| nginx proxy (master + worker) | ${mb(nginxIdleKb)} | ${mb(nginxAfterKb)} |`);
  out(`| for scale: \`node -e 'setInterval(…)'\` | ${mb(bareKb)} | – |`);
  out(`| for scale: node that has only imported dist/router/router.js | ${mb(loadedKb)} | – |`);
  out();
  const routerRps = med('router', 'rps');
  const addedP99 = rmed('router', 'fromDueMs', 'p99') - rmed('direct', 'fromDueMs', 'p99');
  const goal = (ok) => (ok ? 'met' : '**not met**');
  out('| goal | measured | |');
  out('|---|---|---|');
  const routerCost = med('router', 'cpuUsPerReq');
  out(`| router ≥ 0.5 × nginx proxy rps | ${f2(routerRps / nginxRps)} × | ${goal(routerRps / nginxRps >= 0.5)} |`);
  out(`| (the same by CPU µs/req) | ${f2(nginxCost / routerCost)} × | ${goal(nginxCost / routerCost >= 0.5)} |`);
  out(
    `| router ≥ 2 × @fastify/http-proxy rps | ${f2(routerRps / fastifyRps)} × | ${goal(routerRps / fastifyRps >= 2)} |`,
  );
  out(`| (the same by CPU µs/req) | ${f2(fastifyCost / routerCost)} × | ${goal(fastifyCost / routerCost >= 2)} |`);
  out(`| added p99 ≤ 0.5 ms at ${RATE} rps | ${signed(addedP99)} ms | ${goal(addedP99 <= 0.5)} |`);
  out(`| RSS ≤ 60 MB idle | ${mb(routerIdleKb)} | ${goal(routerIdleKb <= 60 * 1024)} |`);
  out();
  out('Router metrics after the runs (sanity: metrics on, both routes used, no override refused):');
  out();
  for (const [key, v] of counted) out(`- \`${key}\` = ${v}`);
  if (profile) {
    out();
    out(
      `CPU profile (\`node --cpu-prof\`, one ${DURATION} s wrk run at ${k(profile.rps)} rps, ` +
        `${(profile.totalMs / 1000).toFixed(1)} s sampled), self time by area:`,
    );
    out();
    out('| area | self time |');
    out('|---|---|');
    for (const a of profile.byArea) out(`| ${a.name} | ${a.pct}% |`);
    out();
    out('Top self-time functions:');
    out();
    out('| function | where | self |');
    out('|---|---|---|');
    for (const fn of profile.byFunction.slice(0, 25)) out(`| \`${fn.name}\` | ${fn.where} | ${fn.pct}% |`);
  }
  console.log(`\n${lines.join('\n')}`);
}

try {
  await main();
} catch (e) {
  console.error(`router bench failed: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  killAll();
}
