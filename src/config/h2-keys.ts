/**
 * The router keys of the HTTP/2 and gRPC work: what the data port speaks, what the router speaks
 * to upstreams, the HTTP/2 settings it announces, and how much it buffers so a call can be retried
 * (docs/grpc.md). router-keys.ts places them in the router's table.
 */
import type { Field, JsonSchema } from './config-schema.js';

export const HTTP_CLASSIFIERS = [
  'io.l5d.http.nonRetryable5XX',
  'io.l5d.http.retryableRead5XX',
  'io.l5d.http.retryableIdempotent5XX',
  'io.l5d.http.retryableAll5XX',
  'io.l5d.http.allSuccessful',
] as const;

export const GRPC_CLASSIFIERS = [
  'io.l5d.h2.grpc.default',
  'io.l5d.h2.grpc.neverRetryable',
  'io.l5d.h2.grpc.alwaysRetryable',
  'io.l5d.h2.grpc.retryableStatusCodes',
] as const;

/**
 * linkerd's other spellings of the HTTP kinds, read as the kind they name: the names before 1.1,
 * without `http.` (`io.l5d.retryableRead5XX`, which the policy module reads too), and the h2
 * router's (`io.l5d.h2.retryableRead5XX`), which judge an HTTP/2 response's status the same way.
 */
export const CLASSIFIER_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  HTTP_CLASSIFIERS.flatMap((k) => [
    [k.replace('io.l5d.http.', 'io.l5d.'), k],
    [k.replace('io.l5d.http.', 'io.l5d.h2.'), k],
  ]),
);

const ALL_CLASSIFIERS: readonly string[] = [
  ...HTTP_CLASSIFIERS,
  ...GRPC_CLASSIFIERS,
  ...Object.keys(CLASSIFIER_ALIASES),
];
const quoted = (kinds: readonly string[]) => kinds.map((c) => `\`${c}\``).join(', ');

/** A bare kind (the short form), or a mapping with the kind and, for gRPC, the codes to retry. */
const CLASSIFIER_SCHEMA: JsonSchema = {
  oneOf: [
    { type: 'string', enum: ALL_CLASSIFIERS },
    {
      type: 'object',
      required: ['kind'],
      additionalProperties: false,
      properties: {
        kind: { type: 'string', enum: ALL_CLASSIFIERS },
        retryableStatusCodes: { type: 'array', maxItems: 17, items: { type: 'integer', minimum: 0, maximum: 16 } },
      },
    },
  ],
};

export const RESPONSE_CLASSIFIER_FIELD: Field = {
  kind: 'shape',
  type: 'classifier kind, or `{kind, retryableStatusCodes}`',
  shown: '`io.l5d.http.nonRetryable5XX`',
  schema: CLASSIFIER_SCHEMA,
  doc: `Which responses count as failures (for failure accrual and success rate) and which may be retried: ${quoted(HTTP_CLASSIFIERS)}, or for gRPC calls (judged by \`grpc-status\`) ${quoted(GRPC_CLASSIFIERS)}; the last retries the codes listed in \`retryableStatusCodes\` (0–16). linkerd's spellings \`io.l5d.<kind>\` (before 1.1) and \`io.l5d.h2.<kind>\` name the same HTTP kinds.`,
};

export const PROTOCOL_FIELD: Field = {
  kind: 'string',
  default: 'auto',
  choices: ['auto', 'h2'],
  doc: 'What the data port speaks: `auto` takes HTTP/1.1 and HTTP/2 without TLS (h2c, prior knowledge) on the same port, told apart by the HTTP/2 preface; `h2` takes h2c only.',
};

export const CLIENT_FIELD: Field = {
  kind: 'section',
  doc: 'How the router talks to upstreams.',
  fields: {
    protocol: {
      kind: 'string',
      default: 'inbound',
      choices: ['inbound', 'http/1.1', 'h2'],
      doc: 'The upstream protocol: `inbound` speaks what the request came in with (HTTP/1.1 or h2c), `http/1.1` or `h2` (h2c, prior knowledge) always that one.',
    },
  },
};

export const H2_FIELD: Field = {
  kind: 'section',
  doc: 'HTTP/2 settings the router announces to its callers.',
  fields: {
    maxConcurrentStreams: {
      kind: 'integer',
      default: 100,
      min: 1,
      max: 10_000,
      doc: 'Streams one HTTP/2 connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused with REFUSED_STREAM.',
    },
    initialWindowSize: {
      kind: 'integer',
      default: 65_535,
      min: 1,
      max: 16_777_215,
      doc: "Bytes a caller may send on one stream before the router's flow control lets it send more (SETTINGS_INITIAL_WINDOW_SIZE): what one stream can make the router buffer.",
    },
    maxHeaderListSize: {
      kind: 'shape',
      type: 'integer 1024–1048576',
      shown: '`maxHeadersKB` × 1024',
      schema: { type: 'integer', minimum: 1024, maximum: 1_048_576 },
      doc: 'Largest header block (SETTINGS_MAX_HEADER_LIST_SIZE, in bytes) of an HTTP/2 request; by default the same limit as HTTP/1.1 heads.',
    },
  },
};

export const RETRY_BUFFER_FIELD: Field = {
  kind: 'section',
  doc: 'How much of a request and a response the router keeps so that a retry can replay the request or a retryable response can still be replaced.',
  fields: {
    requestBytes: {
      kind: 'integer',
      default: 8192,
      min: 0,
      max: 10_485_760,
      doc: 'A request body up to this size is kept until the call is classified, so a retry can send it again; a longer body is streamed and its request is not retried.',
    },
    responseBytes: {
      kind: 'integer',
      default: 8192,
      min: 0,
      max: 10_485_760,
      doc: 'Response bytes held back while the response may still be classified retryable (a gRPC status comes in the trailers); past this the response goes to the caller and is no longer retried.',
    },
  },
};
