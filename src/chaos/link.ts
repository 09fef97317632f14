/**
 * One proxied connection: the client's socket and the upstream's, data pumped each way through
 * the toxics of that stream (`upstream` is client → server, `downstream` server → client). A pump
 * reads one chunk, passes it through the toxics, writes it and waits for the writer to drain
 * before reading the next, so a slow toxic holds the sender back through TCP instead of queueing
 * in memory. Every wait listens to one AbortController and every timer is kept in a map: closing
 * the connection cancels them all.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Counter } from '../telemetry/counter.js';
import type { Stream, Toxic } from './toxics.js';

export interface LinkHost {
  /** The proxy's toxics of a stream, current at each chunk: toxics added later apply at once. */
  toxics(stream: Stream): readonly Toxic[];
  readonly bytes: Readonly<Record<Stream, Counter>>;
  closed(link: Link): void;
}

/** Toxics that act on the connection by time rather than on the data. */
const TIMER_TYPES = new Set(['timeout', 'reset_peer']);

export class Link {
  readonly #abort = new AbortController();
  /** Each toxic's toxicity is rolled once per connection, as Toxiproxy does. */
  readonly #rolls = new WeakMap<Toxic, boolean>();
  readonly #timers = new Map<Toxic, NodeJS.Timeout>();
  readonly #limitSeen = new WeakMap<Toxic, number>();
  #ended = 0;
  #closed = false;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    readonly host: LinkHost,
  ) {
    for (const s of [client, upstream]) {
      s.on('error', () => this.close());
      // A clean close is the pumps' to finish (a slow_close may still be waiting); a broken one ends all.
      s.on('close', (hadError: boolean) => hadError && this.close());
    }
    this.refresh();
    void this.#pump(client, upstream, 'upstream');
    void this.#pump(upstream, client, 'downstream');
  }

  #active(t: Toxic): boolean {
    let roll = this.#rolls.get(t);
    if (roll === undefined) {
      roll = Math.random() < t.toxicity;
      this.#rolls.set(t, roll);
    }
    return roll;
  }

  /** Starts the timers of timer toxics added since, clears those removed; `changed` restarts one. */
  refresh(changed?: Toxic): void {
    if (this.#closed) return;
    if (changed !== undefined) {
      clearTimeout(this.#timers.get(changed));
      this.#timers.delete(changed);
    }
    const current = new Set([...this.host.toxics('upstream'), ...this.host.toxics('downstream')]);
    for (const [t, timer] of this.#timers) {
      if (!current.has(t)) {
        clearTimeout(timer);
        this.#timers.delete(t);
      }
    }
    for (const t of current) {
      if (!TIMER_TYPES.has(t.type) || this.#timers.has(t) || !this.#active(t)) continue;
      const ms = t.attributes.timeout as number;
      // A timeout of 0 holds the data until the toxic is removed; a reset_peer of 0 resets now.
      if (t.type === 'timeout' && ms === 0) continue;
      const fire = t.type === 'timeout' ? () => this.close() : () => this.reset();
      this.#timers.set(t, setTimeout(fire, ms));
    }
  }

  /** Whether data of `stream` is being held (dropped) by an active timeout toxic. */
  #held(stream: Stream): boolean {
    return this.host.toxics(stream).some((t) => t.type === 'timeout' && this.#active(t));
  }

  async #pump(from: Socket, to: Socket, stream: Stream): Promise<void> {
    const signal = this.#abort.signal;
    try {
      // Not destroyed when its reading ends: the socket may still write the other way (half-close).
      for await (const chunk of from.iterator({ destroyOnReturn: false })) {
        const arrived = performance.now();
        if (await this.#through(chunk as Buffer, arrived, to, stream, signal)) return;
        if (this.#closed) return;
      }
      for (const t of this.host.toxics(stream)) {
        if (t.type === 'slow_close' && this.#active(t))
          await sleep(t.attributes.delay as number, undefined, { signal });
      }
      // Closed only once both sides have flushed: destroying at once could cut the last bytes.
      await endFlushed(to);
      if (++this.#ended === 2) this.close();
    } catch {
      this.close();
    }
  }

  /** Passes one chunk through the stream's toxics; true when the connection is to close. */
  async #through(chunk: Buffer, arrived: number, to: Socket, stream: Stream, signal: AbortSignal): Promise<boolean> {
    let delay = 0;
    let rate = 0;
    let slicer: Record<string, number> | undefined;
    let data = chunk;
    let closeAfter = false;
    for (const t of this.host.toxics(stream)) {
      if (!this.#active(t)) continue;
      // TCP toxics have integer attributes only.
      const a = t.attributes as Record<string, number>;
      switch (t.type) {
        case 'timeout':
          return false; // held: the data goes nowhere until the toxic is removed or the timer closes
        case 'latency':
          delay += a.latency! + (a.jitter! > 0 ? Math.round((Math.random() * 2 - 1) * a.jitter!) : 0);
          break;
        case 'bandwidth':
          if (a.rate! > 0) rate = rate === 0 ? a.rate! : Math.min(rate, a.rate!);
          break;
        case 'slicer':
          if (a.average_size! > 0) slicer = a;
          break;
        case 'limit_data': {
          if (a.bytes! <= 0) break;
          const seen = this.#limitSeen.get(t) ?? 0;
          const left = Math.max(0, a.bytes! - seen);
          if (data.length >= left) {
            data = data.subarray(0, left);
            closeAfter = true;
          }
          this.#limitSeen.set(t, seen + data.length);
          break;
        }
      }
    }
    const wait = arrived + delay - performance.now();
    if (wait > 0) await sleep(wait, undefined, { signal });
    if (this.#held(stream)) return false;
    for (const piece of slices(data, slicer, rate)) {
      // Bandwidth is in KB/s, that is bytes per millisecond: each piece waits its share first.
      if (rate > 0) await sleep(piece.length / rate, undefined, { signal });
      this.host.bytes[stream].inc(piece.length);
      if (!to.write(piece)) await waitDrain(to, signal);
      if (slicer !== undefined && slicer.delay! > 0) await sleep(slicer.delay! / 1000, undefined, { signal });
    }
    if (!closeAfter) return false;
    await endFlushed(to);
    this.close();
    return true;
  }

  /** A TCP reset to the client (and the upstream): "connection reset by peer". */
  reset(): void {
    if (this.#closed) return;
    this.client.resetAndDestroy();
    this.upstream.resetAndDestroy();
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.client.destroy();
    this.upstream.destroy();
    this.host.closed(this);
  }
}

/** Ends the socket and resolves once its data is flushed, or it closed (the peer may have gone). */
function endFlushed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.end(() => resolve());
  });
}

function waitDrain(socket: Socket, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      signal.removeEventListener('abort', abort);
      resolve();
    };
    const abort = () => {
      done();
      reject(new Error('closed'));
    };
    socket.on('drain', done);
    socket.on('close', done);
    signal.addEventListener('abort', abort);
  });
}

/**
 * Toxiproxy's slicer: pieces of average_size ± size_variation bytes; under a bandwidth toxic,
 * pieces of at most 100 ms worth of bytes, so the data trickles rather than arriving in bursts.
 */
function* slices(data: Buffer, slicer: Record<string, number> | undefined, rate: number): Generator<Buffer> {
  if (slicer === undefined && rate === 0) {
    yield data;
    return;
  }
  const cap = rate > 0 ? Math.max(1, rate * 100) : Number.POSITIVE_INFINITY;
  let at = 0;
  while (at < data.length) {
    const variation = slicer?.size_variation ?? 0;
    const wanted = slicer ? slicer.average_size! + Math.round((Math.random() * 2 - 1) * variation) : cap;
    const size = Math.max(1, Math.min(cap, wanted));
    yield data.subarray(at, at + size);
    at += size;
  }
}
