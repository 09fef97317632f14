/**
 * A memory store that plays a second operator: once armed, it slips in another writer's version
 * right after the next read of the current dtab, so the reader's compare-and-set then loses.
 */
import { Dtab } from '../../src/dtab/dtab.js';
import { MemoryDtabStore } from '../../src/store/memory-store.js';
import type { VersionedDtab } from '../../src/store/versioned-dtab.js';

export class RacingStore extends MemoryDtabStore {
  #armed = false;

  /** The next `get` is followed by a write of `/sneaky=>/write` with the message "sneaky write". */
  raceNextRead(): void {
    this.#armed = true;
  }

  override async get(ns: string): Promise<VersionedDtab | null> {
    const read = await super.get(ns);
    if (this.#armed) {
      this.#armed = false;
      await this.put(ns, Dtab.read('/sneaky=>/write'), { message: 'sneaky write' });
    }
    return read;
  }
}
