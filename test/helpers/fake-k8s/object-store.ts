/**
 * The fake API server's storage (docs/k8s-namer.md#the-fake-api-server): one global, monotonically
 * increasing resourceVersion counter, serialised as a string and stamped on every object it
 * writes, as etcd's revision is; an event log of every change with the object's state before and
 * after, so a watch can replay from any RV and turn selector transitions into ADDED/DELETED, as
 * the real watch cache does; and a compaction floor below which a watch gets 410 Gone.
 */

export type Json = Record<string, unknown>;
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  readonly rv: number;
  readonly resource: string;
  readonly type: EventType;
  /** The new state (for DELETED: the last state, with the deletion's RV). */
  readonly object: Json;
  /** The state before, for MODIFIED. */
  readonly previous?: Json;
}

export const metaOf = (o: Json) => (o.metadata ?? {}) as Json & { name?: string; namespace?: string };
const keyOf = (o: Json) => `${metaOf(o).namespace ?? ''}/${metaOf(o).name ?? ''}`;
const clone = <T>(o: T): T => structuredClone(o);

/** Content equality, ignoring the RV and other server-set fields, so a no-op write is no event. */
function sameContent(a: Json, b: Json): boolean {
  const strip = (o: Json) => {
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, ...meta } = metaOf(o);
    return JSON.stringify({ ...o, metadata: meta });
  };
  return strip(a) === strip(b);
}

export class ObjectStore {
  #rv = 100;
  #floor = 0;
  #uid = 0;
  readonly #objects = new Map<string, Map<string, Json>>();
  readonly #log: StoredEvent[] = [];
  readonly #listeners = new Set<(event: StoredEvent) => void>();

  /** The current RV: every change so far has an RV at most this. */
  get rv(): number {
    return this.#rv;
  }

  /** Watches from an RV below this get 410 Gone; from this RV on, the log has every event. */
  get floor(): number {
    return this.#floor;
  }

  /** Forgets history: a watch from any RV seen so far gets 410, as after etcd compaction. */
  compact(): void {
    this.#floor = this.#rv;
    const keep = this.#log.filter((e) => e.rv > this.#floor);
    this.#log.splice(0, this.#log.length, ...keep);
  }

  /** Jumps the counter, as a restored etcd or a new cluster would: old RVs become too old. */
  newEpoch(jump = 1_000_000): void {
    this.#rv += jump;
    this.compact();
  }

  list(resource: string, namespace?: string): Json[] {
    const all = [...(this.#objects.get(resource)?.values() ?? [])];
    return all.filter((o) => namespace === undefined || metaOf(o).namespace === namespace).map(clone);
  }

  get(resource: string, namespace: string, name: string): Json | undefined {
    const o = this.#objects.get(resource)?.get(`${namespace}/${name}`);
    return o === undefined ? undefined : clone(o);
  }

  /** Creates or replaces; returns the stored object, or the old one unchanged when nothing changed. */
  apply(resource: string, object: Json): Json {
    const byKey = this.#objects.get(resource) ?? new Map<string, Json>();
    this.#objects.set(resource, byKey);
    const key = keyOf(object);
    const previous = byKey.get(key);
    if (previous !== undefined && sameContent(previous, object)) return clone(previous);
    const rv = ++this.#rv;
    const meta = metaOf(previous ?? object);
    const stored: Json = {
      ...clone(object),
      metadata: {
        ...metaOf(clone(object)),
        resourceVersion: String(rv),
        uid: (meta.uid as string | undefined) ?? `uid-${++this.#uid}`,
        creationTimestamp: (meta.creationTimestamp as string | undefined) ?? new Date().toISOString(),
      },
    };
    byKey.set(key, stored);
    this.#record({
      rv,
      resource,
      type: previous === undefined ? 'ADDED' : 'MODIFIED',
      object: stored,
      ...(previous ? { previous } : {}),
    });
    return clone(stored);
  }

  delete(resource: string, namespace: string, name: string): boolean {
    const byKey = this.#objects.get(resource);
    const previous = byKey?.get(`${namespace}/${name}`);
    if (byKey === undefined || previous === undefined) return false;
    byKey.delete(`${namespace}/${name}`);
    const rv = ++this.#rv;
    const object = { ...previous, metadata: { ...metaOf(previous), resourceVersion: String(rv) } };
    this.#record({ rv, resource, type: 'DELETED', object });
    return true;
  }

  /** Events after `rv` (exclusive) for one resource, oldest first. */
  eventsAfter(resource: string, rv: number): StoredEvent[] {
    return this.#log.filter((e) => e.resource === resource && e.rv > rv);
  }

  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #record(event: StoredEvent): void {
    this.#log.push(event);
    for (const l of [...this.#listeners]) l(event);
  }
}
