/**
 * The keys of each namer kind in a `namers:` list (router and namerd alike): what namer-config.ts
 * validates, and what docs/config.md and the JSON Schema show.
 */
import { DEFAULT_WATCH_TIMING } from '../namers/k8s/watch-timing.js';
import { type Fields, type JsonSchema, jsonSchema } from './config-schema.js';

const DURATION = { kind: 'integer', min: 1, max: 86_400_000 } as const;

export const FS_NAMER_FIELDS: Fields = {
  kind: { kind: 'string', default: 'io.l5d.fs', choices: ['io.l5d.fs'], doc: 'A directory of endpoint files.' },
  prefix: { kind: 'string', default: '/io.l5d.fs', doc: 'Where it is mounted under `/#` (`/#/io.l5d.fs/<file>`).' },
  rootDir: {
    kind: 'string',
    default: null,
    doc: 'The directory: one file per service, one `host port` per line; changes apply at once.',
  },
};

export const K8S_NAMER_FIELDS: Fields = {
  kind: { kind: 'string', default: 'io.l5d.k8s', choices: ['io.l5d.k8s'], doc: 'Kubernetes EndpointSlices.' },
  prefix: {
    kind: 'string',
    default: '/io.l5d.k8s',
    doc: 'Where it is mounted: `/#/io.l5d.k8s/<namespace>/<port>/<service>`.',
  },
  apiUrl: {
    kind: 'string',
    default: null,
    doc: 'The API server as a URL (e.g. a `kubectl proxy`); wins over the rest.',
  },
  host: { kind: 'string', default: null, doc: 'Plain HTTP to this host (with `port`), as linkerd configures it.' },
  port: { kind: 'integer', default: 8001, min: 1, max: 65535, doc: 'The port for `host`.' },
  kubeconfig: {
    kind: 'string',
    default: null,
    doc: 'A kubeconfig file; its current context (or `context`) is used, tokens, certificates and `exec` credential plugins alike.',
  },
  context: { kind: 'string', default: null, doc: 'The kubeconfig context to use instead of the current one.' },
  serviceAccountDir: {
    kind: 'string',
    default: '/var/run/secrets/kubernetes.io/serviceaccount',
    doc: 'In a cluster: where the token, `ca.crt` and namespace are mounted.',
  },
  labelSelector: {
    kind: 'string',
    default: null,
    doc: 'A label key whose value becomes a fourth name segment: `/#/io.l5d.k8s/<ns>/<port>/<svc>/<value>`.',
  },
  idleMs: { ...DURATION, default: 300_000, doc: 'How long a Service watch nobody uses is kept open.' },
  tokenRefreshMs: {
    ...DURATION,
    default: 60_000,
    doc: 'How old a token read from a file may get before it is read again.',
  },
  inactivityMs: {
    ...DURATION,
    default: DEFAULT_WATCH_TIMING.inactivityMs,
    doc: 'A watch silent for this long (no event, no bookmark) is restarted.',
  },
  backoffMinMs: {
    ...DURATION,
    default: DEFAULT_WATCH_TIMING.backoffMinMs,
    doc: 'First wait before reconnecting after an API error.',
  },
  backoffMaxMs: { ...DURATION, default: DEFAULT_WATCH_TIMING.backoffMaxMs, doc: 'Longest wait between reconnects.' },
};

export const NAMERS_SCHEMA: JsonSchema = {
  type: 'array',
  items: { oneOf: [withKind(FS_NAMER_FIELDS, ['rootDir']), withKind(K8S_NAMER_FIELDS, [])] },
};

function withKind(fields: Fields, required: string[]): JsonSchema {
  return { ...jsonSchema(fields), required: ['kind', ...required] };
}
