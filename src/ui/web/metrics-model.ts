/**
 * Reading the router's /admin/metrics.json (linkerd's flat names) into rows a person reads:
 * per router (`rt/<label>/server/…`), per service (`rt/<label>/service/<name>/…`) and per client
 * (`rt/<label>/client/<id>/…`). Counters become rates by the difference of two snapshots over
 * the time between them; the success rate is success / (success + failures) of that interval.
 */
export type Flat = Record<string, number>;

export interface ScopeKey {
  readonly label: string;
  readonly kind: 'server' | 'service' | 'client';
  readonly name: string;
}

export interface ScopeRow extends ScopeKey {
  readonly key: string;
  /** Requests per second over the last interval. */
  readonly rps: number;
  /** success / (success + failures) over the last interval; NaN when nothing finished. */
  readonly successRate: number;
  readonly requests: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
}

const STAT = /^(requests|success|failures|request_latency_ms\.p50|request_latency_ms\.p95|request_latency_ms\.p99)$/;

interface Raw {
  requests?: number;
  success?: number;
  failures?: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

/** Splits `rt/<label>/<kind>/<name…>/<stat>` (the server scope has no name). */
export function scopesOf(flat: Flat): Map<string, ScopeKey & Raw> {
  const out = new Map<string, ScopeKey & Raw>();
  for (const [key, value] of Object.entries(flat)) {
    if (!key.startsWith('rt/') || typeof value !== 'number') continue;
    const parts = key.split('/');
    const stat = parts[parts.length - 1]!;
    if (!STAT.test(stat) || parts.length < 4) continue;
    const label = parts[1]!;
    const kind = parts[2];
    if (kind !== 'server' && kind !== 'service' && kind !== 'client') continue;
    const name = kind === 'server' ? '' : parts.slice(3, -1).join('/');
    if (kind === 'server' && parts.length !== 4) continue;
    if (kind !== 'server' && name === '') continue;
    const id = `${label}\u0000${kind}\u0000${name}`;
    let s = out.get(id);
    if (s === undefined) out.set(id, (s = { label, kind, name }));
    const field = stat.startsWith('request_latency_ms.') ? stat.slice('request_latency_ms.'.length) : stat;
    (s as unknown as Record<string, unknown>)[field] = value;
  }
  return out;
}

export function rows(prev: Flat | null, next: Flat, seconds: number): ScopeRow[] {
  const before = prev === null ? new Map() : scopesOf(prev);
  const out: ScopeRow[] = [];
  for (const [key, s] of scopesOf(next)) {
    const p = before.get(key) as Raw | undefined;
    const delta = (f: 'requests' | 'success' | 'failures') => Math.max(0, (s[f] ?? 0) - (p?.[f] ?? s[f] ?? 0));
    const ok = delta('success');
    const bad = delta('failures');
    out.push({
      key,
      label: s.label,
      kind: s.kind,
      name: s.name,
      requests: s.requests ?? 0,
      rps: p === undefined || seconds <= 0 ? Number.NaN : delta('requests') / seconds,
      successRate: ok + bad === 0 ? Number.NaN : ok / (ok + bad),
      ...(s.p50 === undefined ? {} : { p50: s.p50 }),
      ...(s.p95 === undefined ? {} : { p95: s.p95 }),
      ...(s.p99 === undefined ? {} : { p99: s.p99 }),
    });
  }
  const order = { server: 0, service: 1, client: 2 };
  return out.sort(
    (a, b) => a.label.localeCompare(b.label) || order[a.kind] - order[b.kind] || a.name.localeCompare(b.name),
  );
}
