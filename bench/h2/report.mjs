// Renders the "HTTP/2 and gRPC" section of bench/RESULTS.md from the runs of bench/h2.bench.mjs,
// and puts it in place of the previous one.
import { readFileSync, writeFileSync } from 'node:fs';
import { median } from '../lib/processes.mjs';

export const HEADING = '## HTTP/2 and gRPC (`npm run bench:h2`)';

const k = (x) => (Number.isFinite(x) ? `${(x / 1000).toFixed(1)}k` : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');

/** The section's markdown. `runs`: { round, key, workload, rps, errors, cpuUsPerReq, meanMs, cpu0Pct, cpu1Pct, upstreamCpuPct }. */
export function render({ command, machine, settings, subjects, runs, streams, routerStatus, method }) {
  const lines = [];
  const out = (s = '') => lines.push(s);
  const of = (key, workload) => runs.filter((r) => r.key === key && r.workload === workload && !r.failed);
  const med = (key, workload, field) => median(of(key, workload).map((r) => r[field]));
  const smed = (key) => median(streams.filter((r) => r.key === key && !r.failed).map((r) => r.perSec));
  const scpu = (key) => median(streams.filter((r) => r.key === key && !r.failed).map((r) => r.cpuUsPerMsg));
  out(HEADING);
  out();
  out(`Command: \`${command}\` (${settings}).`);
  out();
  out(
    `Machine: \`nproc\` ${machine.nproc}, ${machine.cpu}, Node ${machine.node}, nginx ${machine.nginx}, ${machine.h2load}; ` +
      `commit ${machine.commit}; load average ${machine.loadStart} at start, ${machine.loadEnd} at end.`,
  );
  out();
  const load1 = Math.max(Number(machine.loadStart.split(' ')[0]), Number(machine.loadEnd.split(' ')[0]));
  if (load1 > machine.nproc) {
    out(
      `The machine was shared while this ran (1-minute load average up to ${load1} on ${machine.nproc} CPUs, other processes not pinned): ` +
        'rps figures are low and swing between rounds; the ratios within a round and the CPU costs are the figures to compare. ' +
        'Re-run on a quiet machine for absolute figures.',
    );
    out();
  }
  out(`Router: ${routerStatus}.`);
  out();
  for (const m of method) out(m);
  out();
  out(
    '| path (subject on CPU 0) | GET rps (median) | runs | gRPC unary rps (median) | runs | CPU µs/req GET / unary | mean latency GET / unary (ms) | errors |',
  );
  out('|---|---|---|---|---|---|---|---|');
  for (const s of subjects) {
    const g = of(s.key, 'get');
    const u = of(s.key, 'unary');
    if (g.length + u.length === 0) {
      out(`| ${s.label} | not measured | | | | | | |`);
      continue;
    }
    const errs = runs.filter((r) => r.key === s.key).reduce((a, r) => a + r.errors, 0);
    out(
      `| ${s.label} | ${k(med(s.key, 'get', 'rps'))} | ${g.map((r) => k(r.rps)).join(', ')} | ${k(med(s.key, 'unary', 'rps'))} | ` +
        `${u.map((r) => k(r.rps)).join(', ')} | ${med(s.key, 'get', 'cpuUsPerReq').toFixed(1)} / ${med(s.key, 'unary', 'cpuUsPerReq').toFixed(1)} | ` +
        `${f2(med(s.key, 'get', 'meanMs'))} / ${f2(med(s.key, 'unary', 'meanMs'))} | ${errs} |`,
    );
  }
  out();
  const has = (key) => of(key, 'get').length + of(key, 'unary').length > 0;
  out('Ratios of medians (rps; for streaming, messages/s):');
  out();
  out('| ratio | GET | gRPC unary | gRPC server streaming |');
  out('|---|---|---|---|');
  const pairs = [
    ['router', 'floor'],
    ['router', 'nginx'],
    ['router', 'direct'],
    ['floor', 'nginx'],
    ['floor', 'direct'],
    ['nginx', 'direct'],
  ];
  for (const [a, b] of pairs) {
    if (!has(a) || !has(b)) {
      out(`| ${a} ÷ ${b} | not measured (${a === 'router' ? 'router not h2-capable' : 'missing'}) | | |`);
      continue;
    }
    const r = (w) => f2(med(a, w, 'rps') / med(b, w, 'rps'));
    out(`| ${a} ÷ ${b} | ${r('get')} | ${r('unary')} | ${f2(smed(a) / smed(b))} |`);
  }
  out();
  out(
    "The same by CPU cost (the subject's own CPU time per request or message; b's cost ÷ a's, so above 1 means a is cheaper; 'direct' is the upstream's own cost, " +
      'which every proxied request also pays on CPU 1):',
  );
  out();
  out('| ratio | GET | gRPC unary | gRPC server streaming |');
  out('|---|---|---|---|');
  for (const [a, b] of pairs) {
    if (!has(a) || !has(b)) continue;
    const c = (w) => f2(med(b, w, 'cpuUsPerReq') / med(a, w, 'cpuUsPerReq'));
    out(`| ${a} ÷ ${b} | ${c('get')} | ${c('unary')} | ${f2(scpu(b) / scpu(a))} |`);
  }
  out();
  out(
    `gRPC server streaming: one call reading ${settings.match(/STREAM_MESSAGES=(\d+)/)?.[1]} framed 16-byte messages, client pinned to CPU 1:`,
  );
  out();
  out('| path | messages/s (median) | runs | ÷ direct | subject CPU µs/message | errors |');
  out('|---|---|---|---|---|---|');
  for (const s of subjects) {
    const rs = streams.filter((r) => r.key === s.key);
    if (rs.length === 0) {
      out(`| ${s.label} | not measured | | | | |`);
      continue;
    }
    const ok = rs.filter((r) => !r.failed);
    out(
      `| ${s.label} | ${k(smed(s.key))} | ${ok.map((r) => k(r.perSec)).join(', ')} | ${f2(smed(s.key) / smed('direct'))} | ${f2(scpu(s.key))} | ` +
        `${rs.length - ok.length}${rs.find((r) => r.failed) ? ` (${rs.find((r) => r.failed).error})` : ''} |`,
    );
  }
  out();
  out('| goal | measured | |');
  out('|---|---|---|');
  for (const w of ['get', 'unary']) {
    const ratio = med('router', w, 'rps') / med('floor', w, 'rps');
    out(
      `| router ≥ 0.8 × node:http2 floor, ${w === 'get' ? 'GET' : 'gRPC unary'} | ${has('router') ? `${f2(ratio)} ×` : 'not measured'} | ` +
        `${has('router') ? (ratio >= 0.8 ? 'met' : '**not met**') : '–'} |`,
    );
  }
  for (const w of ['get', 'unary']) {
    const ratio = med('floor', w, 'cpuUsPerReq') / med('router', w, 'cpuUsPerReq');
    out(
      `| (the same by CPU µs/req, ${w === 'get' ? 'GET' : 'unary'}) | ${has('router') ? `${f2(ratio)} ×` : 'not measured'} | ` +
        `${has('router') ? (ratio >= 0.8 ? 'met' : '**not met**') : '–'} |`,
    );
  }
  const sr = smed('router') / smed('floor');
  out(
    `| router ≥ 0.8 × floor, server streaming | ${Number.isFinite(sr) ? `${f2(sr)} ×` : 'not measured'} | ${Number.isFinite(sr) ? (sr >= 0.8 ? 'met' : '**not met**') : '–'} |`,
  );
  out(
    `| router ÷ nginx (reported, no goal) | ${has('router') ? `GET ${f2(med('router', 'get', 'rps') / med('nginx', 'get', 'rps'))} ×, unary ${f2(med('router', 'unary', 'rps') / med('nginx', 'unary', 'rps'))} ×` : 'not measured'} | |`,
  );
  out();
  out('Per run (CPU 0 / CPU 1 busy: whole machine, from /proc/stat; upstream: its own CPU time over the run):');
  out();
  out('| round | workload | path | rps | CPU 0 busy | CPU 1 busy | upstream CPU |');
  out('|---|---|---|---|---|---|---|');
  for (const r of runs)
    out(
      `| ${r.round} | ${r.workload} | ${r.key} | ${r.failed ? `failed: ${r.error}` : k(r.rps)} | ${r.cpu0Pct ?? '–'}% | ${r.cpu1Pct ?? '–'}% | ${r.upstreamCpuPct ?? '–'}% |`,
    );
  return lines.join('\n');
}

/** Replaces the section under HEADING in `file` (up to the next `## ` heading), or appends it. */
export function writeSection(file, section) {
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(HEADING);
  if (at < 0) return writeFileSync(file, `${text.trimEnd()}\n\n${section}\n`);
  const next = text.indexOf('\n## ', at + HEADING.length);
  const rest = next < 0 ? '' : text.slice(next);
  writeFileSync(file, `${text.slice(0, at)}${section}\n${rest}`);
}
