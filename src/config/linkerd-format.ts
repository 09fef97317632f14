/**
 * linkerd 1.x's router configuration (`routers:` with `servers`, `interpreter`, `client`,
 * `service`; `admin`, `telemetry`, `namers` at the top), read as it is. It is a translation, not a
 * second validator: each router entry becomes switchyard's flat settings, which the flat format's
 * validator (router-config.ts) checks, and every problem is reported under the key the user wrote
 * (`routers[1].servers[0].port: …`). What switchyard cannot honour is one error with its path;
 * what it can do without (linkerd's usage report, telemetry it does not serve) is one warning.
 */

import {
  LINKERD_FIELDS,
  LINKERD_ROUTER_FIELDS,
  PASSED_ROUTER_KEYS,
  REFUSED_ROUTER_KEYS,
  REFUSED_SERVER_KEYS,
  REFUSED_TOP_KEYS,
  reasonFor,
  SHARED_KEYS,
} from './linkerd-keys.js';
import { policy, type Translated } from './linkerd-policy.js';
import { type RouterConfig, type RouterFlags, routerConfig } from './router-config.js';
import { integer, isObject, Problems, type Raw, string, unknownKeys } from './validation.js';
import { yamlMapping } from './yaml-text.js';

export interface RouterConfigs {
  /** One per router, in file order; the first owns the admin port. */
  readonly routers: readonly RouterConfig[];
  /** What was accepted but is not done, one line each, with its path. */
  readonly warnings: readonly string[];
}

/** More would only be a way to make one process hold many listeners. */
const MAX_ROUTERS = 32;
const DEFAULT_PORT = { http: 4140, h2: 4142 } as const;
/** Flags that set one router: with a list of routers they would be ambiguous. */
const PER_ROUTER_FLAGS: readonly (keyof RouterFlags)[] = [
  'listen',
  'dtab',
  'namerd',
  'namespace',
  'dtabCache',
  'label',
];
const FLAG_NAMES: Record<string, string> = { dtabCache: '--dtab-cache' };

/** A router YAML in either format: switchyard's flat keys, or linkerd's `routers:` list. */
export function routerConfigs(yamlText: string | null, flags: RouterFlags = {}, source = 'config'): RouterConfigs {
  const p = new Problems();
  const file = yamlMapping(yamlText, source, p);
  if (!p.ok) throw p.error();
  if (!Object.hasOwn(file, 'routers')) return { routers: [routerConfig(file, flags, source)], warnings: [] };
  return linkerdRouterConfigs(file, flags);
}

export function linkerdRouterConfigs(file: Raw, flags: RouterFlags): RouterConfigs {
  const p = new Problems();
  const warnings: string[] = [];
  for (const key of Object.keys(file)) {
    if (Object.hasOwn(LINKERD_FIELDS, key)) continue;
    p.add(key, reasonFor(REFUSED_TOP_KEYS, key) ?? `unknown key (known: ${Object.keys(LINKERD_FIELDS).join(', ')})`);
  }
  const processFlags: Record<string, unknown> = { ...flags };
  for (const f of PER_ROUTER_FLAGS) {
    if (flags[f] !== undefined)
      p.add(FLAG_NAMES[f] ?? `--${f}`, 'sets a single router; with a routers: list, set it on the router in the file');
    delete processFlags[f];
  }
  const shared: Raw = { admin: adminAddress(file.admin, p) };
  for (const key of SHARED_KEYS) if (file[key] !== undefined) shared[key] = file[key];
  telemetry(file.telemetry, p, warnings);
  if (file.usage !== undefined) warnings.push('usage: accepted and ignored; switchyard sends no usage report');

  const list = file.routers;
  if (!Array.isArray(list) || list.length === 0) p.add('routers', 'must be a list of at least one router');
  else if (list.length > MAX_ROUTERS) p.add('routers', `lists ${list.length} routers; at most ${MAX_ROUTERS}`);
  const raws = Array.isArray(list) && list.length <= MAX_ROUTERS ? list : [];
  const routers: RouterConfig[] = [];
  for (const [i, raw] of raws.entries()) {
    const at = `routers[${i}]`;
    const t = translateRouter(raw, at, p, warnings);
    if (t === undefined) continue;
    const renamed = p.renamed((key) => rename(key, at, t.origins));
    try {
      routers.push(routerConfig({ ...shared, ...t.flat }, processFlags as RouterFlags, at, renamed));
    } catch {
      // Its problems are in `p` already, under linkerd's names.
    }
  }
  if (routers.length === raws.length) sameListeners(routers, p);
  if (!p.ok) throw p.error();
  return { routers, warnings };
}

/** A flat key as the user wrote it: where the translation took it from, else under the router. */
function rename(key: string, at: string, origins: ReadonlyMap<string, string>): string {
  let best = '';
  for (const prefix of origins.keys()) {
    const covers = key === prefix || key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`);
    if (covers && prefix.length > best.length) best = prefix;
  }
  if (best) return `${origins.get(best)}${key.slice(best.length)}`;
  // Top-level blocks every router shares, and flags, keep their own names.
  const top = /^[A-Za-z]+/.exec(key)?.[0] ?? '';
  if (top === 'admin' || SHARED_KEYS.includes(top) || key.startsWith('--')) return key;
  return `${at}.${key}`;
}

function translateRouter(raw: unknown, at: string, p: Problems, warnings: string[]): Translated | undefined {
  if (!isObject(raw)) return void p.add(at, 'must be a mapping with protocol and servers');
  const t: Translated = { flat: {}, origins: new Map() };
  for (const key of Object.keys(raw)) {
    if (Object.hasOwn(LINKERD_ROUTER_FIELDS, key)) continue;
    if (PASSED_ROUTER_KEYS.includes(key)) {
      t.flat[key] = raw[key];
      // A shared block given again on the entry: its problems are the entry's.
      if (SHARED_KEYS.includes(key)) t.origins.set(key, `${at}.${key}`);
    } else
      p.add(
        `${at}.${key}`,
        reasonFor(REFUSED_ROUTER_KEYS, key) ??
          `unknown key (linkerd's: ${Object.keys(LINKERD_ROUTER_FIELDS).join(', ')}; or switchyard's: ${PASSED_ROUTER_KEYS.join(', ')})`,
      );
  }
  const protocol = raw.protocol;
  if (protocol !== 'http' && protocol !== 'h2') {
    p.add(
      `${at}.protocol`,
      protocol === undefined
        ? 'required: http or h2'
        : `switchyard routes http and h2 (gRPC included), not ${JSON.stringify(protocol)}`,
    );
    return undefined;
  }
  t.flat.protocol = protocol === 'h2' ? 'h2' : 'auto';
  // linkerd's h2 router speaks h2 to upstreams; its http router HTTP/1.1 (h2c callers too, here).
  t.flat.client = { protocol: protocol === 'h2' ? 'h2' : 'inbound' };
  t.origins.set('protocol', `${at}.protocol`);
  t.flat.label = raw.label ?? protocol;
  t.flat.listen = server(raw.servers, `${at}.servers`, DEFAULT_PORT[protocol], t, p);
  for (const key of ['identifier', 'dstPrefix'] as const) if (raw[key] !== undefined) t.flat[key] = raw[key];
  if (raw.dtab !== undefined && raw.baseDtab !== undefined) {
    p.add(`${at}.baseDtab`, 'is the older name of dtab; give one of the two');
    t.flat.dtab = raw.dtab;
  } else if (raw.baseDtab !== undefined) {
    t.flat.dtab = raw.baseDtab;
    t.origins.set('dtab', `${at}.baseDtab`);
  } else if (raw.dtab !== undefined) t.flat.dtab = raw.dtab;
  interpreter(raw.interpreter, `${at}.interpreter`, t, p, warnings);
  if (raw.responseClassifier !== undefined) {
    t.flat.responseClassifier = raw.responseClassifier;
    t.origins.set('responseClassifier', `${at}.responseClassifier`);
  }
  const dstPrefix = typeof raw.dstPrefix === 'string' ? raw.dstPrefix : '/svc';
  policy('client', raw.client, `${at}.client`, dstPrefix, t, p);
  policy('service', raw.service, `${at}.service`, dstPrefix, t, p);
  return t;
}

/** `servers: [{ip, port}]` → `listen`: one listener per router. */
function server(raw: unknown, at: string, defaultPort: number, t: Translated, p: Problems): string {
  t.origins.set('listen', `${at}[0]`);
  const fallback = `127.0.0.1:${defaultPort}`;
  if (raw === undefined) return fallback;
  if (!Array.isArray(raw)) {
    p.add(at, 'must be a list of {ip, port}');
    return fallback;
  }
  for (let j = 1; j < raw.length; j++)
    p.add(`${at}[${j}]`, 'switchyard gives each router one listener; give this port a router of its own');
  return ipPort(raw[0] ?? {}, `${at}[0]`, defaultPort, REFUSED_SERVER_KEYS, p) ?? fallback;
}

/** linkerd's `{ip, port}` as switchyard's `host:port`; loopback when no ip is given, as linkerd's servers. */
function ipPort(
  raw: unknown,
  at: string,
  defaultPort: number,
  refused: Readonly<Record<string, string>>,
  p: Problems,
): string | undefined {
  if (!isObject(raw)) return void p.add(at, 'must be a mapping with ip and port');
  for (const key of Object.keys(raw))
    if (key !== 'ip' && key !== 'port')
      p.add(`${at}.${key}`, reasonFor(refused, key) ?? 'unknown key (known: ip, port)');
  const ip = raw.ip === undefined ? '127.0.0.1' : string(raw.ip, `${at}.ip`, p);
  const port = raw.port === undefined ? defaultPort : integer(raw.port, `${at}.port`, 0, 65535, p);
  if (ip === undefined || port === undefined) return undefined;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function adminAddress(raw: unknown, p: Problems): string {
  if (raw === undefined) return '127.0.0.1:9990';
  return ipPort(raw, 'admin', 9990, {}, p) ?? '127.0.0.1:9990';
}

const INTERPRETER_KEYS = ['kind', 'dst', 'namespace', 'experimental'];

/**
 * `default`: the router's own dtab. `io.l5d.namerd.http` / `io.l5d.namerd`: namerd's dtab,
 * followed over its HTTP API (switchyard's `namerd: {url, namespace}`).
 */
function interpreter(raw: unknown, at: string, t: Translated, p: Problems, warnings: string[]): void {
  if (raw === undefined) return;
  if (!isObject(raw)) return void p.add(at, 'must be a mapping with kind');
  const kind = raw.kind ?? 'default';
  if (raw.transformers !== undefined)
    p.add(`${at}.transformers`, 'switchyard has no transformers: bind to the addresses to use in the dtab');
  if (kind === 'default') return void unknownKeys(raw, ['kind', 'transformers'], at, p);
  if (kind === 'io.l5d.mesh')
    return void p.add(
      `${at}.kind`,
      "switchyard reads namerd over its HTTP API: use io.l5d.namerd.http with dst at namerd's io.l5d.httpController port",
    );
  if (kind !== 'io.l5d.namerd' && kind !== 'io.l5d.namerd.http')
    return void p.add(
      `${at}.kind`,
      `must be default, io.l5d.namerd.http or io.l5d.namerd, got ${JSON.stringify(kind)}`,
    );
  for (const key of Object.keys(raw)) {
    if (INTERPRETER_KEYS.includes(key) || key === 'transformers') continue;
    p.add(
      `${at}.${key}`,
      key === 'tls'
        ? 'switchyard speaks plaintext HTTP to namerd'
        : `unknown key (known: ${INTERPRETER_KEYS.join(', ')})`,
    );
  }
  const dst = typeof raw.dst === 'string' ? /^\/\$\/inet\/([^/]+)\/(\d{1,5})$/.exec(raw.dst) : null;
  if (dst === null)
    return void p.add(`${at}.dst`, `must be /$/inet/HOST/PORT (namerd's address), got ${JSON.stringify(raw.dst)}`);
  if (kind === 'io.l5d.namerd')
    warnings.push(
      `${at}.kind: io.l5d.namerd is namerd's thrift interface; switchyard reads namerd's HTTP API at ${raw.dst}, so point dst at namerd's io.l5d.httpController port`,
    );
  const host = dst[1]!.includes(':') ? `[${dst[1]}]` : dst[1];
  t.flat.namerd = namerdSource(`http://${host}:${dst[2]}`, raw.namespace ?? 'default');
  t.origins.set('namerd.url', `${at}.dst`);
  t.origins.set('namerd', at);
}

/**
 * The one place linkerd's namerd interpreter becomes switchyard's namerd block: the dtab from
 * namerd, and names bound in namerd too (`bind: true`), as linkerd's interpreter did, so the
 * router needs no namers and no Kubernetes access of its own.
 */
function namerdSource(url: string, namespace: unknown): Raw {
  return { url, namespace, bind: true };
}

function telemetry(raw: unknown, p: Problems, warnings: string[]): void {
  if (raw === undefined) return;
  if (!Array.isArray(raw)) return void p.add('telemetry', 'must be a list of {kind, …}');
  for (const [i, t] of raw.entries()) {
    const at = `telemetry[${i}]`;
    if (!isObject(t) || typeof t.kind !== 'string') {
      p.add(at, 'must be a mapping with kind');
      continue;
    }
    if (t.kind !== 'io.l5d.prometheus') {
      warnings.push(`${at}: ${t.kind} is not served; the admin port serves /admin/metrics.json and /admin/metrics`);
      continue;
    }
    unknownKeys(t, ['kind', 'path'], at, p);
    if (t.path !== undefined && t.path !== '/admin/metrics/prometheus')
      p.add(
        `${at}.path`,
        `switchyard serves Prometheus metrics at /admin/metrics/prometheus, not ${JSON.stringify(t.path)}`,
      );
  }
}

/** Two routers of one file cannot share a label (metrics) or a listener. */
function sameListeners(routers: readonly RouterConfig[], p: Problems): void {
  for (const [i, r] of routers.entries()) {
    for (let j = 0; j < i; j++) {
      const o = routers[j]!;
      if (o.label === r.label) p.add(`routers[${i}].label`, `${JSON.stringify(r.label)} is routers[${j}]'s label too`);
      if (r.listen.port !== 0 && o.listen.port === r.listen.port && o.listen.host === r.listen.host)
        p.add(`routers[${i}].servers[0]`, `${r.listen.host}:${r.listen.port} is routers[${j}]'s listener too`);
    }
  }
}
