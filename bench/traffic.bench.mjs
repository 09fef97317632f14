#!/usr/bin/env node
// npm run bench:traffic — switchyard's traffic generator against autocannon, same upstream, same
// run: a node:http server answering a 13-byte body runs as its own process on 127.0.0.1 (pinned
// to core 0 when taskset exists), and each measurement runs in a fresh child process pinned to
// core 1, alternating A B A B so drift hits both. Closed loop, the same number of connections,
// the same duration; the figure is completed requests per second. Goal: ours ≥ 0.6 × autocannon.
// Every loop is bounded in time; nothing leaves 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const SECONDS = Number(process.env.SECONDS ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const GOAL = 0.6;
const self = import.meta.filename;
const pin = spawnSync('sh', ['-c', 'command -v taskset']).status === 0 && cpus().length >= 2;
const onCore = (core, argv) => (pin ? ['taskset', ['-c', String(core), ...argv]] : [argv[0], argv.slice(1)]);

const mode = process.argv[2];
if (mode === 'upstream') {
  const body = Buffer.from('hello, world\n');
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  setTimeout(() => process.exit(0), 10 * 60_000).unref();
} else if (mode === 'ours') {
  const { TrafficClient } = await import(join(import.meta.dirname, '..', 'dist', 'traffic', 'traffic-client.js'));
  const client = new TrafficClient();
  client.addTarget({ name: 'bench', url: process.argv[3], replicas: CONNECTIONS, duration: `${SECONDS}s` });
  const started = performance.now();
  const cpu = process.cpuUsage();
  client.invoke(['bench']);
  await client.done('bench');
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  const r = client.resultsOf('bench');
  const errors = r.bad + r.failed;
  const cpuUs = (used.user + used.system) / r.requests;
  process.stdout.write(`${JSON.stringify({ rps: r.requests / seconds, errors, p99: r.latency.p99, cpuUs })}\n`);
} else if (mode === 'autocannon') {
  const { default: autocannon } = await import('autocannon');
  const cpu = process.cpuUsage();
  const r = await autocannon({ url: process.argv[3], connections: CONNECTIONS, duration: SECONDS });
  const used = process.cpuUsage(cpu);
  const errors = r.errors + r.non2xx;
  const cpuUs = (used.user + used.system) / r.requests.total;
  process.stdout.write(`${JSON.stringify({ rps: r.requests.total / SECONDS, errors, p99: r.latency.p99, cpuUs })}\n`);
} else {
  await main();
}

function child(core, args) {
  const [cmd, argv] = onCore(core, [process.execPath, self, ...args]);
  return spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
}

function firstLine(proc) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('no output within 60 s')), 60_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    proc.on('exit', (code) => code !== 0 && reject(new Error(`${proc.spawnargs.join(' ')} exited ${code}`)));
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
  const upstream = child(0, ['upstream']);
  process.on('exit', () => upstream.kill('SIGKILL'));
  const url = `http://127.0.0.1:${(await firstLine(upstream)).trim()}/`;
  console.log(
    `traffic bench: ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds (A B), ` +
      `${pin ? 'upstream on core 0, generator on core 1' : 'not pinned (no taskset or one core)'}`,
  );
  // Warm the upstream's JIT so the first measured run is not the slow one.
  await firstLine(child(1, ['autocannon', url]));
  const runs = { ours: [], autocannon: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const tool of ['ours', 'autocannon']) {
      const r = JSON.parse(await firstLine(child(1, [tool, url])));
      runs[tool].push(r);
      console.log(
        `  round ${round} ${tool.padEnd(10)} ${r.rps.toFixed(0).padStart(7)} req/s  ` +
          `${r.cpuUs.toFixed(1).padStart(5)} µs CPU/request  p99 ${r.p99} ms  errors ${r.errors}`,
      );
    }
  }
  upstream.kill('SIGTERM');
  const ours = median(runs.ours.map((r) => r.rps));
  const theirs = median(runs.autocannon.map((r) => r.rps));
  const ratio = ours / theirs;
  const cpuOurs = median(runs.ours.map((r) => r.cpuUs));
  const cpuTheirs = median(runs.autocannon.map((r) => r.cpuUs));
  console.log(`median: ours ${ours.toFixed(0)} req/s, autocannon ${theirs.toFixed(0)} req/s`);
  console.log(`median CPU per request: ours ${cpuOurs.toFixed(1)} µs, autocannon ${cpuTheirs.toFixed(1)} µs`);
  console.log(`ratio ${ratio.toFixed(2)} (goal ≥ ${GOAL}): ${ratio >= GOAL ? 'met' : 'NOT met'}`);
  process.exitCode = ratio >= GOAL ? 0 : 1;
}
