/**
 * linkerd 1.x's namerd configuration (`storage:`, `interfaces:`, `admin:`, `namers:`), read as it
 * is: a translation into namerd's flat keys, which namerd-config.ts validates, each problem named
 * by the key the user wrote. `io.l5d.inMemory` may seed namespaces (`namespaces: {ns: dtab}`);
 * namerd-command.ts writes them through namerd's own API once it listens, so they go through the
 * same validation as any write.
 */
import { Dtab } from '../dtab/dtab.js';
import { namespaceProblem } from '../store/namespace.js';
import type { Fields } from './config-schema.js';
import { LOG_FIELDS } from './log-config.js';
import { NAMERS_SCHEMA } from './namer-keys.js';
import { type NamerdConfig, type NamerdFlags, namerdConfig } from './namerd-config.js';
import { NAMERD_FIELDS } from './namerd-keys.js';
import { integer, isObject, Problems, type Raw, string } from './validation.js';
import { yamlMapping } from './yaml-text.js';

export interface NamerdSetup {
  readonly config: NamerdConfig;
  /** Namespaces `io.l5d.inMemory` starts with: name → dtab text. */
  readonly seed: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
}

/** Stores linkerd's namerd has and switchyard has not: what to use instead. */
const INSTEAD = 'use store: redis://HOST:PORT/DB (shared by replicas) or file:DIR';
export const OTHER_STORES: Readonly<Record<string, string>> = {
  'io.l5d.k8s': `switchyard does not keep dtabs in Kubernetes resources (io.l5d.k8s): ${INSTEAD}`,
  'io.l5d.zk': `switchyard has no ZooKeeper store (io.l5d.zk): ${INSTEAD}`,
  'io.l5d.etcd': `switchyard has no etcd store (io.l5d.etcd): ${INSTEAD}`,
  'io.l5d.consul': `switchyard has no Consul store (io.l5d.consul): ${INSTEAD}`,
};

/** linkerd's namerd keys, for the check, the schema and the docs. */
export const NAMERD_LINKERD_FIELDS: Fields = {
  storage: {
    kind: 'shape',
    type: '`{kind: io.l5d.inMemory, namespaces}`',
    schema: {
      type: 'object',
      required: ['kind'],
      properties: {
        kind: { enum: ['io.l5d.inMemory'] },
        namespaces: { type: 'object', additionalProperties: { type: 'string' } },
        experimental: { type: 'boolean' },
      },
      additionalProperties: false,
    },
    doc: '`io.l5d.inMemory` is `store: memory`, its `namespaces` (name → dtab) are created at start. `io.l5d.k8s`, `io.l5d.zk`, `io.l5d.etcd` and `io.l5d.consul` are refused, each saying to use `store: redis://…` or `file:DIR` instead.',
  },
  interfaces: {
    kind: 'shape',
    type: 'list of `{kind, ip, port}`',
    schema: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind'],
        properties: {
          kind: { enum: ['io.l5d.httpController', 'io.l5d.thriftNameInterpreter', 'io.l5d.mesh'] },
          ip: { type: 'string' },
          port: { type: 'integer', minimum: 0, maximum: 65535 },
        },
      },
    },
    doc: "`io.l5d.httpController` is namerd's HTTP API (`listen`; `127.0.0.1`, port 4180 by default). `io.l5d.thriftNameInterpreter` and `io.l5d.mesh` are accepted with a warning and not served: routers read namerd over its HTTP API.",
  },
  admin: {
    kind: 'shape',
    type: '`{ip, port}`',
    schema: { type: 'object', properties: { ip: { type: 'string' }, port: { type: 'integer' } } },
    doc: "namerd's admin port (`admin`; `127.0.0.1`, port 9991 by default): `/metrics`, `/ready`, `/healthz`, `/admin/ping`.",
  },
  namers: { kind: 'shape', type: 'list of namers', shown: 'none', schema: NAMERS_SCHEMA, doc: 'As `namers`.' },
  log: { kind: 'section', custom: true, doc: 'Log output (`log`).', fields: LOG_FIELDS },
};

/** Switchyard's own namerd keys a linkerd-format file may also carry, as they are. */
export const PASSED_NAMERD_KEYS: readonly string[] = Object.keys(NAMERD_FIELDS).filter(
  (k) => k !== 'listen' && k !== 'admin' && k !== 'namers' && k !== 'log',
);

/** namerd's YAML in either format: switchyard's flat keys, or linkerd's (a `storage` mapping or an `interfaces` list). */
export function namerdSetup(yamlText: string | null, flags: NamerdFlags = {}, source = 'config'): NamerdSetup {
  const p = new Problems();
  const file = yamlMapping(yamlText, source, p);
  if (!p.ok) throw p.error();
  // linkerd's shapes only: `storage: memory` is a typo of switchyard's `store`, reported as an unknown key.
  if (!isObject(file.storage) && !Array.isArray(file.interfaces))
    return { config: namerdConfig(file, flags, source), seed: {}, warnings: [] };
  const warnings: string[] = [];
  const flat: Raw = {};
  const origins = new Map<string, string>();
  for (const key of Object.keys(file)) {
    if (Object.hasOwn(NAMERD_LINKERD_FIELDS, key)) continue;
    if (PASSED_NAMERD_KEYS.includes(key)) flat[key] = file[key];
    else
      p.add(
        key,
        `unknown key (linkerd's: ${Object.keys(NAMERD_LINKERD_FIELDS).join(', ')}; or switchyard's: ${PASSED_NAMERD_KEYS.join(', ')})`,
      );
  }
  if (file.namers !== undefined) flat.namers = file.namers;
  if (file.log !== undefined) flat.log = file.log;
  if (file.admin !== undefined) {
    const a = file.admin;
    if (!isObject(a)) p.add('admin', 'must be a mapping with ip and port');
    else {
      const ip = String(a.ip ?? '127.0.0.1');
      flat.admin = `${ip.includes(':') ? `[${ip}]` : ip}:${a.port ?? 9991}`;
      origins.set('admin', 'admin');
    }
  }
  const seed = storage(file.storage, flat, origins, p);
  interfaces(file.interfaces, flat, origins, p, warnings);
  const renamed = p.renamed((key) => {
    for (const [flatKey, path] of origins) if (key === flatKey) return path;
    return key;
  });
  let config: NamerdConfig | undefined;
  try {
    config = namerdConfig(flat, flags, source, renamed);
  } catch {
    // Its problems are in `p` already.
  }
  if (!p.ok || config === undefined) throw p.error();
  return { config, seed, warnings };
}

function storage(raw: unknown, flat: Raw, origins: Map<string, string>, p: Problems): Record<string, string> {
  const seed: Record<string, string> = {};
  if (raw === undefined) return seed;
  if (!isObject(raw)) {
    p.add('storage', 'must be a mapping with kind');
    return seed;
  }
  const other = typeof raw.kind === 'string' && Object.hasOwn(OTHER_STORES, raw.kind) ? OTHER_STORES[raw.kind] : null;
  if (other) {
    p.add('storage.kind', other);
    return seed;
  }
  if (raw.kind !== 'io.l5d.inMemory') {
    p.add('storage.kind', `must be io.l5d.inMemory, got ${JSON.stringify(raw.kind)}`);
    return seed;
  }
  if (Object.hasOwn(flat, 'store')) p.add('storage', 'and store both choose the store; give one');
  flat.store = 'memory';
  origins.set('store', 'storage.kind');
  for (const key of Object.keys(raw))
    if (!['kind', 'namespaces', 'experimental'].includes(key))
      p.add(`storage.${key}`, 'unknown key (known: kind, namespaces)');
  const namespaces = raw.namespaces;
  if (namespaces === undefined) return seed;
  if (!isObject(namespaces)) {
    p.add('storage.namespaces', 'must map namespace names to dtabs');
    return seed;
  }
  for (const [ns, text] of Object.entries(namespaces)) {
    const at = `storage.namespaces.${ns}`;
    const bad = namespaceProblem(ns);
    if (bad !== null) p.add(at, bad);
    const dtab = typeof text === 'string' ? text : string(text, at, p);
    if (dtab === undefined) continue;
    try {
      Dtab.read(dtab);
      if (bad === null) seed[ns] = dtab;
    } catch (e) {
      p.add(at, (e as Error).message);
    }
  }
  return seed;
}

function interfaces(raw: unknown, flat: Raw, origins: Map<string, string>, p: Problems, warnings: string[]): void {
  if (raw === undefined) return;
  if (!Array.isArray(raw)) return void p.add('interfaces', 'must be a list of {kind, ip, port}');
  let http: string | undefined;
  for (const [i, iface] of raw.entries()) {
    const at = `interfaces[${i}]`;
    if (!isObject(iface)) {
      p.add(at, 'must be a mapping with kind');
      continue;
    }
    if (iface.kind === 'io.l5d.thriftNameInterpreter' || iface.kind === 'io.l5d.mesh') {
      warnings.push(
        `${at}: ${iface.kind} is not served; switchyard's routers read namerd over its HTTP API (io.l5d.httpController), so point their interpreter's dst there`,
      );
      continue;
    }
    if (iface.kind !== 'io.l5d.httpController') {
      p.add(`${at}.kind`, `must be io.l5d.httpController, got ${JSON.stringify(iface.kind)}`);
      continue;
    }
    if (http !== undefined) {
      p.add(at, `namerd serves its HTTP API on one port; ${http} already gives it`);
      continue;
    }
    http = at;
    for (const key of Object.keys(iface))
      if (!['kind', 'ip', 'port'].includes(key)) p.add(`${at}.${key}`, 'unknown key (known: kind, ip, port)');
    const ip = iface.ip === undefined ? '127.0.0.1' : string(iface.ip, `${at}.ip`, p);
    const port = iface.port === undefined ? 4180 : integer(iface.port, `${at}.port`, 0, 65535, p);
    if (ip !== undefined && port !== undefined) {
      flat.listen = ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
      origins.set('listen', at);
    }
  }
}
