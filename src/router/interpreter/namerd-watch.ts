/**
 * One of namerd's name streams (`/api/1/bind|addr/<ns>?…&watch=true`), kept open for as long as
 * someone needs it (namerd-protocol/reconnecting-stream.ts): each JSON document is handed over as
 * it arrives, and the first document after a reconnect is the current state. A line that is not
 * JSON is namerd's failure message (it ends the stream after it).
 */
import { type Agent, request } from 'undici';
import { readLines } from '../../namerd-protocol/line-reader.js';
import {
  type ConnectionProgress,
  ReconnectingStream,
  type StreamTiming,
} from '../../namerd-protocol/reconnecting-stream.js';

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

/** The stream's timing (reconnecting-stream.ts); the heartbeat timeout is 3 × namerd's heartbeat by default. */
export type WatchTiming = StreamTiming;

export const DEFAULT_WATCH_TIMING: WatchTiming = {
  heartbeatTimeoutMs: 30_000,
  backoffMinMs: 100,
  backoffMaxMs: 10_000,
};

export class NamerdWatch {
  #down = false;
  readonly #stream: ReconnectingStream;

  constructor(
    private readonly url: string,
    private readonly agent: Agent,
    private readonly hooks: WatchHooks,
    timing: WatchTiming,
  ) {
    this.#stream = new ReconnectingStream(
      timing,
      (signal, progress) => this.#read(signal, progress),
      (error) => {
        const first = !this.#down;
        this.#down = true;
        this.hooks.down(error, first);
      },
    );
    this.#stream.start();
  }

  get isDown(): boolean {
    return this.#down;
  }

  close(): Promise<void> {
    return this.#stream.close();
  }

  /** One connection: each JSON document handed over; a line that is not JSON is namerd's failure. */
  async #read(signal: AbortSignal, progress: ConnectionProgress): Promise<never> {
    let body: { destroy(): unknown } | undefined;
    try {
      const res = await request(this.url, { dispatcher: this.agent, signal });
      body = res.body;
      if (res.statusCode !== 200) {
        const text = (await res.body.text()).trim().slice(0, 300);
        throw new Error(`namerd answered ${res.statusCode}${text === '' ? '' : `: ${text}`}`);
      }
      async function* arming(chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          progress.alive();
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
        progress.synced();
        this.hooks.doc(json);
      }
      throw new Error('namerd ended the stream');
    } finally {
      body?.destroy();
    }
  }
}
