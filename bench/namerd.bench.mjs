#!/usr/bin/env node
// npm run bench:namerd — watch propagation: W watchers on namerd's ndjson watch, U sequential
// compare-free PUTs; for each (update, watcher) the time from the PUT's response to the watcher
// having that version. Stores: memory, file, and Redis with two namerd replicas (writes to one,
// every watcher on the other). namerd runs as its own process (`node bin/switchyard.js namerd`)
// so the watchers in this process do not share its event loop. Loops are bounded in count and
// time; everything binds to 127.0.0.1. Goals: p99 ≤ 100 ms (memory, file), ≤ 200 ms (Redis).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const WATCHERS = Number(process.env.WATCHERS ?? 50);
const UPDATES = Number(process.env.UPDATES ?? 100);
const bin = join(import.meta.dirname, '..', 'bin', 'switchyard.js');
const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function startNamerd(store) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bin, 'namerd', '--store', store, '--listen', '127.0.0.1:0', '--log-format', 'json'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(child);
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`namerd did not start: ${buf}`)), 10_000);
    child.stderr.on('data', (c) => {
      buf += c;
      const line = buf.split('\n').find((l) => l.includes('"namerd listening"'));
      if (line) {
        clearTimeout(timer);
        resolve({ url: JSON.parse(line).url, child });
      }
    });
  });
}

async function startRedis(dir) {
  const which = spawnSync('sh', ['-c', 'command -v redis-server']);
  if (which.status !== 0) throw new Error('redis-server is not installed: run scripts/install-system-deps.sh');
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  children.push(child);
  for (let i = 0; i < 100; i++) {
    if (
      spawnSync('redis-cli', ['-p', String(port), 'ping'])
        .stdout?.toString()
        .includes('PONG')
    )
      return { url: `redis://127.0.0.1:${port}/0`, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not answer PING');
}

function put(url, ns, text) {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/1/dtabs/${ns}`,
      { method: 'PUT', headers: { 'content-type': 'application/dtab' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 204 ? resolve(res.headers.etag) : reject(new Error(`PUT ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** A watcher records, for every version number, when it first saw it. */
function watch(url, ns) {
  const seen = new Map();
  let waiting = [];
  const req = request(`${url}/api/1/dtabs/${ns}?watch=true`, { headers: { accept: 'application/x-ndjson' } }, (res) => {
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk) => {
      const at = performance.now();
      buf += chunk;
      let i = buf.indexOf('\n');
      for (; i !== -1; i = buf.indexOf('\n')) {
        const event = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (event.type !== 'dtab') continue;
        seen.set(event.number, at);
        const ready = waiting.filter((w) => event.number >= w.n);
        waiting = waiting.filter((w) => event.number < w.n);
        for (const w of ready) w.resolve();
      }
    });
  });
  req.end();
  return {
    seen,
    until(n, ms) {
      if ([...seen.keys()].some((k) => k >= n)) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        waiting.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () => req.destroy(),
  };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function run(label, writeUrl, watchUrl) {
  const ns = `bench-${Date.now()}`;
  await put(writeUrl, ns, '/svc=>/srv/v0');
  const watchers = Array.from({ length: WATCHERS }, () => watch(watchUrl, ns));
  await Promise.all(watchers.map((w) => w.until(1, 5000)));
  const latencies = [];
  const fromSend = [];
  let missed = 0;
  const deadline = Date.now() + 120_000;
  for (let u = 0; u < UPDATES && Date.now() < deadline; u++) {
    const text = `/svc=>${u % 10}*/srv/v${u} & /srv/v0`;
    const sent = performance.now();
    await put(writeUrl, ns, text);
    const acked = performance.now();
    const version = u + 2;
    await Promise.all(watchers.map((w) => w.until(version, 2000)));
    for (const w of watchers) {
      const at = w.seen.get(version);
      if (at === undefined) missed++;
      // A watcher may hear of the version before the writer's response lands: that is 0 ms of lag.
      else {
        latencies.push(Math.max(0, at - acked));
        fromSend.push(at - sent);
      }
    }
  }
  for (const w of watchers) w.close();
  return {
    label,
    n: latencies.length,
    missed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: Math.max(...latencies),
    sendP50: quantile(fromSend, 0.5),
    sendP99: quantile(fromSend, 0.99),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'namerd-bench-'));
const rows = [];
try {
  const memory = await startNamerd('memory');
  rows.push({ goal: 100, ...(await run('memory', memory.url, memory.url)) });
  memory.child.kill('SIGTERM');
  const file = await startNamerd(`file:${join(dir, 'dtabs')}`);
  rows.push({ goal: 100, ...(await run('file', file.url, file.url)) });
  file.child.kill('SIGTERM');
  const redis = await startRedis(dir);
  const replica1 = await startNamerd(redis.url);
  const replica2 = await startNamerd(redis.url);
  rows.push({ goal: 200, ...(await run('redis, write replica 1 → watch replica 2', replica1.url, replica2.url)) });
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

console.log(`# namerd watch propagation — ${new Date().toISOString()}`);
console.log(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}; ${WATCHERS} watchers × ${UPDATES} updates\n`,
);
console.log(
  '| store | samples | missed | after PUT response: p50 | p99 | max | after PUT sent: p50 | p99 | goal (p99) |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
const f = (x) => `${x.toFixed(2)} ms`;
for (const r of rows) {
  console.log(
    `| ${r.label} | ${r.n} | ${r.missed} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${f(r.sendP50)} | ${f(r.sendP99)} | ≤ ${r.goal} ms |`,
  );
}
