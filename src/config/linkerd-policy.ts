/**
 * linkerd's `client:` and `service:` policy of one router, translated into switchyard's flat keys
 * (failureAccrual, attemptTimeoutMs, totalTimeoutMs, responseClassifier). linkerd can give each
 * prefix its own policy (`kind: io.l5d.static, configs: [{prefix, …}]`); switchyard has one
 * policy per router, so a config applies only when its prefix covers every name, later ones over
 * earlier ones as linkerd merges them, and any narrower prefix is an error naming it.
 */
import { isObject, type Problems, type Raw, unknownKeys } from './validation.js';

/** What the translation produced: flat keys, and where in the linkerd file each came from. */
export interface Translated {
  readonly flat: Raw;
  /** Flat key (or key prefix) → the linkerd path it was written at. */
  readonly origins: Map<string, string>;
}

const CLIENT_KEYS = ['failureAccrual', 'requestAttemptTimeoutMs', 'loadBalancer', 'responseClassifier'];
const SERVICE_KEYS = ['totalTimeoutMs', 'responseClassifier'];
/** Keys of linkerd's client and service policy that switchyard cannot honour, and why. */
export const REFUSED_POLICY_KEYS: Readonly<Record<string, string>> = {
  tls: 'switchyard speaks plaintext to upstreams',
  hostConnectionPool: 'pools are sized by switchyard (limits: and the upstream pools), not per client',
  retries:
    "switchyard's retry and requeue budgets are fixed (docs/router.md#retry-budget); maxRetries sets how many retries",
  clientSession: 'idle connections are closed after limits.keepAliveIdleMs',
  forwardClientCert: 'switchyard serves plaintext only',
  requeueBudget: "switchyard's requeue budget is fixed",
  isolation: 'switchyard has no isolated clients',
};

/** `client:` or `service:` → flat keys in `t`. */
export function policy(
  which: 'client' | 'service',
  raw: unknown,
  at: string,
  dstPrefix: string,
  t: Translated,
  p: Problems,
): void {
  if (raw === undefined) return;
  if (!isObject(raw)) return void p.add(at, 'must be a mapping');
  const kind = raw.kind ?? 'io.l5d.global';
  if (kind === 'io.l5d.global') {
    const { kind: _, ...rest } = raw;
    return void one(which, rest, at, t, p);
  }
  if (kind !== 'io.l5d.static')
    return void p.add(`${at}.kind`, `must be io.l5d.global or io.l5d.static, got ${JSON.stringify(kind)}`);
  unknownKeys(raw, ['kind', 'configs'], at, p);
  if (!Array.isArray(raw.configs)) return void p.add(`${at}.configs`, 'must be a list of {prefix, …}');
  const everything = which === 'client' ? ['/', '/*'] : ['/', '/*', dstPrefix, `${dstPrefix}/*`];
  for (const [j, c] of raw.configs.entries()) {
    const where = `${at}.configs[${j}]`;
    if (!isObject(c)) {
      p.add(where, 'must be a mapping with prefix');
      continue;
    }
    const { prefix, ...rest } = c;
    if (typeof prefix !== 'string') p.add(`${where}.prefix`, 'must be a path prefix such as /*');
    else if (!everything.includes(prefix.replace(/(.)\/$/, '$1')))
      p.add(
        `${where}.prefix`,
        `switchyard applies one ${which} policy to every ${which === 'client' ? 'client' : 'name'} of a router; ${JSON.stringify(prefix)} covers only some (use ${everything.map((e) => JSON.stringify(e)).join(' or ')}, or give that traffic a router of its own)`,
      );
    else one(which, rest, where, t, p);
  }
}

function one(which: 'client' | 'service', raw: Raw, at: string, t: Translated, p: Problems): void {
  const known = which === 'client' ? CLIENT_KEYS : SERVICE_KEYS;
  for (const key of Object.keys(raw)) {
    if (known.includes(key)) continue;
    const refused = Object.hasOwn(REFUSED_POLICY_KEYS, key) ? REFUSED_POLICY_KEYS[key] : undefined;
    p.add(`${at}.${key}`, refused ?? `unknown key (known: ${known.join(', ')})`);
  }
  const set = (flatKey: string, value: unknown, path: string) => {
    if (value === undefined) return;
    t.flat[flatKey] = value;
    t.origins.set(flatKey, path);
  };
  set('totalTimeoutMs', raw.totalTimeoutMs, `${at}.totalTimeoutMs`);
  set('attemptTimeoutMs', raw.requestAttemptTimeoutMs, `${at}.requestAttemptTimeoutMs`);
  if (raw.responseClassifier !== undefined) {
    const before = t.origins.get('responseClassifier');
    // Later per-prefix configs override earlier ones; two different places are a conflict.
    if (before !== undefined && !sameBlock(before, at))
      p.add(`${at}.responseClassifier`, `also given at ${before}; give it in one place`);
    set('responseClassifier', raw.responseClassifier, `${at}.responseClassifier`);
  }
  if (raw.loadBalancer !== undefined) loadBalancer(raw.loadBalancer, `${at}.loadBalancer`, p);
  if (raw.failureAccrual !== undefined) failureAccrual(raw.failureAccrual, `${at}.failureAccrual`, t, p);
}

/** `routers[0].service.configs[1]` and `routers[0].service.configs[0]` are the same block. */
function sameBlock(path: string, at: string): boolean {
  const block = (s: string) => s.replace(/\.configs\[\d+\].*$/, '').replace(/\.responseClassifier$/, '');
  return block(path) === block(at);
}

function loadBalancer(raw: unknown, at: string, p: Problems): void {
  if (!isObject(raw)) return void p.add(at, 'must be a mapping with kind');
  if (raw.kind !== 'ewma')
    p.add(
      `${at}.kind`,
      `switchyard balances with power of two choices over EWMA latency (ewma) only, got ${JSON.stringify(raw.kind)}`,
    );
  for (const key of Object.keys(raw))
    if (key !== 'kind') p.add(`${at}.${key}`, "switchyard's ewma balancer has fixed settings");
}

/** linkerd's `io.l5d.consecutiveFailures` with a jittered or constant backoff, or `none`. */
function failureAccrual(raw: unknown, at: string, t: Translated, p: Problems): void {
  if (!isObject(raw)) return void p.add(at, 'must be a mapping with kind');
  if (raw.kind === 'none') {
    unknownKeys(raw, ['kind'], at, p);
    t.flat.failureAccrual = 'none';
    t.origins.set('failureAccrual', at);
    return;
  }
  if (raw.kind !== 'io.l5d.consecutiveFailures')
    return void p.add(
      `${at}.kind`,
      `switchyard counts consecutive failures only (io.l5d.consecutiveFailures, or none), got ${JSON.stringify(raw.kind)}`,
    );
  unknownKeys(raw, ['kind', 'failures', 'backoff'], at, p);
  const flat: Raw = {};
  t.origins.set('failureAccrual', at);
  if (raw.failures !== undefined) flat.failures = raw.failures;
  const b = raw.backoff;
  if (b !== undefined && !isObject(b)) p.add(`${at}.backoff`, 'must be a mapping with kind');
  else if (isObject(b)) {
    if (b.kind === 'jittered') {
      unknownKeys(b, ['kind', 'minMs', 'maxMs'], `${at}.backoff`, p);
      if (b.minMs !== undefined) flat.minBackoffMs = b.minMs;
      if (b.maxMs !== undefined) flat.maxBackoffMs = b.maxMs;
      t.origins.set('failureAccrual.minBackoffMs', `${at}.backoff.minMs`);
      t.origins.set('failureAccrual.maxBackoffMs', `${at}.backoff.maxMs`);
    } else if (b.kind === 'constant') {
      unknownKeys(b, ['kind', 'ms'], `${at}.backoff`, p);
      flat.minBackoffMs = b.ms;
      flat.maxBackoffMs = b.ms;
      t.origins.set('failureAccrual.minBackoffMs', `${at}.backoff.ms`);
      t.origins.set('failureAccrual.maxBackoffMs', `${at}.backoff.ms`);
    } else p.add(`${at}.backoff.kind`, `must be jittered or constant, got ${JSON.stringify(b.kind)}`);
  }
  t.flat.failureAccrual = flat;
}
