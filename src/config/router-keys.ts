/**
 * Every key of the router's YAML configuration, with its type, default and meaning. The validator
 * (router-config.ts) reads scalar keys through this table; docs/config.md and the JSON Schema are
 * rendered from it.
 */
import { ADMIN_SECURITY_FIELDS } from './admin-security-config.js';
import type { Fields, JsonSchema } from './config-schema.js';
import { CLIENT_FIELD, H2_FIELD, PROTOCOL_FIELD, RESPONSE_CLASSIFIER_FIELD, RETRY_BUFFER_FIELD } from './h2-keys.js';
import { LOG_FIELDS } from './log-config.js';
import { NAMERS_SCHEMA } from './namer-keys.js';
import { REGISTRY_PEER_FIELDS } from './registry-keys.js';

export { GRPC_CLASSIFIERS, HTTP_CLASSIFIERS as CLASSIFIERS } from './h2-keys.js';

const PATH_PATTERN = '^(/[^/\\s]+)*/?$';
const pathList: JsonSchema = { type: ['array', 'null'], items: { type: 'string', pattern: PATH_PATTERN } };

const IDENTIFIER_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['kind'],
  oneOf: [
    {
      properties: { kind: { const: 'io.l5d.header.token' }, header: { type: 'string', default: 'host' } },
      additionalProperties: false,
    },
    { properties: { kind: { const: 'io.l5d.methodAndHost' } }, additionalProperties: false },
    {
      properties: {
        kind: { const: 'io.l5d.path' },
        segments: { type: 'integer', minimum: 1, maximum: 100, default: 1 },
        consume: { type: 'boolean', default: false },
        grpcOnly: { type: 'boolean', default: false },
      },
      additionalProperties: false,
    },
    {
      properties: {
        kind: { const: 'io.l5d.header.path' },
        segments: { type: 'integer', minimum: 1, maximum: 100, default: 1 },
        grpcOnly: { type: 'boolean', default: false },
      },
      additionalProperties: false,
    },
    {
      properties: { kind: { const: 'io.l5d.header' }, header: { type: 'string', default: 'l5d-name' } },
      additionalProperties: false,
    },
    {
      properties: { kind: { const: 'io.l5d.static' }, path: { type: 'string', pattern: PATH_PATTERN } },
      required: ['kind', 'path'],
      additionalProperties: false,
    },
  ],
};

export const ROUTER_FIELDS: Fields = {
  label: {
    kind: 'string',
    default: 'http',
    pattern: /^[A-Za-z0-9_-]+$/,
    patternDoc: 'use letters, digits, _ and -',
    flag: '--label',
    doc: "The router's name in metrics (`rt/<label>/…`) and, with `registry`, its peer label.",
  },
  listen: {
    kind: 'hostPort',
    default: '127.0.0.1:4140',
    flag: '--listen',
    doc: 'Where the router takes requests (the data port). `:PORT` listens on every interface.',
  },
  protocol: PROTOCOL_FIELD,
  admin: {
    kind: 'hostPort',
    default: '127.0.0.1:9990',
    flag: '--admin',
    doc: 'The admin port: health, drain, metrics, the delegator, the traffic generator and the registry.',
  },
  dstPrefix: {
    kind: 'string',
    default: '/svc',
    doc: 'The path every identified name starts with: Host `web` names `/svc/web`.',
  },
  identifier: {
    kind: 'shape',
    type: 'identifier or list of identifiers',
    shown: '`{kind: io.l5d.header.token, header: host}`',
    schema: { oneOf: [IDENTIFIER_SCHEMA, { type: 'array', items: IDENTIFIER_SCHEMA, minItems: 1 }] },
    doc: 'How a request is named: `io.l5d.header.token` (a header, Host by default), `io.l5d.methodAndHost`, `io.l5d.path` (`segments`, `consume`), `io.l5d.header.path` (the first `segments` of the request path, so a gRPC method `/package.Service/Method` names `/svc/package.Service`; with `grpcOnly: true` either path identifier names only gRPC calls and leaves other requests to the next identifier), `io.l5d.header` (a header holding a whole path), `io.l5d.static` (`path`). A list is tried in order.',
  },
  dtab: {
    kind: 'shape',
    type: 'dtab text',
    schema: { type: 'string' },
    doc: 'An inline base dtab. Give exactly one of `dtab`, `dtabFile` and `namerd`.',
  },
  dtabFile: {
    kind: 'shape',
    type: 'file path',
    schema: { type: 'string', minLength: 1 },
    flag: '--dtab',
    doc: 'A file holding the base dtab; it is watched and a change applies to the next request.',
  },
  namerd: {
    kind: 'section',
    custom: true,
    doc: 'Take the base dtab from namerd and follow its changes (reconnecting with backoff).',
    fields: {
      url: { kind: 'string', default: null, flag: '--namerd', doc: "namerd's HTTP address, `http://host:port`." },
      namespace: { kind: 'string', default: 'default', flag: '--namespace', doc: 'The dtab namespace to follow.' },
      cacheFile: {
        kind: 'string',
        default: null,
        flag: '--dtab-cache',
        doc: 'Keeps the last dtab seen, so a router that restarts while namerd is down still routes.',
      },
      bind: {
        kind: 'boolean',
        default: false,
        doc: "Let namerd bind names too (its bind and addr watch streams), instead of the router's own namers: the router then needs no `namers` and no access to Kubernetes (docs/router.md#namerd-as-the-interpreter).",
      },
    },
  },
  interpreter: {
    kind: 'shape',
    type: 'interpreter',
    shown: 'the router binds with its own namers',
    schema: {
      type: 'object',
      required: ['kind'],
      properties: {
        kind: { enum: ['default', 'io.l5d.namerd.http'] },
        dst: { type: 'string', minLength: 1 },
        namespace: { type: 'string', minLength: 1, default: 'default' },
      },
      additionalProperties: false,
    },
    doc: "linkerd's spelling of `namerd: {url, namespace, bind: true}`: `{kind: io.l5d.namerd.http, dst, namespace}` binds names through namerd at `dst` (`http://host:port`, or linkerd's `/$/inet/<host>/<port>`) in `namespace` (default `default`), which also supplies the base dtab. `kind: default` binds with the router's own namers.",
  },
  namers: {
    kind: 'shape',
    type: 'list of namers',
    shown: 'none',
    schema: NAMERS_SCHEMA,
    doc: 'Namers mounted under `/#/<prefix>`: `io.l5d.fs` (a directory of endpoint files) and `io.l5d.k8s` (Kubernetes EndpointSlices). `--fs-dir` and `--k8s-api` add one each.',
  },
  dtabOverrides: {
    kind: 'section',
    doc: 'What a request may change with `l5d-dtab` / `l5d-ctx-dtab` headers (see docs/overrides.md).',
    fields: {
      enabled: {
        kind: 'boolean',
        default: true,
        doc: 'Apply request dtabs at all (false: a request carrying one gets 403).',
      },
      allowPrefixes: {
        kind: 'shape',
        type: 'list of paths',
        shown: 'any',
        schema: pathList,
        doc: 'Prefixes an override may rewrite.',
      },
      allowDestinations: {
        kind: 'shape',
        type: 'list of paths',
        shown: 'any but direct addresses',
        schema: pathList,
        doc: 'What an override may bind to; by default anything but system-namer addresses (`/$/inet/…`) that only the override produced.',
      },
      maxDentries: {
        kind: 'integer',
        default: 100,
        min: 1,
        max: 10_000,
        doc: 'Dentries a request dtab may hold (400 past it, counted before parsing).',
      },
      maxBindLookups: {
        kind: 'integer',
        default: 1000,
        min: 10,
        max: 1_000_000,
        doc: 'Lookups (and bound-tree nodes) one bind may cost, base routes included: 400 past it, so a doubling dtab cannot hold the event loop.',
      },
      routeCacheMaxEntries: {
        kind: 'integer',
        default: 10_000,
        min: 1,
        max: 10_000_000,
        doc: 'Routes (and remembered failures) kept; the least recently used go first.',
      },
      routeCacheMaxWeight: {
        kind: 'integer',
        default: 200_000,
        min: 1,
        max: 100_000_000,
        doc: "Total weight of the routes kept (a route weighs 1 + its bind's lookups + its bound leaves).",
      },
      failedRouteTtlMs: {
        kind: 'integer',
        default: 5000,
        min: 0,
        max: 3_600_000,
        doc: 'How long a failed bind or a refused override is remembered (only its error is kept).',
      },
    },
  },
  httpAccessLog: {
    kind: 'string',
    default: null,
    doc: "linkerd's access log: a file every request is appended to as one line (`-`: standard output). Off when absent.",
  },
  httpAccessLogFormat: {
    kind: 'string',
    default: 'common',
    choices: ['common', 'json'],
    doc: "The access log's lines: `common` (the Common Log Format with the service and latency after it) or `json` (one object per request).",
  },
  clearContext: {
    kind: 'boolean',
    default: false,
    doc: 'For edge routers: drop every `l5d-*` header in both directions without applying it.',
  },
  bindingTimeoutMs: {
    kind: 'integer',
    default: 10_000,
    min: 1,
    max: 600_000,
    doc: 'How long a request waits for its name to bind (and its endpoints to resolve) before 503.',
  },
  totalTimeoutMs: {
    kind: 'integer',
    default: 0,
    min: 0,
    max: 3_600_000,
    doc: 'Deadline of a whole request including retries; 0 for none.',
  },
  attemptTimeoutMs: {
    kind: 'integer',
    default: 0,
    min: 0,
    max: 3_600_000,
    doc: 'Deadline of one attempt; 0 for none.',
  },
  responseClassifier: RESPONSE_CLASSIFIER_FIELD,
  retryBufferSize: RETRY_BUFFER_FIELD,
  maxRetries: {
    kind: 'integer',
    default: 3,
    min: 0,
    max: 100,
    doc: 'Retries of a retryable response, within the retry budget.',
  },
  failureAccrual: {
    kind: 'section',
    custom: true,
    also: { enum: ['none', false] },
    doc: 'Takes an endpoint out of the balancer after consecutive failures, and probes it back with backoff; `none` switches it off.',
    fields: {
      failures: {
        kind: 'integer',
        default: 5,
        min: 1,
        max: 1000,
        doc: 'Consecutive failures that mark an endpoint dead.',
      },
      minBackoffMs: { kind: 'integer', default: 5000, min: 1, max: 3_600_000, doc: 'First wait before a probe.' },
      maxBackoffMs: { kind: 'integer', default: 300_000, min: 1, max: 3_600_000, doc: 'Longest wait between probes.' },
    },
  },
  client: CLIENT_FIELD,
  h2: H2_FIELD,
  maxCallDepth: {
    kind: 'integer',
    default: 1000,
    min: 1,
    max: 100_000,
    doc: 'Routers a request may already have crossed (its `Via` entries) before it is refused as a loop.',
  },
  maxHeadersKB: {
    kind: 'integer',
    default: 8,
    min: 1,
    max: 1024,
    doc: 'Largest request header block (431 past it).',
  },
  idleTtlMs: {
    kind: 'integer',
    default: 600_000,
    min: 1000,
    max: 86_400_000,
    doc: 'How long an unused route or client is kept.',
  },
  drainGraceMs: {
    kind: 'integer',
    default: 10_000,
    min: 0,
    max: 3_600_000,
    flag: '--drain-grace-ms',
    doc: 'How long a drain keeps serving (not ready) before the listener closes.',
  },
  limits: {
    kind: 'section',
    doc: "Bounds on what a caller can make the router hold, like a production proxy's (docs/router-limits.md).",
    fields: {
      headersTimeoutMs: {
        kind: 'integer',
        default: 10_000,
        min: 100,
        max: 600_000,
        doc: 'The request head must arrive within this: 408 and the connection closed (a dribbled head, a silent connection).',
      },
      bodyIdleTimeoutMs: {
        kind: 'integer',
        default: 30_000,
        min: 100,
        max: 3_600_000,
        doc: 'Longest pause inside a request body: 408 (a slow but steady upload is never cut).',
      },
      responseTimeoutMs: {
        kind: 'integer',
        default: 30_000,
        min: 0,
        max: 3_600_000,
        doc: "From the end of the request body to the upstream's response head: 504, counted against the endpoint; 0 for none.",
      },
      keepAliveIdleMs: {
        kind: 'integer',
        default: 10_000,
        min: 100,
        max: 3_600_000,
        doc: 'An idle keep-alive client connection is closed after this.',
      },
      maxConnections: {
        kind: 'integer',
        default: 10_000,
        min: 1,
        max: 1_000_000,
        doc: 'Client connections held at once; one more is answered 503 with `Connection: close`.',
      },
      maxServiceSeries: {
        kind: 'integer',
        default: 1_000,
        min: 1,
        max: 1_000_000,
        doc: 'Per-service metric scopes; further names (and names without a route) are counted under `other`.',
      },
      maxClientSeries: {
        kind: 'integer',
        default: 1_000,
        min: 1,
        max: 1_000_000,
        doc: 'Per-client metric scopes; further clients are counted under `other`.',
      },
      seriesIdleTtlMs: {
        kind: 'integer',
        default: 600_000,
        min: 1_000,
        max: 86_400_000,
        doc: 'A metric scope that counted nothing for this long is removed.',
      },
    },
  },
  adminSecurity: {
    kind: 'section',
    custom: true,
    doc: 'Who may change the router through its admin port and how much the admin APIs may make it hold (docs/security.md).',
    fields: ADMIN_SECURITY_FIELDS,
  },
  registry: {
    kind: 'section',
    custom: true,
    doc: 'Register the router as a traffic peer with a goto-style registry.',
    fields: REGISTRY_PEER_FIELDS,
  },
  log: { kind: 'section', custom: true, doc: 'Log output.', fields: LOG_FIELDS },
};
