/**
 * One watch stream of the fake API server, as kube-apiserver serves it
 * (docs/k8s-namer.md#the-watch-stream): 200 with headers flushed before any event, then
 * `{"type","object"}` lines. With no RV (or "0") it starts with a synthetic ADDED per matching
 * object; from an RV it replays the log after it, or, if the RV is below the compaction floor,
 * sends one `ERROR` line with Status code 410 and ends. Selector transitions become ADDED/DELETED.
 * Bookmarks carry only the RV; the stream ends cleanly at its timeoutSeconds with no final event.
 * Faults: write a byte at a time or pack many events into one chunk, stall without FIN, drop the
 * connection in the middle of a line, inject a 410 into the open stream.
 */
import type { ServerResponse } from 'node:http';
import type { Json, ObjectStore, StoredEvent } from './object-store.js';
import { metaOf } from './object-store.js';
import { apiVersionOf, type Resource } from './resources.js';
import type { Matcher } from './selectors.js';

export type WriteMode = 'normal' | 'byte' | 'packed';

export interface WatchSettings {
  /** How often bookmarks go out when asked for; null: never (a server may send none). */
  bookmarkPeriodMs: number | null;
  /** A bookmark this long before the deadline, as the watch cache sends one ~2 s before; null: none. */
  bookmarkBeforeDeadlineMs: number | null;
  /** When the client gives no timeoutSeconds (production: 1800–3600 s). */
  defaultTimeoutSeconds: number;
  writeMode: WriteMode;
  /** `Expired` as the watch cache says it, or `Gone` as older servers did; clients must read the code. */
  expiredReason: 'Expired' | 'Gone';
}

export interface WatchRequest {
  readonly resource: Resource;
  readonly namespace: string | undefined;
  readonly matches: Matcher;
  /** null or 0: start with the current state. */
  readonly rv: number | null;
  readonly bookmarks: boolean;
  readonly timeoutSeconds: number | null;
}

export class WatchSession {
  readonly #res: ServerResponse;
  readonly #store: ObjectStore;
  readonly #req: WatchRequest;
  readonly #settings: WatchSettings;
  readonly #timers: NodeJS.Timeout[] = [];
  #unsubscribe: (() => void) | undefined;
  #queue: Buffer[] = [];
  #pumping = false;
  #stalled = false;
  #ending = false;
  #closed = false;
  /** Lines sent so far (tests assert on them). */
  readonly sent: string[] = [];

  constructor(
    res: ServerResponse,
    store: ObjectStore,
    req: WatchRequest,
    settings: WatchSettings,
    onClose: () => void,
  ) {
    this.#res = res;
    this.#store = store;
    this.#req = req;
    this.#settings = { ...settings };
    res.on('close', () => {
      this.#cleanup();
      onClose();
    });
  }

  start(): void {
    this.#res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    this.#res.flushHeaders();
    const { rv, resource } = this.#req;
    if (rv !== null && rv !== 0 && rv < this.#store.floor) {
      this.expire();
      return;
    }
    if (rv === null || rv === 0) {
      for (const o of this.#store.list(resource.name, this.#req.namespace))
        if (this.#req.matches(o)) this.#send('ADDED', o);
    } else {
      for (const e of this.#store.eventsAfter(resource.name, rv)) this.#event(e);
    }
    this.#unsubscribe = this.#store.subscribe((e) => {
      if (e.resource === resource.name) this.#event(e);
    });
    const seconds = this.#req.timeoutSeconds ?? this.#settings.defaultTimeoutSeconds;
    this.#timers.push(setTimeout(() => this.end(), seconds * 1000));
    const { bookmarkPeriodMs, bookmarkBeforeDeadlineMs } = this.#settings;
    if (this.#req.bookmarks && bookmarkPeriodMs !== null)
      this.#timers.push(setInterval(() => this.bookmark(), bookmarkPeriodMs));
    if (this.#req.bookmarks && bookmarkBeforeDeadlineMs !== null && seconds * 1000 > bookmarkBeforeDeadlineMs)
      this.#timers.push(setTimeout(() => this.bookmark(), seconds * 1000 - bookmarkBeforeDeadlineMs));
  }

  /** A BOOKMARK at the current RV: every event up to it has been sent to this watch. */
  bookmark(): void {
    if (!this.#req.bookmarks) return;
    const r = this.#req.resource;
    this.#line({
      type: 'BOOKMARK',
      object: { kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(this.#store.rv) } },
    });
  }

  /** The "too old resource version" ERROR event, then the end of the stream. */
  expire(): void {
    this.#line({
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${this.#req.rv ?? 0} (${this.#store.floor})`,
        reason: this.#settings.expiredReason,
        code: 410,
      },
    });
    this.end();
  }

  /** Any other ERROR event (e.g. 500), then the end. */
  error(code: number, reason: string, message: string): void {
    this.#line({
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
    });
    this.end();
  }

  /** The clean end of a watch: the chunked terminator and no final event. */
  end(): void {
    this.#ending = true;
    this.#pump();
  }

  /** Stops writing and never ends: a half-open connection, as a dead NAT or node leaves it. */
  stall(): void {
    this.#stalled = true;
  }

  /** Destroys the socket, optionally after half of an event line. */
  drop(midLine: boolean): void {
    if (this.#closed) return;
    if (midLine) {
      const line = `${JSON.stringify({ type: 'MODIFIED', object: { kind: this.#req.resource.kind, metadata: { name: 'x' } } })}\n`;
      this.#res.write(line.slice(0, Math.floor(line.length / 2)));
    }
    setImmediate(() => this.#res.socket?.destroy());
  }

  setWriteMode(mode: WriteMode): void {
    this.#settings.writeMode = mode;
  }

  #event(e: StoredEvent): void {
    const { matches, namespace } = this.#req;
    if (namespace !== undefined && metaOf(e.object).namespace !== namespace) return;
    const now = matches(e.object);
    if (e.type !== 'MODIFIED') {
      if (now) this.#send(e.type, e.object);
      return;
    }
    const before = e.previous !== undefined && matches(e.previous);
    if (now) this.#send(before ? 'MODIFIED' : 'ADDED', e.object);
    // Leaving the selector is a deletion for this watch: the old state, stamped with the new RV.
    else if (before)
      this.#send('DELETED', { ...e.previous!, metadata: { ...metaOf(e.previous!), resourceVersion: String(e.rv) } });
  }

  #send(type: string, object: Json): void {
    const r = this.#req.resource;
    this.#line({ type, object: { kind: r.kind, apiVersion: apiVersionOf(r), ...object } });
  }

  #line(event: unknown): void {
    if (this.#ending || this.#closed) return;
    const text = JSON.stringify(event);
    this.sent.push(text);
    this.#queue.push(Buffer.from(`${text}\n`));
    this.#pump();
  }

  /** Writes the queue in the current mode; ends the response once it is empty and an end was asked for. */
  #pump(): void {
    if (this.#pumping || this.#closed) return;
    this.#pumping = true;
    const step = () => {
      if (this.#closed || this.#stalled) return void (this.#pumping = false);
      const mode = this.#settings.writeMode;
      if (this.#queue.length > 0) {
        if (mode === 'byte') {
          const head = this.#queue[0]!;
          this.#res.write(head.subarray(0, 1));
          if (head.length > 1) this.#queue[0] = head.subarray(1);
          else this.#queue.shift();
          setImmediate(step);
          return;
        }
        // Packed: everything queued in one chunk. Normal: one chunk per event.
        const out = mode === 'packed' ? Buffer.concat(this.#queue.splice(0)) : this.#queue.shift()!;
        this.#res.write(out);
        if (mode === 'packed') return void setImmediate(step);
      }
      if (this.#queue.length > 0) return void setImmediate(step);
      this.#pumping = false;
      if (this.#ending) this.#res.end();
    };
    // Packed mode waits a turn so that events raised together share a chunk.
    if (this.#settings.writeMode === 'packed') setImmediate(step);
    else step();
  }

  #cleanup(): void {
    this.#closed = true;
    this.#unsubscribe?.();
    for (const t of this.#timers) clearTimeout(t);
  }
}
