/**
 * How the example apps listen. `web` is plain HTTP/1.1. `gen`, `gen-growthhack` and `word` are
 * gRPC servers that also answer HTTP/1.1 on the same port, told apart by the first bytes (the h2
 * preface), as the router does: a `GET /` says which app and version answered, which is what a
 * Kubernetes readiness probe (`httpGet` on the port named `grpc`) and an HTTP/1.1 router naming
 * the apps by Host (`Host: gen`) need, while gRPC callers get the services of proto/gob.proto.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { createDetectingListener } from '../../router/protocol/http2/protocol-detect.js';

export interface App {
  readonly name: string;
  readonly port: number;
  close(): Promise<void>;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTP/1.1 app (web). */
export async function listenHttp(name: string, port: number, host: string, handler: HttpHandler): Promise<App> {
  const server: Server = createServer(handler);
  const bound = await bind(name, server, port, host);
  return {
    name,
    port: bound,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A gRPC app with an HTTP/1.1 face on the same port. */
export async function listenGrpc(
  name: string,
  port: number,
  host: string,
  services: readonly [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][],
  http: HttpHandler,
): Promise<App> {
  // The apps' messages are a few bytes; a caller gets no more room than they need.
  const grpcServer = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024,
    'grpc.max_concurrent_streams': 100,
  });
  for (const [definition, implementation] of services) grpcServer.addService(definition, implementation);
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  // The detector hands an h2 socket on by emitting 'connection' on "the h2 server"; grpc-js keeps
  // its h2 server to itself and takes sockets through the injector instead.
  const h2 = new EventEmitter().on('connection', (socket: Socket) => injector.injectConnection(socket));
  const http1 = createServer(http);
  const { server } = createDetectingListener({ http1, h2: h2 as unknown as Http2Server });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const bound = await bind(name, server, port, host);
  return {
    name,
    port: bound,
    close: () =>
      new Promise((r) => {
        // Endless Gen streams never end by themselves: closing cuts every connection, and each
        // open call sees the cut as a cancel.
        server.close(() => r());
        injector.destroy();
        grpcServer.forceShutdown();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** On loopback for the quickstart; a pod's app listens on 0.0.0.0, where its Service and the routers reach it. */
function bind(name: string, server: Server | NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${port} for ${name} is in use`) : e),
    );
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}
