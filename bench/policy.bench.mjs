#!/usr/bin/env node
// node bench/policy.bench.mjs (after npm run build) — per-request cost of the router's client
// policy, measured on the built modules (dist/router/policy/): ns per operation, median of
// repeated samples. Printed only. Set BENCH_QUICK=1 for a short smoke run.
//   balancer pick + done (p2c peak-EWMA with failure accrual) for 3 and 50 endpoints,
//   the same with 80% of the 50 dead (the scan path), a weighted union pick (1:19 and 10 members),
//   a classify call, a retry-budget deposit + withdraw, and an l5d-ctx-deadline parse.
import { cpus } from 'node:os';
import { P2cEwmaBalancer } from '../dist/router/policy/balancer.js';
import { readDeadlineHeader } from '../dist/router/policy/deadline.js';
import { responseClassifier } from '../dist/router/policy/response-classifier.js';
import { RetryBudget } from '../dist/router/policy/retry-budget.js';
import { WeightedPicker } from '../dist/router/policy/weighted-pick.js';

const quick = process.env.BENCH_QUICK === '1';
const SAMPLES = quick ? 3 : 15;
const OPS = quick ? 20_000 : 200_000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** ns per call of `op` (which runs one operation per call), median over samples after a warm-up. */
function measure(op) {
  // A fresh loop function per benchmark keeps its call site monomorphic, so one benchmark's
  // closure does not deoptimise the next one's (a shared loop would measure megamorphic calls).
  const loop = new Function('op', 'n', 'for (let i = 0; i < n; i++) op(i);');
  loop(op, OPS);
  const samples = [];
  for (let s = 0; s < SAMPLES; s++) {
    const t0 = process.hrtime.bigint();
    loop(op, OPS);
    samples.push(Number(process.hrtime.bigint() - t0) / OPS);
  }
  return median(samples);
}

function balancer(n) {
  const lb = new P2cEwmaBalancer();
  lb.update(Array.from({ length: n }, (_, i) => ({ key: `10.0.${i >> 8}.${i & 255}:8080` })));
  return lb;
}

const rows = [];
const row = (name, ns) => rows.push(`| ${name} | ${ns.toFixed(0)} |`);

// The router reads the clock for its latency metrics anyway and can hand the readings over; the
// "caller's clock" rows measure the policy alone, with a synthetic clock advancing 1 µs per request.
let t = 0;
for (const n of [3, 50]) {
  const lb = balancer(n);
  // Latencies vary a little so the EWMA and the comparison do real work.
  row(
    `balancer pick + done, ${n} endpoints (own clock: 2 × performance.now)`,
    measure((i) => lb.pick().done(1 + (i & 7), true)),
  );
  const lb2 = balancer(n);
  row(
    `balancer pick(now) + done(…, now), ${n} endpoints (caller's clock)`,
    measure((i) => {
      const start = (t += 0.001);
      lb2.pick(start).done(1 + (i & 7), true, start + 1 + (i & 7));
    }),
  );
}
{
  const lb = balancer(50);
  const eps = lb.stats().map((s) => s.key);
  // Kill 40 of 50 (each fails five times in a row); the run stays well inside the 5 s backoff.
  const dead = new Set(eps.slice(0, 40));
  while (lb.available > 10) {
    const p = lb.pick((t += 0.001));
    p.done(1, !dead.has(p.endpoint.key), t);
  }
  row(
    "balancer pick(now) + done(…, now), 50 endpoints, 40 dead (caller's clock)",
    measure((i) => {
      const start = (t += 0.001);
      lb.pick(start).done(1 + (i & 7), true, start + 1 + (i & 7));
    }),
  );
  if (lb.available !== 10) throw new Error(`expected 10 live endpoints, found ${lb.available}`);
}
{
  const canary = new WeightedPicker([
    { weight: 1, value: 'canary' },
    { weight: 19, value: 'stable' },
  ]);
  row(
    'weighted pick, 1:19',
    measure(() => canary.pick()),
  );
  const ten = new WeightedPicker(Array.from({ length: 10 }, (_, i) => ({ weight: i + 1, value: i })));
  row(
    'weighted pick, 10 members',
    measure(() => ten.pick()),
  );
}
{
  const c = responseClassifier('io.l5d.http.retryableIdempotent5XX');
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  const statuses = [200, 503, 404, 500];
  row(
    'classify (retryableIdempotent5XX)',
    measure((i) => c.classify(methods[i & 3], statuses[(i >> 2) & 3], false)),
  );
}
{
  const budget = new RetryBudget();
  row(
    'retry budget deposit + tryWithdraw (own clock)',
    measure(() => {
      budget.deposit();
      budget.tryWithdraw();
    }),
  );
  const budget2 = new RetryBudget({ now: () => 0 });
  row(
    "retry budget deposit + tryWithdraw (caller's clock)",
    measure(() => {
      budget2.deposit(t);
      budget2.tryWithdraw(t);
    }),
  );
}
{
  const value = `${BigInt(Date.now()) * 1_000_000n} ${BigInt(Date.now() + 5_000) * 1_000_000n}`;
  row(
    'l5d-ctx-deadline parse (one value)',
    measure(() => readDeadlineHeader(value)),
  );
}

console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`);
console.log(`${SAMPLES} samples × ${OPS} ops, median ns/op\n`);
console.log('| operation | ns/op |');
console.log('|---|---|');
for (const r of rows) console.log(r);
