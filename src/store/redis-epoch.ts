/**
 * The Redis store's memory of which data it is looking at. Redis keeps a random epoch next to
 * the dtabs (src/store/redis-scripts.ts); a new epoch means the data this replica knew is gone.
 * This class says when that happened, remembers the few epochs it replaced (their late pub/sub
 * messages describe data that no longer exists), and keeps, per namespace, the highest version
 * seen: the floor that makes numbering continue above the lost versions.
 */
import { randomBytes } from 'node:crypto';

const RETIRED_KEPT = 8;

export class EpochTracker {
  #current: string | undefined;
  #retired: string[] = [];
  readonly #seen = new Map<string, number>();

  /** True when `epoch` replaces a different one (the data was lost); the first epoch seen is just adopted. */
  note(epoch: string): boolean {
    if (epoch === this.#current) return false;
    const previous = this.#current;
    this.#current = epoch;
    if (previous === undefined) return false;
    this.#retired = [previous, ...this.#retired.slice(0, RETIRED_KEPT - 1)];
    return true;
  }

  get current(): string | undefined {
    return this.#current;
  }

  isRetired(epoch: string): boolean {
    return this.#retired.includes(epoch);
  }

  /** Records a version of `ns` this replica read or wrote. */
  see(ns: string, version: number): void {
    if (Number.isSafeInteger(version) && version > (this.#seen.get(ns) ?? 0)) this.#seen.set(ns, version);
  }

  /** The highest version seen of `ns` (0 for none): a write raises Redis' counter to it first. */
  floor(ns: string): number {
    return this.#seen.get(ns) ?? 0;
  }
}

/** A fresh candidate for the store's epoch, offered with every script call. */
export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}
