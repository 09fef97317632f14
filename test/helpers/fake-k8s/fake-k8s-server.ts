/**
 * A fake Kubernetes API server that speaks the real protocol
 * (docs/k8s-namer.md#the-fake-api-server): Debian ships kubectl but no kube-apiserver, and
 * request-level mocks cannot drop a socket mid-line or leave it half-open, which is exactly what
 * the namer must survive. It serves LIST (with label and field selectors and the list's
 * resourceVersion), GET of one object (404 as a Status), DELETE of one object (answering the
 * object as it was, as the API server does for an immediate delete), WATCH (see watch-session.ts), and the
 * discovery documents kubectl needs; over HTTP or HTTPS, with an optional bearer token. Tests drive
 * it in-process: write objects (or pods, via cluster.ts), inject faults, and read the request log
 * to assert "relisted exactly once", "resumed from RV x". Binds 127.0.0.1 only.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ObjectStore } from './object-store.js';
import { discovery, RESOURCES, type Resource, routeOf } from './resources.js';
import { fieldSelector, labelSelector, SelectorError } from './selectors.js';
import { type WatchSession as Session, WatchSession, type WatchSettings } from './watch-session.js';

export interface FakeK8sOptions {
  /** Serve HTTPS with this certificate (see tls.ts); plain HTTP otherwise, like a `kubectl proxy`. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Require `Authorization: Bearer <token>`; any other gets 401. */
  readonly token?: string;
  /** Leave EndpointSlices out, as a pre-1.21 cluster would (their URLs then answer 404). */
  readonly noEndpointSlices?: boolean;
  readonly watch?: Partial<WatchSettings>;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly resource: string | undefined;
  readonly watch: boolean;
  /** When it arrived (Date.now()). */
  readonly at: number;
  status: number;
}

/** A canned answer for the next requests that match (429 with Retry-After, 500, HTTP 410, …). */
export interface Fault {
  readonly match: (r: LoggedRequest) => boolean;
  readonly status: number;
  readonly reason?: string;
  readonly message?: string;
  readonly headers?: Record<string, string>;
  /** How many requests it answers (default 1). */
  times?: number;
}

export class FakeK8s {
  readonly store = new ObjectStore();
  readonly requests: LoggedRequest[] = [];
  readonly faults: Fault[] = [];
  readonly watches = new Set<Session>();
  readonly settings: WatchSettings;
  /** Delay before the answer's headers, for LISTs and WATCHes alike. */
  delayMs = 0;
  token: string | undefined;
  readonly #served: readonly Resource[];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  private constructor(private readonly options: FakeK8sOptions) {
    this.token = options.token;
    this.#served = RESOURCES.filter((r) => !(options.noEndpointSlices && r.name === 'endpointslices'));
    this.settings = {
      bookmarkPeriodMs: 60_000,
      bookmarkBeforeDeadlineMs: 2000,
      defaultTimeoutSeconds: 1800,
      writeMode: 'normal',
      expiredReason: 'Expired',
      ...options.watch,
    };
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    this.#server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  static async start(options: FakeK8sOptions = {}): Promise<FakeK8s> {
    const fake = new FakeK8s(options);
    await fake.listen(0);
    return fake;
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** The API goes away: the port refuses connections and every open connection is cut. */
  async down(): Promise<void> {
    const closed = new Promise<void>((r) => this.#server.close(() => r()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }

  /** The API comes back on the same port. */
  up(): Promise<void> {
    return this.listen(this.#port);
  }

  async close(): Promise<void> {
    await this.down().catch(() => {});
  }

  /** Requests so far, optionally only those for one resource and of one kind (list or watch). */
  count(resource?: string, kind?: 'list' | 'watch'): number {
    return this.requests.filter(
      (r) =>
        (resource === undefined || r.resource === resource) && (kind === undefined || r.watch === (kind === 'watch')),
    ).length;
  }

  /** Answers the next `times` matching requests with a Status of `status`. */
  fail(match: Partial<Pick<LoggedRequest, 'resource' | 'watch'>>, status: number, extra: Partial<Fault> = {}): void {
    this.faults.push({
      match: (r) =>
        (match.resource === undefined || r.resource === match.resource) &&
        (match.watch === undefined || r.watch === match.watch),
      status,
      times: 1,
      ...extra,
    });
  }

  /** For each open watch: */
  stallWatches = () => this.#each((w) => w.stall());
  dropWatches = (midLine = false) => this.#each((w) => w.drop(midLine));
  expireWatches = () => this.#each((w) => w.expire());
  endWatches = () => this.#each((w) => w.end());
  bookmarkWatches = () => this.#each((w) => w.bookmark());

  #each(f: (w: Session) => void): number {
    const all = [...this.watches];
    for (const w of all) f(w);
    return all.length;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = routeOf(url.pathname, this.#served);
    const watch = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
    const logged: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      resource: route?.resource.name,
      watch,
      at: Date.now(),
      status: 0,
    };
    this.requests.push(logged);
    const status = (code: number, reason: string, message: string, headers: Record<string, string> = {}) => {
      logged.status = code;
      res.writeHead(code, { 'content-type': 'application/json', ...headers });
      res.end(
        JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }),
      );
    };
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`)
      return status(401, 'Unauthorized', 'Unauthorized');
    const fault = this.faults.find((f) => f.match(logged));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return status(fault.status, fault.reason ?? reasonOf(fault.status), fault.message ?? 'injected', fault.headers);
    }
    if (req.method === 'DELETE' && route?.name !== undefined && route.namespace !== undefined) {
      // kubectl sends DeleteOptions as the body; the fake deletes at once whatever they say.
      req.resume();
      const { resource, namespace, name } = route;
      const o = this.store.get(resource.name, namespace, name);
      if (o === undefined || !this.store.delete(resource.name, namespace, name))
        return status(404, 'NotFound', `${resource.name} "${name}" not found`);
      logged.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ kind: resource.kind, apiVersion: apiVersion(resource), ...o }));
    }
    if (req.method !== 'GET') return status(405, 'MethodNotAllowed', 'the fake reads and deletes only');
    const doc = route === undefined ? discovery(url.pathname, this.#served) : undefined;
    if (doc !== undefined) {
      logged.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(doc));
    }
    if (route === undefined) return status(404, 'NotFound', 'the server could not find the requested resource');
    const { resource, namespace, name } = route;
    // kube-apiserver 1.33+ warns every reader of v1 Endpoints; kubectl prints it as `Warning: …`.
    if (resource.name === 'endpoints') res.setHeader('warning', ENDPOINTS_WARNING);
    if (name !== undefined) {
      const o = namespace === undefined ? undefined : this.store.get(resource.name, namespace, name);
      if (o === undefined) return status(404, 'NotFound', `${resource.name} "${name}" not found`);
      logged.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ kind: resource.kind, apiVersion: apiVersion(resource), ...o }));
    }
    let matches: (o: Record<string, unknown>) => boolean;
    try {
      const byLabel = labelSelector(url.searchParams.get('labelSelector'));
      const byField = fieldSelector(url.searchParams.get('fieldSelector'));
      matches = (o) => byLabel(o) && byField(o);
    } catch (e) {
      if (e instanceof SelectorError) return status(400, 'BadRequest', e.message);
      throw e;
    }
    const rvText = url.searchParams.get('resourceVersion');
    if (rvText !== null && rvText !== '' && !/^\d+$/.test(rvText))
      return status(400, 'BadRequest', `invalid resource version: ${rvText}`);
    if (!watch) {
      logged.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      const items = this.store.list(resource.name, namespace).filter(matches);
      return void res.end(
        JSON.stringify({
          kind: `${resource.kind}List`,
          apiVersion: apiVersion(resource),
          metadata: { resourceVersion: String(this.store.rv) },
          items,
        }),
      );
    }
    logged.status = 200;
    const timeout = url.searchParams.get('timeoutSeconds');
    const session = new WatchSession(
      res,
      this.store,
      {
        resource,
        namespace,
        matches,
        rv: rvText === null || rvText === '' ? null : Number(rvText),
        bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
        timeoutSeconds: timeout === null ? null : Number(timeout),
      },
      this.settings,
      () => this.watches.delete(session),
    );
    this.watches.add(session);
    session.start();
  }
}

const ENDPOINTS_WARNING = '299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"';

const apiVersion = (r: Resource) => (r.group === '' ? r.version : `${r.group}/${r.version}`);

function reasonOf(status: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    410: 'Expired',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[status] ?? 'Unknown';
}
