/**
 * The keys of linkerd 1.x's router configuration that switchyard reads (`routers:`, `admin:`,
 * `telemetry:`, `usage:`, `namers:`), and the ones it refuses with the reason why. The
 * translation (linkerd-format.ts) checks keys against this table, and docs/config.md and the JSON
 * Schema are rendered from it, so what is documented is what is read.
 */
import { type Fields, type JsonSchema, jsonSchema } from './config-schema.js';
import { LOG_FIELDS } from './log-config.js';
import { NAMERS_SCHEMA } from './namer-keys.js';
import { ROUTER_FIELDS } from './router-keys.js';

const port: JsonSchema = { type: 'integer', minimum: 0, maximum: 65535 };
const ipPort = (defaultPort: number | null): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  properties: { ip: { type: 'string', default: '127.0.0.1' }, port: { ...port, default: defaultPort ?? undefined } },
});
const kindOf = (kinds: readonly string[], more: Record<string, JsonSchema> = {}): JsonSchema => ({
  type: 'object',
  required: ['kind'],
  properties: { kind: { enum: [...kinds] }, ...more },
});

/** linkerd's keys of a router entry that switchyard translates. */
export const LINKERD_ROUTER_FIELDS: Fields = {
  protocol: {
    kind: 'shape',
    type: '`http` \\| `h2`',
    schema: { enum: ['http', 'h2'] },
    doc: '`http`: the port takes HTTP/1.1 and h2c (`protocol: auto`); `h2`: h2c only, and upstreams are spoken to in h2 (`protocol: h2`, `client.protocol: h2`).',
  },
  label: {
    kind: 'shape',
    type: 'string',
    shown: 'the protocol',
    schema: { type: 'string' },
    doc: "The router's name in metrics; unique within the file.",
  },
  servers: {
    kind: 'shape',
    type: 'list of one `{ip, port}`',
    shown: '`127.0.0.1`, port 4140 (http) or 4142 (h2)',
    schema: { type: 'array', maxItems: 1, items: ipPort(null) },
    doc: 'Where the router listens (`listen`). One listener per router: give another router for another port.',
  },
  identifier: { ...ROUTER_FIELDS.identifier!, doc: 'As `identifier`.' } as Fields[string],
  dstPrefix: { ...ROUTER_FIELDS.dstPrefix!, doc: 'As `dstPrefix`.' } as Fields[string],
  dtab: { kind: 'shape', type: 'dtab text', schema: { type: 'string' }, doc: 'The inline base dtab (`dtab`).' },
  baseDtab: {
    kind: 'shape',
    type: 'dtab text',
    schema: { type: 'string' },
    doc: "linkerd's older name of `dtab`; give one of the two.",
  },
  interpreter: {
    kind: 'shape',
    type: '`{kind, dst, namespace}`',
    shown: '`{kind: default}`',
    schema: kindOf(['default', 'io.l5d.namerd', 'io.l5d.namerd.http'], {
      dst: { type: 'string', pattern: '^/\\$/inet/[^/]+/\\d+$' },
      namespace: { type: 'string', default: 'default' },
      experimental: { type: 'boolean' },
    }),
    doc: "`default` resolves names with the router's own dtab and namers; `io.l5d.namerd.http` and `io.l5d.namerd` take the dtab from namerd at `dst` (`/$/inet/HOST/PORT`), namespace `namespace`, over namerd's HTTP API (`namerd: {url, namespace}`): point `dst` at namerd's `io.l5d.httpController` port.",
  },
  client: {
    kind: 'shape',
    type: 'client policy, or `{kind: io.l5d.static, configs: [{prefix, …}]}`',
    schema: { type: 'object' },
    doc: '`failureAccrual` (`io.l5d.consecutiveFailures` with `failures` and a `jittered` or `constant` backoff, or `none`) → `failureAccrual`; `requestAttemptTimeoutMs` → `attemptTimeoutMs`; `loadBalancer: {kind: ewma}` (the only balancer); `responseClassifier`. Per-prefix `configs` apply when their prefix covers every client (`/` or `/*`); later ones win.',
  },
  service: {
    kind: 'shape',
    type: 'service policy, or `{kind: io.l5d.static, configs: [{prefix, …}]}`',
    schema: { type: 'object' },
    doc: '`totalTimeoutMs` → `totalTimeoutMs`; `responseClassifier` → `responseClassifier`. Per-prefix `configs` apply when their prefix covers every name the router makes (`/`, `/*`, the `dstPrefix` or `dstPrefix/*`).',
  },
  responseClassifier: {
    ...ROUTER_FIELDS.responseClassifier!,
    doc: "linkerd's older place for the classifier (before `service:`); give it in one place only.",
  } as Fields[string],
};

/** Switchyard's own router keys a linkerd router entry may also carry, as they are. */
export const PASSED_ROUTER_KEYS: readonly string[] = Object.keys(ROUTER_FIELDS).filter(
  (k) => !['listen', 'admin', 'protocol', 'client', 'namers', 'log', 'responseClassifier'].includes(k),
);

/** Why `key` is refused, if the table says (never a prototype's member: keys are the user's). */
export function reasonFor(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Keys of linkerd's router config that switchyard cannot honour, and why (each is one error). */
export const REFUSED_ROUTER_KEYS: Readonly<Record<string, string>> = {
  announcers: 'switchyard does not announce routers to service discovery',
  bindingCache: 'the route cache is sized by dtabOverrides.routeCacheMaxEntries and routeCacheMaxWeight',
  httpAccessLog: 'switchyard logs through its logger (log:), not an access log file',
  tracePropagator: 'switchyard does not propagate traces',
  timeoutMs: 'linkerd replaced it by service.totalTimeoutMs; use that',
  originator: 'switchyard has no originator mode',
};

export const REFUSED_SERVER_KEYS: Readonly<Record<string, string>> = {
  tls: 'switchyard serves plaintext only (terminate TLS in front of it)',
  clearContext: 'clearContext is a router key in switchyard; set it on the router',
};

export const REFUSED_TOP_KEYS: Readonly<Record<string, string>> = {
  tracers: 'switchyard does not trace',
};

/** linkerd's top level, for the schema and the docs. */
export const LINKERD_FIELDS: Fields = {
  routers: {
    kind: 'shape',
    type: 'list of routers',
    schema: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['protocol'],
        additionalProperties: false,
        properties: {
          ...Object.fromEntries(
            Object.entries(jsonSchema(ROUTER_FIELDS).properties as Record<string, JsonSchema>).filter(([k]) =>
              PASSED_ROUTER_KEYS.includes(k),
            ),
          ),
          ...(jsonSchema(LINKERD_ROUTER_FIELDS).properties as Record<string, JsonSchema>),
        },
      },
    },
    doc: "One router per entry, each with its own listener and label, all started and stopped together. Besides the keys below, an entry may carry any of switchyard's own router keys except `listen`, `admin`, `namers` and `log`.",
  },
  namers: {
    kind: 'shape',
    type: 'list of namers',
    shown: 'none',
    schema: NAMERS_SCHEMA,
    doc: 'Namers every router mounts (`namers`).',
  },
  admin: {
    kind: 'shape',
    type: '`{ip, port}`',
    shown: '`127.0.0.1`, port 9990',
    schema: ipPort(9990),
    doc: 'The one admin port of the process (`admin`): health, drain, metrics of every router (each under its label), the delegator of the first router.',
  },
  telemetry: {
    kind: 'shape',
    type: 'list of `{kind, …}`',
    shown: 'none',
    schema: { type: 'array', items: { type: 'object', required: ['kind'] } },
    doc: '`io.l5d.prometheus`: the metrics the admin port serves anyway (`/admin/metrics/prometheus`); other kinds are accepted with a warning naming them, and not served.',
  },
  usage: {
    kind: 'shape',
    type: 'mapping',
    schema: { type: 'object' },
    doc: "linkerd's anonymous usage report: accepted with a warning, nothing is sent.",
  },
  log: { kind: 'section', custom: true, doc: 'Log output (`log`).', fields: LOG_FIELDS },
  registry: {
    ...ROUTER_FIELDS.registry!,
    doc: "Switchyard's `registry` for the process: it registers once, under the first router's label (a router entry may override it).",
  } as Fields[string],
  adminSecurity: {
    ...ROUTER_FIELDS.adminSecurity!,
    doc: "Switchyard's `adminSecurity` of the one admin port (a router entry may override it).",
  } as Fields[string],
};

/** Top-level blocks every router of the file gets, unless its entry gives its own. */
export const SHARED_KEYS: readonly string[] = ['namers', 'log', 'registry', 'adminSecurity'];
