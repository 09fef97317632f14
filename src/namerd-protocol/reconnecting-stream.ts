/**
 * The life of a stream from namerd that must stay open (a dtab watch, a bind or addr watch):
 * connect, read until it ends, fails or goes silent for the heartbeat timeout (namerd sends a line
 * every heartbeat period; a half-open connection shows itself no other way), wait an exponential,
 * capped backoff with "equal jitter" (so a fleet of routers does not reconnect in step), and
 * connect again; a connection that delivered the state starts the backoff over. `close()` ends it
 * at once, mid-connection or mid-wait.
 */

export interface StreamTiming {
  /** No byte for this long: the connection is presumed dead. */
  readonly heartbeatTimeoutMs: number;
  /** Reconnect delays double from minMs up to maxMs, each jittered down by up to half. */
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
}

/** What a connection tells the stream while it reads. */
export interface ConnectionProgress {
  /** A byte or a line arrived: the heartbeat timeout starts over. */
  alive(): void;
  /** The state arrived: this was a working connection, so the next backoff starts over. */
  synced(): void;
}

/** One connection, read through; it ends by throwing why (namerd's streams never end well). */
export type Connection = (signal: AbortSignal, progress: ConnectionProgress) => Promise<never>;

export class ReconnectingStream {
  #closed = false;
  #abort: AbortController | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly timing: StreamTiming,
    private readonly connection: Connection,
    /** Why a connection ended (not called once closed); awaited before the backoff. */
    private readonly ended: (error: Error) => void | Promise<void>,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  start(): void {
    if (this.#loop !== undefined || this.#closed) return;
    this.#loop = this.#run();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#abort?.abort(new Error('closed'));
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#closed) {
      const synced = await this.#once();
      if (this.#closed) break;
      if (synced) attempt = 0;
      await this.#sleep(backoffMs(attempt++, this.timing));
    }
  }

  /** One connection; true if it delivered the state. */
  async #once(): Promise<boolean> {
    const abort = new AbortController();
    this.#abort = abort;
    let silent = false;
    let synced = false;
    let timer: NodeJS.Timeout | undefined;
    // The watchdog covers connecting and waiting for headers too: a peer that accepts and says nothing is dead.
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent = true;
        abort.abort(new Error('heartbeat timeout'));
      }, this.timing.heartbeatTimeoutMs);
      timer.unref();
    };
    try {
      alive();
      await this.connection(abort.signal, {
        alive,
        synced: () => {
          synced = true;
        },
      });
    } catch (e) {
      if (!this.#closed) {
        await this.ended(
          silent
            ? new Error(`no byte from namerd for ${this.timing.heartbeatTimeoutMs} ms (heartbeat timeout)`)
            : (e as Error),
        );
      }
    } finally {
      clearTimeout(timer);
    }
    return synced;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** The `attempt`-th delay: `min·2^attempt` capped at max, then between half of it and all of it. */
export function backoffMs(attempt: number, timing: StreamTiming): number {
  const max = Math.max(timing.backoffMinMs, timing.backoffMaxMs);
  const ceiling = Math.min(max, timing.backoffMinMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
