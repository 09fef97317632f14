/**
 * The registry page's connectivity section (docs/connectivity.md#the-dashboard), from
 * `/registry/peers/connectivity`: per label, Goldpinger's two pictures — a graph of the pods (a
 * node red when some source fails to reach it; an edge per pair of pods, red when either way
 * fails) and a heatmap with destinations as rows and sources as columns, each cell coloured by
 * its last latency against the timeout, `x` on a failure with the error as its tooltip. Every
 * string from the registry reaches the DOM as text (addresses and errors are peers' words).
 */
import { fill, h } from './dom.js';

interface Pair {
  source: string;
  destination: string;
  latencyMs: number | null;
  healthy: boolean | null;
  error: string | null;
  stale: boolean;
}
interface LabelView {
  intervalMs: number | null;
  timeoutMs: number | null;
  peers: { address: string; pod: string; reporting: boolean }[];
  pairs: Pair[];
  summary: { healthy: number; unhealthy: number; unknown: number };
}
export interface ConnectivityJson {
  labels: Record<string, LabelView>;
}

const SVG = 'http://www.w3.org/2000/svg';
const RED = '#d9534f';
const GREY = '#9aa0a6';

function svg(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

/** Green when fast, towards amber as the latency nears the timeout. */
function colour(pair: Pair | undefined, timeoutMs: number): string {
  if (pair === undefined || pair.healthy === null || pair.stale) return GREY;
  if (!pair.healthy) return RED;
  const share = Math.min(1, (pair.latencyMs ?? 0) / Math.max(1, timeoutMs));
  return `hsl(${Math.round(120 - 80 * share)}, 60%, 42%)`;
}

function state(pair: Pair | undefined): string {
  if (pair === undefined || pair.healthy === null) return 'unknown';
  if (pair.stale) return 'stale';
  return pair.healthy ? 'healthy' : 'unhealthy';
}

function graph(label: string, view: LabelView): SVGElement {
  const size = 260;
  const r = size / 2 - 40;
  const at = view.peers.map((_, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, view.peers.length) - Math.PI / 2;
    return { x: size / 2 + r * Math.cos(a), y: size / 2 + r * Math.sin(a) };
  });
  const byPair = new Map(view.pairs.map((p) => [`${p.source} ${p.destination}`, p]));
  const edges: SVGElement[] = [];
  view.peers.forEach((a, i) => {
    view.peers.forEach((b, j) => {
      if (j <= i) return;
      const both = [byPair.get(`${a.address} ${b.address}`), byPair.get(`${b.address} ${a.address}`)];
      const failing = both.some((p) => p?.healthy === false && !p.stale);
      const known = both.some((p) => p?.healthy === true && !p.stale);
      edges.push(
        svg(
          'line',
          {
            x1: at[i]!.x,
            y1: at[i]!.y,
            x2: at[j]!.x,
            y2: at[j]!.y,
            stroke: failing ? RED : known ? '#5cb85c' : GREY,
            'stroke-width': failing ? 2.5 : 1.5,
            'data-edge': `${a.address} ${b.address}`,
            'data-state': failing ? 'unhealthy' : known ? 'healthy' : 'unknown',
          },
          svg('title', {}, `${a.address} ↔ ${b.address}`),
        ),
      );
    });
  });
  const nodes = view.peers.map((p, i) => {
    const seen = view.pairs.filter((q) => q.destination === p.address && !q.stale && q.healthy !== null);
    const unreachable = seen.some((q) => q.healthy === false);
    return svg(
      'g',
      { 'data-node': p.address, 'data-state': unreachable ? 'unhealthy' : seen.length ? 'healthy' : 'unknown' },
      svg('circle', {
        cx: at[i]!.x,
        cy: at[i]!.y,
        r: 9,
        fill: unreachable ? RED : seen.length ? '#5cb85c' : GREY,
        stroke: p.reporting ? '#333' : GREY,
        'stroke-dasharray': p.reporting ? '' : '3 2',
      }),
      svg('text', { x: at[i]!.x, y: at[i]!.y - 14, 'text-anchor': 'middle', 'font-size': 10 }, `[${i + 1}]`),
      svg('title', {}, `[${i + 1}] ${p.address}${p.reporting ? '' : ' (not reporting)'}`),
    );
  });
  return svg(
    'svg',
    { width: size, height: size, viewBox: `0 0 ${size} ${size}`, role: 'img', 'aria-label': `label ${label}: graph` },
    ...edges,
    ...nodes,
  );
}

function heatmap(label: string, view: LabelView): HTMLTableElement {
  const timeout = view.timeoutMs ?? 1000;
  const byPair = new Map(view.pairs.map((p) => [`${p.source} ${p.destination}`, p]));
  const cell = (source: string, destination: string) => {
    if (source === destination) return h('td', { 'data-state': 'self', style: 'text-align:center' }, '–');
    const pair = byPair.get(`${source} ${destination}`);
    const text =
      pair === undefined || pair.healthy === null
        ? '?'
        : pair.healthy
          ? (pair.latencyMs ?? 0).toFixed((pair.latencyMs ?? 0) >= 100 ? 0 : 1)
          : 'x';
    const tip = `${source} → ${destination}: ${pair?.error ?? (pair?.latencyMs == null ? 'not measured yet' : `${pair.latencyMs} ms`)}${pair?.stale ? ' (source not reporting)' : ''}`;
    return h(
      'td',
      {
        'data-source': source,
        'data-destination': destination,
        'data-state': state(pair),
        title: tip,
        style: `background:${colour(pair, timeout)};color:#fff;text-align:right;font-variant-numeric:tabular-nums`,
      },
      text,
    );
  };
  return h(
    'table',
    { class: 'heatmap', 'data-label': label, style: 'width:auto' },
    h('caption', {}, `label ${label}: rows destinations, columns sources (ms)`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'destination \\ source'),
        ...view.peers.map((p, i) => h('th', { scope: 'col', title: p.address }, `[${i + 1}]`)),
      ),
    ),
    h(
      'tbody',
      {},
      ...view.peers.map((d, i) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, `[${i + 1}] ${d.address}`),
          ...view.peers.map((s) => cell(s.address, d.address)),
        ),
      ),
    ),
  );
}

export function renderConnectivity(body: HTMLElement, json: ConnectivityJson): void {
  const labels = Object.entries(json.labels ?? {});
  if (labels.length === 0) {
    fill(body, h('p', { class: 'muted' }, 'No peers registered.'));
    return;
  }
  fill(
    body,
    ...labels.map(([label, view]) =>
      h(
        'div',
        { class: 'connectivity', 'data-label': label },
        h(
          'p',
          {},
          h('code', {}, label),
          ` — ${view.peers.length} pods, ping every ${view.intervalMs ?? '?'} ms, timeout ${view.timeoutMs ?? '?'} ms: `,
          h('span', { class: 'ok' }, `${view.summary.healthy} healthy`),
          ', ',
          h('span', { class: view.summary.unhealthy > 0 ? 'bad' : 'muted' }, `${view.summary.unhealthy} unhealthy`),
          `, ${view.summary.unknown} unknown`,
        ),
        h(
          'div',
          { style: 'display:flex;gap:2em;align-items:flex-start;flex-wrap:wrap' },
          graph(label, view) as unknown as Node,
          heatmap(label, view),
        ),
      ),
    ),
  );
}
