/**
 * WebSocket upgrades are routed like any other request, then handed to
 * http-proxy, which splices the two sockets together. This is the one place http-proxy earns
 * its keep: undici does not proxy upgraded connections.
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type HttpProxy from 'http-proxy';
import { SwitchyardError } from '../errors.js';
import type { Endpoint } from './client.js';
import { originOf } from './endpoint-pools.js';

export type ResolveEndpoint = (req: IncomingMessage) => Promise<Endpoint>;

export function upgradeHandler(resolve: ResolveEndpoint): (req: IncomingMessage, socket: Socket, head: Buffer) => void {
  // Loaded with the first upgrade: most routers never see one (~6 MB).
  let proxy: HttpProxy | undefined;
  const proxyServer = (): HttpProxy => {
    if (proxy) return proxy;
    const httpProxy = createRequire(import.meta.url)('http-proxy') as typeof HttpProxy;
    proxy = httpProxy.createProxyServer({ ws: true, xfwd: true });
    proxy.on('error', (_err, _req, target) => {
      const socket = target as Socket;
      if (socket.writable) socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    return proxy;
  };
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    resolve(req).then(
      (endpoint) => proxyServer().ws(req, socket, head, { target: originOf(endpoint.host, endpoint.port) }),
      (error) => {
        const status = error instanceof SwitchyardError ? error.status : 502;
        const message = encodeURIComponent(error instanceof Error ? error.message : String(error)).slice(0, 1024);
        socket.end(
          `HTTP/1.1 ${status} Routing Failed\r\nl5d-err: ${message}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
        );
      },
    );
  };
}
