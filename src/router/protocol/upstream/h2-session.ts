/**
 * One h2c connection to an endpoint and what the pool needs to know about it: whether it takes
 * new streams, how many it carries, and what the peer said when it went away. A session is
 * ready only once the peer's SETTINGS arrived (the server half of the connection preface), so
 * its `maxConcurrentStreams` is known before any stream is counted against it.
 */
import { type ClientHttp2Session, type ClientHttp2Stream, connect, type OutgoingHttpHeaders } from 'node:http2';
import { connect as connectTcp, type Socket } from 'node:net';
import { createError } from '../../../errors.js';

export interface H2SessionLimits {
  readonly connectTimeoutMs: number;
  readonly idleMs: number;
  /** Our own ceiling on streams per session; the peer's SETTINGS may lower it further. */
  readonly maxStreamsPerSession: number;
  /**
   * SETTINGS_INITIAL_WINDOW_SIZE we announce: what one paused stream may have in flight to us.
   * node hands the connection-level window back as soon as bytes arrive, so this per-stream
   * window is the only bound, and one paused stream never stalls the others on its session.
   */
  readonly streamWindow: number;
}

export interface H2SessionEvents {
  /** The peer's SETTINGS arrived: streams may be opened. */
  onReady(session: H2Session): void;
  /** It takes no new streams any more (GOAWAY, idle close, our close); open ones go on. */
  onRetired(session: H2Session): void;
  /** A stream on it closed: a slot is free. */
  onStreamClosed(session: H2Session): void;
  /** The connection is gone; `error` is why, when it did not end cleanly. */
  onClosed(session: H2Session, error: Error | undefined, wasReady: boolean): void;
}

/**
 * How long a connection with no streams left may wait for the peer to close its side after
 * ours has gone away, before the socket is cut (a peer that sent GOAWAY and holds the TCP
 * connection would otherwise keep it, and `close()`, waiting forever).
 */
const lingerMs = 1_000;

/** node copies the options it is given, so two shared objects do for every request. */
const END_STREAM = Object.freeze({ endStream: true });
const MORE_TO_COME = Object.freeze({ endStream: false });

export type H2SessionState = 'connecting' | 'ready' | 'retired' | 'closed';

export class H2Session {
  state: H2SessionState = 'connecting';
  /** Streams opened on it and not yet closed. */
  active = 0;
  /** From the peer's GOAWAY: streams above it were not processed. */
  goawayLastStreamId: number | undefined;
  private peerMaxStreams = 0;
  private everReady = false;
  private error: Error | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly session: ClientHttp2Session;
  /** Our own handle on the TCP socket: node's session hides it once destroyed. */
  private readonly socket: Socket;
  private readonly closedPromise: Promise<void>;

  constructor(
    readonly origin: string,
    private readonly limits: H2SessionLimits,
    private readonly events: H2SessionEvents,
  ) {
    const { hostname, port } = new URL(origin);
    this.socket = connectTcp({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
    this.session = connect(origin, {
      settings: { enablePush: false, initialWindowSize: limits.streamWindow },
      createConnection: () => this.socket,
    });
    const session = this.session;
    this.connectTimer = setTimeout(() => {
      session.destroy(
        createError('SY_ERR_UPSTREAM_CONNECT', [origin, `no h2 SETTINGS within ${limits.connectTimeoutMs} ms`]),
      );
    }, limits.connectTimeoutMs);
    session.on('remoteSettings', (settings) => {
      this.peerMaxStreams = settings.maxConcurrentStreams ?? Number.POSITIVE_INFINITY;
      if (this.state !== 'connecting') {
        // A raised limit frees slots for queued requests.
        this.events.onStreamClosed(this);
        return;
      }
      clearTimeout(this.connectTimer);
      this.state = 'ready';
      this.everReady = true;
      this.armIdle();
      this.events.onReady(this);
    });
    session.on('goaway', (_code: number, lastStreamId: number) => {
      this.goawayLastStreamId = lastStreamId;
      this.retire();
    });
    session.on('error', (error: Error) => {
      this.error ??= error;
    });
    this.closedPromise = new Promise((resolve) => {
      session.once('close', () => {
        clearTimeout(this.connectTimer);
        clearTimeout(this.idleTimer);
        this.state = 'closed';
        this.events.onClosed(this, this.error, this.everReady);
        resolve();
      });
    });
  }

  /** How many streams it may carry at once. */
  get capacity(): number {
    return Math.min(this.peerMaxStreams, this.limits.maxStreamsPerSession);
  }

  get hasRoom(): boolean {
    return this.state === 'ready' && this.active < this.capacity;
  }

  /**
   * Opens a stream; throws what node throws (the caller tells a session problem from a bad
   * request). Its owner calls `streamClosed` once when the stream closes: one 'close' listener
   * per stream, not two.
   */
  open(headers: OutgoingHttpHeaders, endStream: boolean): ClientHttp2Stream {
    const stream = this.session.request(headers, endStream ? END_STREAM : MORE_TO_COME);
    this.active++;
    clearTimeout(this.idleTimer);
    return stream;
  }

  /** A stream `open` returned has closed (its owner calls this once, from the stream's 'close'). */
  streamClosed(): void {
    this.active--;
    if (this.active === 0) this.armIdle();
    this.lingerIfDone();
    this.events.onStreamClosed(this);
  }

  /** Socket bytes read so far (how much the peer got to send us). */
  get bytesRead(): number {
    return this.session.socket?.bytesRead ?? 0;
  }

  /** Takes no new streams; the connection closes once the open streams are done. */
  retire(): void {
    if (this.state === 'connecting' || this.state === 'ready') {
      this.state = 'retired';
      clearTimeout(this.idleTimer);
      this.events.onRetired(this);
    }
    if (!this.session.closed && !this.session.destroyed) this.session.close();
    this.lingerIfDone();
  }

  /** Lets open streams finish, then closes; resolves when the connection is gone. */
  close(): Promise<void> {
    this.retire();
    return this.closedPromise;
  }

  /** Cuts the connection and every stream on it. */
  destroy(error?: Error): Promise<void> {
    if (this.state === 'connecting' || this.state === 'ready') {
      this.state = 'retired';
      this.events.onRetired(this);
    }
    this.session.destroy(error);
    this.socket.destroy();
    return this.closedPromise;
  }

  private lingerIfDone(): void {
    if (this.state !== 'retired' || this.active > 0) return;
    setTimeout(() => this.socket.destroy(), lingerMs).unref();
  }

  private armIdle(): void {
    if (this.state !== 'ready') return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.retire(), this.limits.idleMs);
    this.idleTimer.unref();
  }
}
