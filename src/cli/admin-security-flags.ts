/**
 * The admin-security flags of `switchyard registry` and `switchyard peer`, and the wiring from the
 * validated settings (src/config/admin-security-config.ts) to the registry and the traffic
 * generator, shared with `switchyard router` so the three build them the same way.
 */
import { ADMIN_SECURITY_FIELDS, type AdminSecurity, type AdminSecurityFlags } from '../config/admin-security-config.js';
import { AddressPolicy } from '../http/address-policy.js';
import { PeerAddressCheck } from '../registry/peer-address.js';
import type { RegistryOptions } from '../registry/registry.js';
import { type TargetPolicy, targetPolicy } from '../traffic/target-policy.js';
import { checkTarget } from '../traffic/target-spec.js';
import type { Options } from './args.js';

type Fields = typeof ADMIN_SECURITY_FIELDS;
type Key = keyof Fields;
type FlagOf<K extends Key> = Fields[K]['flag'] extends `--${infer F}` ? F : never;

/** flag → settings key, from the settings' own table; which of them a command offers is its own choice. */
export const SECURITY_FLAGS = Object.fromEntries(
  (Object.keys(ADMIN_SECURITY_FIELDS) as Key[]).map((k) => [ADMIN_SECURITY_FIELDS[k].flag.slice(2), k]),
) as { readonly [K in Key as FlagOf<K>]: K };

export type SecurityFlag = keyof typeof SECURITY_FLAGS;

export function securityOptions(flags: readonly SecurityFlag[]): Options {
  return Object.fromEntries(flags.map((f) => [f, { type: 'string' as const }]));
}

export function securityFlags(values: Record<string, unknown>, flags: readonly SecurityFlag[]): AdminSecurityFlags {
  const out: Record<string, string> = {};
  for (const f of flags) if (typeof values[f] === 'string') out[SECURITY_FLAGS[f]] = values[f] as string;
  return out;
}

export function trafficPolicyOf(security: AdminSecurity): TargetPolicy {
  return targetPolicy({ targetCidrs: security.targetCidrs, maxQps: security.maxQps });
}

/** The registry's share: who may register, locker ceilings, the token for calls to peers, target checks. */
export function registrySecurity(security: AdminSecurity): Partial<RegistryOptions> {
  const policy = trafficPolicyOf(security);
  return {
    peerAddresses: new PeerAddressCheck({ peerCidrs: security.peerCidrs, addresses: new AddressPolicy() }),
    lockerLimits: {
      maxKeyBytes: security.lockerMaxKeyBytes,
      maxLabelBytes: security.lockerMaxLabelBytes,
      maxTotalBytes: security.lockerMaxTotalBytes,
    },
    peerToken: security.token,
    validateTarget: async (raw) => (await checkTarget(raw, policy)).spec,
  };
}
