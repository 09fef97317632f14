/**
 * Where a traffic target may point and how fast it may go. A target is a caller's instruction to
 * send requests somewhere, repeatedly; without a rule the generator (on every router's admin
 * port) is a relay to any address the pod can reach. The URL's address is judged three times:
 * as written (IP literals, whatever their spelling: the URL parser has already turned `2852039166`
 * or `0xa9.0xfe.0xa9.0xfe` into 169.254.169.254), after resolving its host when the target is
 * added through the API (a clear 400 at once), and at every connection (so a name that resolves
 * elsewhere later is still refused).
 */
import { isIP } from 'node:net';
import { AddressPolicy, bareHost } from '../http/address-policy.js';

export interface TargetPolicy {
  readonly addresses: AddressPolicy;
  /** Highest qps a target may ask for. */
  readonly maxQps: number;
}

export const DEFAULT_MAX_QPS = 1000;

export function targetPolicy(options: { targetCidrs?: readonly string[] | null; maxQps?: number } = {}): TargetPolicy {
  return {
    addresses: new AddressPolicy({ allow: options.targetCidrs ?? null }),
    maxQps: options.maxQps ?? DEFAULT_MAX_QPS,
  };
}

export const DEFAULT_TARGET_POLICY: TargetPolicy = targetPolicy();

/** Why the URL's host, as written, may not be called (IP literals only), or null. */
export function literalRefusal(url: URL, policy: TargetPolicy): string | null {
  const host = bareHost(url.hostname);
  return isIP(host) === 0 ? null : policy.addresses.refusal(host);
}

/** Why the URL's host, resolved, may not be called, or null. */
export function resolvedRefusal(url: URL, policy: TargetPolicy): Promise<string | null> {
  return policy.addresses.check(url.hostname);
}
