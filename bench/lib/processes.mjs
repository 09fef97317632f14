// Process bookkeeping shared by the benchmarks that start subjects as processes (bench:router,
// bench:h2): start pinned to a CPU and wait until ready, stop politely then by force, kill
// everything started on the way out, and read CPU time, per-CPU busy time and RSS from /proc.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** Every pid started here; `killAll` kills them (the benches call it on exit and on error). */
export const started = new Set();
export function killAll() {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  started.clear();
}

export const pinned = (cpu, cmd, args) => ['taskset', ['-c', String(cpu), cmd, ...args]];
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** The command to run, or an error saying how to install it; nginx lives in /usr/sbin. */
export function need(cmd, hint) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    const alt = cmd === 'nginx' && spawnSync('test', ['-x', '/usr/sbin/nginx']).status === 0;
    if (alt) return '/usr/sbin/nginx';
    throw new Error(`${cmd} is not installed: ${hint}`);
  }
  return cmd;
}

/** Starts `cmd args` pinned to `cpu`; resolves once `ready(output)` is true (polled), with the child. */
export async function startPinned(name, cpu, cmd, args, ready, options = {}) {
  const child = spawn(...pinned(cpu, cmd, args), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  started.add(child.pid);
  let output = '';
  child.stdout.on('data', (c) => (output = (output + c).slice(-4000)));
  child.stderr.on('data', (c) => (output = (output + c).slice(-4000)));
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    started.delete(child.pid);
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) throw new Error(`${name} exited (${JSON.stringify(exited)}): ${output}`);
    if (await ready(output).catch(() => false)) break;
    if (Date.now() > deadline) throw new Error(`${name} did not start within 15 s: ${output}`);
    await sleep(50);
  }
  return {
    name,
    child,
    pid: child.pid,
    pids: [child.pid, ...childrenOf(child.pid)],
    get exited() {
      return exited;
    },
    output: () => output,
  };
}

/** Stops a subject politely, then by force after `graceMs`. */
export async function stop(proc, signal = 'SIGTERM', graceMs = 5000) {
  if (!proc || proc.exited) return;
  const done = new Promise((r) => proc.child.once('exit', r));
  try {
    process.kill(proc.pid, signal);
  } catch {}
  await Promise.race([done, sleep(graceMs)]);
  for (const pid of proc.pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    started.delete(pid);
  }
}

export function childrenOf(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) out.push(Number(entry));
    } catch {}
  }
  for (const p of out) started.add(p);
  return out;
}

/** CPU time (user + system) of these processes, ms. */
export function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return (ticks * 1000) / CLK_TCK;
}

/** Busy and total jiffies per CPU, from /proc/stat (everything on the machine, not only ours). */
export function cpuTimes() {
  const out = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[m[1]] = { busy: total - idle, total };
  }
  return out;
}

export const busyPct = (a, b, cpu) =>
  Math.round((100 * (b[cpu].busy - a[cpu].busy)) / Math.max(1, b[cpu].total - a[cpu].total));

export function rssKb(pids) {
  const r = spawnSync('ps', ['-o', 'rss=', '-p', pids.join(',')], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0)
    .reduce((a, b) => a + b, 0);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? Number.NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** Writes an nginx.conf for one instance in `dir` (1 worker, logs and temp files inside `dir`). */
export function nginxConf(dir, http) {
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : '';
  const file = join(dir, 'nginx.conf');
  writeFileSync(
    file,
    `${user}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  keepalive_requests 1000000000;
  keepalive_timeout 60s;
${http}
}
`,
  );
  return file;
}
