/**
 * Resolves `host:port` to an Addr that follows DNS (Finagle's InetResolver). IP literals bind at
 * once; names are looked up when first observed and, unless fixed, again every few seconds while
 * anyone observes them. A name DNS does not know is Neg; any other DNS error is a failure.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Addr, type Address } from '../naming/addr.js';
import { Var } from '../naming/var.js';

export interface InetResolverOptions {
  /** How often a name is looked up again while observed; Finagle polls inet names every 5 s. */
  readonly pollMs?: number;
  /**
   * Host/port pairs remembered (least recently used go first). Names come from dtabs, and with
   * overrides that allow `/$/inet` from callers, so the cache must not grow with them; an evicted
   * pair still in use keeps working, the next lookup of it just makes a new one.
   */
  readonly maxEntries?: number;
}

export const DEFAULT_RESOLVER_ENTRIES = 10_000;

export class InetResolver {
  readonly #pollMs: number;
  readonly #maxEntries: number;
  readonly #cache = new Map<string, Var<Addr>>();

  constructor(options: InetResolverOptions = {}) {
    this.#pollMs = options.pollMs ?? 5000;
    this.#maxEntries = options.maxEntries ?? DEFAULT_RESOLVER_ENTRIES;
  }

  get size(): number {
    return this.#cache.size;
  }

  /** One Var per host, port and mode, shared by every name that resolves to it. */
  resolve(host: string, port: number, fixed: boolean): Var<Addr> {
    const key = `${fixed ? 'fixed' : 'poll'} ${host} ${port}`;
    let addr = this.#cache.get(key);
    if (addr === undefined) {
      addr = this.#create(host, port, fixed);
      if (this.#cache.size >= this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
    } else this.#cache.delete(key);
    // Map order is insertion order: re-inserting on every use keeps the oldest first in line.
    this.#cache.set(key, addr);
    return addr;
  }

  #create(host: string, port: number, fixed: boolean): Var<Addr> {
    if (port < 0 || port > 65535) return Var.value(Addr.failed(new RangeError(`port out of range: ${port}`)));
    // Finagle's host-less `/$/inet/<port>` is the wildcard address.
    if (host === '') return Var.value(Addr.bound([{ host: '0.0.0.0', port, meta: {} }]));
    if (isIP(host) !== 0) return Var.value(Addr.bound([{ host, port, meta: {} }]));
    return Var.async<Addr>(Addr.Pending, (set) => {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let last = '';
      const poll = async () => {
        const next = await lookupAddr(host, port);
        if (stopped) return;
        const shown = JSON.stringify(next.type === 'bound' ? next.addresses : next.type);
        if (shown !== last) {
          last = shown;
          set(next);
        }
        if (!fixed) timer = setTimeout(poll, this.#pollMs).unref();
      };
      void poll();
      return {
        close() {
          stopped = true;
          if (timer) clearTimeout(timer);
        },
      };
    });
  }
}

async function lookupAddr(host: string, port: number): Promise<Addr> {
  try {
    const found = await lookup(host, { all: true });
    const addresses: Address[] = found
      .map((a) => a.address)
      .sort()
      .map((ip) => ({ host: ip, port, meta: {} }));
    return addresses.length === 0 ? Addr.Neg : Addr.bound(addresses);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === 'ENOTFOUND' || code === 'ENODATA' ? Addr.Neg : Addr.failed(e);
  }
}
