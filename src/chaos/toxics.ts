/**
 * Toxiproxy's toxics as data: each type's attributes (all integers, as Toxiproxy's are), their
 * defaults and the ranges accepted here. A toxic is parsed whole from its JSON before anything is
 * stored, so a bad request changes nothing.
 */
import { ApiError, badBody } from './api-error.js';

export type Stream = 'upstream' | 'downstream';

/** The largest duration any toxic accepts (one day, in ms): beyond it a timer is a mistake. */
const MAX_MS = 86_400_000;
const MAX_BYTES = 2 ** 40;

interface AttributeSpec {
  readonly max: number;
  readonly min?: number;
}

/** Attributes per type, in the order Toxiproxy prints them; every default is 0, as in Go. */
export const TOXIC_TYPES: Readonly<Record<string, Readonly<Record<string, AttributeSpec>>>> = {
  latency: { latency: { max: MAX_MS }, jitter: { max: MAX_MS } },
  bandwidth: { rate: { max: 10_000_000 } },
  slow_close: { delay: { max: MAX_MS } },
  timeout: { timeout: { max: MAX_MS } },
  reset_peer: { timeout: { max: MAX_MS } },
  limit_data: { bytes: { max: MAX_BYTES } },
  // delay is in microseconds, as in Toxiproxy.
  slicer: { average_size: { max: 1_048_576 }, size_variation: { max: 1_048_576 }, delay: { max: MAX_MS * 1000 } },
};

export interface Toxic {
  readonly name: string;
  readonly type: string;
  readonly stream: Stream;
  toxicity: number;
  attributes: Record<string, number>;
}

/** Toxic names: what fits in a URL path segment, a log line and a metric label. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Attributes of `type` from raw JSON over `base` (defaults, or the current ones on update). */
export function parseAttributes(type: string, raw: unknown, base: Record<string, number>): Record<string, number> {
  const spec = TOXIC_TYPES[type]!;
  if (raw !== undefined && raw !== null && !isRecord(raw)) throw badBody('attributes must be an object');
  const out: Record<string, number> = { ...base };
  for (const [key, { max, min = 0 }] of Object.entries(spec)) {
    const value = raw?.[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw badBody(`${key} must be an integer from ${min} to ${max}`);
    }
    out[key] = value;
  }
  if (type === 'slicer' && out.size_variation! > out.average_size!) {
    // Toxiproxy's own rule: the variation cannot exceed the average, or sizes would go negative.
    throw badBody('size_variation must be smaller than average_size');
  }
  return out;
}

export function parseToxicity(raw: unknown, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' || !(raw >= 0 && raw <= 1)) throw badBody('toxicity must be a number from 0 to 1');
  return raw;
}

/** A new toxic from a POST body, with Toxiproxy's defaults (downstream, toxicity 1, name type_stream). */
export function parseToxic(body: unknown): Toxic {
  if (!isRecord(body)) throw badBody('expected a JSON object');
  const stream = body.stream ?? 'downstream';
  if (stream !== 'upstream' && stream !== 'downstream') {
    throw new ApiError('stream was invalid, can be either upstream or downstream', 400);
  }
  const type = body.type;
  if (typeof type !== 'string' || !Object.hasOwn(TOXIC_TYPES, type)) throw new ApiError('invalid toxic type', 400);
  const name = body.name === undefined || body.name === '' ? `${type}_${stream}` : body.name;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw badBody('name must be 1 to 64 letters, digits, "_", "-" or "."');
  }
  const defaults = Object.fromEntries(Object.keys(TOXIC_TYPES[type]!).map((k) => [k, 0]));
  return {
    name,
    type,
    stream,
    toxicity: parseToxicity(body.toxicity, 1),
    attributes: parseAttributes(type, body.attributes, defaults),
  };
}

/** The JSON Toxiproxy prints for a toxic. */
export function toxicJson(t: Toxic): Record<string, unknown> {
  return { attributes: { ...t.attributes }, name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity };
}
