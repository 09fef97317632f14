/**
 * Names bound by namerd instead of local namers (linkerd's `io.l5d.namerd.http` interpreter,
 * docs/router.md#namerd-as-the-interpreter): a route's name is a bind stream
 * (`/api/1/bind/<ns>?path=<name>&watch=true`, with the request's `l5d-dtab` as `dtab=`), and each
 * bound id's addresses an addr stream (`/api/1/addr/<ns>?path=<id>&watch=true`). namerd holds the
 * dtab and does the namer work (one Kubernetes watch for every router); the router holds only
 * streams, one per name and one per id in use, shared by every route and client that needs them
 * and closed when the last one lets go.
 *
 * namerd going away takes nothing away: every stream keeps its last tree or addresses and
 * reconnects with backoff; the first document after a reconnect is the current state. While any
 * stream is down the router says so (`rt:namerd:streams_down`, a warning when the first goes,
 * an info line when all are back).
 */
import { Agent } from 'undici';
import type { Dtab } from '../../dtab/dtab.js';
import type { Path } from '../../dtab/path.js';
import { createError } from '../../errors.js';
import { Activity, type ActivityState, failed, ok } from '../../naming/activity.js';
import { Addr } from '../../naming/addr.js';
import { Bound } from '../../naming/bound.js';
import { addrFromJson, boundTreeFromJson } from '../../naming/delegate-json.js';
import type { BoundTree } from '../../naming/interpreter.js';
import { Var } from '../../naming/var.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Binder } from '../core/route-cache.js';
import { DEFAULT_WATCH_TIMING, NamerdWatch, type WatchTiming } from './namerd-watch.js';

export interface NamerdInterpreterOptions {
  /** namerd's base URL, `http://host:port` (a path prefix is kept). */
  readonly url: string;
  readonly namespace: string;
  readonly logger: Logger;
  readonly timing?: Partial<WatchTiming>;
}

const PENDING: ActivityState<never> = Object.freeze({ status: 'pending' });

export class NamerdInterpreter implements Binder {
  readonly #base: string;
  readonly #ns: string;
  readonly #log: Logger;
  readonly #timing: WatchTiming;
  // One dispatcher for every stream, so close() tears them all down whatever state they are in.
  readonly #agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, pipelining: 0, connections: null });
  readonly #binds = new Map<string, Activity<BoundTree>>();
  readonly #addrs = new Map<string, Var<Addr>>();
  readonly #watches = new Set<NamerdWatch>();
  #down = 0;
  #downSince: number | undefined;
  #reconnects = 0;

  constructor(options: NamerdInterpreterOptions) {
    this.#base = options.url.endsWith('/') ? options.url : `${options.url}/`;
    this.#ns = encodeURIComponent(options.namespace);
    this.#log = options.logger.child({ namerd: new URL(this.#base).origin, namespace: options.namespace });
    this.#timing = { ...DEFAULT_WATCH_TIMING, ...options.timing };
  }

  /** Streams open, and how many of them are down right now. */
  get streams(): { readonly open: number; readonly down: number; readonly reconnects: number } {
    return { open: this.#watches.size, down: this.#down, reconnects: this.#reconnects };
  }

  /** namerd holds the base dtab; only the request's own dtab is sent along. */
  bind(_base: Dtab, local: Dtab | null, name: Path): Activity<BoundTree> {
    const dtab = local === null || local.isEmpty ? '' : local.show();
    const key = `${dtab}\u0000${name.show()}`;
    let activity = this.#binds.get(key);
    if (activity === undefined) {
      const url = this.#url('bind', name, dtab);
      let last: ActivityState<BoundTree> = PENDING;
      const run = Var.async<ActivityState<BoundTree>>(PENDING, (set) => {
        const apply = (state: ActivityState<BoundTree>) => set((last = state));
        const watch = this.#open(url, {
          doc: (json) => {
            try {
              apply(ok(boundTreeFromJson(json, (id, residual) => new Bound(this.addr(id), id, residual))));
            } catch (e) {
              this.#log.error(
                { name: name.show(), error: (e as Error).message },
                'namerd sent a tree this router cannot read',
              );
              if (last.status === 'pending') apply(failed(e));
            }
          },
          // namerd's own verdict on this name (the bind budget, the depth limit): the route fails with it.
          failure: (message) => apply(failed(new Error(`namerd: ${message}`))),
        });
        return {
          close: () => {
            this.#binds.delete(key);
            this.#close(watch);
          },
        };
      });
      activity = new Activity(run);
      this.#binds.set(key, activity);
    }
    return activity;
  }

  /** The addresses of a bound id, one stream per id however many routes and clients use it. */
  addr(id: Path): Var<Addr> {
    const key = id.show();
    let addr = this.#addrs.get(key);
    if (addr === undefined) {
      const url = this.#url('addr', id, '');
      addr = Var.async<Addr>(Addr.Pending, (set) => {
        const watch = this.#open(url, {
          doc: (json) => {
            try {
              set(addrFromJson(json));
            } catch (e) {
              this.#log.error(
                { id: key, error: (e as Error).message },
                'namerd sent addresses this router cannot read',
              );
            }
          },
          failure: (message) => set(Addr.failed(new Error(`namerd: ${message}`))),
        });
        return {
          close: () => {
            this.#addrs.delete(key);
            this.#close(watch);
          },
        };
      });
      this.#addrs.set(key, addr);
    }
    return addr;
  }

  /** namerd's explanation of a path (`/api/1/delegate`), for the admin delegator. */
  async delegate(path: string, dtab: string | undefined): Promise<unknown> {
    const url = new URL(`api/1/delegate/${this.#ns}`, this.#base);
    url.searchParams.set('path', path);
    if (dtab) url.searchParams.set('dtab', dtab);
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => {
      throw createError('SY_ERR_UPSTREAM_CONNECT', ['namerd', e.message]);
    });
    const text = await res.text();
    if (res.status === 503) throw createError('SY_ERR_TIMEOUT');
    if (res.status !== 200) throw createError('SY_ERR_INVALID_ARGUMENT', [text.trim()]);
    return JSON.parse(text);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#watches].map((w) => w.close()));
    this.#watches.clear();
    await this.#agent.destroy();
  }

  #url(what: 'bind' | 'addr', path: Path, dtab: string): string {
    const url = new URL(`api/1/${what}/${this.#ns}`, this.#base);
    url.searchParams.set('path', path.show());
    url.searchParams.set('watch', 'true');
    if (dtab !== '') url.searchParams.set('dtab', dtab);
    return url.href;
  }

  #open(url: string, hooks: { doc(json: unknown): void; failure(message: string): void }): NamerdWatch {
    const watch: NamerdWatch = new NamerdWatch(
      url,
      this.#agent,
      {
        ...hooks,
        down: (error, first) => {
          if (!first) return;
          if (this.#down++ === 0) {
            this.#downSince = Date.now();
            this.#log.warn(
              { error: error.message },
              'namerd unreachable: routing on the last trees and addresses; reconnecting',
            );
          }
        },
        up: () => {
          this.#reconnects++;
          if (--this.#down === 0 && this.#downSince !== undefined) {
            this.#log.info({ outageMs: Date.now() - this.#downSince }, 'namerd streams resynced');
            this.#downSince = undefined;
          }
        },
      },
      this.#timing,
    );
    this.#watches.add(watch);
    return watch;
  }

  #close(watch: NamerdWatch): void {
    if (!this.#watches.delete(watch)) return;
    if (watch.isDown) this.#down--;
    void watch.close();
  }
}
