/**
 * Turns namerd's `--store` value into a DtabStore, so the flag, the config file and the tests
 * name stores the same way: `memory`, `file:DIR` (the durable default) or `redis://host:port/db`.
 */
import { createError } from '../errors.js';
import type { DtabStore } from './dtab-store.js';
import { FileDtabStore } from './file-store.js';
import { MemoryDtabStore } from './memory-store.js';
import { RedisDtabStore } from './redis-store.js';

export interface OpenStoreOptions {
  /** Versions kept per namespace (default 100). */
  readonly historyLimit?: number;
  /** Time source, for tests. */
  readonly now?: () => number;
}

export const STORE_SPECS = 'memory, file:DIR or redis://host:port/db';

export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<DtabStore> {
  if (spec === 'memory') return new MemoryDtabStore(options);
  if (spec.startsWith('file:')) {
    const dir = spec.slice('file:'.length);
    if (dir === '') throw createError('SY_ERR_INVALID_ARGUMENT', [`Store "${spec}" names no directory: use file:DIR`]);
    return FileDtabStore.open(dir, options);
  }
  if (spec.startsWith('redis://')) {
    if (!URL.canParse(spec)) throw createError('SY_ERR_INVALID_ARGUMENT', [`Store "${spec}" is not a valid Redis URL`]);
    return RedisDtabStore.open(spec, options);
  }
  throw createError('SY_ERR_INVALID_ARGUMENT', [`Unknown store "${spec}": use ${STORE_SPECS}`]);
}
