/**
 * The connectivity matrix as text for a terminal (docs/connectivity.md#the-cli): one table per
 * label, rows the destinations, columns the sources (numbered as the rows are, so the columns
 * stay narrow), each cell the last latency in ms, `x` when the ping failed, `?` before the first
 * sample, `~` after a latency whose source stopped reporting, `-` on the diagonal; then one
 * line per failing pair with its error.
 */
import type { ConnectivityView, LabelView } from '../registry/connectivity-view.js';

const pad = (text: string, width: number, right = false) => (right ? text.padStart(width) : text.padEnd(width));

function cell(view: LabelView, source: string, destination: string): string {
  if (source === destination) return '-';
  const pair = view.pairs.find((p) => p.source === source && p.destination === destination);
  if (pair === undefined || pair.healthy === null) return '?';
  if (!pair.healthy) return pair.stale ? 'x~' : 'x';
  const ms = pair.latencyMs!;
  const text = ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
  return pair.stale ? `${text}~` : text;
}

function every(ms: number | null): string {
  return ms === null ? '?' : `${ms}ms`;
}

export function labelText(label: string, view: LabelView): string {
  const peers = view.peers;
  const head =
    `label ${label}: ${peers.length} peer${peers.length === 1 ? '' : 's'}, ` +
    `ping every ${every(view.intervalMs)}, timeout ${every(view.timeoutMs)}; ` +
    `${view.summary.healthy} healthy, ${view.summary.unhealthy} unhealthy, ${view.summary.unknown} unknown\n`;
  if (peers.length === 0) return head;
  const names = peers.map((p, i) => `[${i + 1}] ${p.address}${p.reporting ? '' : ' (not reporting)'}`);
  const first = Math.max('destination \\ source'.length, ...names.map((n) => n.length));
  const cells = peers.map((d) => peers.map((s) => cell(view, s.address, d.address)));
  const width = Math.max(6, ...cells.flat().map((c) => c.length + 1), ...peers.map((_, i) => `[${i + 1}]`.length + 1));
  let out = head;
  out += `${pad('destination \\ source', first)}${peers.map((_, i) => pad(`[${i + 1}]`, width, true)).join('')}\n`;
  peers.forEach((_, r) => {
    out += `${pad(names[r]!, first)}${cells[r]!.map((c) => pad(c, width, true)).join('')}\n`;
  });
  const failing = view.pairs.filter((p) => p.healthy === false);
  for (const p of failing)
    out += `  x ${p.source} -> ${p.destination}: ${p.error ?? 'unhealthy'}${p.stale ? ' (stale)' : ''}\n`;
  return out;
}

export function connectivityText(view: ConnectivityView): string {
  const labels = Object.entries(view.labels);
  if (labels.length === 0) return 'no peers are registered\n';
  return `${labels.map(([label, v]) => labelText(label, v)).join('\n')}latencies in ms; x: failed, ?: not measured yet, ~: source not reporting\n`;
}
