/**
 * The registry page's fault section: the fault configs each label's pods get
 * (/registry/peers/faults), one row per fault with what it selects and its toxics.
 */
import { fetchJson, fill, h, section, table } from './dom.js';

interface Toxic {
  name?: string;
  type?: string;
  stream?: string;
  toxicity?: number;
  attributes?: Record<string, unknown>;
}
interface Fault {
  listen?: string;
  upstream?: string;
  header?: string;
  enabled?: boolean;
  toxics?: Toxic[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `half: abort(status=503) 50% downstream`: a toxic in one short line (unset attributes left out). */
function describeToxic(t: Toxic): string {
  const attributes = Object.entries(isObject(t.attributes) ? t.attributes : {})
    .filter(([, v]) => v !== 0 && v !== '')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  const share = typeof t.toxicity === 'number' ? ` ${Math.round(t.toxicity * 100)}%` : '';
  return `${t.name ?? '?'}: ${t.type ?? '?'}(${attributes})${share} ${t.stream ?? ''}`.trim();
}

export function faultsSection(): { root: HTMLElement; load: () => Promise<void> } {
  const faults = section('Faults by label', 'faults');
  const load = async () => {
    const all = await fetchJson<Record<string, unknown>>('/registry/peers/faults');
    const rows = Object.entries(isObject(all) ? all : {}).flatMap(([label, byName]) =>
      Object.entries(isObject(byName) ? byName : {}).map(([name, raw]) => {
        const f = (isObject(raw) ? raw : {}) as Fault;
        const toxics = Array.isArray(f.toxics) ? f.toxics : [];
        return [
          h('code', {}, label),
          h('code', {}, name),
          h('code', {}, f.listen ?? '*'),
          h('code', {}, f.upstream ?? '*'),
          f.header ?? '',
          h('span', { class: f.enabled === false ? 'bad' : 'ok' }, f.enabled === false ? 'down' : 'enabled'),
          toxics.map(describeToxic).join('; '),
        ];
      }),
    );
    fill(
      faults.body,
      rows.length === 0
        ? h('p', { class: 'muted' }, 'No faults.')
        : table(['label', 'fault', 'service', 'client', 'header', 'state', 'toxics'], rows),
    );
  };
  return { root: faults.root, load };
}
