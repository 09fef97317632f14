/**
 * The one module that talks to the Kubernetes API
 * (docs/architecture.md#one-adapter-per-external-system;
 * docs/k8s-namer.md#why-a-hand-written-client): a small list/watch client on undici 7, not
 * `@kubernetes/client-node` (2.x needs Node 22, and 1.x has no working watch timeout and stops on
 * the first error). It sends `Accept: application/json` (the server also speaks protobuf and CBOR),
 * the bearer token of the moment, and the cluster's CA; it turns every non-200 answer into an
 * ApiStatusError carrying the Status body's code and any `Retry-After`. Timeouts are the caller's,
 * through its AbortSignal: a watch is open for minutes and only the caller knows when silence means
 * death.
 */
import { Agent, request } from 'undici';
import { createError, type SwitchyardError } from '../../errors.js';
import type { Status } from './k8s-objects.js';
import { retryAfterMs } from './watch-timing.js';

/**
 * A bearer token that may rotate (projected service-account tokens do,
 * docs/k8s-namer.md#reaching-the-api).
 */
export interface TokenSource {
  get(): Promise<string | undefined>;
  /** The server said 401: read the token afresh before the next request. */
  invalidate(): void;
  /**
   * A client certificate that came with the token (a kubeconfig exec plugin may give one), as
   * of the last get(); it wins over the connection's own cert and key.
   */
  clientCertificate?(): { readonly cert: string; readonly key: string } | undefined;
}

export interface ApiConnection {
  /** `https://10.96.0.1:443`, or `http://127.0.0.1:8001` for a `kubectl proxy`; a path prefix is kept. */
  readonly server: string;
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly insecureSkipTlsVerify?: boolean;
  readonly token?: TokenSource;
}

/** An answer other than 200, with what the Status body said about it. */
export class ApiStatusError extends Error {
  override readonly name = 'ApiStatusError';
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly detail: string,
    /** From `Retry-After`, for 429 and some 5xx/504 answers. */
    readonly retryAfterMs: number | undefined,
    readonly error: SwitchyardError,
  ) {
    super(error.message);
  }
}

const MAX_ERROR_BODY = 4096;

export class K8sApiClient {
  readonly server: string;
  readonly #base: URL;
  readonly #token: TokenSource | undefined;
  readonly #connection: ApiConnection;
  #agent: Agent;
  /** The certificate the agent presents when it came from the token source, to see it change. */
  #agentCert: string | undefined;
  /** Agents replaced by a new certificate, kept until their open watches end or close() runs. */
  readonly #retired = new Set<Agent>();

  constructor(connection: ApiConnection) {
    this.server = connection.server;
    this.#base = new URL(connection.server.endsWith('/') ? connection.server : `${connection.server}/`);
    this.#token = connection.token;
    this.#connection = connection;
    this.#agent = this.#makeAgent(connection.cert, connection.key);
  }

  #makeAgent(cert: string | Buffer | undefined, key: string | Buffer | undefined): Agent {
    const connection = this.#connection;
    return new Agent({
      // Watches are long and quiet; the reflector's own watchdog decides when quiet means dead.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: {
        ...(connection.ca !== undefined ? { ca: connection.ca } : {}),
        ...(cert !== undefined ? { cert } : {}),
        ...(key !== undefined ? { key } : {}),
        rejectUnauthorized: connection.insecureSkipTlsVerify !== true,
      },
    });
  }

  /** A new client certificate from the token source means new connections; open ones finish as they are. */
  #useCertificate(): void {
    const pair = this.#token?.clientCertificate?.();
    if (pair === undefined || pair.cert === this.#agentCert) return;
    const old = this.#agent;
    this.#agent = this.#makeAgent(pair.cert, pair.key);
    this.#agentCert = pair.cert;
    this.#retired.add(old);
    old.close().then(
      () => this.#retired.delete(old),
      () => this.#retired.delete(old),
    );
  }

  /** The URL of an API path (`/apis/...`) with its query, under the server's base. */
  url(path: string, query: Readonly<Record<string, string>> = {}): string {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url.href;
  }

  /** GET and parse a JSON answer (a list, an object); throws ApiStatusError for anything but 200. */
  async get(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal): Promise<unknown> {
    const body = await this.#request(path, query, signal);
    try {
      return await body.json();
    } finally {
      body.destroy();
    }
  }

  /**
   * GET a watch: resolves once the 200 headers are in (the server flushes them before the first
   * event), with the body's chunks; the caller must destroy it when done.
   */
  async stream(
    path: string,
    query: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Buffer> & { destroy(): void }> {
    return this.#request(path, query, signal);
  }

  /** DELETE one object (the chaos experiments' kill-pod); resolves to the API's answer (the object or a Status). */
  async delete(path: string, signal: AbortSignal): Promise<unknown> {
    const body = await this.#request(path, {}, signal, 'DELETE');
    try {
      return await body.json();
    } finally {
      body.destroy();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#agent, ...this.#retired].map((a) => a.destroy()));
  }

  async #request(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal, method = 'GET') {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = await this.#token?.get();
    if (token) headers.authorization = `Bearer ${token}`;
    this.#useCertificate();
    const url = this.url(path, query);
    const res = await request(url, { method, dispatcher: this.#agent, headers, signal });
    // A DELETE answers 202 when the object is only marked for deletion (it has finalizers).
    if (res.statusCode === 200 || (method === 'DELETE' && res.statusCode === 202)) return res.body;
    let text = '';
    try {
      text = (await res.body.text()).slice(0, MAX_ERROR_BODY);
    } catch {
      // The status alone says enough; a body that broke off adds nothing.
    }
    if (res.statusCode === 401) this.#token?.invalidate();
    throw statusError(res.statusCode, text, res.headers['retry-after'], url, method);
  }
}

function statusError(
  status: number,
  text: string,
  retryAfter: string | string[] | undefined,
  url: string,
  method: string,
) {
  let parsed: Status | undefined;
  try {
    const v = JSON.parse(text) as Status;
    if (v && typeof v === 'object' && v.kind === 'Status') parsed = v;
  } catch {
    // Not a Status: a proxy's HTML page or plain text; quote it as it is.
  }
  const where = new URL(url);
  return apiStatusError(
    `${method} ${where.pathname}${where.search}`,
    status,
    parsed?.reason ?? '',
    parsed?.message ?? text.trim().slice(0, 300),
    retryAfterMs(retryAfter),
  );
}

/** The error for a status `code`, whether it came as the HTTP answer or as an ERROR event in a stream. */
export function apiStatusError(
  what: string,
  code: number,
  reason: string,
  detail: string,
  retryAfter?: number,
): ApiStatusError {
  const error = createError('SY_ERR_K8S_API', [what, code, reason === '' ? detail : `${reason}: ${detail}`]);
  return new ApiStatusError(code, reason, detail, retryAfter, error);
}
