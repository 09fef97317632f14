/**
 * One of namerd's name streams (`/api/1/bind|addr/<ns>?…&watch=true`), kept open for as long as
 * someone needs it: each JSON document is handed over as it arrives; the stream ending, a
 * connection error, a non-200 answer, or no byte at all for the heartbeat timeout (namerd sends a
 * newline every heartbeat period; a half-open connection reveals itself no other way) reconnects
 * with jittered exponential backoff, and the first document after a reconnect is the current state.
 * A line that is not JSON is namerd's failure message (it ends the stream after it).
 */
import { type Agent, request } from 'undici';
import { readLines } from '../../namerd-protocol/line-reader.js';

export interface WatchHooks {
  /** A document: the current state at first, then each change. */
  doc(json: unknown): void;
  /** namerd's plain-text failure for this name. */
  failure(message: string): void;
  /** The stream is down (`first`: it was up until now). */
  down(error: Error, first: boolean): void;
  /** The first document after the stream was down. */
  up(): void;
}

export interface WatchTiming {
  /** No byte for this long: the connection is presumed dead (default 30 s, 3 × namerd's heartbeat). */
  readonly heartbeatTimeoutMs: number;
  /** Reconnect delays double from minMs up to maxMs, each jittered down by up to half. */
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
}

export const DEFAULT_WATCH_TIMING: WatchTiming = {
  heartbeatTimeoutMs: 30_000,
  backoffMinMs: 100,
  backoffMaxMs: 10_000,
};

export class NamerdWatch {
  #closed = false;
  #abort: AbortController | undefined;
  #wake: (() => void) | undefined;
  #down = false;
  readonly #loop: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly agent: Agent,
    private readonly hooks: WatchHooks,
    private readonly timing: WatchTiming,
  ) {
    this.#loop = this.#run();
  }

  get isDown(): boolean {
    return this.#down;
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#abort?.abort(new Error('closed'));
    this.#wake?.();
    return this.#loop;
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#closed) {
      const synced = await this.#once();
      if (this.#closed) break;
      if (synced) attempt = 0;
      const ceiling = Math.min(this.timing.backoffMaxMs, this.timing.backoffMinMs * 2 ** Math.min(attempt++, 30));
      await this.#sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
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

  /** One connection; true if it delivered a document. */
  async #once(): Promise<boolean> {
    const abort = new AbortController();
    this.#abort = abort;
    let silent = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent = true;
        abort.abort(new Error('heartbeat timeout'));
      }, this.timing.heartbeatTimeoutMs);
      timer.unref();
    };
    let synced = false;
    let body: { destroy(): unknown } | undefined;
    try {
      arm();
      const res = await request(this.url, { dispatcher: this.agent, signal: abort.signal });
      body = res.body;
      if (res.statusCode !== 200) {
        const text = (await res.body.text()).trim().slice(0, 300);
        throw new Error(`namerd answered ${res.statusCode}${text === '' ? '' : `: ${text}`}`);
      }
      async function* arming(chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          arm();
          yield chunk;
        }
      }
      for await (const line of readLines(arming(res.body))) {
        let json: unknown;
        try {
          json = JSON.parse(line);
        } catch {
          this.hooks.failure(line.slice(0, 1000));
          continue;
        }
        if (this.#down) {
          this.#down = false;
          this.hooks.up();
        }
        synced = true;
        this.hooks.doc(json);
      }
      throw new Error('namerd ended the stream');
    } catch (e) {
      if (!this.#closed) {
        const error = silent ? new Error(`no byte from namerd for ${this.timing.heartbeatTimeoutMs} ms`) : (e as Error);
        const first = !this.#down;
        this.#down = true;
        this.hooks.down(error, first);
      }
    } finally {
      clearTimeout(timer);
      body?.destroy();
    }
    return synced;
  }
}
