/**
 * The "linkerd's config format" part of docs/config.md and the two JSON Schemas of linkerd's
 * formats (docs/schema/linkerd.schema.json, namerd-linkerd.schema.json), rendered from the tables
 * the translations read (linkerd-keys.ts, linkerd-policy.ts, namerd-linkerd-format.ts): what is
 * read, what it becomes, what is refused and why.
 */
import { type Fields, type JsonSchema, jsonSchema, type KeyDoc, keyDocs } from './config-schema.js';
import {
  LINKERD_FIELDS,
  LINKERD_ROUTER_FIELDS,
  PASSED_ROUTER_KEYS,
  REFUSED_ROUTER_KEYS,
  REFUSED_SERVER_KEYS,
  REFUSED_TOP_KEYS,
} from './linkerd-keys.js';
import { REFUSED_POLICY_KEYS } from './linkerd-policy.js';
import { NAMERD_FIELDS } from './namerd-keys.js';
import { NAMERD_LINKERD_FIELDS, OTHER_STORES, PASSED_NAMERD_KEYS } from './namerd-linkerd-format.js';

export const LINKERD_SCHEMA_NAMES = ['linkerd', 'namerd-linkerd'] as const;

/** The JSON Schema of linkerd's router file, or of linkerd's namerd file. */
export function linkerdSchema(name: (typeof LINKERD_SCHEMA_NAMES)[number]): JsonSchema {
  const head = { $schema: 'https://json-schema.org/draft/2020-12/schema' };
  if (name === 'linkerd')
    return {
      ...head,
      title: "linkerd's router configuration, as switchyard reads it",
      ...jsonSchema(LINKERD_FIELDS),
      required: ['routers'],
    };
  const flat = jsonSchema(NAMERD_FIELDS).properties as Record<string, JsonSchema>;
  const own = jsonSchema(NAMERD_LINKERD_FIELDS);
  return {
    ...head,
    title: "linkerd's namerd configuration, as switchyard reads it",
    ...own,
    properties: {
      ...Object.fromEntries(Object.entries(flat).filter(([k]) => PASSED_NAMERD_KEYS.includes(k))),
      ...(own.properties as Record<string, JsonSchema>),
    },
    anyOf: [{ required: ['storage'] }, { required: ['interfaces'] }],
  };
}

function table(rows: readonly KeyDoc[]): string {
  const cell = (t: string) => t.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const lines = ['| key | type | default | meaning |', '| --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| \`${r.key}\` | ${r.type} | ${cell(r.shown)} | ${cell(r.doc)} |`);
  return lines.join('\n');
}

function refusals(where: string, reasons: Readonly<Record<string, string>>): string[] {
  return Object.entries(reasons).map(([key, why]) => `| \`${where}${key}\` | ${why.replaceAll('|', '\\|')} |`);
}

const rows = (fields: Fields, prefix: string) => keyDocs(fields).map((r) => ({ ...r, key: `${prefix}${r.key}` }));

/** The section of docs/config.md on linkerd's formats. */
export function linkerdMarkdown(): string {
  const code = (keys: readonly string[]) => keys.map((k) => `\`${k}\``).join(', ');
  return [
    "## linkerd's config format",
    '',
    "`switchyard router --config` and `switchyard namerd --config` also read linkerd 1.x's files as they are. A",
    "router file with a `routers:` key is linkerd's; a namerd file with `storage:` or `interfaces:` is linkerd's",
    'namerd format. Each is translated into the flat keys above (one set per router) and checked by the same',
    'validator, so a value is refused for the same reason in both formats; each problem is reported under the key',
    'as written (`routers[1].service.totalTimeoutMs: …`), and every problem is listed before the process exits 64.',
    "What switchyard cannot honour is one error per field, never ignored; what it can do without (linkerd's usage",
    "report, telemetry it does not serve, namerd's thrift and mesh interfaces) is one warning each in the log.",
    '',
    'Several routers run in one process, each with its own listener and label, started and stopped together',
    "(SIGTERM, or a drain started on the admin port, drains them all). They share one admin port, linkerd's",
    '`admin:`, served by the first router: `/admin/metrics` counts every router under its label, `/ready` is ready',
    "when every router is, the delegator and the dtab endpoints show the first router's. Process-wide flags",
    '(`--admin`, `--k8s-api`, `--fs-dir`, `--drain-grace-ms`, `--admin-token-file`, `--log-*`) apply to every',
    'router; flags that set one router (`--listen`, `--label`, `--dtab`, `--namerd`, `--namespace`, `--dtab-cache`)',
    'are refused with a `routers:` list.',
    '',
    "linkerd's namerd interpreters (`io.l5d.namerd.http`, and `io.l5d.namerd`, which in linkerd speaks namerd's thrift",
    "interface) become switchyard's `namerd: {url, namespace, bind: true}`: the router follows namerd's dtab and binds",
    "names through namerd's bind and addr streams over namerd's HTTP API, as linkerd's interpreter did, so it needs no",
    "namers and no Kubernetes access of its own. `dst` must point at namerd's `io.l5d.httpController` port (a warning",
    'says so for `io.l5d.namerd`).',
    '',
    '### Router file: top level',
    '',
    'JSON Schema: [docs/schema/linkerd.schema.json](schema/linkerd.schema.json).',
    '',
    table(rows(LINKERD_FIELDS, '')),
    '',
    '### Router file: each entry of `routers:`',
    '',
    `Besides these, an entry may carry switchyard's own router keys as they are: ${code(PASSED_ROUTER_KEYS)}.`,
    '',
    table(rows(LINKERD_ROUTER_FIELDS, 'routers[].')),
    '',
    '### namerd file',
    '',
    'JSON Schema: [docs/schema/namerd-linkerd.schema.json](schema/namerd-linkerd.schema.json). Besides these, the',
    `file may carry switchyard's own namerd keys as they are: ${code(PASSED_NAMERD_KEYS)}.`,
    '',
    table(rows(NAMERD_LINKERD_FIELDS, '')),
    '',
    '### Refused, and why',
    '',
    '| key | why |',
    '| --- | --- |',
    ...refusals('', REFUSED_TOP_KEYS),
    ...refusals('routers[].', REFUSED_ROUTER_KEYS),
    ...refusals('routers[].servers[].', REFUSED_SERVER_KEYS),
    ...refusals('routers[].client.', REFUSED_POLICY_KEYS),
    '| `routers[].client.configs[].prefix`, `routers[].service.configs[].prefix` | one policy per router: a prefix that covers only some names is refused (give that traffic a router of its own) |',
    '| `routers[].client.loadBalancer.kind` other than `ewma` | switchyard balances with power of two choices over EWMA latency only |',
    '| `routers[].client.failureAccrual.kind` other than `io.l5d.consecutiveFailures`, `none` | switchyard counts consecutive failures only |',
    '| `routers[].interpreter.transformers` | switchyard has no transformers: bind to the addresses to use in the dtab |',
    '| `routers[].interpreter.kind: io.l5d.mesh` | switchyard reads namerd over its HTTP API: use `io.l5d.namerd.http` |',
    '| `routers[].protocol` other than `http`, `h2` | switchyard routes HTTP/1.1 and HTTP/2 (gRPC included) |',
    ...Object.entries(OTHER_STORES).map(([kind, why]) => `| \`storage.kind: ${kind}\` | ${why} |`),
    '',
  ].join('\n');
}
