/**
 * `web`: the walkthrough's front end, plain HTTP/1.1. `/` says how to use it; `/gob?text=X&limit=N`
 * asks word for a text when none is given, then streams gen's answer to the caller as it arrives
 * (`gob gob gob …`), both through the router. A caller that hangs up cancels the gen call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { type App, listenHttp, text } from './listen.js';
import { type GenRequest, type GenResponse, genRequestProblem, MAX_LIMIT, MAX_TEXT_CHARS } from './proto.js';
import { routerTarget, routingContext, type ViaRouter, viaRouter } from './via-router.js';

/** Repetitions when the caller does not say. */
const DEFAULT_LIMIT = 10;
/** How long word may take to answer. */
const WORD_DEADLINE_MS = 10_000;

const HELP = `gob: the front end of the gRPC walkthrough.

  GET /gob?text=TEXT&limit=N
      gen repeats TEXT N times, streamed as it comes: gob gob gob ...
      N from 0 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}); 0 streams until you hang up.
      TEXT up to ${MAX_TEXT_CHARS} characters; without it, word picks one.

web calls proto.WordSvc and proto.GenSvc through the router over h2c and passes on the
l5d-ctx-* and l5d-dtab headers it receives, so one header stages a new gen for one request:

  curl -H 'l5d-dtab: /srv/gen => /srv/gen-growthhack' 'http://WEB/gob?text=gob&limit=3'
`;

export function startWeb(port: number, routerUrl: string | (() => string), listenHost = '127.0.0.1'): Promise<App> {
  if (typeof routerUrl === 'string') routerTarget(routerUrl);
  const router = viaRouter(routerUrl);
  return listenHttp('web', port, listenHost, (req, res) => {
    req.resume();
    const url = URL.parse(req.url ?? '/', 'http://web');
    if (url === null) return text(res, 400, 'web: the request target is not a URL\n');
    if (url.pathname !== '/' && url.pathname !== '/gob') {
      return text(res, 404, `web: no page ${JSON.stringify(url.pathname)}; see / for what there is\n`);
    }
    if (url.pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) return text(res, 200, HELP);
    if (req.method !== 'GET') return text(res, 405, `web: ${url.pathname} answers GET only\n`, { allow: 'GET' });
    const query = parseQuery(url.searchParams);
    if (typeof query === 'string') return text(res, 400, `web: ${query}\n`);
    serveGob(req, res, router, query).catch((e: Error) => fail(res, e.message));
  }).then((app) => ({
    ...app,
    close: async () => {
      router.close();
      await app.close();
    },
  }));
}

/** The query as a request for gen (text '' means: ask word), or why it is refused. */
function parseQuery(params: URLSearchParams): GenRequest | string {
  for (const name of ['text', 'limit']) {
    if (params.getAll(name).length > 1) return `give ${name} at most once`;
  }
  const limitText = params.get('limit');
  let limit = DEFAULT_LIMIT;
  if (limitText !== null) {
    if (!/^\d{1,6}$/.test(limitText)) {
      return `limit must be a whole number from 0 to ${MAX_LIMIT} (0: until you hang up), got ${JSON.stringify(limitText.slice(0, 20))}`;
    }
    limit = Number(limitText);
  }
  const request = { text: params.get('text') ?? '', limit };
  // An empty text is word's to fill in; everything else is held to gen's own bounds.
  const problem = genRequestProblem(request.text === '' ? { ...request, text: 'x' } : request);
  return problem ?? request;
}

async function serveGob(req: IncomingMessage, res: ServerResponse, router: ViaRouter, query: GenRequest) {
  let hungUp = false;
  res.once('close', () => (hungUp = !res.writableFinished));
  const request = query.text === '' ? { ...query, text: await getWord(router, routingContext(req.headers)) } : query;
  if (hungUp) return;

  const call = router.gen().Gen(request, routingContext(req.headers));
  res.once('close', () => {
    if (!res.writableFinished) call.cancel();
  });
  let version = '';
  let last = '';
  call.on('metadata', (m: grpc.Metadata) => (version = String(m.get('x-version')[0] ?? '')));
  call.on('data', (m: GenResponse) => {
    if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-version': version });
    last = m.text;
    // The caller reads slower than gen writes: stop reading gen until the caller catches up.
    if (!res.write(m.text)) {
      call.pause();
      res.once('drain', () => call.resume());
    }
  });
  call.on('error', () => {}); // the status below says it all
  call.on('status', (s: grpc.StatusObject) => {
    if (s.code === grpc.status.OK) {
      if (!res.headersSent) return text(res, 200, '\n', { 'x-version': version });
      return void res.end(last.endsWith('\n') ? '' : '\n');
    }
    if (s.code === grpc.status.CANCELLED && hungUp) return;
    fail(res, `gen answered ${grpc.status[s.code]}: ${s.details}`);
  });
}

function getWord(router: ViaRouter, context: grpc.Metadata): Promise<string> {
  return new Promise((resolve, reject) =>
    router
      .word()
      .GetWord({}, context, { deadline: Date.now() + WORD_DEADLINE_MS }, (err, reply) =>
        err ? reject(new Error(`word answered ${grpc.status[err.code]}: ${err.details}`)) : resolve(reply!.word),
      ),
  );
}

/** A 502 when nothing was sent yet; mid-stream, the reason as a last line and a cut connection. */
function fail(res: ServerResponse, reason: string): void {
  if (res.destroyed || res.writableEnded) return;
  if (!res.headersSent) text(res, 502, `web: ${reason}\n`);
  else res.write(`\nweb: ${reason}\n`, () => res.destroy());
}
