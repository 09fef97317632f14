/**
 * The router's admin page (as linkerd's): live requests/s, success rate and latency per router,
 * service and client from /admin/metrics.json each second; each client's endpoints with load,
 * EWMA and failure accrual, and the fault rules hitting it (/admin/clients.json); the base dtab with namerd's version and
 * staleness (/admin/dtab); the delegator (/delegator.json); the router's own recent answers
 * (/admin/errors.json).
 */
import { RollingChart } from './chart.js';
import { type DelegateNode, delegatorForm } from './delegate-tree.js';
import { every, fetchJson, fill, fmt, guarded, h, page, section, statusLine, table } from './dom.js';
import { type Flat, rows, type ScopeRow } from './metrics-model.js';

interface DtabInfo {
  dtab: string | null;
  source: string;
  version?: string;
  updatedAt?: string;
  stale?: string;
}
interface ClientInfo {
  id: string;
  state: string;
  failure?: string;
  endpoints: { key: string; outstanding: number; latencyMs: number; cost: number; state: string }[];
  requests?: number;
  success?: number;
  /** `rule/toxic` of each fault rule that selects this client (docs/chaos.md). */
  faults?: string[];
}
interface AnsweredError {
  time: string;
  code: string;
  status: number;
  method: string;
  authority?: string;
  path?: string;
  remote?: string;
  reason: string;
}

const main = page('switchyard router', location.host);
const status = statusLine();
main.append(status.el);

// --- traffic ---------------------------------------------------------------------------------
const traffic = section('Traffic', 'traffic');
const rpsChart = new RollingChart('Requests per second (router)', 'req/s');
const latencyChart = new RollingChart('Router latency', 'ms');
const scopes = h('div', { id: 'scopes' });
traffic.body.append(h('div', { class: 'charts' }, rpsChart.el, latencyChart.el), scopes);
main.append(traffic.root);

let previous: { flat: Flat; at: number } | null = null;
const scopeTable = (title: string, list: ScopeRow[]) =>
  table(
    ['name', 'req/s', 'success', 'p50', 'p95', 'p99', 'requests'],
    list.map((r) => [
      h('code', {}, r.kind === 'server' ? r.label : r.name),
      h('span', { class: 'num', 'data-stat': 'rps' }, fmt.rate(r.rps)),
      h('span', { class: `num ${r.successRate < 0.95 ? 'bad' : ''}`, 'data-stat': 'success' }, fmt.pct(r.successRate)),
      h('span', { class: 'num' }, fmt.ms(r.p50)),
      h('span', { class: 'num' }, fmt.ms(r.p95)),
      h('span', { class: 'num' }, fmt.ms(r.p99)),
      h('span', { class: 'num', 'data-stat': 'requests' }, r.requests),
    ]),
    title,
  );

async function tickMetrics(): Promise<void> {
  // The open interval's histograms: the closed one (linkerd's default) reads 0 for the first minute.
  const flat = await fetchJson<Flat>('/admin/metrics.json?window=current');
  const at = performance.now();
  const seconds = previous === null ? 0 : (at - previous.at) / 1000;
  const list = rows(previous?.flat ?? null, flat, seconds);
  previous = { flat, at };
  const now = Date.now() / 1000;
  const servers = list.filter((r) => r.kind === 'server');
  rpsChart.push(now, Object.fromEntries(servers.map((r) => [r.label, r.rps])));
  const first = servers[0];
  if (first)
    latencyChart.push(now, {
      p50: first.p50 ?? Number.NaN,
      p95: first.p95 ?? Number.NaN,
      p99: first.p99 ?? Number.NaN,
    });
  fill(
    scopes,
    scopeTable('Routers', servers),
    scopeTable(
      'Services',
      list.filter((r) => r.kind === 'service'),
    ),
    scopeTable(
      'Clients',
      list.filter((r) => r.kind === 'client'),
    ),
  );
  scopes.setAttribute('data-updated', String(Date.now()));
}

// --- endpoints ---------------------------------------------------------------------------------
const endpoints = section('Clients and endpoints', 'endpoints');
main.append(endpoints.root);
async function tickClients(): Promise<void> {
  const clients = await fetchJson<ClientInfo[]>('/admin/clients.json');
  if (clients.length === 0) return fill(endpoints.body, h('p', { class: 'muted' }, 'No clients yet.'));
  fill(
    endpoints.body,
    ...clients.map((c) =>
      h(
        'div',
        { class: c.faults ? 'client faulted' : 'client', 'data-client': c.id },
        // A client under injected faults says so first: its failures are chaos, not an outage.
        c.faults
          ? h('p', { class: 'fault', 'data-faults': c.faults.join(' ') }, `faults: ${c.faults.join(', ')}`)
          : null,
        table(
          ['endpoint', 'in flight', 'EWMA', 'cost', 'failure accrual'],
          c.endpoints.map((e) => [
            h('code', {}, e.key),
            e.outstanding,
            fmt.ms(e.latencyMs),
            Number.isFinite(e.cost) ? e.cost.toFixed(2) : '–',
            h('span', { class: e.state === 'alive' ? 'ok' : 'bad' }, e.state),
          ]),
          `${c.id} (${c.state}${c.failure ? `: ${c.failure}` : ''}${
            c.requests ? `, ${fmt.pct((c.success ?? 0) / c.requests)} of ${c.requests} attempts ok` : ''
          })`,
        ),
      ),
    ),
  );
}

// --- dtab ----------------------------------------------------------------------------------------
const dtab = section('Base dtab', 'dtab');
main.append(dtab.root);
async function tickDtab(): Promise<void> {
  const info = await fetchJson<DtabInfo>('/admin/dtab');
  fill(
    dtab.body,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'source'),
      h('dd', {}, h('code', {}, info.source)),
      h('dt', {}, 'version'),
      h('dd', { id: 'dtab-version' }, info.version ?? '–'),
      h('dt', {}, 'updated'),
      h('dd', {}, info.updatedAt ?? '–'),
      h('dt', {}, 'staleness'),
      h('dd', { class: info.stale ? 'bad' : 'ok' }, info.stale ?? 'current'),
    ),
    h('pre', { class: 'dtab', tabindex: '0' }, info.dtab ?? '(no base dtab yet)'),
  );
}

// --- delegator -----------------------------------------------------------------------------------
const delegator = section('Delegator', 'delegator');
const { form, out: treeOut } = delegatorForm('Extra dtab (as l5d-dtab), optional', (path, dtab) => {
  const q = new URLSearchParams({ path });
  if (dtab.trim() !== '') q.set('dtab', dtab);
  return fetchJson<DelegateNode>(`/delegator.json?${q}`);
});
delegator.body.append(form, treeOut);
main.append(delegator.root);

// --- errors --------------------------------------------------------------------------------------
const errors = section('Recent answers the router gave itself', 'errors');
main.append(errors.root);
async function tickErrors(): Promise<void> {
  const list = await fetchJson<AnsweredError[]>('/admin/errors.json');
  if (list.length === 0) return fill(errors.body, h('p', { class: 'muted' }, 'None.'));
  fill(
    errors.body,
    table(
      ['time', 'status', 'code', 'request', 'reason'],
      [...list]
        .reverse()
        .map((e) => [
          e.time.slice(11, 23),
          e.status,
          h('code', {}, e.code),
          h('code', {}, `${e.method} ${e.authority ?? ''}${e.path ?? ''}`),
          e.reason,
        ]),
    ),
  );
}

const guard = (what: string, f: () => Promise<void>) => guarded(status, what, f);
every(1000, guard('metrics', tickMetrics));
every(1000, guard('clients', tickClients));
every(5000, guard('dtab', tickDtab));
every(2000, guard('errors', tickErrors));
