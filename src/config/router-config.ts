/**
 * The router's configuration: defaults beside the schema, an optional YAML file, then flags, in
 * that order; one pass that lists every problem; then frozen. Exactly one base dtab source must
 * be given: an inline `dtab`, a `dtabFile` (watched), or `namerd` (watched).
 */

import { Dtab } from '../dtab/dtab.js';
import { Path } from '../dtab/path.js';
import { type AdminSecurity, adminSecurity } from './admin-security-config.js';
import { classifierSetting } from './classifier-config.js';
import { readField, readSection, sectionFields, unknownFields } from './config-schema.js';
import { type InterpreterSetting, interpreterSetting } from './interpreter-config.js';
import { type LogFormat, logSettings } from './log-config.js';
import { type NamerConfig, namerConfig } from './namer-config.js';
import { ROUTER_FIELDS } from './router-keys.js';
import { deepFreeze, type HostPort, integer, isObject, Problems, type Raw, string, unknownKeys } from './validation.js';
import { yamlMapping } from './yaml-text.js';

export type IdentifierSetting =
  | { readonly kind: 'io.l5d.header.token'; readonly header: string }
  | { readonly kind: 'io.l5d.methodAndHost' }
  | { readonly kind: 'io.l5d.path'; readonly segments: number; readonly consume: boolean; readonly grpcOnly: boolean }
  | { readonly kind: 'io.l5d.header.path'; readonly segments: number; readonly grpcOnly: boolean }
  | { readonly kind: 'io.l5d.header'; readonly header: string }
  | { readonly kind: 'io.l5d.static'; readonly path: string };

export type { InterpreterSetting };

export type BaseDtabSetting =
  | { readonly kind: 'inline'; readonly text: string }
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'namerd'; readonly url: string; readonly namespace: string; readonly cacheFile: string | null };

export interface RouterConfig {
  /** The router's name in metrics: rt/<label>/… */
  readonly label: string;
  readonly listen: HostPort;
  readonly admin: HostPort;
  readonly dstPrefix: string;
  readonly identifiers: readonly IdentifierSetting[];
  readonly baseDtab: BaseDtabSetting;
  readonly namers: readonly NamerConfig[];
  readonly interpreter: InterpreterSetting;
  readonly dtabOverrides: {
    readonly enabled: boolean;
    readonly allowPrefixes: readonly string[] | null;
    readonly allowDestinations: readonly string[] | null;
    /** Bind budget and route-cache ceilings (docs/overrides.md). */
    readonly maxDentries: number;
    readonly maxBindLookups: number;
    readonly routeCacheMaxEntries: number;
    readonly routeCacheMaxWeight: number;
    readonly failedRouteTtlMs: number;
  };
  readonly clearContext: boolean;
  /** Where the access log goes (`-`: standard output); null for none. */
  readonly httpAccessLog: string | null;
  readonly httpAccessLogFormat: 'common' | 'json';
  readonly bindingTimeoutMs: number;
  /** 0 for none. */
  readonly totalTimeoutMs: number;
  /** 0 for none. */
  readonly attemptTimeoutMs: number;
  /** The classifier kind: an HTTP one, or a gRPC one (`io.l5d.h2.grpc.*`) for gRPC calls. */
  readonly responseClassifier: string;
  /** `responseClassifier.retryableStatusCodes`: the gRPC codes `io.l5d.h2.grpc.retryableStatusCodes` retries. */
  readonly retryableStatusCodes: readonly number[];
  /** What the data port speaks: HTTP/1.1 and h2c (`auto`), or h2c only. */
  readonly protocol: 'auto' | 'h2';
  /** `inbound`: the upstream speaks what the request came in with. */
  readonly client: { readonly protocol: 'inbound' | 'http/1.1' | 'h2' };
  /** The HTTP/2 settings announced to callers (docs/grpc.md). */
  readonly h2: {
    readonly maxConcurrentStreams: number;
    readonly initialWindowSize: number;
    /** Bytes; by default maxHeadersKB × 1024. */
    readonly maxHeaderListSize: number;
  };
  /** Bodies kept so that a call can be retried. */
  readonly retryBufferSize: { readonly requestBytes: number; readonly responseBytes: number };
  readonly maxRetries: number;
  readonly failureAccrual: {
    readonly failures: number;
    readonly minBackoffMs: number;
    readonly maxBackoffMs: number;
  } | null;
  readonly maxCallDepth: number;
  readonly maxHeadersKB: number;
  readonly idleTtlMs: number;
  readonly drainGraceMs: number;
  /** Edge limits; each is described in docs/router-limits.md. */
  readonly limits: RouterLimits;
  /** Register with a goto-style registry as a traffic peer under the router's label. */
  readonly registry: {
    readonly url: string | null;
    readonly locker: boolean;
    /** Connectivity pings (docs/connectivity.md); an interval of 0: none. */
    readonly pingIntervalMs: number;
    readonly pingTimeoutMs: number;
    readonly pingMaxPeers: number;
    /** `host:port` of a router listener the pings go through; null: direct. */
    readonly pingVia: string | null;
  };
  /** Admin token, body and locker ceilings, peer and target address rules (docs/security.md). */
  readonly adminSecurity: AdminSecurity;
  readonly log: { readonly level: string; readonly format: LogFormat };
}

export interface RouterLimits {
  readonly headersTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
  /** 0 for none. */
  readonly responseTimeoutMs: number;
  readonly keepAliveIdleMs: number;
  readonly maxConnections: number;
  readonly maxServiceSeries: number;
  readonly maxClientSeries: number;
  readonly seriesIdleTtlMs: number;
}

/** The keys read straight from the table (router-keys.ts); the rest have code of their own below. */
type RouterScalars = Pick<
  RouterConfig,
  | 'label'
  | 'listen'
  | 'admin'
  | 'dstPrefix'
  | 'clearContext'
  | 'httpAccessLog'
  | 'httpAccessLogFormat'
  | 'bindingTimeoutMs'
  | 'totalTimeoutMs'
  | 'attemptTimeoutMs'
  | 'protocol'
  | 'client'
  | 'retryBufferSize'
  | 'maxRetries'
  | 'maxCallDepth'
  | 'maxHeadersKB'
  | 'idleTtlMs'
  | 'drainGraceMs'
  | 'limits'
> & {
  readonly dtabOverrides: Omit<RouterConfig['dtabOverrides'], 'allowPrefixes' | 'allowDestinations'>;
  readonly h2: Omit<RouterConfig['h2'], 'maxHeaderListSize'>;
};

export interface RouterFlags {
  readonly listen?: string;
  readonly admin?: string;
  readonly dtab?: string;
  readonly namerd?: string;
  readonly namespace?: string;
  readonly dtabCache?: string;
  readonly fsDir?: string;
  /** `--k8s-api URL`: mount io.l5d.k8s at /#/io.l5d.k8s against this API (e.g. a `kubectl proxy`). */
  readonly k8sApi?: string;
  readonly label?: string;
  readonly drainGraceMs?: string;
  readonly registry?: string;
  readonly locker?: boolean;
  /** Milliseconds (the command turns the flags' durations into them). */
  readonly pingIntervalMs?: string;
  readonly pingTimeoutMs?: string;
  readonly pingMaxPeers?: string;
  readonly pingVia?: string;
  readonly adminTokenFile?: string;
  readonly logLevel?: string;
  readonly logFormat?: string;
}

function identifier(raw: unknown, key: string, p: Problems): IdentifierSetting | undefined {
  if (!isObject(raw)) return void p.add(key, 'must be a mapping with a kind');
  switch (raw.kind) {
    case 'io.l5d.header.token':
      unknownKeys(raw, ['kind', 'header'], key, p);
      return {
        kind: raw.kind,
        header: raw.header === undefined ? 'host' : (string(raw.header, `${key}.header`, p) ?? 'host'),
      };
    case 'io.l5d.methodAndHost':
      unknownKeys(raw, ['kind'], key, p);
      return { kind: raw.kind };
    case 'io.l5d.path':
      unknownKeys(raw, ['kind', 'segments', 'consume', 'grpcOnly'], key, p);
      return {
        kind: raw.kind,
        segments: integer(raw.segments ?? 1, `${key}.segments`, 1, 100, p) ?? 1,
        consume: raw.consume === true,
        grpcOnly: flag(raw.grpcOnly, `${key}.grpcOnly`, p),
      };
    case 'io.l5d.header.path':
      unknownKeys(raw, ['kind', 'segments', 'grpcOnly'], key, p);
      return {
        kind: raw.kind,
        segments: integer(raw.segments ?? 1, `${key}.segments`, 1, 100, p) ?? 1,
        grpcOnly: flag(raw.grpcOnly, `${key}.grpcOnly`, p),
      };
    case 'io.l5d.header':
      unknownKeys(raw, ['kind', 'header'], key, p);
      return {
        kind: raw.kind,
        header: raw.header === undefined ? 'l5d-name' : (string(raw.header, `${key}.header`, p) ?? 'l5d-name'),
      };
    case 'io.l5d.static': {
      unknownKeys(raw, ['kind', 'path'], key, p);
      const path = string(raw.path, `${key}.path`, p);
      if (path !== undefined) checkPath(path, `${key}.path`, p);
      return path === undefined ? undefined : { kind: raw.kind, path };
    }
    default:
      return void p.add(`${key}.kind`, `unknown identifier ${JSON.stringify(raw.kind)}`);
  }
}

function flag(raw: unknown, key: string, p: Problems): boolean {
  if (raw === undefined) return false;
  if (typeof raw !== 'boolean') p.add(key, 'must be true or false');
  return raw === true;
}

function checkPath(text: string, key: string, p: Problems): void {
  try {
    Path.read(text);
  } catch (e) {
    p.add(key, (e as Error).message);
  }
}

function stringList(raw: unknown, key: string, p: Problems): string[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'string')) {
    p.add(key, 'must be a list of paths');
    return null;
  }
  for (const [i, x] of (raw as string[]).entries()) checkPath(x, `${key}[${i}]`, p);
  return raw as string[];
}

function baseDtab(file: Raw, flags: RouterFlags, p: Problems, fromInterpreter = false): BaseDtabSetting | undefined {
  const choices: BaseDtabSetting[] = [];
  const inline = file.dtab;
  if (inline !== undefined) {
    const text = string(inline, 'dtab', p);
    if (text !== undefined) {
      try {
        Dtab.read(text);
        choices.push({ kind: 'inline', text });
      } catch (e) {
        p.add('dtab', (e as Error).message);
      }
    }
  }
  const dtabFile = flags.dtab ?? file.dtabFile;
  if (dtabFile !== undefined) {
    const f = string(dtabFile, flags.dtab ? '--dtab' : 'dtabFile', p);
    if (f) choices.push({ kind: 'file', file: f });
  }
  const namerdRaw = isObject(file.namerd) ? file.namerd : {};
  if (file.namerd !== undefined && !isObject(file.namerd)) p.add('namerd', 'must be a mapping with url and namespace');
  else unknownFields(namerdRaw, sectionFields(ROUTER_FIELDS, 'namerd'), 'namerd', p);
  const url = flags.namerd ?? namerdRaw.url;
  if (url !== undefined) {
    const u = string(url, 'namerd.url', p);
    if (u !== undefined && !/^https?:\/\/[^/]+/.test(u))
      p.add('namerd.url', `must be an http:// URL, got ${JSON.stringify(u)}`);
    const ns = flags.namespace ?? namerdRaw.namespace ?? 'default';
    const cache = flags.dtabCache ?? namerdRaw.cacheFile ?? null;
    if (u)
      choices.push({ kind: 'namerd', url: u, namespace: String(ns), cacheFile: cache === null ? null : String(cache) });
  } else if (flags.namespace !== undefined) p.add('--namespace', 'needs --namerd URL');
  if (choices.length === 0 && p.ok && !fromInterpreter)
    p.add('dtab', 'no base dtab: give dtab (inline), dtabFile / --dtab FILE, or namerd / --namerd URL');
  if (choices.length > 1) p.add('dtab', `give one base dtab source, not ${choices.map((c) => c.kind).join(' and ')}`);
  return choices[0];
}

function failureAccrual(raw: unknown, p: Problems): RouterConfig['failureAccrual'] {
  if (raw === 'none' || raw === false) return null;
  if (raw !== undefined && !isObject(raw)) p.add('failureAccrual', 'must be a mapping or none');
  const o: Raw = isObject(raw) ? raw : {};
  return readSection(sectionFields(ROUTER_FIELDS, 'failureAccrual'), o, 'failureAccrual', p) as NonNullable<
    RouterConfig['failureAccrual']
  >;
}

function registrySetting(raw: unknown, flags: RouterFlags, p: Problems): RouterConfig['registry'] {
  if (raw !== undefined && !isObject(raw)) p.add('registry', 'must be a mapping with url and locker');
  const o: Raw = isObject(raw) ? raw : {};
  unknownFields(o, sectionFields(ROUTER_FIELDS, 'registry'), 'registry', p);
  const url = flags.registry ?? o.url;
  if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\/[^/]+/.test(url))) {
    p.add('registry.url', `must be an http:// URL, got ${JSON.stringify(url)}`);
  }
  const locker = flags.locker === true || o.locker === true;
  if (locker && url === undefined) p.add('--locker', 'needs --registry URL');
  const fields = sectionFields(ROUTER_FIELDS, 'registry');
  const ping = (key: 'pingIntervalMs' | 'pingTimeoutMs' | 'pingMaxPeers') =>
    readField(fields[key]!, flags[key] ?? o[key], `registry.${key}`, p) as number;
  return {
    url: typeof url === 'string' ? url : null,
    locker,
    pingIntervalMs: ping('pingIntervalMs'),
    pingTimeoutMs: ping('pingTimeoutMs'),
    pingMaxPeers: ping('pingMaxPeers'),
    pingVia: readField(fields.pingVia!, flags.pingVia ?? o.pingVia, 'registry.pingVia', p) as string | null,
  };
}

/**
 * Parses the YAML text (if any) and the flags into a validated, frozen config, or throws
 * SY_ERR_CONFIG_INVALID. The linkerd format (linkerd-format.ts) hands over a mapping it has
 * already translated, and its own Problems, so each problem is reported under the key written.
 */
export function routerConfig(
  yamlText: string | Raw | null,
  flags: RouterFlags = {},
  source = 'config',
  p = new Problems(),
): RouterConfig {
  const file = typeof yamlText === 'string' || yamlText === null ? yamlMapping(yamlText, source, p) : yamlText;
  const scalars = readSection(ROUTER_FIELDS, file, '', p, {
    label: flags.label,
    listen: flags.listen,
    admin: flags.admin,
    drainGraceMs: flags.drainGraceMs,
  }) as unknown as RouterScalars;

  const dstPrefix = scalars.dstPrefix;
  checkPath(dstPrefix, 'dstPrefix', p);
  const idRaw = file.identifier ?? { kind: 'io.l5d.header.token', header: 'host' };
  const identifiers = (Array.isArray(idRaw) ? idRaw : [idRaw])
    .map((r, i) => identifier(r, Array.isArray(idRaw) ? `identifier[${i}]` : 'identifier', p))
    .filter((x): x is IdentifierSetting => x !== undefined);
  const namers: NamerConfig[] = [];
  if (file.namers !== undefined && !Array.isArray(file.namers)) p.add('namers', 'must be a list');
  for (const [i, n] of (Array.isArray(file.namers) ? file.namers : []).entries()) {
    const c = namerConfig(n, `namers[${i}]`, p);
    if (c) namers.push(c);
  }
  if (flags.fsDir !== undefined) {
    const c = namerConfig({ kind: 'io.l5d.fs', rootDir: flags.fsDir }, '--fs-dir', p);
    if (c) namers.push(c);
  }
  if (flags.k8sApi !== undefined) {
    const c = namerConfig({ kind: 'io.l5d.k8s', apiUrl: flags.k8sApi }, '--k8s-api', p);
    if (c) namers.push(c);
  }
  const overridesRaw = isObject(file.dtabOverrides) ? file.dtabOverrides : {};
  const classifier = classifierSetting(file.responseClassifier, 'responseClassifier', p);
  const h2Raw = isObject(file.h2) ? file.h2 : {};
  const maxHeaderListSize =
    h2Raw.maxHeaderListSize === undefined
      ? scalars.maxHeadersKB * 1024
      : (integer(h2Raw.maxHeaderListSize, 'h2.maxHeaderListSize', 1024, 1_048_576, p) ?? scalars.maxHeadersKB * 1024);
  const log = logSettings(file.log, { level: flags.logLevel, format: flags.logFormat }, p);
  const interpreted = interpreterSetting(file, baseDtab(file, flags, p, file.interpreter !== undefined), namers, p);

  const config = {
    ...scalars,
    dstPrefix,
    responseClassifier: classifier.kind,
    retryableStatusCodes: classifier.retryableStatusCodes,
    h2: { ...scalars.h2, maxHeaderListSize },
    identifiers,
    baseDtab: interpreted.base,
    interpreter: interpreted.interpreter,
    namers,
    dtabOverrides: {
      ...scalars.dtabOverrides,
      allowPrefixes: stringList(overridesRaw.allowPrefixes, 'dtabOverrides.allowPrefixes', p),
      allowDestinations: stringList(overridesRaw.allowDestinations, 'dtabOverrides.allowDestinations', p),
    },
    failureAccrual: failureAccrual(file.failureAccrual, p),
    registry: registrySetting(file.registry, flags, p),
    adminSecurity: adminSecurity(
      file.adminSecurity,
      flags.adminTokenFile === undefined ? {} : { tokenFile: flags.adminTokenFile },
      'adminSecurity',
      p,
    ),
    log,
  };
  if (!p.ok) throw p.error();
  return deepFreeze(config as RouterConfig);
}
