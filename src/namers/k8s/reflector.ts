/**
 * Reflector: keeps a local copy of one selected collection current by list-then-watch, the
 * discipline of client-go's Reflector as docs/k8s-namer.md#list-then-watch lays it out, so that none of
 * linkerd 1.x's staleness bugs (docs/k8s-namer.md#lessons-from-linkerd-1x) can happen here:
 * - list with no resourceVersion, then watch from the list's, with `allowWatchBookmarks=true`
 *   and a random `timeoutSeconds`; a clean end re-watches from the last RV (bookmarks advance
 *   it), not a relist; RVs are opaque and never compared except for equality;
 * - 410 Gone, as an HTTP answer or as an ERROR event with `code: 410` inside a 200 stream, keeps
 *   the copy as it is (the last set goes on being served), relists, replaces, re-watches;
 * - a watchdog aborts a stream that sends no byte for the inactivity limit (half-open
 *   connections reveal no error) or outlives its own timeout;
 * - any other failure backs off with jitter, honouring `Retry-After`; 401 re-reads the token;
 *   403 is logged loudly; it never gives up. DELETED means gone, whatever state it carries.
 * Changes are reported once per chunk, so a burst of events (or one 10,000-endpoint update)
 * costs one recomputation downstream.
 */
import { ApiStatusError, apiStatusError, type K8sApiClient } from './api-client.js';
import { type K8sObject, type ObjectList, objectKey, type Status } from './k8s-objects.js';
import { WatchLineParser, WatchStreamError } from './watch-stream.js';
import { backoffMs, type WatchTiming, watchTimeoutSeconds } from './watch-timing.js';

/** The part of a pino logger the namer uses; the namers layer does not depend on telemetry. */
export interface K8sLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: K8sLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface ReflectorOptions {
  readonly client: K8sApiClient;
  /** The collection, e.g. `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices`. */
  readonly path: string;
  /** `labelSelector`, `fieldSelector`. */
  readonly selectors: Readonly<Record<string, string>>;
  readonly timing: WatchTiming;
  readonly log: K8sLogger;
  readonly random?: () => number;
  /** After every list, and after every chunk of events that changed something. */
  readonly onChange: (objects: ReadonlyMap<string, K8sObject>) => void;
  /** The list answered 404: this API does not serve the resource. The reflector stops. */
  readonly onNotServed?: () => void;
}

/** A stream shorter than this that delivered nothing is no sign of health, so it does not reset the backoff. */
const HEALTHY_STREAM_MS = 1000;

export class Reflector {
  readonly #o: ReflectorOptions;
  readonly #objects = new Map<string, K8sObject>();
  #rv: string | undefined;
  #listed = false;
  #stopped = false;
  #abort: AbortController | undefined;
  #wake: (() => void) | undefined;
  #notify: NodeJS.Immediate | undefined;
  /** Counters for tests and metrics: how often this reflector listed and watched. */
  readonly stats = { lists: 0, watches: 0, failures: 0 };

  constructor(options: ReflectorOptions) {
    this.#o = options;
  }

  /** True once the first list has been applied. */
  get synced(): boolean {
    return this.#listed;
  }

  get objects(): ReadonlyMap<string, K8sObject> {
    return this.#objects;
  }

  start(): void {
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    clearImmediate(this.#notify);
    this.#abort?.abort(new Error('stopped'));
    this.#wake?.();
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stopped) {
      let delay = 0;
      try {
        if (this.#rv === undefined) await this.#list();
        const { expired, healthy } = await this.#watch();
        if (healthy) attempt = 0;
        // A clean end is the server's timeout: go straight back, unless it keeps ending at once.
        if (!healthy) delay = backoffMs(this.#o.timing, attempt++, this.#o.random);
        if (expired) this.#expire('ERROR event 410 in the watch stream');
      } catch (e) {
        if (this.#stopped) break;
        this.stats.failures++;
        delay = this.#failed(e, attempt++);
        if (delay < 0) return;
      }
      if (delay > 0 && !this.#stopped) await this.#sleep(delay);
    }
  }

  /** What a failure means for the loop: the delay before trying again, or -1 to stop. */
  #failed(e: unknown, attempt: number): number {
    const { timing, log, path } = this.#o;
    const backoff = backoffMs(timing, attempt, this.#o.random);
    if (!(e instanceof ApiStatusError)) {
      log.warn({ path, err: (e as Error).message, retryInMs: Math.round(backoff) }, 'kubernetes watch broke');
      return backoff;
    }
    if (e.status === 410) {
      this.#expire(`HTTP 410: ${e.detail}`);
      // The first relist is immediate; a server that keeps saying 410 gets the backoff.
      return attempt === 0 ? 0 : backoff;
    }
    if (e.status === 404 && this.#rv === undefined && this.#o.onNotServed) {
      log.info({ path }, 'kubernetes API does not serve this resource');
      this.#stopped = true;
      this.#o.onNotServed();
      return -1;
    }
    if (e.retryAfterMs !== undefined) {
      const wait = Math.min(timing.maxRetryAfterMs, e.retryAfterMs);
      log.warn({ path, status: e.status, retryInMs: wait }, `kubernetes API said retry later: ${e.message}`);
      return Math.max(wait, 1);
    }
    const fields = { path, status: e.status, retryInMs: Math.round(backoff) };
    // RBAC is an operator's problem that no retry fixes; say so at error level every time.
    if (e.status === 403) log.error(fields, `kubernetes API forbids this (check RBAC, k8s/rbac.yaml): ${e.message}`);
    else log.warn(fields, e.message);
    return backoff;
  }

  /** Forget the RV so the next turn relists; the objects stay, so the last set keeps being served. */
  #expire(why: string): void {
    this.#o.log.info({ path: this.#o.path, resourceVersion: this.#rv }, `kubernetes watch expired (${why}); relisting`);
    this.#rv = undefined;
  }

  async #list(): Promise<void> {
    const abort = this.#newAbort();
    const timer = setTimeout(() => abort.abort(new Error('list timed out')), this.#o.timing.inactivityMs);
    try {
      this.stats.lists++;
      const list = (await this.#o.client.get(this.#o.path, this.#o.selectors, abort.signal)) as ObjectList;
      // Replace, not merge: objects deleted while the watch was broken must go too.
      this.#objects.clear();
      for (const item of list.items ?? []) {
        const key = objectKey(item);
        if (key !== undefined) this.#objects.set(key, item);
      }
      this.#rv = list.metadata?.resourceVersion ?? '';
      this.#listed = true;
      this.#o.onChange(this.#objects);
    } finally {
      clearTimeout(timer);
    }
  }

  async #watch(): Promise<{ expired: boolean; healthy: boolean }> {
    const { timing, client, path, selectors } = this.#o;
    const abort = this.#newAbort();
    const seconds = watchTimeoutSeconds(timing, this.#o.random);
    const query: Record<string, string> = {
      ...selectors,
      watch: '1',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(seconds),
    };
    if (this.#rv) query.resourceVersion = this.#rv;
    let why: string | undefined;
    let silence: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(silence);
      silence = setTimeout(() => {
        why = `no byte for ${timing.inactivityMs} ms (watchdog)`;
        abort.abort(new Error(why));
      }, timing.inactivityMs);
    };
    const deadline = setTimeout(
      () => {
        why = `still open ${timing.deadlineSlackMs} ms after its timeoutSeconds=${seconds}`;
        abort.abort(new Error(why));
      },
      seconds * 1000 + timing.deadlineSlackMs,
    );
    const started = Date.now();
    let delivered = false;
    const healthy = () => delivered || Date.now() - started >= HEALTHY_STREAM_MS;
    let body: { destroy(): void } | undefined;
    try {
      arm();
      this.stats.watches++;
      const stream = await client.stream(path, query, abort.signal);
      body = stream;
      const parser = new WatchLineParser();
      for await (const chunk of stream) {
        arm();
        const events = parser.push(chunk);
        let changed = false;
        for (const { type, object } of events) {
          if (type === 'ERROR') {
            if (changed) this.#changed();
            const status = object as Status;
            // Healthy only if something came before it: a server that expires every fresh
            // watch at once must meet the backoff, not a storm of relists.
            if (status.code === 410) return { expired: true, healthy: healthy() };
            throw apiStatusError(
              `the watch stream of ${path}`,
              status.code ?? 500,
              status.reason ?? '',
              status.message ?? '',
            );
          }
          const rv = object.metadata?.resourceVersion;
          if (type !== 'BOOKMARK') {
            const key = objectKey(object);
            if (key !== undefined) {
              if (type === 'DELETED') this.#objects.delete(key);
              else this.#objects.set(key, object);
              changed = true;
            }
          }
          if (rv) this.#rv = rv;
          delivered = true;
        }
        if (changed) this.#changed();
      }
      if (parser.partial) throw new WatchStreamError('the watch stream ended in the middle of an event');
      return { expired: false, healthy: healthy() };
    } catch (e) {
      if (why !== undefined && !this.#stopped) throw new WatchStreamError(why);
      throw e;
    } finally {
      clearTimeout(silence);
      clearTimeout(deadline);
      body?.destroy();
    }
  }

  /**
   * Reports a change once the chunks already received have all been applied: a burst (a rollout
   * rewriting 100 slices arrives as dozens of chunks) costs one recomputation downstream, not one
   * per chunk. setImmediate runs after the pending I/O callbacks, which is where those chunks are.
   */
  #changed(): void {
    if (this.#notify !== undefined) return;
    this.#notify = setImmediate(() => {
      this.#notify = undefined;
      if (!this.#stopped) this.#o.onChange(this.#objects);
    });
  }

  #newAbort(): AbortController {
    const abort = new AbortController();
    this.#abort = abort;
    if (this.#stopped) abort.abort(new Error('stopped'));
    return abort;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
