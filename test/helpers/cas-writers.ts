/**
 * The lost-update check: writers that each loop read → update(expected version) → retry on 412,
 * the way `namectl dtab update` and any careful client use namerd. If the store's
 * compare-and-set is atomic, every acknowledged update has its own version and the final
 * version is 1 + the number of acknowledged updates.
 */
import { Dtab } from '../../src/dtab/dtab.js';
import { SwitchyardError } from '../../src/errors.js';
import type { DtabStore } from '../../src/store/dtab-store.js';

export interface CasResult {
  /** The versions each acknowledged update returned, over all writers. */
  readonly acknowledged: number[];
  readonly conflicts: number;
  readonly elapsedMs: number;
}

/** Runs `writers` loops on `ns` (which must exist) for `durationMs`, each bounded to `maxRounds` rounds. */
export async function runCasWriters(
  store: DtabStore,
  ns: string,
  writers: number,
  durationMs: number,
  maxRounds = 50_000,
): Promise<CasResult> {
  const start = Date.now();
  const end = start + durationMs;
  const acknowledged: number[] = [];
  let conflicts = 0;
  const writer = async (id: number) => {
    for (let round = 0; round < maxRounds && Date.now() < end; round++) {
      const current = await store.get(ns);
      if (current === null) throw new Error(`${ns} vanished`);
      try {
        const written = await store.update(ns, Dtab.read(`/w=>/writer/${id}/${round}`), current.version);
        acknowledged.push(written.version);
      } catch (error) {
        if (!(error instanceof SwitchyardError && error.code === 'SY_ERR_VERSION_MISMATCH')) throw error;
        conflicts++;
      }
      // Let timers and I/O run between rounds even for a store that never leaves the microtask queue.
      if (round % 64 === 63) await new Promise((r) => setImmediate(r));
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, i) => writer(i)));
  return { acknowledged, conflicts, elapsedMs: Date.now() - start };
}
