#!/usr/bin/env node
// node bench/metrics.bench.mjs (after npm run build) — what the router pays per request for
// metrics: Counter.inc() and Histogram.record() on cached handles, and a scrape of a
// router-sized registry. The per-request calls must not allocate, so the run also counts
// garbage collections during the hot loops (none expected). Loops are bounded; results are
// medians of 5 rounds. BENCH_QUICK=1 for a short smoke run.
import { PerformanceObserver } from 'node:perf_hooks';
import { MetricsRegistry } from '../dist/telemetry/metrics.js';

const quick = process.env.BENCH_QUICK === '1';
const N = quick ? 1_000_000 : 20_000_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

const registry = new MetricsRegistry();
const counter = registry.counter('rt:service:requests', { rt: 'http', service: 'svc/web' });
const histogram = registry.histogram('rt:service:request_latency_ms', { rt: 'http', service: 'svc/web' });
// Latencies from 0.1 ms to ~300 ms, precomputed so the loop measures only the call.
const values = new Float64Array(4096).map(() => Math.exp(Math.random() * 8) / 10);

async function measure(name, body) {
  body(N / 10); // warm up: let the optimizer settle first
  const rounds = [];
  await settle();
  const gcBefore = gcs;
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    body(N);
    rounds.push(Number(process.hrtime.bigint() - start) / N);
  }
  await settle();
  return { name, nsPerOp: median(rounds), gcs: gcs - gcBefore };
}

const rows = [
  await measure('Counter.inc()', (n) => {
    for (let i = 0; i < n; i++) counter.inc();
  }),
  await measure('Histogram.record(ms)', (n) => {
    for (let i = 0; i < n; i++) histogram.record(values[i & 4095]);
  }),
];

// A router-sized registry: 50 services × 4 clients, each with linkerd's counters and a histogram.
const big = new MetricsRegistry({ histograms: { mode: 'cumulative' } });
for (let s = 0; s < 50; s++) {
  for (const scope of ['service', 'client']) {
    for (let c = 0; c < (scope === 'service' ? 1 : 4); c++) {
      const labels =
        scope === 'service' ? { rt: 'http', service: `svc/s${s}` } : { rt: 'http', client: `$/inet/10.0.${s}.${c}/80` };
      for (const m of ['requests', 'success', 'failures']) big.counter(`rt:${scope}:${m}`, labels).inc(s);
      for (const status of ['200', '503']) big.counter(`rt:${scope}:status`, { ...labels, status }).inc();
      const h = big.histogram(`rt:${scope}:request_latency_ms`, labels);
      for (let i = 0; i < 100; i++) h.record(values[i]);
    }
  }
}
const scrape = (fn) => {
  const times = [];
  for (let i = 0; i < 21; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
};
const jsonMs = scrape(() => JSON.stringify(big.toJSON()));
const promMs = scrape(() => big.toPrometheus());

console.log(`Node ${process.version}, ${N.toLocaleString()} calls per round, median of 5 rounds\n`);
console.log('| operation | ns/op | GCs during the timed rounds |');
console.log('|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.nsPerOp.toFixed(2)} | ${r.gcs} |`);
console.log(
  `\nScrape of ${big.size} series (250 scopes): metrics.json ${jsonMs.toFixed(2)} ms, Prometheus ${promMs.toFixed(2)} ms`,
);
registry.close();
big.close();
