/** Turns `switchyard registry --store` into a RegistryStore: `memory` (default) or `redis://host:port/db`. */
import { createError } from '../errors.js';
import { RedisRegistryStore } from './redis-registry-store.js';
import { MemoryRegistryStore, type RegistryStore } from './registry-store.js';

export const REGISTRY_STORE_SPECS = 'memory or redis://host:port/db';

export function registryStoreProblem(spec: string): string | null {
  if (spec === 'memory' || (spec.startsWith('redis://') && URL.canParse(spec))) return null;
  return `must be ${REGISTRY_STORE_SPECS}, got ${JSON.stringify(spec)}`;
}

export async function openRegistryStore(spec: string): Promise<RegistryStore> {
  const problem = registryStoreProblem(spec);
  if (problem !== null) throw createError('SY_ERR_INVALID_ARGUMENT', [`--store ${problem}`]);
  return spec === 'memory' ? new MemoryRegistryStore() : RedisRegistryStore.open(spec);
}
