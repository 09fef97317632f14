/**
 * A real gRPC application for tests: a @grpc/grpc-js server on 127.0.0.1, port 0, with one generic
 * service whose messages are JSON (no protoc, no generated code), and the grpc-js client to call it.
 * It covers the four call shapes and records what it saw (calls, their metadata and deadlines,
 * cancels), so a test can check what crossed the router, not only what came back.
 *
 * - `Unary`: echoes `message`, says which server answered; `status`/`statusMessage` make it fail
 *   with that code; `delayMs` makes it wait first (and a cancel or deadline during the wait is seen).
 * - `ServerStream`: `count` messages of `size` bytes each.
 * - `ClientStream`: the sum of the `n` of every message sent.
 * - `Bidi`: answers every `{ping}` with `{pong}` as it arrives.
 */
import { EventEmitter, once } from 'node:events';
import * as grpc from '@grpc/grpc-js';

export const SERVICE_NAME = 'switchyard.test.Echo';

export interface UnaryRequest {
  readonly message?: string;
  /** Answer with this gRPC status (non-zero) instead of a message. */
  readonly status?: number;
  readonly statusMessage?: string;
  /** Trailing metadata sent with a failing `status`. */
  readonly trailers?: Readonly<Record<string, string>>;
  /** Wait this long before answering. */
  readonly delayMs?: number;
}
export interface UnaryReply {
  readonly message: string;
  /** The name of the server that answered. */
  readonly server: string;
}
export interface StreamRequest {
  readonly count: number;
  readonly size: number;
}
export interface StreamReply {
  readonly i: number;
  readonly data: string;
}
export interface SumRequest {
  readonly n: number;
}
export interface SumReply {
  readonly sum: number;
  readonly count: number;
}
export interface Ping {
  readonly ping: number;
}
export interface Pong {
  readonly pong: number;
  readonly server: string;
}

type Method = 'Unary' | 'ServerStream' | 'ClientStream' | 'Bidi';

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8')),
};

function method(
  name: Method,
  requestStream: boolean,
  responseStream: boolean,
): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/${SERVICE_NAME}/${name}`,
    requestStream,
    responseStream,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
    originalName: name,
  };
}

export const ECHO_SERVICE: grpc.ServiceDefinition = {
  Unary: method('Unary', false, false),
  ServerStream: method('ServerStream', false, true),
  ClientStream: method('ClientStream', true, false),
  Bidi: method('Bidi', true, true),
};

const EchoClient = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');

/** One call as the server saw it arrive. */
export interface SeenCall {
  readonly method: Method;
  /** Request metadata, first value per key (binary values as base64). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Milliseconds left of the call's deadline when it arrived; Infinity when it had none. */
  readonly deadlineMs: number;
}

export interface GrpcApp {
  readonly name: string;
  readonly port: number;
  /** `127.0.0.1:<port>`, a grpc-js target. */
  readonly target: string;
  readonly calls: readonly SeenCall[];
  /** Methods of the calls the server saw cancelled (by the client, a reset or a deadline). */
  readonly cancels: readonly Method[];
  /** Resolves once `count` cancels have been seen in all. */
  cancelled(count?: number): Promise<void>;
  /** Resolves once `count` calls have arrived in all. */
  arrived(count?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startGrpcApp(options: { readonly name?: string } = {}): Promise<GrpcApp> {
  const name = options.name ?? 'grpc-app';
  const calls: SeenCall[] = [];
  const cancels: Method[] = [];
  const events = new EventEmitter();
  const server = new grpc.Server();

  const seen = (
    m: Method,
    call: { metadata: grpc.Metadata; getDeadline(): grpc.Deadline; on(e: 'cancelled', f: () => void): unknown },
  ) => {
    const deadline = call.getDeadline();
    const at = deadline instanceof Date ? deadline.getTime() : deadline;
    calls.push({
      method: m,
      metadata: flatMetadata(call.metadata),
      deadlineMs: Number.isFinite(at) ? at - Date.now() : Infinity,
    });
    call.on('cancelled', () => {
      cancels.push(m);
      events.emit('cancel');
    });
    events.emit('call');
  };

  server.addService(ECHO_SERVICE, {
    Unary: (call: grpc.ServerUnaryCall<UnaryRequest, UnaryReply>, callback: grpc.sendUnaryData<UnaryReply>) => {
      seen('Unary', call);
      const req = call.request;
      const answer = () => {
        if (call.cancelled) return;
        if (req.status !== undefined && req.status !== 0)
          callback({ code: req.status, details: req.statusMessage ?? '', metadata: toMetadata(req.trailers) });
        else callback(null, { message: req.message ?? '', server: name });
      };
      if (!req.delayMs) return answer();
      const timer = setTimeout(answer, req.delayMs);
      call.on('cancelled', () => clearTimeout(timer));
    },
    ServerStream: async (call: grpc.ServerWritableStream<StreamRequest, StreamReply>) => {
      seen('ServerStream', call);
      const data = 'x'.repeat(call.request.size);
      for (let i = 0; i < call.request.count && !call.cancelled; i++) {
        // Follow the client's flow control instead of queueing every message in memory.
        if (!call.write({ i, data })) await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
      }
      if (!call.cancelled) call.end();
    },
    ClientStream: (call: grpc.ServerReadableStream<SumRequest, SumReply>, callback: grpc.sendUnaryData<SumReply>) => {
      seen('ClientStream', call);
      let sum = 0;
      let count = 0;
      call.on('data', (m: SumRequest) => {
        sum += m.n;
        count++;
      });
      call.on('end', () => callback(null, { sum, count }));
    },
    Bidi: (call: grpc.ServerDuplexStream<Ping, Pong>) => {
      seen('Bidi', call);
      call.on('data', (m: Ping) => call.write({ pong: m.ping, server: name }));
      call.on('end', () => call.end());
    },
  });

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );

  const until = (event: string, done: () => boolean) =>
    new Promise<void>((resolve) => {
      if (done()) return resolve();
      const check = () => {
        if (!done()) return;
        events.off(event, check);
        resolve();
      };
      events.on(event, check);
    });

  return {
    name,
    port,
    target: `127.0.0.1:${port}`,
    calls,
    cancels,
    cancelled: (count = 1) => until('cancel', () => cancels.length >= count),
    arrived: (count = 1) => until('call', () => calls.length >= count),
    close: () =>
      new Promise<void>((resolve) => {
        // Give in-flight calls a moment, then cut them: a test's teardown must not hang.
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

function toMetadata(values: Readonly<Record<string, string>> | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(values ?? {})) md.set(k, v);
  return md;
}

function flatMetadata(metadata: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, values] of Object.entries(metadata.getMap())) {
    out[key] = Buffer.isBuffer(values) ? values.toString('base64') : String(values);
  }
  return out;
}

/** The client methods of the Echo service, as grpc-js makes them from the definition. */
export interface EchoClient extends grpc.Client {
  Unary(
    req: UnaryRequest,
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: grpc.requestCallback<UnaryReply>,
  ): grpc.ClientUnaryCall;
  ServerStream(req: StreamRequest, md: grpc.Metadata, opts: grpc.CallOptions): grpc.ClientReadableStream<StreamReply>;
  ClientStream(
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: grpc.requestCallback<SumReply>,
  ): grpc.ClientWritableStream<SumRequest>;
  Bidi(md: grpc.Metadata, opts: grpc.CallOptions): grpc.ClientDuplexStream<Ping, Pong>;
}

/**
 * A grpc-js client for `target` (`host:port`), plaintext h2c. `authority` sets `:authority`
 * (what a router's identifier reads); close it with `client.close()`.
 */
export function echoClient(target: string, options: { readonly authority?: string } = {}): EchoClient {
  const channelOptions: grpc.ChannelOptions = options.authority ? { 'grpc.default_authority': options.authority } : {};
  return new EchoClient(target, grpc.credentials.createInsecure(), channelOptions) as unknown as EchoClient;
}

/** How a call ended, as the client saw it. */
export type CallResult<T> =
  | { readonly ok: true; readonly value: T; readonly trailers: Readonly<Record<string, string>> }
  | {
      readonly ok: false;
      readonly code: number;
      readonly details: string;
      readonly metadata: Readonly<Record<string, string>>;
    };

export interface CallOptions {
  /** The call's deadline, in ms from now (sent as grpc-timeout). */
  readonly timeoutMs?: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

function callArgs(opts: CallOptions): [grpc.Metadata, grpc.CallOptions] {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(opts.metadata ?? {})) md.set(k, v);
  return [md, opts.timeoutMs === undefined ? {} : { deadline: Date.now() + opts.timeoutMs }];
}

/** Runs one unary call; `onCall` gets the call object (to cancel it, say). */
export function unary(
  client: EchoClient,
  request: UnaryRequest,
  opts: CallOptions = {},
  onCall?: (call: grpc.ClientUnaryCall) => void,
): Promise<CallResult<UnaryReply>> {
  return new Promise((resolve) => {
    let trailers: Record<string, string> = {};
    const call = client.Unary(request, ...callArgs(opts), (err, value) =>
      // The status event comes after the callback's value; wait for it so trailers are known.
      setImmediate(() => resolve(err ? failed(err) : { ok: true, value: value!, trailers })),
    );
    call.on('status', (s: grpc.StatusObject) => (trailers = flatMetadata(s.metadata)));
    onCall?.(call);
  });
}

/** Runs a server-streaming call to its end; the messages that arrived come with the status. */
export function serverStream(
  client: EchoClient,
  request: StreamRequest,
  opts: CallOptions = {},
): Promise<{ readonly messages: StreamReply[]; readonly status: grpc.StatusObject }> {
  return new Promise((resolve) => {
    const messages: StreamReply[] = [];
    const call = client.ServerStream(request, ...callArgs(opts));
    call.on('data', (m: StreamReply) => messages.push(m));
    call.on('error', () => {});
    call.on('status', (status: grpc.StatusObject) => resolve({ messages, status }));
  });
}

/** Sends `values` as a client stream and returns the server's sum. */
export function clientStream(
  client: EchoClient,
  values: readonly number[],
  opts: CallOptions = {},
): Promise<CallResult<SumReply>> {
  return new Promise((resolve) => {
    const call = client.ClientStream(...callArgs(opts), (err, value) =>
      resolve(err ? failed(err) : { ok: true, value: value!, trailers: {} }),
    );
    for (const n of values) call.write({ n });
    call.end();
  });
}

/** Ping-pong: sends each ping only after the previous pong came back; returns the pongs. */
export async function bidi(client: EchoClient, pings: readonly number[], opts: CallOptions = {}): Promise<Pong[]> {
  const call = client.Bidi(...callArgs(opts));
  const pongs: Pong[] = [];
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => {});
  for (const ping of pings) {
    const next = once(call, 'data') as Promise<[Pong]>;
    call.write({ ping });
    const [pong] = await Promise.race([
      next,
      status.then((s) => Promise.reject(new Error(`call ended: ${s.code} ${s.details}`))),
    ]);
    pongs.push(pong);
  }
  call.end();
  const s = await status;
  if (s.code !== grpc.status.OK) throw new Error(`bidi ended with ${s.code} ${s.details}`);
  return pongs;
}

function failed(err: grpc.ServiceError): CallResult<never> {
  return { ok: false, code: err.code, details: err.details, metadata: flatMetadata(err.metadata) };
}
