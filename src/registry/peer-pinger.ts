/**
 * The peer side of the connectivity matrix (docs/connectivity.md#how-it-works), Goldpinger's
 * pinger: every interval a round calls `GET /ping` on the other pods of this peer's label, each
 * call bounded by the timeout, then posts the row to the registry, whose answer lists the
 * label's pods for the next round (so the peer asks the registry once a round, not twice).
 *
 * Bounded: at most `maxPeers` destinations a round (a larger label is covered in turns, the
 * window moving on by `maxPeers` each round); a round starts only when the previous one is over,
 * so there is never more than one call in flight to a destination; addresses the registry would
 * never call (link-local, metadata, unspecified: peer-address.ts's policy) are not called either.
 */
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { AddressPolicy, bareHost } from '../http/address-policy.js';
import type { Logger } from '../telemetry/logger.js';
import type { PingResult } from './connectivity-report.js';
import { MAX_ROW } from './connectivity-report.js';

export interface PingOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Most destinations pinged in one round (at most 64, the registry's row limit). */
  readonly maxPeers?: number;
  /**
   * `host:port` of a router's listener to ping through, as a linkerd user points `http_proxy` at
   * linkerd: each ping goes there with the destination as its Host, so the router's dtab decides
   * where it lands (`/svc => /$/io.buoyant.hostportPfx/inet; /inet => /$/inet`). Unset: direct.
   */
  readonly via?: string;
}

export interface PeerPingerOptions extends PingOptions {
  readonly registryUrl: string;
  readonly label: string;
  /** This peer's registered address: the row's source, never one of its destinations. */
  readonly address: string;
  readonly token?: string | null;
  readonly addresses?: AddressPolicy;
  readonly logger?: Logger;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export class PeerPinger {
  readonly #o: PeerPingerOptions;
  readonly #policy: AddressPolicy;
  readonly #pings: Agent;
  readonly #registry = new Agent({ keepAliveTimeout: 10_000 });
  readonly #max: number;
  #peers: string[] = [];
  #offset = 0;
  #stopped = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: PeerPingerOptions) {
    this.#o = options;
    this.#policy = options.addresses ?? new AddressPolicy();
    this.#max = Math.max(1, Math.min(options.maxPeers ?? MAX_ROW, MAX_ROW));
    this.#pings = new Agent({
      connect: { timeout: options.timeoutMs, lookup: this.#policy.connectLookup },
      keepAliveTimeout: Math.max(4 * options.intervalMs, 10_000),
      // Direct: one connection per destination. Through a router: one origin carries every ping.
      connections: options.via === undefined ? 1 : this.#max,
    });
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const began = performance.now();
      await this.#round().catch((e: Error) => this.#o.logger?.debug({ err: e.message }, 'ping round failed'));
      const pause = Math.max(0, this.#o.intervalMs - (performance.now() - began));
      if (this.#stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** This round's destinations: all of them, or the next window of `maxPeers`. */
  #pick(): string[] {
    const peers = this.#peers;
    if (peers.length <= this.#max) return peers;
    const start = this.#offset % peers.length;
    this.#offset = start + this.#max;
    return Array.from({ length: this.#max }, (_, i) => peers[(start + i) % peers.length]!);
  }

  async #round(): Promise<void> {
    const results = await Promise.all(this.#pick().map((d) => this.ping(d)));
    if (this.#stopped) return;
    const { label, address } = this.#o;
    const res = await request(
      `${this.#o.registryUrl.replace(/\/+$/, '')}/registry/peers/${encodeURIComponent(label)}/${encodeURIComponent(address)}/connectivity`,
      {
        method: 'POST',
        dispatcher: this.#registry,
        signal: AbortSignal.timeout(Math.max(1_000, this.#o.intervalMs)),
        headers: {
          'content-type': 'application/json',
          ...(this.#o.token ? { authorization: `Bearer ${this.#o.token}` } : {}),
        },
        body: JSON.stringify({
          intervalMs: this.#o.intervalMs,
          timeoutMs: this.#o.timeoutMs,
          ...(this.#o.via === undefined ? {} : { via: this.#o.via }),
          results,
        }),
      },
    );
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      // 404 until the agent has registered (or again after the registry forgot us): not worth a warning.
      const log = res.statusCode === 404 ? this.#o.logger?.debug : this.#o.logger?.warn;
      log?.call(this.#o.logger, { status: res.statusCode, answer: text.slice(0, 300) }, 'connectivity report refused');
      return;
    }
    const peers = (JSON.parse(text) as { peers?: unknown }).peers;
    if (Array.isArray(peers)) {
      this.#peers = peers.filter((p): p is string => typeof p === 'string' && p !== address).slice(0, 4096);
    }
  }

  /** One call of `GET http://{destination}/ping`, bounded by the timeout from start to last byte. */
  async ping(destination: string): Promise<PingResult> {
    const began = performance.now();
    const elapsed = () => Math.round((performance.now() - began) * 10) / 10;
    const host = bareHost(destination.slice(0, destination.lastIndexOf(':')));
    const refused = isIP(host) !== 0 ? this.#policy.refusal(host) : null;
    if (refused !== null) {
      return { destination, latencyMs: 0, healthy: false, error: `refused: ${refused}`, status: null };
    }
    try {
      const via = this.#o.via;
      const res = await request(`http://${via ?? destination}/ping`, {
        dispatcher: this.#pings,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
        headers: { 'cache-control': 'no-store', ...(via === undefined ? {} : { host: destination }) },
      });
      // A destination is not trusted to answer small: read at most 64 KiB of it.
      await res.body.dump({ limit: 64 * 1024 });
      const latencyMs = elapsed();
      // A busy event loop may deliver the answer before the timer fires: late is late all the same.
      if (latencyMs > this.#o.timeoutMs) {
        const error = `timeout: no answer within ${this.#o.timeoutMs} ms`;
        return { destination, latencyMs, healthy: false, error, status: res.statusCode };
      }
      if (res.statusCode >= 200 && res.statusCode < 300) {
        return { destination, latencyMs, healthy: true, error: null, status: res.statusCode };
      }
      // A router says why in l5d-err (no route, connection refused, …): that is the finding.
      const l5dErr = res.headers['l5d-err'];
      const why = typeof l5dErr === 'string' ? `: ${safeDecode(l5dErr)}` : '';
      return { destination, latencyMs, healthy: false, error: `HTTP ${res.statusCode}${why}`, status: res.statusCode };
    } catch (e) {
      const err = e as Error & { code?: string };
      const error =
        err.name === 'TimeoutError' || err.name === 'AbortError'
          ? `timeout: no answer within ${this.#o.timeoutMs} ms`
          : (err.code ?? err.message);
      return { destination, latencyMs: elapsed(), healthy: false, error, status: null };
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await Promise.all([this.#pings.close(), this.#registry.close()]);
  }
}
