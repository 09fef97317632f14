/**
 * Streaming an Activity as a chunked HTTP response (docs/namerd-api.md#watching): the current value at
 * once, then one document per change; a failure writes its message and ends the stream; the
 * client going away closes the observation. Optional heartbeat lines let both ends notice a dead
 * connection that no change would reveal (namerd's silent watch stalls, linkerd#2249). Every
 * open stream is registered so a shutting-down namerd can end them instead of hanging on them.
 *
 * A client that stops reading must not make namerd hold what it cannot send: before each write
 * the stream looks at the bytes still unsent, and past the high-water mark it cuts the client
 * off (the connection is destroyed, freeing them). Watchers reconnect and start from the current
 * state, so a cut-off client loses nothing but the backlog it could not take. Chunks are rendered
 * once per value and shared (`renderOnce`), so a change costs one copy, not one per watcher.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Activity } from '../naming/activity.js';

type Chunk = string | Buffer | null;

export interface StreamOptions<T> {
  readonly contentType: string;
  /**
   * The chunk for a value, or null to write nothing for it (namerd skips deletions, say). A
   * rendering may take time (a bound tree waits for its addresses): chunks still go out in order,
   * and values that arrive meanwhile are coalesced into the newest, so a slow rendering holds one
   * value, never a queue.
   */
  readonly render: (value: T) => Chunk | Promise<Chunk>;
  /** Skip a chunk identical to the one before it (namerd dedups its name streams). */
  readonly dedup?: boolean;
  /** What to write before ending the stream when the activity fails. */
  readonly renderFailure: (error: Error) => string;
  readonly heartbeat?: { readonly everyMs: number; readonly line: () => string };
  /** Unsent bytes beyond which the client is cut off. */
  readonly highWaterBytes: number;
}

/**
 * Renders each value once, whichever stream asks first, and hands every stream the same Buffer:
 * 100 watchers of a 1 MB dtab share one copy. Values are the store's objects, shared by all
 * observers of a change; the cache forgets them with the value.
 */
export function renderOnce<V extends object>(render: (value: V) => string): (value: V) => Buffer {
  const cache = new WeakMap<V, Buffer>();
  return (value) => {
    let chunk = cache.get(value);
    if (chunk === undefined) {
      chunk = Buffer.from(render(value));
      cache.set(value, chunk);
    }
    return chunk;
  };
}

/** One dtab watch as namerd's admin page lists it (/admin/watchers.json). */
export interface WatcherInfo {
  readonly namespace: string;
  readonly remote: string;
  /** The client's User-Agent; switchyard routers send `switchyard-router/<label> admin=<url>`. */
  readonly userAgent: string;
  readonly since: string;
  /** The version (ETag) and number of the last dtab sent; null before any, or after a deletion. */
  version: string | null;
  number: number | null;
}

/** The dtab watches open right now, for the admin page; entries go with their streams. */
export class Watchers {
  readonly #all = new Set<WatcherInfo>();

  add(info: WatcherInfo): () => void {
    this.#all.add(info);
    return () => this.#all.delete(info);
  }

  list(): WatcherInfo[] {
    return [...this.#all].map((w) => ({ ...w }));
  }
}

export class OpenStreams {
  readonly #ends = new Set<() => void>();
  readonly watchers = new Watchers();

  add(end: () => void): () => void {
    this.#ends.add(end);
    return () => this.#ends.delete(end);
  }

  get size(): number {
    return this.#ends.size;
  }

  /** Ends every stream (server shutdown). */
  endAll(): void {
    for (const end of [...this.#ends]) end();
  }
}

export function streamActivity<T>(
  reply: FastifyReply,
  activity: Activity<T>,
  options: StreamOptions<T>,
  open: OpenStreams,
): void {
  reply.hijack();
  const res: ServerResponse = reply.raw;
  res.writeHead(200, {
    'content-type': options.contentType,
    'cache-control': 'no-store',
    // Proxies such as nginx must not buffer a stream of changes.
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  let ended = false;
  let subscription: { close(): void } | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const end = () => {
    if (ended) return;
    ended = true;
    subscription?.close();
    if (heartbeat) clearInterval(heartbeat);
    unregister();
    res.end();
  };
  const unregister = open.add(end);
  res.on('close', end);
  const write = (chunk: string | Buffer) => {
    const unsent = res.writableLength;
    if (unsent > options.highWaterBytes) {
      reply.log.warn(
        { unsentBytes: unsent, highWaterBytes: options.highWaterBytes },
        'watch client cut off: it is not reading (it resyncs when it reconnects)',
      );
      end();
      // end() would queue behind what the client never takes; destroying frees it now.
      res.destroy();
      return;
    }
    res.write(chunk);
  };
  if (options.heartbeat) {
    const { everyMs, line } = options.heartbeat;
    heartbeat = setInterval(() => write(line()), everyMs).unref();
  }
  let last: Chunk = null;
  const emit = (chunk: Chunk) => {
    if (ended || chunk === null) return;
    if (options.dedup && last !== null && sameChunk(chunk, last)) return;
    last = chunk;
    write(chunk);
  };
  let rendering = false;
  let queued: { value: T } | undefined;
  const deliver = (value: T) => {
    if (rendering) {
      queued = { value };
      return;
    }
    const out = options.render(value);
    if (!(out instanceof Promise)) return emit(out);
    rendering = true;
    out
      .then(emit, (e: Error) => emit(options.renderFailure(e)))
      .finally(() => {
        rendering = false;
        const next = queued;
        queued = undefined;
        if (next !== undefined && !ended) deliver(next.value);
      });
  };
  subscription = activity.run.observe((state) => {
    if (ended || state.status === 'pending') return;
    if (state.status === 'failed') {
      write(options.renderFailure(state.error));
      // The observer may run before `subscription` is assigned; end once observe() has returned.
      queueMicrotask(end);
      return;
    }
    deliver(state.value);
  });
  if (ended) subscription.close();
}

function sameChunk(a: string | Buffer, b: string | Buffer): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}
