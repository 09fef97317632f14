/**
 * The router page's fault rules (/admin/faults.json, docs/chaos.md): a panel listing each rule,
 * what it selects, its toxics and how many requests they were applied to, and the marks on the
 * service and client rows a rule selects. Which rows a rule selects is the router's answer
 * (`matches`), never worked out here, so the page marks exactly what the router would fault.
 */
import { fill, h, table } from './dom.js';

interface ToxicReport {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: Record<string, unknown>;
  applied: number;
}
export interface RuleReport {
  name: string;
  service: string;
  client: string;
  header: string | null;
  enabled: boolean;
  live: boolean;
  toxics: ToxicReport[];
  refused: number;
  applied: number;
  matches: { services: string[]; clients: string[]; more: { services: number; clients: number } };
}
export interface FaultReport {
  rules: RuleReport[];
}

const attrs = (a: Record<string, unknown>) =>
  Object.entries(a)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

const toxicLine = (t: ToxicReport) =>
  h(
    'div',
    { 'data-toxic': t.name },
    h('code', {}, `${t.name}: ${t.type} ${t.stream}`),
    ` ${attrs(t.attributes)}`,
    t.toxicity < 1 ? ` at ${Math.round(t.toxicity * 1000) / 10}%` : '',
    ` (${t.applied} applied)`,
  );

const names = (list: string[], more: number) =>
  list.length === 0 ? '–' : `${list.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;

/** Fills the panel's body with one row per rule. */
export function renderFaultPanel(body: HTMLElement, report: FaultReport): void {
  if (report.rules.length === 0) {
    fill(body, h('p', { class: 'muted' }, 'No fault rules.'));
    return;
  }
  fill(
    body,
    table(
      ['rule', 'selects', 'toxics', 'applied', 'now selecting'],
      report.rules.map((r) => [
        h('code', { 'data-rule': r.name }, r.name),
        h(
          'span',
          {},
          h('code', {}, `service ${r.service}`),
          ' ',
          h('code', {}, `client ${r.client}`),
          r.header === null ? null : ' ',
          r.header === null ? null : h('code', {}, `header ${r.header}`),
        ),
        r.enabled
          ? r.toxics.length === 0
            ? h('span', { class: 'muted' }, 'none (changes nothing)')
            : h('div', {}, ...r.toxics.map(toxicLine))
          : h('span', { class: 'bad' }, `disabled: refuses what it selects (${r.refused} refused)`),
        h('span', { class: 'num', 'data-stat': 'applied' }, r.applied),
        h(
          'span',
          {},
          `services: ${names(r.matches.services, r.matches.more.services)}; `,
          `clients: ${names(r.matches.clients, r.matches.more.clients)}`,
        ),
      ]),
    ),
  );
}

interface Mark {
  readonly rule: string;
  /** The rule, and the header its requests must carry when it has one. */
  readonly text: string;
}
type Marks = Map<string, Mark[]>;

/** The rules selecting each service and each client, by name. */
export function faultsByName(report: FaultReport): { services: Marks; clients: Marks } {
  const services: Marks = new Map();
  const clients: Marks = new Map();
  const add = (m: Marks, name: string, mark: Mark) => m.set(name, [...(m.get(name) ?? []), mark]);
  for (const r of report.rules) {
    const mark = { rule: r.name, text: r.header === null ? r.name : `${r.name} (with ${r.header})` };
    for (const s of r.matches.services) add(services, s, mark);
    for (const c of r.matches.clients) add(clients, c, mark);
  }
  return { services, clients };
}

/**
 * Marks (or unmarks) each row under `root` carrying `data-scope` (service or client) and
 * `data-name` with the rules that select it: the class `faulted` and a short text.
 */
export function markRows(root: Element, byName: ReturnType<typeof faultsByName>): void {
  for (const row of root.querySelectorAll<HTMLTableRowElement>('tr[data-scope]')) {
    const map = row.dataset.scope === 'service' ? byName.services : byName.clients;
    const marks = map.get(row.dataset.name ?? '') ?? [];
    row.classList.toggle('faulted', marks.length > 0);
    row.querySelector('.fault')?.remove();
    if (marks.length === 0) {
      row.removeAttribute('data-faults');
      continue;
    }
    row.setAttribute('data-faults', marks.map((m) => m.rule).join(' '));
    row.cells[0]?.append(h('span', { class: 'fault' }, ` faults: ${marks.map((m) => m.text).join(', ')}`));
  }
}
