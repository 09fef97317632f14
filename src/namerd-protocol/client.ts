/**
 * The one HTTP client for namerd's `/api/1` (docs/namerd-api.md#routes), on undici, used by
 * namectl, namerctl and the router's dtab source. Every response becomes a typed result or one of
 * two errors: NamerdHttpError when namerd answered and refused (4xx/5xx) and
 * NamerdUnreachableError when there was no answer to read; each CLI turns them into its exit
 * codes. Reads ask for JSON, as namerctl does, so the client also works against linkerd's namerd;
 * switchyard's additions (history, messages, ndjson watches) degrade to what namerd offers.
 */
import { STATUS_CODES } from 'node:http';
import { Agent, type Dispatcher, request } from 'undici';
import type { Dtab } from '../dtab/dtab.js';
import type { JsonDelegateTree } from '../naming/delegate-json.js';
import { type DTAB_TYPE, dtabFromJson, JSON_TYPE, NDJSON_TYPE } from './dtab-codec.js';
import { etagToVersion } from './etag.js';
import { readLines } from './line-reader.js';
import { parseWatchEvent, type WatchEvent } from './watch-event.js';

export type { WatchEvent } from './watch-event.js';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:4180';

/** namerd answered with an error status. */
export class NamerdHttpError extends Error {
  readonly method: string;
  /** The request's path under the base URL (`/api/1/dtabs/web`). */
  readonly path: string;
  readonly status: number;
  /** The response body, trimmed: namerd's own explanation. */
  readonly detail: string;

  constructor(method: string, path: string, status: number, detail: string) {
    const reason = STATUS_CODES[status] ?? 'Unknown Status';
    super(`${method} ${path}: ${status} ${reason}${detail === '' ? '' : `: ${detail}`}`);
    this.name = 'NamerdHttpError';
    this.method = method;
    this.path = path;
    this.status = status;
    this.detail = detail;
  }
}

/** No answer: connection refused, DNS, a timeout, a reset, or a malformed response. */
export class NamerdUnreachableError extends Error {
  /** The request that got no answer, when there was one. */
  readonly request: { readonly method: string; readonly url: string } | undefined;

  constructor(base: URL, cause: unknown, request?: { readonly method: string; readonly url: string }) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`cannot reach namerd at ${base.href.replace(/\/$/, '')}: ${why}`, { cause });
    this.name = 'NamerdUnreachableError';
    this.request = request;
  }
}

/** A dtab to write, already validated, in the media type it is sent as. */
export interface DtabBody {
  readonly contentType: typeof JSON_TYPE | typeof DTAB_TYPE;
  readonly text: string;
}

export interface StoredDtab {
  /** The ETag (`AAAAAAAAAAE=`). */
  readonly version: string;
  /** The version as a number when the ETag is switchyard's (8-byte) form. */
  readonly number: number | null;
  readonly dtab: Dtab;
  /** The dentries exactly as namerd's JSON spelled them (namerctl prints these, unparsed). */
  readonly entries: readonly { readonly prefix: string; readonly dst: string }[];
}

export interface WriteResult {
  /** The new version's ETag; switchyard returns one, linkerd's namerd does not. */
  readonly version: string | null;
  readonly number: number | null;
}

/** One entry of `GET /api/1/dtabs/<ns>/versions`, newest first. */
export interface VersionInfo {
  readonly version: string;
  readonly number: number;
  readonly time: string;
  readonly message?: string;
  readonly deleted?: true;
  readonly dentries?: number;
}

export interface ClientOptions {
  /** Bearer token sent with writes. */
  readonly token?: string;
  /** Aborts every request (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** How long to wait for a response's headers (default 30 s; 0 waits for ever). */
  readonly timeoutMs?: number;
}

export interface WatchOptions {
  /** How long the body may stay silent before the stream counts as dead (0: no limit, the caller watches). */
  readonly idleTimeoutMs?: number;
  /** Ends this watch (and only it). */
  readonly signal?: AbortSignal;
  /** Who is watching, for namerd's list of watchers (a router names its label and admin port). */
  readonly userAgent?: string;
}

interface Send {
  readonly query?: Record<string, string | undefined>;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly write?: boolean;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

export class NamerdClient {
  readonly baseUrl: URL;
  readonly #options: ClientOptions;
  readonly #agent = new Agent({ connections: 4 });

  constructor(baseUrl: URL, options: ClientOptions = {}) {
    this.baseUrl = baseUrl;
    this.#options = options;
  }

  async list(): Promise<string[]> {
    return this.#json(await this.#ok('GET', '/api/1/dtabs', { headers: { accept: 'application/json' } }));
  }

  /** The current dtab, or an older version (a number or an ETag). */
  async get(ns: string, version?: string): Promise<StoredDtab> {
    const answer = await this.#ok('GET', dtabPath(ns), {
      query: { version },
      headers: { accept: 'application/json' },
    });
    const etag = header(answer, 'etag') ?? '';
    const dtab = this.#read(answer, dtabFromJson);
    const entries = (JSON.parse(answer.text) as { prefix: string; dst: string }[]).map(({ prefix, dst }) => ({
      prefix,
      dst,
    }));
    return { version: etag, number: etagToVersion(etag), dtab, entries };
  }

  /** The current version's ETag (a GET: HEAD's 404 would carry no explanation). */
  async currentVersion(ns: string): Promise<string> {
    return (await this.get(ns)).version;
  }

  create(ns: string, body: DtabBody, message?: string): Promise<WriteResult> {
    return this.#write('POST', ns, body, { message });
  }

  /** A compare-and-set update with `ifMatch`, or an unconditional put (an upsert) without. */
  update(ns: string, body: DtabBody, options: { ifMatch?: string; message?: string } = {}): Promise<WriteResult> {
    return this.#write('PUT', ns, body, options);
  }

  async delete(ns: string, message?: string): Promise<void> {
    await this.#ok('DELETE', dtabPath(ns), { write: true, headers: messageHeader(message) });
  }

  async versions(ns: string): Promise<VersionInfo[]> {
    return this.#json(await this.#ok('GET', `${dtabPath(ns)}/versions`, { headers: { accept: 'application/json' } }));
  }

  async delegate(ns: string, path: string, dtab?: string): Promise<JsonDelegateTree> {
    const answer = await this.#ok('GET', `/api/1/delegate/${encodeURIComponent(ns)}`, {
      query: { path, dtab },
      headers: { accept: 'application/json' },
    });
    return this.#json(answer);
  }

  /**
   * One watch connection: yields events until the server ends the stream. `idleTimeoutMs` is how
   * long the body may stay silent (switchyard sends heartbeats) before the stream counts as dead,
   * which surfaces as NamerdUnreachableError, like any other broken connection. Lines go through
   * the shared line reader, so a character split across chunks arrives whole.
   */
  async *watch(ns: string, options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const path = dtabPath(ns);
    const response = await this.#request('GET', path, {
      query: { watch: 'true' },
      headers: {
        accept: `${NDJSON_TYPE}, ${JSON_TYPE}`,
        ...(options.userAgent === undefined ? {} : { 'user-agent': options.userAgent }),
      },
      ...(options.idleTimeoutMs === undefined ? {} : { bodyTimeout: options.idleTimeoutMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    try {
      if (response.statusCode >= 400) {
        const detail = (await response.body.text()).trim().slice(0, 1000);
        throw new NamerdHttpError('GET', path, response.statusCode, detail);
      }
      for await (const line of readLines(response.body)) yield parseWatchEvent(line, ns);
    } catch (error) {
      throw this.#unreachable(error, { method: 'GET', path }, options.signal);
    } finally {
      response.body.destroy();
    }
  }

  /** Ends the client's connections (and any request still running). */
  async close(): Promise<void> {
    await this.#agent.destroy();
  }

  async #write(
    method: 'POST' | 'PUT',
    ns: string,
    body: DtabBody,
    options: { ifMatch?: string; message?: string },
  ): Promise<WriteResult> {
    const headers: Record<string, string> = { 'content-type': body.contentType, ...messageHeader(options.message) };
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
    const answer = await this.#ok(method, dtabPath(ns), { write: true, headers, body: body.text });
    const etag = header(answer, 'etag') ?? null;
    return { version: etag, number: etag === null ? null : etagToVersion(etag) };
  }

  /** Sends a request and reads the whole answer; any status of 400 and up is a NamerdHttpError. */
  async #ok(method: Dispatcher.HttpMethod, path: string, send: Send): Promise<Answer> {
    const response = await this.#request(method, path, send);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw this.#unreachable(error, { method, path });
    }
    if (response.statusCode >= 400) throw new NamerdHttpError(method, path, response.statusCode, text.trim());
    return { status: response.statusCode, headers: response.headers, text };
  }

  async #request(
    method: Dispatcher.HttpMethod,
    path: string,
    send: Send & { bodyTimeout?: number; signal?: AbortSignal },
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { ...send.headers };
    if (send.write === true && this.#options.token !== undefined) {
      headers.authorization = `Bearer ${this.#options.token}`;
    }
    try {
      return await request(this.#url(path, send.query), {
        method,
        headers,
        body: send.body,
        dispatcher: this.#agent,
        signal: send.signal ?? this.#options.signal,
        headersTimeout: this.#options.timeoutMs ?? 30_000,
        bodyTimeout: send.bodyTimeout ?? this.#options.timeoutMs ?? 30_000,
      });
    } catch (error) {
      throw this.#unreachable(error, { method, path }, send.signal);
    }
  }

  #json<T>(answer: Answer): T {
    return this.#read(answer, (value) => value as T);
  }

  /** A body namerd sent but that cannot be read is as good as no answer. */
  #read<T>(answer: Answer, convert: (value: unknown) => T): T {
    try {
      return convert(JSON.parse(answer.text));
    } catch (error) {
      throw new NamerdUnreachableError(this.baseUrl, new Error(`unreadable response: ${(error as Error).message}`));
    }
  }

  /** Aborts (Ctrl-C) pass through unchanged; everything else that is not an answer is "unreachable". */
  #unreachable(error: unknown, request: { method: string; path: string }, signal?: AbortSignal): unknown {
    if (this.#options.signal?.aborted === true || signal?.aborted === true) return error;
    if (error instanceof NamerdHttpError || error instanceof NamerdUnreachableError) return error;
    return new NamerdUnreachableError(this.baseUrl, error, { method: request.method, url: this.#url(request.path) });
  }

  #url(path: string, query: Record<string, string | undefined> = {}): string {
    const url = new URL(this.baseUrl.href);
    // The base URL may carry a path prefix (namerd behind a proxy): keep it.
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    return url.href;
  }
}

function dtabPath(ns: string): string {
  return `/api/1/dtabs/${encodeURIComponent(ns)}`;
}

/** `X-Dtab-Message`, percent-encoded when it is not plain ASCII (or holds a `%`, which namerd decodes). */
function messageHeader(message: string | undefined): Record<string, string> {
  if (message === undefined || message === '') return {};
  return { 'x-dtab-message': /^[\x20-\x24\x26-\x7e]*$/.test(message) ? message : encodeURIComponent(message) };
}

function header(answer: Answer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
