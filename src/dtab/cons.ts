/**
 * Immutable singly linked lists for the parser's postprocessors. Earley states share their data,
 * so a list must never be mutated once built; consing is O(1) where copying an array would make a
 * long dtab quadratic. Lists become arrays once, when the whole parse is done.
 */
export interface Cons<T> {
  readonly head: T;
  readonly prev: Cons<T> | null;
}

export function cons<T>(prev: Cons<T> | null, head: T): Cons<T> {
  return { head, prev };
}

export function toArray<T>(list: Cons<T> | null): T[] {
  const out: T[] = [];
  for (let c = list; c !== null; c = c.prev) out.push(c.head);
  return out.reverse();
}
