/**
 * WebSocket upgrades are routed like any other request (core's resolve, then the client's
 * balancer), then handed to http-proxy, which splices the two sockets together. This is the one
 * place http-proxy earns its keep: undici does not proxy upgraded connections. Failures, before
 * or after routing, leave through rescue as raw bytes (raw-error.ts), like every socket-level answer.
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type HttpProxy from 'http-proxy';
import { createError } from '../../../errors.js';
import { checkRequestTarget } from '../../core/request-target.js';
import { rescue } from '../../core/rescue.js';
import { resolve } from '../../core/resolve.js';
import type { RouterRuntime } from '../../core/runtime.js';
import { originOf } from '../upstream/pools.js';
import { readHead } from './exchange.js';
import { rawErrorResponse } from './raw-error.js';

export function websocketHandler(rt: RouterRuntime): (req: IncomingMessage, socket: Socket, head: Buffer) => void {
  // Loaded with the first upgrade: most routers never see one (~6 MB).
  let proxy: HttpProxy | undefined;
  const proxyServer = (): HttpProxy => {
    if (proxy) return proxy;
    const httpProxy = createRequire(import.meta.url)('http-proxy') as typeof HttpProxy;
    proxy = httpProxy.createProxyServer({ ws: true, xfwd: true });
    proxy.on('error', (err, _req, target) => {
      const socket = target as Socket;
      const failure = rescue(createError('SY_ERR_UPSTREAM_FAILED', ['the WebSocket upstream', err.message]));
      if (socket.writable) socket.end(rawErrorResponse(failure));
      else socket.destroy();
    });
    return proxy;
  };
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    endpointFor(rt, req).then(
      (origin) => proxyServer().ws(req, socket, head, { target: origin }),
      (error) => socket.end(rawErrorResponse(rescue(error))),
    );
  };
}

/** The origin of the endpoint the upgrade goes to, picked as for any request. */
async function endpointFor(rt: RouterRuntime, req: IncomingMessage): Promise<string> {
  const head = readHead(req);
  checkRequestTarget(head);
  // http-proxy forwards req.url: an absolute-form target goes on in origin form.
  req.url = head.path;
  const resolved = resolve(rt, head);
  const t = resolved instanceof Promise ? await resolved : resolved;
  const pick = t.client.pick();
  if (pick === null) throw createError('SY_ERR_NO_BROKERS', [t.service, t.base.shown, t.local?.shown ?? '']);
  pick.done(0, true);
  return originOf(pick.endpoint.host, pick.endpoint.port);
}
