#!/usr/bin/env node
// npm run bench:h2 — HTTP/2 (h2c) and gRPC through the router against reference paths, in one run:
//  (1) direct to the upstream, (2) nginx (1 worker, `http2` listener, `grpc_pass` with upstream
//  keepalive for both workloads, so it speaks h2 to the upstream as the router does), (3) a bare
//  node:http2 pass-through (bench/h2/passthrough.mjs: the floor any Node h2 proxy pays), (4) the
//  switchyard router with a static dtab and the `io.l5d.header.path` identifier (segments: 1).
// Workloads, each driven by `h2load -c CLIENTS -m STREAMS -D DURATION --warm-up-time WARMUP`:
// plain GETs (13-byte body) and gRPC unary calls (POST of one framed message, answer with
// trailers grpc-status: 0); then gRPC server streaming, messages/s of one call reading
// STREAM_MESSAGES messages (bench/h2/stream-client.mjs). The upstream (bench/h2/upstream.mjs,
// node:http2) and every load generator run on CPU 1, each subject on CPU 0 (taskset); subjects
// alternate within every round (A B C D A B C D) so noise hits them alike; medians and ratios.
// A router that fails the h2 smoke request is recorded as "not h2-capable (error …)", not a crash.
// Exit status is non-zero only on harness errors (a tool missing, a baseline failing), never on a
// goal missed. Flags: --quick (a short smoke run, RESULTS.md untouched), --no-write. Environment:
// DURATION (s, 10; quick 2), WARMUP (s, 2; quick 1), ROUNDS (3; quick 1), CLIENTS (10),
// STREAMS (10 per connection), STREAM_MESSAGES (1000000; quick 100000), ROUTER_YAML (extra lines
// appended to the router's configuration).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { probe } from './h2/grpc-client.mjs';
import { frame } from './h2/grpc-frame.mjs';
import { runH2load } from './h2/h2load.mjs';
import { render, writeSection } from './h2/report.mjs';
import {
  busyPct,
  cpuMs,
  cpuTimes,
  freePort,
  killAll,
  need,
  nginxConf,
  pinned,
  started,
  startPinned,
  stop,
} from './lib/processes.mjs';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const WRITE = !QUICK && !argv.includes('--no-write');
const env = (name, full, quick) => Number(process.env[name] ?? (QUICK ? quick : full));
const DURATION = env('DURATION', 10, 2);
const WARMUP = env('WARMUP', 2, 1);
const ROUNDS = env('ROUNDS', 3, 1);
const CLIENTS = env('CLIENTS', 10, 10);
const STREAMS = env('STREAMS', 10, 10);
const STREAM_MESSAGES = env('STREAM_MESSAGES', 1_000_000, 100_000);

const root = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'sy-bench-h2-'));
function cleanUp() {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
const budgetS = 90 + ROUNDS * 2 * 4 * (DURATION + WARMUP + 5) + ROUNDS * 4 * (STREAM_MESSAGES / 20_000 + 10);
setTimeout(() => {
  console.error(`h2 bench: over its time budget of ${Math.round(budgetS)} s, giving up`);
  process.exit(2);
}, budgetS * 1000).unref();

const listening = (output) => /listening (\d+)/.exec(output);

function httpGet(port, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function startNode(name, cpu, script, args) {
  const proc = await startPinned(
    name,
    cpu,
    process.execPath,
    [join(import.meta.dirname, 'h2', script), ...args],
    async (o) => Boolean(listening(o)),
  );
  return { ...proc, port: Number(listening(proc.output())[1]) };
}

async function startNginx(nginx, upstreamPort) {
  const port = await freePort();
  const dir = join(tmp, 'nginx');
  // grpc_pass for both workloads: nginx's proxy_pass cannot speak h2 to an upstream, and an
  // HTTP/1.1 hop would measure a different upstream protocol than the router's h2 one. nginx
  // sends one request per upstream connection at a time, so it keeps as many idle connections
  // as h2load can have requests in flight; fewer would make the upstream pay for reconnects.
  const keepalive = Math.max(64, 2 * CLIENTS * STREAMS);
  const conf = nginxConf(
    dir,
    `  upstream up { server 127.0.0.1:${upstreamPort}; keepalive ${keepalive}; keepalive_requests 1000000000; }
  server {
    listen 127.0.0.1:${port} http2;
    http2_max_concurrent_streams 1000;
    location / { grpc_pass grpc://up; }
  }`,
  );
  const proc = await startPinned('nginx', 0, nginx, ['-c', conf, '-g', 'daemon off;'], async () => {
    await probe(port, 2000);
    return true;
  });
  return { ...proc, port };
}

async function startRouter(upstreamPort) {
  const port = await freePort();
  const admin = await freePort();
  const conf = join(tmp, 'router.yaml');
  writeFileSync(
    conf,
    `# written by bench/h2.bench.mjs
drainGraceMs: 0
identifier:
  kind: io.l5d.header.path
  segments: 1
dtab: |
  /svc => /$/inet/127.0.0.1/${upstreamPort};
${process.env.ROUTER_YAML ?? ''}
`,
  );
  const args = [join(root, 'bin', 'switchyard.js'), 'router', '--config', conf];
  args.push('--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--log-level', 'warn');
  const proc = await startPinned(
    'router',
    0,
    process.execPath,
    args,
    async () => (await httpGet(admin, '/ready')) === 200,
  );
  return { ...proc, port };
}

function runStreamClient(port) {
  const timeoutMs = Math.max(10_000, STREAM_MESSAGES / 10);
  const script = join(import.meta.dirname, 'h2', 'stream-client.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(
      ...pinned(1, process.execPath, [script, String(port), String(STREAM_MESSAGES), String(timeoutMs)]),
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    started.add(child.pid);
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 10_000);
    child.on('exit', () => {
      clearTimeout(timer);
      started.delete(child.pid);
      try {
        const r = JSON.parse(out);
        resolve(
          r.error || r.messages !== STREAM_MESSAGES
            ? { failed: true, error: r.error ?? `${r.messages} messages, grpc-status ${r.grpcStatus}` }
            : r,
        );
      } catch {
        reject(new Error(`stream client: ${out.slice(-1000)}`));
      }
    });
  });
}

async function main() {
  const nginx = need('nginx', 'run scripts/install-system-deps.sh --bench');
  need('h2load', 'run scripts/install-system-deps.sh --bench (Debian package nghttp2-client)');
  need('taskset', 'install util-linux');
  if (cpus().length < 2) throw new Error('needs two CPUs (subject on CPU 0, upstream and load generator on CPU 1)');
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0].model,
    node: process.version,
    nginx: spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', ''),
    h2load: spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout.trim().replace('h2load ', 'h2load '),
    commit: execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
    loadStart: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
  const settings = `DURATION=${DURATION}s WARMUP=${WARMUP}s ROUNDS=${ROUNDS} CLIENTS=${CLIENTS} STREAMS=${STREAMS} STREAM_MESSAGES=${STREAM_MESSAGES}`;
  console.log(`h2 bench${QUICK ? ' (quick)' : ''}: ${settings}`);
  console.log(JSON.stringify(machine));

  const unaryFile = join(tmp, 'unary.bin');
  writeFileSync(unaryFile, frame(Buffer.from('ping')));
  const workloads = {
    get: { path: '/hello' },
    unary: {
      path: '/bench.Echo/Unary',
      dataFile: unaryFile,
      headers: ['content-type: application/grpc', 'te: trailers'],
    },
  };

  const upstream = await startNode('upstream', 1, 'upstream.mjs', ['0']);
  await probe(upstream.port);
  const ngx = await startNginx(nginx, upstream.port);
  const floor = await startNode('node:http2 pass-through', 0, 'passthrough.mjs', [
    '0',
    `http://127.0.0.1:${upstream.port}`,
  ]);
  await probe(floor.port);
  let router = await startRouter(upstream.port);
  let routerStatus = 'h2-capable (answered the smoke GET, unary and streaming calls)';
  try {
    await probe(router.port);
  } catch (e) {
    routerStatus = `not h2-capable (error: ${String(e.message ?? e)
      .replace(/\s+/g, ' ')
      .slice(0, 200)})`;
    await stop(router);
    router = null;
  }
  console.log(`router: ${routerStatus}`);

  const subjects = [
    { key: 'direct', label: 'direct to the upstream (node:http2, CPU 1)', proc: upstream },
    { key: 'nginx', label: 'nginx 1 worker, `http2` listener, `grpc_pass` + upstream keepalive', proc: ngx },
    { key: 'floor', label: 'for scale: bare node:http2 pass-through, no routing', proc: floor },
    { key: 'router', label: 'switchyard router, `io.l5d.header.path`, static dtab', proc: router },
  ];
  const measured = subjects.filter((s) => s.proc);
  // When a run fails, say which process has died and what it printed last.
  const exitedNote = () =>
    [upstream, ngx, floor, router]
      .filter((p) => p?.exited)
      .map((p) => `; ${p.name} exited (${JSON.stringify(p.exited)}): ${p.output().slice(-1500)}`)
      .join('');

  // One h2load run; the warm-up is a run of its own so that CPU time is read over exactly the
  // measured requests.
  const load = (s, workload, seconds) =>
    runH2load({
      cpu: 1,
      port: s.proc.port,
      workload: workloads[workload],
      clients: CLIENTS,
      streams: STREAMS,
      seconds,
    });
  const runs = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const workload of ['get', 'unary']) {
      for (const s of measured) {
        let run;
        try {
          if (WARMUP > 0) await load(s, workload, WARMUP);
          const sub0 = cpuMs(s.proc.pids);
          const up0 = cpuMs(upstream.pids);
          const t0 = cpuTimes();
          const w = await load(s, workload, DURATION);
          const t1 = cpuTimes();
          run = {
            rps: w.rps,
            errors: w.errors,
            meanMs: w.meanMs,
            cpuUsPerReq: ((cpuMs(s.proc.pids) - sub0) * 1000) / Math.max(1, w.succeeded),
            cpu0Pct: busyPct(t0, t1, '0'),
            cpu1Pct: busyPct(t0, t1, '1'),
            upstreamCpuPct: Math.round(((cpuMs(upstream.pids) - up0) * 100) / (DURATION * 1000)),
          };
        } catch (e) {
          if (s.key !== 'router') throw new Error(`${e.message}${exitedNote()}`); // a baseline failing is the harness's problem
          run = { failed: true, errors: 1, error: String(e.message ?? e).slice(0, 200) };
        }
        runs.push({ round, workload, key: s.key, ...run });
        console.log(JSON.stringify(runs.at(-1)));
      }
    }
  }

  const streams = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of measured) {
      const sub0 = cpuMs(s.proc.pids);
      const r = await runStreamClient(s.proc.port);
      if (r.failed && s.key !== 'router')
        throw new Error(`server streaming through ${s.key} failed: ${r.error}${exitedNote()}`);
      const cpuUsPerMsg = ((cpuMs(s.proc.pids) - sub0) * 1000) / STREAM_MESSAGES;
      streams.push({ round, key: s.key, ...r, cpuUsPerMsg });
      console.log(JSON.stringify(streams.at(-1)));
    }
  }

  for (const s of measured) if (s.proc.exited) throw new Error(`${s.key} exited during the run: ${s.proc.output()}`);
  await stop(router);
  await stop(floor);
  await stop(ngx, 'SIGQUIT');
  await stop(upstream);
  machine.loadEnd = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

  const method = [
    `Method: every subject pinned to CPU 0 (\`taskset -c 0\`); the upstream (bench/h2/upstream.mjs, one node:http2 h2c server) and the load generators on CPU 1. ` +
      `GET and gRPC unary: a warm-up run \`h2load -c${CLIENTS} -m${STREAMS} -D${WARMUP}s\`, then the measured \`h2load -c${CLIENTS} -m${STREAMS} -D${DURATION}s\` (unary: \`-d\` a 9-byte framed message, ` +
      "`-H 'content-type: application/grpc' -H 'te: trailers'`, so POST); subjects alternate within each round; figures are medians of the rounds. " +
      'h2load gives no percentiles, so latency is its mean request time (closed loop). nginx uses `grpc_pass` (HTTP/2 to the upstream, upstream keepalive) for both ' +
      "workloads because `proxy_pass` speaks only HTTP/1.x to an upstream: every proxy here thus speaks h2 on both sides. The upstream shares CPU 1 with h2load, so 'direct' and " +
      'any subject faster than the upstream are capped by CPU 1 (see its busy column); the proxy-to-proxy ratios are the figures to read. ' +
      "CPU µs/req is the subject's own CPU time (user + system, /proc) over the measured run divided by the requests h2load saw succeed: " +
      'it depends much less than rps on what else the machine runs.',
  ];
  const section = render({
    command: `npm run bench:h2${QUICK ? ' -- --quick' : ''}`,
    machine,
    settings,
    subjects,
    runs,
    streams,
    routerStatus,
    method,
  });
  console.log(`\n${section}`);
  if (WRITE) {
    writeSection(join(root, 'bench', 'RESULTS.md'), section);
    console.log();
    console.log('bench/RESULTS.md: section "HTTP/2 and gRPC" written');
  }
}

try {
  await main();
} catch (e) {
  console.error(`h2 bench failed (harness error): ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  cleanUp();
}
