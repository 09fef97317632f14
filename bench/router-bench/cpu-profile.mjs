// Summarises a V8 .cpuprofile (from `node --cpu-prof`) for `npm run bench:router`: self time by
// function and by area (switchyard's own code, undici, node's HTTP server, streams and net, GC).
import { readFileSync } from 'node:fs';

/** Which part of the process a frame belongs to, by its script URL. */
export function area(url, functionName) {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'native (builtins)';
  }
  if (url.includes('/dist/')) return 'switchyard (dist/)';
  if (url.includes('node_modules/undici')) return 'undici';
  if (url.includes('node_modules/')) return 'other npm packages';
  if (/node:_http_|node:http/.test(url)) return 'node http (server side)';
  if (/node:(net|stream|internal\/streams|_stream|internal\/stream_base|buffer|internal\/buffer)/.test(url))
    return 'node net/streams/buffers';
  if (/node:internal\/(modules|deps\/cjs-module-lexer|bootstrap)|node:internal\/fs|node:path/.test(url))
    return 'module loading (startup)';
  if (url.startsWith('node:')) return 'node other (timers, events, promises…)';
  return 'other';
}

/**
 * Self time per frame: each sample is charged to the node it landed in, for the time until the
 * next sample (timeDeltas). Only samples within [fromUs, toUs] count when a window is given
 * (microseconds on the monotonic clock, as `process.hrtime.bigint() / 1000n`; V8 stamps samples
 * on the same clock), so start-up and shutdown can be left out.
 * Returns { totalMs, byFunction: [{name, where, ms, pct}], byArea: [{name, ms, pct}] }.
 */
export function summarise(file, fromUs = Number.NEGATIVE_INFINITY, toUs = Number.POSITIVE_INFINITY) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    total += dt;
    const id = p.samples[i];
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const byFunction = new Map();
  const byArea = new Map();
  for (const [id, ms] of self) {
    const cf = nodes.get(id).callFrame;
    const name = cf.functionName || '(anonymous)';
    const short = cf.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
    const where = cf.url === '' ? '' : `${short}:${cf.lineNumber + 1}`;
    const key = `${name} ${where}`;
    const f = byFunction.get(key) ?? { name, where, ms: 0 };
    f.ms += ms;
    byFunction.set(key, f);
    const a = area(cf.url, cf.functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + ms);
  }
  const pct = (ms) => Math.round((1000 * ms) / total) / 10;
  return {
    totalMs: total,
    byFunction: [...byFunction.values()].sort((a, b) => b.ms - a.ms).map((f) => ({ ...f, pct: pct(f.ms) })),
    byArea: [...byArea.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms, pct: pct(ms) })),
  };
}
