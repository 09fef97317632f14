/**
 * The example services of the linkerd walkthrough, small enough to read at a glance: `word`
 * answers a word, `gen` and the new `gen-growthhack` answer a sentence (and say which version
 * answered in `x-version`), and `web` is the front end that asks both through the router. Like
 * any app in a linkerd mesh, `web` passes the `l5d-ctx-*` headers of its request on to the calls
 * it makes, which is what lets one `l5d-dtab` header stage a new `gen` behind it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

export interface App {
  readonly name: string;
  readonly port: number;
  close(): Promise<void>;
}

const WORDS = ['banana', 'mesh', 'dtab', 'canary', 'namer', 'router', 'fallback', 'union'];

/** On loopback for the quickstart; a pod's app listens on 0.0.0.0, where its Service and the routers reach it. */
function listen(
  name: string,
  port: number,
  host: string,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<App> {
  const server: Server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${port} for ${name} is in use`) : e),
    );
    server.listen(port, host, () =>
      resolve({
        name,
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    );
  });
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

export function startWord(port: number, host = '127.0.0.1'): Promise<App> {
  let n = 0;
  return listen('word', port, host, (req, res) => {
    req.resume();
    text(res, 200, `${WORDS[n++ % WORDS.length]}\n`, { 'x-version': 'word' });
  });
}

export function startGen(port: number, version: 'gen' | 'gen-growthhack', host = '127.0.0.1'): Promise<App> {
  const sentence = version === 'gen' ? 'Hello from gen.' : 'HELLO FROM GEN-GROWTHHACK!!! Sign up today!';
  return listen(version, port, host, (req, res) => {
    req.resume();
    text(res, 200, `${sentence}\n`, { 'x-version': version });
  });
}

/**
 * The front end: asks `gen` and `word` through the router, passing the caller's context on. The
 * router's URL may be given as a function, read per request, for a router that starts after web
 * (the quickstart on free ports learns the router's port only once it listens).
 */
export function startWeb(port: number, routerUrl: string | (() => string), listenHost = '127.0.0.1'): Promise<App> {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const call = async (host: string, ctx: Record<string, string>) => {
    const r = await request(typeof routerUrl === 'string' ? routerUrl : routerUrl(), {
      headers: { host, ...ctx },
      dispatcher: agent,
    });
    return { status: r.statusCode, body: (await r.body.text()).trim(), version: String(r.headers['x-version'] ?? '') };
  };
  return listen('web', port, listenHost, (req, res) => {
    req.resume();
    const ctx: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('l5d-ctx-') && typeof v === 'string') ctx[k] = v;
    Promise.all([call('gen', ctx), call('word', ctx)]).then(
      ([gen, word]) => {
        if (gen.status !== 200 || word.status !== 200) {
          return text(res, 502, `web: gen answered ${gen.status}, word answered ${word.status}\n`);
        }
        text(res, 200, `${gen.body} Today's word: ${word.body}.\n`, { 'x-version': gen.version });
      },
      (e) => text(res, 502, `web: ${(e as Error).message}\n`),
    );
  });
}
