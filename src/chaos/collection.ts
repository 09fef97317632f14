/**
 * The proxies of one Toxiproxy server, by name. Every change is checked whole before it is
 * applied (names, loopback addresses, limits) and changes run one at a time, so two requests
 * racing for a name or a port cannot both win, and a refused request leaves nothing behind.
 */
import type { Logger } from 'pino';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import type { ToxiproxyBackend } from './api.js';
import { ApiError, badBody, proxyNotFound } from './api-error.js';
import { type HostPort, loopbackAddress } from './loopback.js';
import { ToxicProxy } from './proxy.js';
import { NAME_PATTERN, parseToxic, TCP_TOXIC_TYPES, type Toxic, toxicJson } from './toxics.js';

export const MAX_PROXIES = 100;

interface ProxySpec {
  readonly name: string;
  readonly listen: HostPort;
  readonly upstream: HostPort;
  readonly enabled: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A proxy's fields from JSON, in Toxiproxy's order of complaints; `current` fills what is left out. */
async function parseSpec(raw: unknown, current?: ToxicProxy): Promise<ProxySpec> {
  if (!isRecord(raw)) throw badBody('expected a JSON object');
  const name = current?.name ?? raw.name;
  if (name === undefined || name === '') throw new ApiError('missing required field: name', 400);
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw badBody('name must be 1 to 64 letters, digits, "_", "-" or "."');
  }
  if (current === undefined && (raw.upstream === undefined || raw.upstream === '')) {
    throw new ApiError('missing required field: upstream', 400);
  }
  for (const key of ['listen', 'upstream'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'string') throw badBody(`${key} must be a string`);
  }
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') throw badBody('enabled must be true or false');
  const listenText = (raw.listen as string | undefined) || current?.listen.text || '127.0.0.1:0';
  const upstreamText = (raw.upstream as string | undefined) || current!.upstream.text;
  return {
    name,
    listen: await loopbackAddress('listen', listenText, true),
    upstream: await loopbackAddress('upstream', upstreamText, false),
    enabled: (raw.enabled as boolean | undefined) ?? current?.enabled ?? true,
  };
}

export class ProxyCollection implements ToxiproxyBackend {
  readonly #proxies = new Map<string, ToxicProxy>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly metrics: MetricsRegistry,
    readonly log: Logger,
  ) {}

  /** Runs changes one after another (each awaits DNS and listeners). */
  #serial<T>(change: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(change, change);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  list(): ToxicProxy[] {
    return [...this.#proxies.values()];
  }

  get(name: string): ToxicProxy {
    const proxy = this.#proxies.get(name);
    if (proxy === undefined) throw proxyNotFound();
    return proxy;
  }

  create(raw: unknown): Promise<ToxicProxy> {
    return this.#serial(async () => {
      const spec = await parseSpec(raw);
      if (this.#proxies.has(spec.name)) throw new ApiError('proxy already exists', 409);
      if (this.#proxies.size >= MAX_PROXIES) throw badBody(`at most ${MAX_PROXIES} proxies`);
      return this.#start(spec);
    });
  }

  async #start(spec: ProxySpec): Promise<ToxicProxy> {
    const proxy = new ToxicProxy(spec.name, spec.listen, spec.upstream, this.metrics);
    if (spec.enabled) {
      try {
        await proxy.start();
      } catch (e) {
        proxy.forgetMetrics();
        throw e;
      }
    }
    this.#proxies.set(spec.name, proxy);
    this.log.info({ proxy: spec.name, listen: proxy.toJSON().listen, upstream: spec.upstream.text }, 'proxy added');
    return proxy;
  }

  /** Toxiproxy's update: new addresses restart it; `enabled` starts or stops it. */
  update(name: string, raw: unknown): Promise<ToxicProxy> {
    return this.#serial(async () => {
      const proxy = this.get(name);
      const spec = await parseSpec(raw, proxy);
      const before = { listen: proxy.listen, upstream: proxy.upstream, enabled: proxy.enabled };
      const moved = spec.listen.text !== before.listen.text || spec.upstream.text !== before.upstream.text;
      if (moved) await proxy.stop();
      proxy.listen = spec.listen;
      proxy.upstream = spec.upstream;
      try {
        if (spec.enabled) await proxy.start();
        else await proxy.stop();
      } catch (e) {
        proxy.listen = before.listen;
        proxy.upstream = before.upstream;
        if (before.enabled) await proxy.start().catch(() => undefined);
        throw e;
      }
      this.log.info({ proxy: name, ...proxy.toJSON(), toxics: undefined }, 'proxy updated');
      return proxy;
    });
  }

  remove(name: string): Promise<void> {
    return this.#serial(async () => {
      const proxy = this.get(name);
      this.#proxies.delete(name);
      await proxy.stop();
      proxy.forgetMetrics();
      this.log.info({ proxy: name }, 'proxy removed');
    });
  }

  /**
   * Toxiproxy's populate: every proxy in the list is created, or replaced when its addresses
   * differ; others are kept. The whole list is checked before any is touched; only a listener
   * the system refuses can stop it part way, as in Toxiproxy, and the answer says so.
   */
  populate(raw: unknown): Promise<{ proxies: ToxicProxy[]; error?: ApiError }> {
    return this.#serial(async () => {
      if (!Array.isArray(raw)) throw badBody('expected a JSON array of proxies');
      if (raw.length > MAX_PROXIES) throw badBody(`at most ${MAX_PROXIES} proxies`);
      const specs: ProxySpec[] = [];
      for (const [i, item] of raw.entries()) {
        try {
          specs.push(await parseSpec(item));
        } catch (e) {
          // Toxiproxy names the entry of a missing field: "missing required field: name at proxy 2".
          if (e instanceof ApiError && e.message.startsWith('missing required field')) {
            throw new ApiError(`${e.message} at proxy ${i + 1}`, e.status);
          }
          throw e;
        }
      }
      const names = new Set(specs.map((s) => s.name));
      if (names.size !== specs.length) throw badBody('a name appears twice');
      const added = [...names].filter((n) => !this.#proxies.has(n)).length;
      if (this.#proxies.size + added > MAX_PROXIES) throw badBody(`at most ${MAX_PROXIES} proxies`);
      const proxies: ToxicProxy[] = [];
      for (const spec of specs) {
        const old = this.#proxies.get(spec.name);
        try {
          if (old !== undefined && old.listen.text === spec.listen.text && old.upstream.text === spec.upstream.text) {
            if (spec.enabled) await old.start();
            else await old.stop();
            proxies.push(old);
            continue;
          }
          if (old !== undefined) {
            this.#proxies.delete(spec.name);
            await old.stop();
            old.forgetMetrics();
          }
          proxies.push(await this.#start(spec));
        } catch (e) {
          return { proxies, error: e instanceof ApiError ? e : new ApiError(String(e), 500) };
        }
      }
      return { proxies };
    });
  }

  addToxic(name: string, raw: unknown): Toxic {
    const proxy = this.get(name);
    const toxic = parseToxic(raw, TCP_TOXIC_TYPES);
    proxy.addToxic(toxic);
    this.log.info({ proxy: name, toxic: toxicJson(toxic) }, 'toxic added');
    return toxic;
  }

  updateToxic(name: string, toxicName: string, raw: unknown): Toxic {
    const toxic = this.get(name).updateToxic(toxicName, raw);
    this.log.info({ proxy: name, toxic: toxic.name, attributes: toxic.attributes }, 'toxic updated');
    return toxic;
  }

  removeToxic(name: string, toxicName: string): void {
    this.get(name).removeToxic(toxicName);
    this.log.info({ proxy: name, toxic: toxicName }, 'toxic removed');
  }

  /** Every proxy enabled again, every toxic removed. */
  reset(): Promise<void> {
    return this.#serial(async () => {
      for (const proxy of this.#proxies.values()) {
        proxy.resetToxics();
        await proxy.start();
      }
      this.log.info({ proxies: this.#proxies.size }, 'reset: all proxies enabled, all toxics removed');
    });
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      for (const proxy of this.#proxies.values()) await proxy.stop();
    });
  }
}
