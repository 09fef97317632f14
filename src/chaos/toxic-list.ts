/**
 * A proxy's toxics, a TCP proxy's or a router fault rule's: names unique, at most MAX_TOXICS.
 * Each change replaces the list, so a reader holding it (a link, a request's fault plan) never
 * sees it change under it.
 */
import { ApiError, badBody, toxicNotFound } from './api-error.js';
import { MAX_TOXICS, type Stream, type Toxic } from './toxics.js';

export const toxicExists = (): ApiError => new ApiError('toxic already exists', 409);
export const tooManyToxics = (): ApiError => badBody(`a proxy has at most ${MAX_TOXICS} toxics`);

export class ToxicList {
  #toxics: readonly Toxic[];

  constructor(toxics: readonly Toxic[] = []) {
    this.#toxics = toxics;
  }

  get all(): readonly Toxic[] {
    return this.#toxics;
  }

  of(stream: Stream): readonly Toxic[] {
    return this.#toxics.filter((t) => t.stream === stream);
  }

  /** Throws toxicNotFound(). */
  get(name: string): Toxic {
    const found = this.#toxics.find((t) => t.name === name);
    if (found === undefined) throw toxicNotFound();
    return found;
  }

  add(toxic: Toxic): void {
    if (this.#toxics.some((t) => t.name === toxic.name)) throw toxicExists();
    if (this.#toxics.length >= MAX_TOXICS) throw tooManyToxics();
    this.#toxics = [...this.#toxics, toxic];
  }

  /** Throws toxicNotFound(). */
  remove(name: string): Toxic {
    const toxic = this.get(name);
    this.#toxics = this.#toxics.filter((t) => t !== toxic);
    return toxic;
  }

  /** Every toxic removed; the ones there were. */
  clear(): readonly Toxic[] {
    const gone = this.#toxics;
    this.#toxics = [];
    return gone;
  }
}
