/**
 * A traffic target: goto's InvocationSpec fields (name, method, url, headers, body, replicas,
 * requestCount, initialDelay, delay, requestTimeout, retries, retriableStatusCodes, sendID,
 * autoInvoke, protocol, service) plus slow_cooker's and hey's (qps for open-loop fixed rate,
 * duration, totalRequests), trackHeaders and bodyBase64; the protocol fields are read in
 * target-protocol.ts. Validation happens once, here, and lists every problem with
 * the field it concerns, so a bad target gets one 400 naming all of them and nothing is added;
 * the run loop then only reads numbers.
 */

import type { LookupFunction } from 'node:net';
import { isObject, Problems } from '../config/validation.js';
import { createError } from '../errors.js';
import { formatDuration, parseDuration } from './duration.js';
import type { GrpcProtos } from './grpc-protos.js';
import { DEFAULT_TARGET_POLICY, literalRefusal, resolvedRefusal, type TargetPolicy } from './target-policy.js';
import {
  bodyBytes,
  checkH2Headers,
  type GrpcCall,
  grpcUrlText,
  parseGrpcCall,
  parseProtocol,
  type TargetProtocol,
} from './target-protocol.js';

/** The JSON form, defaults filled in; parsing it again yields the same target. */
export interface TargetSpec {
  readonly name: string;
  /** `http/1.1`, `h2` (cleartext, prior knowledge) or `grpc`. */
  readonly protocol: TargetProtocol;
  /** The HTTP method; for grpc, the RPC's name (`Gen`), as goto has it. */
  readonly method: string;
  /** grpc only: the service (`proto.GenSvc`); null otherwise. */
  readonly service: string | null;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  /** The body as raw bytes (for grpc: one message's bytes), base64; null when `body` (or nothing) is sent. */
  readonly bodyBase64: string | null;
  /** Concurrent workers (closed loop; default 1), or the cap on requests in flight (open loop; default 64). */
  readonly replicas: number;
  /** Requests per replica, as in goto (closed loop); with qps, requests in all. */
  readonly requestCount: number | null;
  /** Requests in all, across replicas (slow_cooker's -totalRequests, hey's -n). */
  readonly totalRequests: number | null;
  readonly duration: string | null;
  /** Requests per second for the whole target; latency then counts from the intended send time. */
  readonly qps: number | null;
  readonly initialDelay: string;
  /** Closed loop only: each worker's pause before every request. */
  readonly delay: string;
  readonly requestTimeout: string;
  readonly retries: number;
  readonly retryDelay: string;
  readonly sendID: boolean;
  readonly autoInvoke: boolean;
  /** Retriable HTTP statuses; for grpc, retriable grpc-status codes. */
  readonly retriableStatusCodes: readonly number[];
  /** Response headers (and trailers) whose values are counted (lower case). */
  readonly trackHeaders: readonly string[];
}

/** A validated target: its spec and the numbers the run loop uses. */
export interface Target {
  readonly spec: TargetSpec;
  readonly url: URL;
  /** grpc only: the call's path and its encoded request frame. */
  readonly grpc: GrpcCall | null;
  /** The raw request body from bodyBase64, or null. */
  readonly bodyBytes: Buffer | null;
  /** Requests in all; Infinity when only the duration bounds the run. */
  readonly budget: number;
  readonly durationMs: number;
  readonly initialDelayMs: number;
  readonly delayMs: number;
  readonly requestTimeoutMs: number;
  readonly retryDelayMs: number;
  /** Resolves the host for each connection and refuses addresses the policy refuses. */
  readonly lookup: LookupFunction;
}

export const TARGET_FIELDS = [
  'name',
  'method',
  'url',
  'headers',
  'body',
  'replicas',
  'requestCount',
  'totalRequests',
  'duration',
  'qps',
  'initialDelay',
  'delay',
  'requestTimeout',
  'retries',
  'retryDelay',
  'retriableStatusCodes',
  'sendID',
  'autoInvoke',
  'trackHeaders',
  'protocol',
  'service',
  'bodyBase64',
] as const;

// 64 characters: `client,<name>` must fit a path parameter of a default fastify router (100).
const NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DAY_MS = 86_400_000;
const OPEN_LOOP_REPLICAS = 64;
const LIMITS = { replicas: 10_000, count: 1_000_000_000, qps: 1_000_000, retries: 10 };

const absent = (v: unknown) => v === undefined || v === null;
const show = (v: unknown) => JSON.stringify(v) ?? String(v);

function int(raw: unknown, key: string, min: number, max: number, problems: Problems): number | null {
  if (absent(raw)) return null;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
    problems.add(key, `must be an integer from ${min} to ${max}, got ${show(raw)}`);
    return null;
  }
  return raw;
}

function duration(raw: unknown, key: string, min: number, problems: Problems): number | null {
  if (absent(raw)) return null;
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDuration(raw) : null;
  if (ms === null || !Number.isFinite(ms) || ms < min || ms > DAY_MS) {
    problems.add(
      key,
      `must be a duration such as 500ms, 5s or 1m${min > 0 ? ' (above 0)' : ''}, at most 24h, got ${show(raw)}`,
    );
    return null;
  }
  return ms;
}

function bool(raw: unknown, key: string, problems: Problems): boolean {
  if (absent(raw)) return false;
  if (typeof raw !== 'boolean') problems.add(key, `must be true or false, got ${show(raw)}`);
  return raw === true;
}

function url(raw: unknown, problems: Problems): URL | null {
  if (typeof raw !== 'string' || raw.trim() === '') {
    problems.add('url', `is required: an http:// or https:// URL, got ${show(raw)}`);
    return null;
  }
  // goto prefixes http:// when the scheme is missing; so do we.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  const parsed = URL.canParse(text) ? new URL(text) : null;
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    problems.add('url', `must be an http:// or https:// URL with a host, got ${show(raw)}`);
    return null;
  }
  return parsed;
}

function headers(raw: unknown, problems: Problems): Record<string, string> {
  // Names come from the caller: no prototype, so `__proto__` is just a (refused-by-undici) name.
  const out = Object.create(null) as Record<string, string>;
  if (absent(raw)) return out;
  // goto before 2026-03 sent headers as [["name","value"], …]; both forms are accepted.
  const pairs = Array.isArray(raw) ? raw : isObject(raw) ? Object.entries(raw) : null;
  if (pairs === null) {
    problems.add('headers', `must be an object of name: value, got ${show(raw)}`);
    return out;
  }
  for (const pair of pairs) {
    const [name, value] = Array.isArray(pair) ? pair : [];
    if (typeof name !== 'string' || !TOKEN.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      problems.add(`headers.${String(name)}`, `must be a header name with a one-line string value, got ${show(pair)}`);
      continue;
    }
    out[name.toLowerCase()] = value;
  }
  return out;
}

function headerList(raw: unknown, key: string, problems: Problems): string[] {
  if (absent(raw)) return [];
  const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : null;
  if (list === null || !list.every((h) => typeof h === 'string')) {
    problems.add(key, `must be a list of header names, got ${show(raw)}`);
    return [];
  }
  const names = list.map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  const bad = names.filter((h) => !TOKEN.test(h));
  if (bad.length > 0) problems.add(key, `not header names: ${bad.join(', ')}`);
  return [...new Set(names)];
}

function statusCodes(raw: unknown, grpc: boolean, problems: Problems): number[] {
  if (absent(raw)) return [];
  const [min, max, what] = grpc ? [0, 16, 'grpc-status codes (0-16)'] : [100, 599, 'HTTP status codes (100-599)'];
  if (!Array.isArray(raw) || !raw.every((c) => Number.isInteger(c) && c >= min && c <= max)) {
    problems.add('retriableStatusCodes', `must be a list of ${what}, got ${show(raw)}`);
    return [];
  }
  return [...new Set(raw as number[])];
}

/**
 * Validates a target as received (JSON from the API or the registry) against `policy` (its URL
 * as written, its qps); throws SY_ERR_INVALID_TARGET. checkTarget() also resolves the host.
 */
export function parseTarget(
  raw: unknown,
  policy: TargetPolicy = DEFAULT_TARGET_POLICY,
  protos: GrpcProtos | null = null,
): Target {
  const problems = new Problems();
  if (!isObject(raw)) throw createError('SY_ERR_INVALID_TARGET', [`must be a JSON object, got ${show(raw)}`]);
  for (const key of Object.keys(raw)) {
    if (!(TARGET_FIELDS as readonly string[]).includes(key)) problems.add(key, 'unknown field');
  }
  const name = typeof raw.name === 'string' && NAME.test(raw.name) ? raw.name : null;
  if (name === null) problems.add('name', `is required: letters, digits, '.', '_', '~' or '-', got ${show(raw.name)}`);
  const protocol = parseProtocol(raw.protocol, problems);
  const isGrpc = protocol === 'grpc';
  let method = absent(raw.method) ? 'GET' : typeof raw.method === 'string' ? raw.method.toUpperCase() : '';
  if (!isGrpc && !TOKEN.test(method)) problems.add('method', `must be an HTTP method, got ${show(raw.method)}`);
  if (!isGrpc && !absent(raw.service)) problems.add('service', 'is for grpc targets only (protocol: grpc)');
  const target = url(isGrpc ? grpcUrlText(raw.url) : raw.url, problems);
  if (target !== null && protocol !== 'http/1.1' && target.protocol !== 'http:') {
    problems.add('url', `${protocol} targets speak cleartext h2 (prior knowledge): use an http:// URL`);
  }
  const refused = target === null ? null : literalRefusal(target, policy);
  if (refused !== null) problems.add('url', `refused: ${refused}`);
  if (!absent(raw.body) && typeof raw.body !== 'string')
    problems.add('body', `must be a string, got ${show(raw.body)}`);
  // In the open loop replicas only caps requests in flight, and undici opens connections as they
  // are needed; a cap of 1 would quietly turn `qps: 50` against a 100 ms service into 10/s.
  const openLoop = !absent(raw.qps);
  const replicas = int(raw.replicas, 'replicas', 1, LIMITS.replicas, problems) ?? (openLoop ? OPEN_LOOP_REPLICAS : 1);
  const requestCount = int(raw.requestCount, 'requestCount', 1, LIMITS.count, problems);
  const totalRequests = int(raw.totalRequests, 'totalRequests', 1, LIMITS.count, problems);
  const durationMs = duration(raw.duration, 'duration', 1, problems);
  let qps: number | null = null;
  if (!absent(raw.qps)) {
    if (typeof raw.qps !== 'number' || !(raw.qps > 0) || raw.qps > LIMITS.qps) {
      problems.add('qps', `must be a positive number up to ${LIMITS.qps}, got ${show(raw.qps)}`);
    } else if (raw.qps > policy.maxQps) {
      problems.add('qps', `${raw.qps} is above this generator's cap of ${policy.maxQps} requests per second (maxQps)`);
    } else qps = raw.qps;
  }
  const initialDelayMs = duration(raw.initialDelay, 'initialDelay', 0, problems) ?? 0;
  const delayMs = duration(raw.delay, 'delay', 0, problems) ?? 0;
  const requestTimeoutMs = duration(raw.requestTimeout, 'requestTimeout', 1, problems) ?? 30_000;
  const retries = int(raw.retries, 'retries', 0, LIMITS.retries, problems) ?? 0;
  const retryDelayMs = duration(raw.retryDelay, 'retryDelay', 0, problems) ?? 1000;
  const retriable = statusCodes(raw.retriableStatusCodes, isGrpc, problems);
  const sendID = bool(raw.sendID, 'sendID', problems);
  const autoInvoke = bool(raw.autoInvoke, 'autoInvoke', problems);
  const trackHeaders = headerList(raw.trackHeaders, 'trackHeaders', problems);
  const requestHeaders = headers(raw.headers, problems);
  if (protocol !== 'http/1.1') checkH2Headers(requestHeaders, problems);
  const bytes = bodyBytes(raw.bodyBase64, raw.body, problems);
  const grpc = isGrpc ? parseGrpcCall(raw, bytes, protos, problems) : null;
  if (grpc !== null) method = grpc.rpc;

  if (requestCount !== null && totalRequests !== null) {
    problems.add('totalRequests', 'cannot be combined with requestCount (per replica); give one of them');
  }
  if (qps !== null && delayMs > 0) problems.add('delay', 'cannot be combined with qps: qps sets the pace');
  if (qps !== null && requestCount === null && totalRequests === null && durationMs === null) {
    problems.add('qps', 'needs a bound: duration, requestCount or totalRequests');
  }
  if (!problems.ok || name === null || target === null) {
    throw createError('SY_ERR_INVALID_TARGET', [problems.list.join('; ')]);
  }
  // goto's default is one request per replica; a duration alone bounds the run by time.
  // requestCount is per replica as in goto, where replicas are workers; the open loop has no
  // workers (replicas only caps requests in flight), so there it counts requests in all.
  const perWorker = openLoop ? 1 : replicas;
  const budget =
    totalRequests ?? (requestCount !== null ? requestCount * perWorker : durationMs !== null ? Infinity : perWorker);
  const spec: TargetSpec = {
    name,
    protocol,
    method,
    service: grpc?.service ?? null,
    url: target.href,
    headers: requestHeaders,
    body: typeof raw.body === 'string' ? raw.body : null,
    bodyBase64: bytes === null ? null : (raw.bodyBase64 as string),
    replicas,
    requestCount,
    totalRequests,
    duration: durationMs === null ? null : formatDuration(durationMs),
    qps,
    initialDelay: formatDuration(initialDelayMs),
    delay: formatDuration(delayMs),
    requestTimeout: formatDuration(requestTimeoutMs),
    retries,
    retryDelay: formatDuration(retryDelayMs),
    retriableStatusCodes: retriable,
    sendID,
    autoInvoke,
    trackHeaders,
  };
  return {
    spec,
    url: target,
    grpc,
    bodyBytes: bytes,
    budget,
    durationMs: durationMs ?? Infinity,
    initialDelayMs,
    delayMs,
    requestTimeoutMs,
    retryDelayMs,
    lookup: policy.addresses.connectLookup,
  };
}

/** parseTarget, then the URL's host resolved and every address it gives checked: the API's full check. */
export async function checkTarget(
  raw: unknown,
  policy: TargetPolicy = DEFAULT_TARGET_POLICY,
  protos: GrpcProtos | null = null,
): Promise<Target> {
  const target = parseTarget(raw, policy, protos);
  const refused = await resolvedRefusal(target.url, policy);
  if (refused !== null) throw createError('SY_ERR_INVALID_TARGET', [`url: refused: ${refused}`]);
  return target;
}
