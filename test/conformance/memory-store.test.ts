/**
 * The memory store against the DtabStore conformance suite. It never leaves the microtask queue,
 * so its lost-update run is short: a second already makes hundreds of thousands of attempts.
 */
import { MemoryDtabStore } from '../../src/store/memory-store.js';
import { runDtabStoreConformance } from './dtab-store.conformance.js';

runDtabStoreConformance(
  'memory',
  async (options) => {
    const store = new MemoryDtabStore(options);
    return { store, cleanup: () => store.close() };
  },
  { concurrencyMs: 1_000 },
);
