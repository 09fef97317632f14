/**
 * The registry's page: peers with their epochs (/registry/peers), traffic targets
 * (/registry/peers/targets), lockers (/registry/peers/lockers), and the traffic results merged over
 * each label's pods (/registry/peers/client/results) with, per tracked header, the split of
 * responses by value over time: a canary's share as it moves. The split is taken over each
 * polling interval (differences of the cumulative counts), so it shows now, not the run's average.
 * And the connectivity matrix (/registry/peers/connectivity) as a graph and a heatmap.
 */
import { RollingChart } from './chart.js';
import { type ConnectivityJson, renderConnectivity } from './connectivity-view.js';
import { every, fetchJson, fill, guarded, h, page, section, statusLine, table } from './dom.js';
import { faultsSection } from './registry-faults.js';

interface PodEpoch {
  epoch: number;
  firstContact: string;
  lastContact: string;
}
interface Pod {
  name: string;
  address: string;
  healthy: boolean;
  offline: boolean;
  currentEpoch: PodEpoch;
  pastEpochs: PodEpoch[];
}
type Peers = Record<string, { name: string; pods: Record<string, Pod> }>;
type Json = Record<string, unknown>;
interface HeaderCounts {
  countsByValues?: Record<string, number>;
}
interface Summary {
  requests?: number;
  good?: number;
  bad?: number;
  failed?: number;
  countsByHeaders?: Record<string, HeaderCounts>;
}
type Results = Record<string, { instances: number; summary: Summary }>;

const main = page('switchyard registry', location.host);
const status = statusLine();
main.append(status.el);

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const entries = (v: unknown): [string, unknown][] => (isObject(v) ? Object.entries(v) : []);
const short = (v: unknown): string => {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text === undefined ? '' : text.length > 120 ? `${text.slice(0, 120)}…` : text;
};

// --- peers ---------------------------------------------------------------------------------------------
const peers = section('Peers', 'peers');
main.append(peers.root);
async function loadPeers(): Promise<void> {
  const all = await fetchJson<Peers>('/registry/peers');
  const rows = Object.entries(all).flatMap(([label, p]) =>
    Object.values(isObject(p?.pods) ? p.pods : {}).map((pod) => [
      h('code', {}, label),
      h('code', {}, pod.name),
      pod.address,
      h('span', { 'data-stat': 'epoch' }, pod.currentEpoch?.epoch ?? ''),
      (pod.pastEpochs ?? []).length,
      h(
        'span',
        { class: pod.healthy && !pod.offline ? 'ok' : 'bad' },
        pod.offline ? 'offline' : pod.healthy ? 'healthy' : 'unhealthy',
      ),
      pod.currentEpoch?.lastContact ?? '',
    ]),
  );
  fill(
    peers.body,
    rows.length === 0
      ? h('p', { class: 'muted' }, 'No peers registered.')
      : table(['label', 'pod', 'address', 'epoch', 'past epochs', 'health', 'last contact'], rows),
  );
}

// --- targets and lockers ------------------------------------------------------------------------------
const targets = section('Traffic targets', 'targets');
const lockers = section('Lockers', 'lockers');
main.append(targets.root, lockers.root);
const faults = faultsSection();
main.append(faults.root);
async function loadTargets(): Promise<void> {
  const all = await fetchJson<Json>('/registry/peers/targets');
  const rows = entries(all).flatMap(([label, byName]) =>
    entries(byName).map(([name, t]) => {
      const target = isObject(t) ? t : {};
      return [
        h('code', {}, label),
        h('code', {}, name),
        short(target.url),
        short(target.qps ?? ''),
        short(target.duration ?? ''),
      ];
    }),
  );
  fill(
    targets.body,
    rows.length === 0
      ? h('p', { class: 'muted' }, 'No targets.')
      : table(['label', 'target', 'url', 'qps', 'duration'], rows),
  );
}
async function loadLockers(): Promise<void> {
  const all = await fetchJson<Json>('/registry/peers/lockers');
  const rows = entries(all).flatMap(([label, byOwner]) =>
    entries(byOwner).map(([owner, locker]) => [
      h('code', {}, label),
      h('code', {}, owner),
      entries(locker)
        .map(([k]) => k)
        .join(', '),
    ]),
  );
  fill(
    lockers.body,
    rows.length === 0 ? h('p', { class: 'muted' }, 'No lockers.') : table(['label', 'owner', 'keys'], rows),
  );
}

// --- connectivity: who reaches whom (docs/connectivity.md) ------------------------------------------
const connectivity = section('Connectivity', 'connectivity');
main.append(connectivity.root);
async function loadConnectivity(): Promise<void> {
  renderConnectivity(connectivity.body, await fetchJson<ConnectivityJson>('/registry/peers/connectivity'));
}

// --- traffic results -----------------------------------------------------------------------------------
const results = section('Traffic results', 'results');
const resultsTables = h('div', { id: 'results-tables' });
const charts = h('div', { class: 'charts', id: 'results-charts' });
results.body.append(charts, resultsTables);
main.append(results.root);
const splitCharts = new Map<string, RollingChart>();
const lastCounts = new Map<string, Record<string, number>>();

async function loadResults(): Promise<void> {
  const all = await fetchJson<Results>('/registry/peers/client/results');
  const now = Date.now() / 1000;
  const tables: HTMLElement[] = [];
  for (const [label, merged] of Object.entries(all)) {
    const s = isObject(merged?.summary) ? (merged.summary as Summary) : {};
    tables.push(
      table(
        ['pods', 'requests', 'good', 'bad', 'failed'],
        [[merged.instances ?? 0, s.requests ?? 0, s.good ?? 0, s.bad ?? 0, s.failed ?? 0]],
        `label ${label}`,
      ),
    );
    for (const [header, counts] of entries(s.countsByHeaders)) {
      const byValue = isObject((counts as HeaderCounts).countsByValues)
        ? ((counts as HeaderCounts).countsByValues as Record<string, number>)
        : {};
      const key = `${label}\u0000${header}`;
      const before = lastCounts.get(key) ?? {};
      lastCounts.set(key, { ...byValue });
      const deltas = Object.entries(byValue).map(([v, n]) => [v, Math.max(0, n - (before[v] ?? 0))] as const);
      const total = deltas.reduce((sum, [, n]) => sum + n, 0);
      let chart = splitCharts.get(key);
      if (chart === undefined) {
        chart = new RollingChart(`${label}: share of responses by ${header}`, '%');
        splitCharts.set(key, chart);
        charts.append(chart.el);
      }
      if (total > 0) chart.push(now, Object.fromEntries(deltas.map(([v, n]) => [v, (100 * n) / total])));
      tables.push(
        table(
          ['value', 'responses', 'share'],
          Object.entries(byValue).map(([v, n]) => [
            h('code', {}, v),
            n,
            `${(
              (100 * n) /
                Math.max(
                  1,
                  Object.values(byValue).reduce((a, b) => a + b, 0),
                )
            ).toFixed(1)}%`,
          ]),
          `${label}: ${header} (whole run)`,
        ),
      );
    }
  }
  fill(resultsTables, ...(tables.length ? tables : [h('p', { class: 'muted' }, 'No results in the lockers yet.')]));
}

const guard = (what: string, f: () => Promise<void>) => guarded(status, what, f);
every(2000, guard('peers', loadPeers));
every(2000, guard('targets', loadTargets));
every(2000, guard('lockers', loadLockers));
every(2000, guard('faults', faults.load));
every(1000, guard('results', loadResults));
every(2000, guard('connectivity', loadConnectivity));
