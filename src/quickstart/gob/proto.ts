/**
 * proto/gob.proto, loaded at run time with @grpc/proto-loader: the .proto file the package ships
 * is the only description of the services (no generated code to keep in step with it), and the
 * message types below are its few fields written out for TypeScript. Also the bounds every app
 * holds a Gen request to, in one place for gen (INVALID_ARGUMENT) and web (400).
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** The same path from src/quickstart/gob (tests) and dist/quickstart/gob (the built bin). */
export const PROTO_FILE = fileURLToPath(new URL('../../../proto/gob.proto', import.meta.url));

export interface GenRequest {
  readonly text: string;
  readonly limit: number;
}
export interface GenResponse {
  readonly text: string;
}
export type WordRequest = Record<string, never>;
export interface WordResponse {
  readonly word: string;
}

export interface GenClient extends grpc.Client {
  Gen(request: GenRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<GenResponse>;
}
export interface WordClient extends grpc.Client {
  GetWord(
    request: WordRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<WordResponse>,
  ): grpc.ClientUnaryCall;
}

interface GobPackage {
  readonly GenSvc: grpc.ServiceClientConstructor;
  readonly WordSvc: grpc.ServiceClientConstructor;
}

let loaded: GobPackage | undefined;

/** The `proto` package's services, loaded once, on first use (most switchyard commands never need them). */
export function gob(): GobPackage {
  if (loaded) return loaded;
  // defaults: a field the caller left out reads as proto3's zero value ('' or 0), not undefined.
  const definition = loadSync(PROTO_FILE, { keepCase: true, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition).proto as unknown as GobPackage;
  loaded = pkg;
  return pkg;
}

/** The most repetitions one finite Gen call may ask for. */
export const MAX_LIMIT = 10_000;
/** The longest text, in characters. */
export const MAX_TEXT_CHARS = 100;

/** Why a Gen request is refused, or undefined when it is fine. */
export function genRequestProblem(request: GenRequest): string | undefined {
  const { text, limit } = request;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
    return `limit must be a whole number from 0 to ${MAX_LIMIT} (0: until the caller hangs up), got ${limit}`;
  }
  if (text.length === 0) return 'text must not be empty';
  const chars = [...text].length;
  if (chars > MAX_TEXT_CHARS) return `text must be at most ${MAX_TEXT_CHARS} characters, got ${chars}`;
  const control = /\p{Cc}/u.exec(text);
  if (control)
    return `text must not contain control characters, found U+${hex(control[0])} at character ${[...text.slice(0, control.index)].length + 1}`;
  return undefined;
}

function hex(char: string): string {
  return char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
}
