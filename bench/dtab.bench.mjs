#!/usr/bin/env node
// npm run bench:dtab — the dtab hot spots, measured on the built package (dist/).
//   (a) Dtab.read of a generated 1,000-dentry dtab           goal ≤ 50 ms median
//   (b) Dtab.read of an uncached 3-dentry l5d-dtab value      goal ≤ 50 µs median
//   (c) binding a 10-hop chain to /$/inet                     (per bind, shared interpreter and bind())
// Every loop is bounded in count; results are medians over repeated samples, printed as a
// Markdown table to paste into bench/RESULTS.md. Set BENCH_QUICK=1 for a short smoke run.
import { cpus } from 'node:os';
import { bind, Dtab, defaultInterpreter, Path } from '../dist/index.js';

const quick = process.env.BENCH_QUICK === '1';
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const now = () => process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;

/** A dtab shaped like a real one: service rules with unions, fallbacks and wildcards. */
function generatedDtab(n) {
  const lines = ['# generated for the benchmark', '/srv => /#/io.l5d.k8s/default/http ;'];
  for (let i = 0; lines.length < n + 1; i++) {
    switch (i % 4) {
      case 0:
        lines.push(`/svc/service-${i} => /srv/service-${i} ;`);
        break;
      case 1:
        lines.push(`/svc/service-${i} => 1 * /srv/service-${i}-canary & 19 * /srv/service-${i} ;`);
        break;
      case 2:
        lines.push(`/svc/service-${i} => /srv/service-${i}-v2 | /srv/service-${i} ; # fallback`);
        break;
      default:
        lines.push(`/svc/*/service-${i} => /$/inet/127.0.0.1/${8000 + (i % 1000)} ;`);
    }
  }
  return lines.join('\n');
}

function benchParse1000() {
  const text = generatedDtab(1000);
  const size = Dtab.read(text).size;
  for (let i = 0; i < 5; i++) Dtab.read(text);
  const samples = [];
  for (let i = 0; i < (quick ? 5 : 31); i++) {
    const t = now();
    Dtab.read(text);
    samples.push(ms(t, now()));
  }
  // Floor for comparison, timed in the same run: JSON.parse of the same dtab in namerd's JSON
  // codec (prefix/dst strings only, no name trees parsed), the least any reader has to do.
  const json = JSON.stringify(Dtab.read(text).toJSON());
  const floor = [];
  for (let i = 0; i < (quick ? 5 : 31); i++) {
    const t = now();
    JSON.parse(json);
    floor.push(ms(t, now()));
  }
  return {
    size,
    bytes: text.length,
    medianMs: median(samples),
    minMs: Math.min(...samples),
    maxMs: Math.max(...samples),
    jsonMs: median(floor),
  };
}

function benchHeader() {
  // A distinct value every time, so nothing anywhere can serve it from a cache.
  const header = (i) =>
    `/svc/gen => /srv/gen-canary-${i} ; /svc/word => 1 * /srv/word-v2 & 9 * /srv/word ; /srv => /#/io.l5d.k8s/default/http`;
  const perBatch = 1000;
  let k = 0;
  for (let i = 0; i < 5000; i++) Dtab.read(header(k++));
  const samples = [];
  for (let b = 0; b < (quick ? 5 : 31); b++) {
    const values = Array.from({ length: perBatch }, () => header(k++));
    const t = now();
    for (const v of values) Dtab.read(v);
    samples.push((ms(t, now()) * 1000) / perBatch);
  }
  return { medianUs: median(samples), minUs: Math.min(...samples), maxUs: Math.max(...samples) };
}

async function benchBind() {
  const hops = Array.from(
    { length: 10 },
    (_, i) => `/hop${i} => ${i === 9 ? '/$/inet/127.0.0.1/8080' : `/hop${i + 1}`}`,
  );
  const dtab = Dtab.read(hops.join(';'));
  const path = Path.read('/hop0');
  const interpreter = defaultInterpreter();
  const perBatch = 2000;
  const run = async (once) => {
    for (let i = 0; i < 2000; i++) await once();
    const samples = [];
    for (let b = 0; b < (quick ? 5 : 21); b++) {
      const t = now();
      for (let i = 0; i < perBatch; i++) await once();
      samples.push((ms(t, now()) * 1000) / perBatch);
    }
    return median(samples);
  };
  const shown = (await interpreter.bind(dtab, path).toPromise()).value.id.show();
  return {
    shown,
    sharedUs: await run(() => interpreter.bind(dtab, path).toPromise()),
    bindUs: await run(() => bind(dtab, path)),
  };
}

const a = benchParse1000();
const b = benchHeader();
const c = await benchBind();
const cpu = cpus()[0]?.model ?? 'unknown';
console.log(`# switchyard dtab benchmark — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${cpus().length} × ${cpu}${quick ? ' (BENCH_QUICK)' : ''}\n`);
console.log('| measurement | median | min | max | goal |');
console.log('|---|---|---|---|---|');
console.log(
  `| (a) Dtab.read, generated ${a.size}-dentry dtab (${(a.bytes / 1024).toFixed(0)} KiB) | ${a.medianMs.toFixed(1)} ms | ${a.minMs.toFixed(1)} ms | ${a.maxMs.toFixed(1)} ms | ≤ 50 ms |`,
);
console.log(`| (a′) baseline: JSON.parse of the same dtab as namerd JSON | ${a.jsonMs.toFixed(2)} ms | | | – |`);
console.log(
  `| (b) Dtab.read, uncached 3-dentry l5d-dtab value | ${b.medianUs.toFixed(1)} µs | ${b.minUs.toFixed(1)} µs | ${b.maxUs.toFixed(1)} µs | ≤ 50 µs |`,
);
console.log(`| (c) bind 10-hop chain → ${c.shown}, shared interpreter | ${c.sharedUs.toFixed(1)} µs | | | – |`);
console.log(`| (c) same through the exported bind() | ${c.bindUs.toFixed(1)} µs | | | – |`);
