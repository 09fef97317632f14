/**
 * Addr: what a bound name resolves to right now (Finagle's `Addr`). Pending until a namer has
 * answered, bound with a set of addresses (possibly empty, which is not a fallback), negative
 * when the name does not exist, or failed. Values, never exceptions.
 */

export interface Address {
  readonly host: string;
  readonly port: number;
  /** Per-endpoint metadata: zone, node name, weight, readiness and the like. */
  readonly meta: Readonly<Record<string, unknown>>;
}

export type Addr =
  | { readonly type: 'pending' }
  | { readonly type: 'bound'; readonly addresses: readonly Address[]; readonly meta: Readonly<Record<string, unknown>> }
  | { readonly type: 'neg' }
  | { readonly type: 'failed'; readonly error: Error };

/** The metadata key Finagle uses to carry a union member's weight down to its addresses. */
export const WEIGHT_META_KEY = 'namer_nametree_weight';

export const Addr = {
  Pending: Object.freeze({ type: 'pending' }) as Addr,
  Neg: Object.freeze({ type: 'neg' }) as Addr,
  bound(addresses: readonly Address[], meta: Record<string, unknown> = {}): Addr {
    return { type: 'bound', addresses, meta };
  },
  failed(error: unknown): Addr {
    return { type: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
  },
  address(host: string, port: number, meta: Record<string, unknown> = {}): Address {
    return { host, port, meta };
  },
} as const;
