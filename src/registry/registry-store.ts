/**
 * Where the registry keeps what must survive its restart: peers with their epochs, the targets
 * and fault configs per label, the tracked headers, and the lockers. The registry works on its own
 * in-memory copy and writes every change through, one small JSON value per key, so a store is
 * a few string maps. Memory (the default) keeps them for the life of the process; Redis
 * (redis-registry-store.ts, the only module here that talks to Redis) keeps them for good.
 */
export type RegistrySection = 'peers' | 'targets' | 'lockers' | 'settings' | 'faults';

export const REGISTRY_SECTIONS: readonly RegistrySection[] = ['peers', 'targets', 'lockers', 'settings', 'faults'];

export type RegistrySnapshot = ReadonlyMap<RegistrySection, ReadonlyMap<string, string>>;

export interface RegistryStore {
  /** Everything stored, read once at startup. */
  load(): Promise<RegistrySnapshot>;
  put(section: RegistrySection, key: string, value: string): Promise<void>;
  delete(section: RegistrySection, key: string): Promise<void>;
  close(): Promise<void>;
}

export class MemoryRegistryStore implements RegistryStore {
  readonly #sections = new Map<RegistrySection, Map<string, string>>(REGISTRY_SECTIONS.map((s) => [s, new Map()]));

  async load(): Promise<RegistrySnapshot> {
    return new Map([...this.#sections].map(([s, m]) => [s, new Map(m)]));
  }

  async put(section: RegistrySection, key: string, value: string): Promise<void> {
    this.#sections.get(section)!.set(key, value);
  }

  async delete(section: RegistrySection, key: string): Promise<void> {
    this.#sections.get(section)!.delete(key);
  }

  async close(): Promise<void> {}
}
