/**
 * The peer side of the registry (goto's peer package;
 * docs/registry-and-traffic.md#the-peers-lifecycle): a process started with `--registry URL --label
 * L` registers its admin address, applies the startup bundle (targets, `autoInvoke` ones start at
 * once; tracked headers), reminds the registry every 5 s, and registers again when a reminder finds
 * it forgotten. Unlike goto it keeps trying to register for as long as it runs, so a peer that came
 * up before the registry still joins. With `--locker` it streams each running target's cumulative
 * results to the registry every few seconds and sends the final snapshot when the target ends.
 *
 * Shutdown is two steps, because deregistration comes before draining and the last results
 * after: stop() ends the reminders and deregisters; close() sends what is left and lets go.
 */
import { Agent, request } from 'undici';
import type { Logger } from '../telemetry/logger.js';
import { PeerPinger, type PingOptions } from './peer-pinger.js';

/** What the agent needs from the traffic generator (the TrafficClient has all of it). */
export interface PeerTraffic {
  addTarget(spec: unknown): unknown;
  hasTarget(name: string): boolean;
  setTrackHeaders(headers: string): unknown;
  resultsOf(name: string): unknown;
  progressOf(name: string): { readonly requests: number; readonly running: boolean } | undefined;
  running(): string[];
  subscribe(listener: (event: { readonly type: 'started' | 'ended'; readonly target: string }) => void): () => void;
}

export interface PeerAgentOptions {
  readonly registryUrl: string;
  readonly label: string;
  /** `host:port` where the registry reaches this peer's /client API. */
  readonly address: string;
  readonly traffic: PeerTraffic;
  /** Stream results to the registry's locker. */
  readonly locker?: boolean;
  readonly pod?: string;
  readonly namespace?: string;
  readonly node?: string;
  readonly cluster?: string;
  readonly rememberIntervalMs?: number;
  readonly lockerIntervalMs?: number;
  /** First pause between registration attempts; it doubles up to 10 s. */
  readonly registerRetryMs?: number;
  readonly timeoutMs?: number;
  /** The admin token the registry's writes need; null sends none. */
  readonly token?: string | null;
  /** Ping the label's other pods and report the row (docs/connectivity.md); left out: no pings. */
  readonly ping?: PingOptions;
  readonly logger?: Logger;
}

interface PeerData {
  readonly Targets?: Record<string, unknown>;
  readonly TrackingHeaders?: string;
}

export class PeerAgent {
  readonly #o: PeerAgentOptions;
  readonly #base: string;
  readonly #http = new Agent({ keepAliveTimeout: 10_000 });
  readonly #sent = new Map<string, string>();
  #unsubscribe: (() => void) | undefined;
  #reminder: NodeJS.Timeout | undefined;
  #lockerTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #pushes: Promise<void> = Promise.resolve();
  #stopped = false;
  #registered = false;
  #pinger: PeerPinger | undefined;

  constructor(options: PeerAgentOptions) {
    this.#o = options;
    this.#base = options.registryUrl.replace(/\/+$/, '');
  }

  get registered(): boolean {
    return this.#registered;
  }

  get #peer() {
    const o = this.#o;
    return {
      name: o.label,
      address: o.address,
      ...(o.pod ? { pod: o.pod } : {}),
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.node ? { node: o.node } : {}),
      ...(o.cluster ? { cluster: o.cluster } : {}),
    };
  }

  async #post(path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await request(`${this.#base}${path}`, {
      method: 'POST',
      dispatcher: this.#http,
      signal: AbortSignal.timeout(this.#o.timeoutMs ?? 5_000),
      headers: {
        ...(this.#o.token ? { authorization: `Bearer ${this.#o.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.statusCode, json };
  }

  /** Registers (retrying until it works or stop() is called), applies the bundle, starts reminding. */
  async start(): Promise<void> {
    if (this.#o.locker === true) this.#startLocker();
    let pause = this.#o.registerRetryMs ?? 1000;
    while (!this.#stopped && !(await this.#register())) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      pause = Math.min(pause * 2, 10_000);
    }
    if (this.#stopped) return;
    if (this.#o.ping !== undefined) {
      const { registryUrl, label, address, token, logger } = this.#o;
      this.#pinger = new PeerPinger({
        ...this.#o.ping,
        registryUrl,
        label,
        address,
        ...(token === undefined ? {} : { token }),
        ...(logger === undefined ? {} : { logger }),
      });
      this.#pinger.start();
    }
    const every = this.#o.rememberIntervalMs ?? 5_000;
    this.#reminder = setInterval(() => void this.#remind(), every);
    this.#reminder.unref();
  }

  async #register(): Promise<boolean> {
    try {
      const { status, json } = await this.#post('/registry/peers/add', this.#peer);
      if (status !== 200 && status !== 202) throw new Error(`registry answered ${status}: ${JSON.stringify(json)}`);
      this.#registered = true;
      this.#o.logger?.info({ registry: this.#base, label: this.#o.label, address: this.#o.address }, 'peer registered');
      this.#apply(json as PeerData);
      return true;
    } catch (e) {
      this.#o.logger?.warn({ registry: this.#base, err: (e as Error).message }, 'peer registration failed; retrying');
      return false;
    }
  }

  /** The startup bundle: tracked headers, then targets this process does not have yet. */
  #apply(data: PeerData): void {
    try {
      if (data.TrackingHeaders) this.#o.traffic.setTrackHeaders(data.TrackingHeaders);
    } catch (e) {
      this.#o.logger?.warn({ headers: data.TrackingHeaders, err: (e as Error).message }, 'tracked headers refused');
    }
    for (const [name, spec] of Object.entries(data.Targets ?? {})) {
      if (this.#o.traffic.hasTarget(name)) continue;
      try {
        this.#o.traffic.addTarget(spec);
      } catch (e) {
        this.#o.logger?.warn({ target: name, err: (e as Error).message }, 'startup target refused');
      }
    }
  }

  async #remind(): Promise<void> {
    if (this.#stopped) return;
    try {
      const { status } = await this.#post(`/registry/peers/${encodeURIComponent(this.#o.label)}/remember`, this.#peer);
      // Forgotten (a registry restarted on the memory store, or a cleanup): register again for the bundle.
      if (status === 404 && !this.#stopped) await this.#register();
    } catch (e) {
      this.#o.logger?.debug({ err: (e as Error).message }, 'reminder failed');
    }
  }

  #startLocker(): void {
    this.#unsubscribe = this.#o.traffic.subscribe((event) => {
      if (event.type === 'ended') this.#enqueue([event.target]);
    });
    const every = this.#o.lockerIntervalMs ?? 3_000;
    this.#lockerTimer = setInterval(() => this.#enqueue(this.#o.traffic.running()), every);
    this.#lockerTimer.unref();
  }

  /** Snapshots go out one at a time, so a partial one never lands after the final one. */
  #enqueue(targets: readonly string[]): void {
    this.#pushes = this.#pushes.then(() => this.#send(targets));
  }

  async #send(targets: readonly string[]): Promise<void> {
    const path = `/registry/peers/${encodeURIComponent(this.#o.label)}/${encodeURIComponent(this.#o.address)}`;
    for (const target of targets) {
      const progress = this.#o.traffic.progressOf(target);
      if (progress === undefined) continue;
      const mark = `${progress.requests}/${progress.running}`;
      if (this.#sent.get(target) === mark) continue;
      try {
        const { status } = await this.#post(
          `${path}/locker/store/client,${encodeURIComponent(target)}`,
          this.#o.traffic.resultsOf(target),
        );
        if (status === 200) this.#sent.set(target, mark);
      } catch (e) {
        this.#o.logger?.debug({ target, err: (e as Error).message }, 'locker snapshot not sent');
      }
    }
  }

  /** Ends the reminders and deregisters (before the process drains; goto does the same). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.();
    clearInterval(this.#reminder);
    // No row after the pod is gone: the last report would only be refused.
    await this.#pinger?.stop();
    if (!this.#registered) return;
    const { label, address } = this.#o;
    try {
      await this.#post(`/registry/peers/${encodeURIComponent(label)}/remove/${encodeURIComponent(address)}`);
      this.#o.logger?.info({ label, address }, 'peer deregistered');
    } catch (e) {
      this.#o.logger?.warn(
        { err: (e as Error).message },
        'deregistration failed; a health cleanup will remove the pod',
      );
    }
  }

  /** Sends the last snapshots (call it once the traffic has stopped), then lets go of everything. */
  async close(): Promise<void> {
    await this.stop();
    clearInterval(this.#lockerTimer);
    if (this.#unsubscribe !== undefined) {
      this.#enqueue([...this.#sent.keys(), ...this.#o.traffic.running()]);
      await this.#pushes;
      this.#unsubscribe();
    }
    await this.#http.close();
  }
}
