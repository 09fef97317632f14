/**
 * The .proto definitions a traffic generator knows, so a gRPC target can say its request as JSON:
 * the gob proto the package ships (proto/gob.proto: proto.GenSvc, proto.WordSvc) always, and
 * the ones callers upload by name, as goto's `/grpc/protos/add/{name}` takes them. An upload is
 * text only, bounded in size and in number, parsed with protobufjs and fully resolved before it
 * is kept, so a broken one is refused whole and never half-added. Nothing is ever read from disk
 * on a caller's behalf: an `import` may only name one of the well-known google/protobuf types
 * that protobufjs carries built in.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { createError } from '../errors.js';

/** The same path from src/traffic (tests) and dist/traffic (the built bin): the package's proto/. */
const GOB_PROTO_FILE = new URL('../../proto/gob.proto', import.meta.url);

export const MAX_PROTO_BYTES = 64 * 1024;
export const MAX_PROTOS = 16;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;
const WELL_KNOWN = /^google\/protobuf\/[a-z_]+\.proto$/;

/** What a gRPC target needs from a proto: the call's path and how to encode its request. */
export interface GrpcMethod {
  /** `/proto.GenSvc/Gen`: the service's full name (package included) and the method. */
  readonly path: string;
  readonly requestType: protobuf.Type;
  readonly serverStreaming: boolean;
  readonly clientStreaming: boolean;
}

export interface ProtoSummary {
  readonly name: string;
  /** Full service names with their methods: `proto.GenSvc/Gen`. */
  readonly methods: readonly string[];
}

interface Loaded {
  readonly root: protobuf.Root;
  readonly summary: ProtoSummary;
}

const invalid = (problem: string) => createError('SY_ERR_INVALID_ARGUMENT', [`proto: ${problem}`]);

/** Parses and resolves one .proto text; throws SY_ERR_INVALID_ARGUMENT naming what is wrong. */
function load(name: string, text: string): Loaded {
  const root = new protobuf.Root();
  let parsed: protobuf.IParserResult;
  try {
    parsed = protobuf.parse(text, root, { keepCase: true, alternateCommentMode: false });
  } catch (e) {
    // protobufjs says `illegal token 'x' (line 3)`; its messages carry the position.
    throw invalid(`${name}: ${(e as Error).message}`);
  }
  for (const imported of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
    const common = WELL_KNOWN.test(imported) ? protobuf.common.get(imported) : null;
    if (common === null || common === undefined) {
      throw invalid(
        `${name}: import "${imported}" is not available: only google/protobuf well-known types can be imported; put other definitions into this text`,
      );
    }
    root.addJSON(common.nested ?? {});
  }
  try {
    root.resolveAll();
  } catch (e) {
    throw invalid(`${name}: ${(e as Error).message}`);
  }
  const methods: string[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Service) {
        for (const m of child.methodsArray) methods.push(`${child.fullName.slice(1)}/${m.name}`);
      }
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) walk(child);
    }
  };
  walk(root);
  if (methods.length === 0) throw invalid(`${name}: defines no service`);
  return { root, summary: { name, methods } };
}

let gob: Loaded | undefined;

/** The gob proto, parsed once on first use (most generators never call gRPC). */
function gobProto(): Loaded {
  gob ??= load('gob', readFileSync(GOB_PROTO_FILE, 'utf8'));
  return gob;
}

export class GrpcProtos {
  readonly #uploaded = new Map<string, Loaded>();

  /** Adds (or replaces) the proto `name`; answers its services' methods. */
  add(name: string, text: unknown): ProtoSummary {
    if (typeof name !== 'string' || !NAME.test(name) || name === 'gob') {
      throw invalid(
        `name must be letters, digits, '.', '_', '~' or '-' (at most 64, not "gob"), got ${JSON.stringify(name)}`,
      );
    }
    if (typeof text !== 'string' || text.trim() === '') throw invalid(`${name}: the body must be the .proto text`);
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_PROTO_BYTES) throw invalid(`${name}: ${bytes} bytes is above the limit of ${MAX_PROTO_BYTES}`);
    if (!this.#uploaded.has(name) && this.#uploaded.size >= MAX_PROTOS) {
      throw invalid(`${name}: this generator already holds ${MAX_PROTOS} protos; remove one first`);
    }
    const loaded = load(name, text);
    this.#uploaded.set(name, loaded);
    return loaded.summary;
  }

  remove(name: string): boolean {
    return this.#uploaded.delete(name);
  }

  clear(): void {
    this.#uploaded.clear();
  }

  list(): ProtoSummary[] {
    return [gobProto().summary, ...[...this.#uploaded.values()].map((l) => l.summary)];
  }

  /**
   * The method `rpc` of `service` (its full name, or a name protobufjs finds from the root, like
   * goto's `Goto`), searched in the uploaded protos, newest first, then in gob; or why it was
   * not found (no such service, or no such method in it).
   */
  method(service: string, rpc: string): GrpcMethod | string {
    const roots = [...[...this.#uploaded.values()].reverse(), gobProto()];
    for (const { root } of roots) {
      let found: protobuf.ReflectionObject | null = null;
      try {
        found = root.lookup(service, [protobuf.Service]);
      } catch {
        found = null;
      }
      if (!(found instanceof protobuf.Service)) continue;
      const method = Object.hasOwn(found.methods, rpc) ? found.methods[rpc] : undefined;
      if (method === undefined) {
        const known = found.methodsArray.map((m) => m.name).join(', ');
        return `${found.fullName.slice(1)} has no method ${JSON.stringify(rpc)} (it has: ${known})`;
      }
      method.resolve();
      return {
        path: `/${found.fullName.slice(1)}/${method.name}`,
        requestType: method.resolvedRequestType!,
        serverStreaming: method.responseStream === true,
        clientStreaming: method.requestStream === true,
      };
    }
    return `no known proto defines the service ${JSON.stringify(service)}; upload its .proto first (POST /grpc/protos/add/{name})`;
  }
}

/**
 * A request message from its JSON form: unknown top-level fields and every verify() problem are
 * reported with the field, so `{"limt": 1}` is not silently sent as an empty message.
 */
export function encodeMessage(type: protobuf.Type, json: unknown): Uint8Array | string {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return `must be a JSON object for ${type.fullName.slice(1)}, got ${JSON.stringify(json)}`;
  }
  const names = new Set<string>();
  for (const field of type.fieldsArray) {
    names.add(field.name);
    // protobufjs reads lowerCamelCase names too (the JSON mapping's spelling).
    names.add(field.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
  }
  const unknown = Object.keys(json).filter((k) => !names.has(k));
  if (unknown.length > 0) {
    const known = type.fieldsArray.map((f) => f.name).join(', ') || 'none';
    return `${type.fullName.slice(1)} has no field ${unknown.map((k) => JSON.stringify(k)).join(', ')} (fields: ${known})`;
  }
  const problem = type.verify(json as Record<string, unknown>);
  if (problem !== null) return `${problem} (${type.fullName.slice(1)})`;
  try {
    return type.encode(type.fromObject(json as Record<string, unknown>)).finish();
  } catch (e) {
    return (e as Error).message;
  }
}
