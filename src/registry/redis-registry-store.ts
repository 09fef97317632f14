/**
 * The registry's Redis store: one hash per section (`switchyard:registry:peers`, …), a field per
 * label, pod locker or setting, so a registry restarted against the same Redis finds its peers,
 * epochs, targets, fault configs and lockers again. The only module of the registry that imports the Redis
 * client. Like the dtab store it fails fast while Redis is down (SY_ERR_REGISTRY_STORE_UNAVAILABLE,
 * 503) instead of queueing: peers repeat their reminders and snapshots anyway.
 */
import { Redis } from 'ioredis';
import { createError } from '../errors.js';
import {
  REGISTRY_SECTIONS,
  type RegistrySection,
  type RegistrySnapshot,
  type RegistryStore,
} from './registry-store.js';

export interface RedisRegistryStoreOptions {
  /** Prefix of every key, so several registries can share a Redis. */
  readonly prefix?: string;
  readonly timeoutMs?: number;
}

export class RedisRegistryStore implements RegistryStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  #closed = false;

  private constructor(url: string, options: RedisRegistryStoreOptions) {
    const timeout = options.timeoutMs ?? 2000;
    this.#prefix = options.prefix ?? 'switchyard:registry:';
    this.#redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: timeout,
      commandTimeout: timeout,
      lazyConnect: true,
      retryStrategy: (attempt) => (this.#closed ? null : Math.min(50 * attempt, 1000)),
    });
    // Errors surface through the failing commands; the event only keeps ioredis from logging them.
    this.#redis.on('error', () => {});
  }

  /** Connects; a registry that cannot read its state does not start. */
  static async open(url: string, options: RedisRegistryStoreOptions = {}): Promise<RedisRegistryStore> {
    const store = new RedisRegistryStore(url, options);
    try {
      await store.#redis.connect();
    } catch (e) {
      await store.close();
      throw createError('SY_ERR_REGISTRY_STORE_UNAVAILABLE', [`cannot connect to ${url}: ${(e as Error).message}`], e);
    }
    return store;
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (e) {
      throw createError('SY_ERR_REGISTRY_STORE_UNAVAILABLE', [(e as Error).message], e);
    }
  }

  async load(): Promise<RegistrySnapshot> {
    const pipeline = this.#redis.pipeline();
    for (const section of REGISTRY_SECTIONS) pipeline.hgetall(this.#prefix + section);
    const replies = (await this.#run(() => pipeline.exec())) ?? [];
    return new Map(
      REGISTRY_SECTIONS.map((section, i) => {
        const [error, hash] = replies[i] ?? [new Error('no reply'), null];
        if (error) throw createError('SY_ERR_REGISTRY_STORE_UNAVAILABLE', [error.message], error);
        return [section, new Map(Object.entries((hash ?? {}) as Record<string, string>))];
      }),
    );
  }

  async put(section: RegistrySection, key: string, value: string): Promise<void> {
    await this.#run(() => this.#redis.hset(this.#prefix + section, key, value));
  }

  async delete(section: RegistrySection, key: string): Promise<void> {
    await this.#run(() => this.#redis.hdel(this.#prefix + section, key));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#redis.disconnect();
  }
}
