/**
 * How a target talks: `protocol` (HTTP/1.1, h2 over cleartext, or gRPC) and, for gRPC, which
 * call with which request. goto's spellings are accepted without regard to case (`HTTP/1.1`,
 * `HTTP/2.0`, `H2`, `H2C`, `grpc`), and gRPC targets read as they do in goto: `service` names the
 * gRPC service, `method` the RPC, `body` the request message as JSON. `bodyBase64` sends raw
 * bytes instead (for gRPC: one message's bytes, framed here), which needs no proto at all. The
 * request is encoded once, here, so a bad body is a 400 when the target is added, not a stream of
 * failures when it runs.
 */
import type { Problems } from '../config/validation.js';
import { encodeMessage, type GrpcProtos } from './grpc-protos.js';

export type TargetProtocol = 'http/1.1' | 'h2' | 'grpc';

const SPELLINGS: Readonly<Record<string, TargetProtocol>> = {
  'http/1.1': 'http/1.1',
  http: 'http/1.1',
  'http/2.0': 'h2',
  'http/2': 'h2',
  h2: 'h2',
  h2c: 'h2',
  grpc: 'grpc',
};

/** A gRPC service's full name: dotted identifiers (`proto.GenSvc`). */
const SERVICE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,31}$/;
const RPC = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_SERVICE_CHARS = 256;
export const MAX_GRPC_BODY_BYTES = 64 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Headers HTTP/2 forbids (RFC 9113 §8.2.2); node:http2 would throw on them at every request. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

export function parseProtocol(raw: unknown, problems: Problems): TargetProtocol {
  if (raw === undefined || raw === null) return 'http/1.1';
  const key = typeof raw === 'string' ? raw.toLowerCase() : '';
  const known = Object.hasOwn(SPELLINGS, key) ? SPELLINGS[key] : undefined;
  if (known === undefined) {
    const tls = typeof raw === 'string' && /^(grpcs|https|h2s)$/i.test(raw);
    problems.add(
      'protocol',
      tls
        ? `${show(raw)}: TLS is not supported for h2 and gRPC targets; they speak cleartext h2 (prior knowledge) to an http:// URL`
        : `must be one of HTTP/1.1, HTTP/2.0 (or h2, h2c) or grpc, got ${show(raw)}`,
    );
    return 'http/1.1';
  }
  return known;
}

/** goto writes gRPC URLs as `dns:host:port` or `dns:///host:port`; those become http://host:port. */
export function grpcUrlText(raw: unknown): unknown {
  return typeof raw === 'string' ? raw.replace(/^dns:(\/\/\/)?/i, 'http://') : raw;
}

/** The request bytes from `bodyBase64`, or null; problems name the field. */
export function bodyBytes(raw: unknown, body: unknown, problems: Problems): Buffer | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string' || !BASE64.test(raw) || raw.length > Math.ceil(MAX_GRPC_BODY_BYTES / 3) * 4) {
    problems.add(
      'bodyBase64',
      `must be standard base64 of at most ${MAX_GRPC_BODY_BYTES} bytes, got ${typeof raw === 'string' ? `${raw.length} characters` : show(raw)}`,
    );
    return null;
  }
  if (body !== undefined && body !== null) problems.add('bodyBase64', 'cannot be combined with body; give one of them');
  return Buffer.from(raw, 'base64');
}

/** Header problems that only HTTP/2 has. */
export function checkH2Headers(headers: Readonly<Record<string, string>>, problems: Problems): void {
  for (const name of Object.keys(headers)) {
    if (CONNECTION_HEADERS.has(name)) problems.add(`headers.${name}`, 'is a connection header, which HTTP/2 forbids');
    if (name === 'te' && headers[name]!.toLowerCase() !== 'trailers')
      problems.add('headers.te', 'HTTP/2 allows only "te: trailers"');
  }
}

export interface GrpcCall {
  readonly service: string;
  readonly rpc: string;
  /** `/proto.GenSvc/Gen`, once the proto has been found (or `/service/rpc` for raw bytes). */
  readonly path: string;
  /** The whole request: one length-prefixed gRPC message. Null when validated without protos. */
  readonly frame: Buffer | null;
}

/** One gRPC message as it goes on the wire: uncompressed flag, 4-byte length, the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/**
 * The gRPC fields of a target. Without `protos` (the registry checks a target it only passes on)
 * the names and the body's shape are checked and the frame is left for the generator that runs it.
 */
export function parseGrpcCall(
  raw: { service?: unknown; method?: unknown; body?: unknown },
  bytes: Buffer | null,
  protos: GrpcProtos | null,
  problems: Problems,
): GrpcCall | null {
  const { service, method, body } = raw;
  let ok = true;
  if (typeof service !== 'string' || service.length > MAX_SERVICE_CHARS || !SERVICE.test(service)) {
    problems.add('service', `is required for grpc: a service name such as proto.GenSvc, got ${show(service)}`);
    ok = false;
  }
  if (typeof method !== 'string' || !RPC.test(method)) {
    problems.add('method', `is required for grpc: the RPC's name, such as Gen, got ${show(method)}`);
    ok = false;
  }
  let json: unknown;
  if (typeof body === 'string') {
    if (Buffer.byteLength(body) > MAX_GRPC_BODY_BYTES) {
      problems.add('body', `is ${Buffer.byteLength(body)} bytes, above the limit of ${MAX_GRPC_BODY_BYTES} for grpc`);
      ok = false;
    } else {
      try {
        json = JSON.parse(body);
      } catch (e) {
        problems.add('body', `must be the request message as JSON for grpc: ${(e as Error).message}`);
        ok = false;
      }
    }
  }
  if (!ok) return null;
  const s = service as string;
  const rpc = method as string;
  if (protos === null) return { service: s, rpc, path: `/${s}/${rpc}`, frame: null };
  const found = protos.method(s, rpc);
  if (typeof found === 'string') {
    // Raw bytes need no proto; a JSON body (or none, sent as the empty message) is checked against it.
    if (bytes !== null || (json === undefined && !found.includes(' has no method '))) {
      return { service: s, rpc, path: `/${s}/${rpc}`, frame: grpcFrame(bytes ?? new Uint8Array(0)) };
    }
    problems.add(found.includes(' has no method ') ? 'method' : 'service', found);
    return null;
  }
  if (bytes !== null) return { service: s, rpc, path: found.path, frame: grpcFrame(bytes) };
  const message = encodeMessage(found.requestType, json === undefined ? {} : json);
  if (typeof message === 'string') {
    problems.add('body', message);
    return null;
  }
  return { service: s, rpc, path: found.path, frame: grpcFrame(message) };
}
