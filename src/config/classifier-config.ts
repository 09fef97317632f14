/**
 * The router's `responseClassifier`: a bare kind (`io.l5d.http.retryableRead5XX`), as earlier
 * configurations wrote it, or linkerd's mapping `{kind: …}`, which the gRPC kind
 * `io.l5d.h2.grpc.retryableStatusCodes` needs for its `retryableStatusCodes` list.
 */
import { CLASSIFIER_ALIASES, GRPC_CLASSIFIERS, HTTP_CLASSIFIERS } from './h2-keys.js';
import { integer, isObject, type Problems, unknownKeys } from './validation.js';

export interface ClassifierSetting {
  readonly kind: string;
  /** The gRPC codes `io.l5d.h2.grpc.retryableStatusCodes` retries; empty for every other kind. */
  readonly retryableStatusCodes: readonly number[];
}

const KINDS: readonly string[] = [...HTTP_CLASSIFIERS, ...GRPC_CLASSIFIERS];
const CODES_KIND = 'io.l5d.h2.grpc.retryableStatusCodes';
/** One entry per code; a longer list can only repeat codes. */
const MAX_CODES = 17;
const DEFAULT: ClassifierSetting = { kind: HTTP_CLASSIFIERS[0], retryableStatusCodes: [] };

export function classifierSetting(raw: unknown, key: string, p: Problems): ClassifierSetting {
  if (raw === undefined || raw === null) return DEFAULT;
  const o = isObject(raw) ? raw : typeof raw === 'string' ? { kind: raw } : undefined;
  if (o === undefined) {
    p.add(key, `must be a classifier kind or a mapping with kind, got ${JSON.stringify(raw)}`);
    return DEFAULT;
  }
  unknownKeys(o, ['kind', 'retryableStatusCodes'], key, p);
  const kindKey = isObject(raw) ? `${key}.kind` : key;
  let kind = DEFAULT.kind;
  const named =
    typeof o.kind === 'string' && Object.hasOwn(CLASSIFIER_ALIASES, o.kind) ? CLASSIFIER_ALIASES[o.kind] : o.kind;
  if (typeof named === 'string' && KINDS.includes(named)) kind = named;
  else p.add(kindKey, `must be one of ${KINDS.join(', ')}, got ${JSON.stringify(o.kind)}`);
  const codes = statusCodes(o.retryableStatusCodes, `${key}.retryableStatusCodes`, p);
  if (codes !== undefined && kind !== CODES_KIND && KINDS.includes(String(named)))
    p.add(`${key}.retryableStatusCodes`, `is read only by ${CODES_KIND}, not ${kind}`);
  if (codes === undefined && kind === CODES_KIND)
    p.add(`${key}.retryableStatusCodes`, `${CODES_KIND} needs the list of gRPC codes to retry (0–16)`);
  return { kind, retryableStatusCodes: kind === CODES_KIND ? (codes ?? []) : [] };
}

function statusCodes(raw: unknown, key: string, p: Problems): number[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    p.add(key, `must be a list of gRPC status codes (0–16), got ${JSON.stringify(raw)}`);
    return [];
  }
  if (raw.length > MAX_CODES) {
    p.add(key, `lists ${raw.length} codes; there are only ${MAX_CODES}`);
    return [];
  }
  const codes: number[] = [];
  for (const [i, c] of raw.entries()) {
    const n = integer(c, `${key}[${i}]`, 0, 16, p);
    if (n !== undefined) codes.push(n);
  }
  return codes;
}
