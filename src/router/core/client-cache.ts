/**
 * Clients by bound id, shared across routes. A route acquires the clients of the names it bound
 * to and releases them when its tree changes or it is evicted; a client nobody holds is closed
 * after the idle TTL (linkerd's client cache, `idleTtlSecs` 600).
 */
import type { Bound } from '../../naming/bound.js';
import { type Balancer, Client, type UpstreamSource } from './client.js';

export class ClientCache {
  readonly #clients = new Map<string, Client>();

  constructor(
    private readonly upstreams: UpstreamSource,
    /** A balancer for the client of bound id `id`. */
    private readonly newBalancer: (id: string) => Balancer,
    private readonly idleTtlMs: number,
  ) {}

  acquire(bound: Bound): Client {
    const id = bound.id.show();
    let client = this.#clients.get(id);
    if (client === undefined) {
      client = new Client(bound, this.upstreams, this.newBalancer(id));
      this.#clients.set(id, client);
    }
    client.refs++;
    return client;
  }

  release(client: Client): void {
    client.refs--;
    client.lastUsed = Date.now();
  }

  get size(): number {
    return this.#clients.size;
  }

  values(): IterableIterator<Client> {
    return this.#clients.values();
  }

  /** Closes clients no route holds that have been idle longer than the TTL. */
  sweep(now = Date.now()): void {
    for (const [id, client] of this.#clients) {
      if (client.refs <= 0 && now - client.lastUsed > this.idleTtlMs) {
        this.#clients.delete(id);
        client.close();
      }
    }
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
