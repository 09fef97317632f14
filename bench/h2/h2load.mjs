// Runs h2load (nghttp2's HTTP/2 load generator) pinned to a CPU and reads its summary. h2load
// reports min/max/mean/sd of request time but no percentiles, so the bench quotes the mean.
import { spawn } from 'node:child_process';
import { pinned, started } from '../lib/processes.mjs';

const toMs = (value, unit) => Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);

export function parseH2load(text) {
  const req =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      text,
    );
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(text);
  const rps = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(text);
  const t = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(text);
  if (!req || !codes || !rps) throw new Error(`cannot read h2load's output: ${text.slice(-1500)}`);
  const [, , , , succeeded, failed, errored, timeout] = req.map(Number);
  const [, ok, c3, c4, c5] = codes.map(Number);
  return {
    rps: Number(rps[1]),
    succeeded,
    errors: failed + errored + timeout + c3 + c4 + c5,
    ok2xx: ok,
    meanMs: t ? toMs(t[5], t[6]) : Number.NaN,
  };
}

/**
 * `h2load -c clients -m streams -D seconds` against one workload, pinned to
 * `cpu`; killed if it overruns its duration by 20 s. A workload is { path, dataFile?, headers? }:
 * with dataFile the request is a POST of that file (a gRPC unary call).
 */
export function runH2load({ cpu, port, workload, clients, streams, seconds }) {
  const args = [`-c${clients}`, `-m${streams}`, `-D${seconds}s`];
  if (workload.dataFile) args.push('-d', workload.dataFile);
  for (const h of workload.headers ?? []) args.push('-H', h);
  args.push(`http://127.0.0.1:${port}${workload.path}`);
  return new Promise((resolve, reject) => {
    const child = spawn(...pinned(cpu, 'h2load', args), { stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child.pid);
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 20) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      started.delete(child.pid);
      if (code !== 0) return reject(new Error(`h2load ${args.join(' ')} exited ${code}: ${out.slice(-1500)}`));
      try {
        resolve({ ...parseH2load(out), command: `h2load ${args.join(' ')}` });
      } catch (e) {
        reject(e);
      }
    });
  });
}
