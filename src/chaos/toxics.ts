/**
 * Toxiproxy's toxics as data: each type's attributes, their defaults and the ranges accepted
 * here. One definition serves both users of toxics: `switchyard toxiproxy`'s TCP proxies (Toxiproxy's
 * own types, all integer attributes) and the router's faults (HTTP/gRPC-aware: `down` and `abort`
 * besides, with a few text attributes). A toxic is parsed whole from its JSON before anything is
 * stored, so a bad request changes nothing.
 */
import { ApiError, badBody } from './api-error.js';

export type Stream = 'upstream' | 'downstream';

/** The largest duration any toxic accepts (one day, in ms): beyond it a timer is a mistake. */
const MAX_MS = 86_400_000;
const MAX_BYTES = 2 ** 40;
/** At most this many toxics per proxy (a TCP proxy or a router fault rule). */
export const MAX_TOXICS = 32;
/** The longest text attribute (an abort's gRPC message). */
export const MAX_TEXT = 256;

/** An integer attribute (Toxiproxy's kind; default 0), a choice of words, or a short text. */
type AttributeSpec =
  | { readonly kind?: 'int'; readonly max: number; readonly min?: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'text'; readonly max: number };

export type AttributeValue = number | string;

/** Attributes per type, in the order Toxiproxy prints them; integer defaults are 0, as in Go. */
export const TOXIC_TYPES: Readonly<Record<string, Readonly<Record<string, AttributeSpec>>>> = {
  latency: { latency: { max: MAX_MS }, jitter: { max: MAX_MS } },
  bandwidth: { rate: { max: 10_000_000 } },
  slow_close: { delay: { max: MAX_MS } },
  timeout: { timeout: { max: MAX_MS } },
  reset_peer: { timeout: { max: MAX_MS } },
  limit_data: { bytes: { max: MAX_BYTES } },
  // delay is in microseconds, as in Toxiproxy.
  slicer: { average_size: { max: 1_048_576 }, size_variation: { max: 1_048_576 }, delay: { max: MAX_MS * 1000 } },
  // The router's own: the service is down (connections refused, or reset once sent)…
  down: { mode: { kind: 'enum', values: ['refuse', 'reset'] } },
  // …or answers with an HTTP status, or a gRPC status to gRPC calls (0: derived, see docs/chaos.md).
  abort: { status: { max: 599 }, grpc_status: { max: 16 }, message: { kind: 'text', max: MAX_TEXT } },
};

/** The toxics a TCP proxy applies (Toxiproxy's set). */
export const TCP_TOXIC_TYPES: ReadonlySet<string> = new Set([
  'latency',
  'bandwidth',
  'slow_close',
  'timeout',
  'reset_peer',
  'limit_data',
  'slicer',
]);

/** The toxics the router applies to requests. */
export const ROUTER_TOXIC_TYPES: ReadonlySet<string> = new Set([
  'latency',
  'down',
  'abort',
  'bandwidth',
  'slow_close',
  'timeout',
  'limit_data',
]);

export interface Toxic {
  readonly name: string;
  readonly type: string;
  readonly stream: Stream;
  toxicity: number;
  attributes: Record<string, AttributeValue>;
}

/** Toxic names: what fits in a URL path segment, a log line and a metric label. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function defaultOf(spec: AttributeSpec): AttributeValue {
  if (spec.kind === 'enum') return spec.values[0]!;
  return spec.kind === 'text' ? '' : 0;
}

/** A text attribute must print safely in a header, a log line and a gRPC message. */
const PRINTABLE = /^[\x20-\x7e]*$/;

function attributeValue(key: string, spec: AttributeSpec, value: unknown): AttributeValue {
  if (spec.kind === 'enum') {
    if (typeof value !== 'string' || !spec.values.includes(value)) {
      throw badBody(`${key} must be one of ${spec.values.map((v) => `"${v}"`).join(', ')}`);
    }
    return value;
  }
  if (spec.kind === 'text') {
    if (typeof value !== 'string' || value.length > spec.max || !PRINTABLE.test(value)) {
      throw badBody(`${key} must be printable ASCII text of at most ${spec.max} characters`);
    }
    return value;
  }
  const min = spec.min ?? 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > spec.max) {
    throw badBody(`${key} must be an integer from ${min} to ${spec.max}`);
  }
  return value;
}

/** Attributes of `type` from raw JSON over `base` (defaults, or the current ones on update). */
export function parseAttributes(
  type: string,
  raw: unknown,
  base: Record<string, AttributeValue>,
): Record<string, AttributeValue> {
  const spec = TOXIC_TYPES[type]!;
  if (raw !== undefined && raw !== null && !isRecord(raw)) throw badBody('attributes must be an object');
  const out: Record<string, AttributeValue> = { ...base };
  for (const [key, attribute] of Object.entries(spec)) {
    const value = raw?.[key];
    if (value === undefined) continue;
    out[key] = attributeValue(key, attribute, value);
  }
  if (type === 'slicer' && (out.size_variation as number) > (out.average_size as number)) {
    // Toxiproxy's own rule: the variation cannot exceed the average, or sizes would go negative.
    throw badBody('size_variation must be smaller than average_size');
  }
  if (type === 'abort' && out.status !== 0 && (out.status as number) < 200) {
    // A 1xx is not a final answer: the caller would wait for another.
    throw badBody('status must be 0 or from 200 to 599');
  }
  return out;
}

export function parseToxicity(raw: unknown, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' || !(raw >= 0 && raw <= 1)) throw badBody('toxicity must be a number from 0 to 1');
  return raw;
}

/**
 * A new toxic from a POST body, with Toxiproxy's defaults (downstream, toxicity 1, name
 * type_stream); `types` are the ones its user applies (TCP_TOXIC_TYPES or ROUTER_TOXIC_TYPES).
 */
export function parseToxic(body: unknown, types: ReadonlySet<string>): Toxic {
  if (!isRecord(body)) throw badBody('expected a JSON object');
  const stream = body.stream ?? 'downstream';
  if (stream !== 'upstream' && stream !== 'downstream') {
    throw new ApiError('stream was invalid, can be either upstream or downstream', 400);
  }
  const type = body.type;
  if (typeof type !== 'string' || !types.has(type)) throw new ApiError('invalid toxic type', 400);
  const name = body.name === undefined || body.name === '' ? `${type}_${stream}` : body.name;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw badBody('name must be 1 to 64 letters, digits, "_", "-" or "."');
  }
  const defaults = Object.fromEntries(Object.entries(TOXIC_TYPES[type]!).map(([k, spec]) => [k, defaultOf(spec)]));
  return {
    name,
    type,
    stream,
    toxicity: parseToxicity(body.toxicity, 1),
    attributes: parseAttributes(type, body.attributes, defaults),
  };
}

/** New attributes and toxicity for `toxic` from an update body, both checked before either is applied. */
export function updateToxic(toxic: Toxic, body: unknown): void {
  if (!isRecord(body)) throw badBody('expected a JSON object');
  const attributes = parseAttributes(toxic.type, body.attributes, toxic.attributes);
  const toxicity = parseToxicity(body.toxicity, toxic.toxicity);
  toxic.attributes = attributes;
  toxic.toxicity = toxicity;
}

/** The JSON Toxiproxy prints for a toxic. */
export function toxicJson(t: Toxic): Record<string, unknown> {
  return { attributes: { ...t.attributes }, name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity };
}
