/**
 * Which addresses the registry and the traffic generator may be made to call. Both send requests
 * where a caller tells them to (a target URL, a peer's address), so a caller could point them at
 * a cloud metadata endpoint or at any host the pod can reach. Addresses are judged after
 * resolution — the text of a URL says little (`2852039166`, `0xa9.0xfe.0xa9.0xfe` and
 * `[::ffff:a9fe:a9fe]` are all 169.254.169.254, and a hostname can resolve anywhere) — and again
 * when the connection is made, through `lookup`, so a name that resolves differently later
 * (DNS rebinding) is still refused.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Never a target unless an allow-list names it: link-local, cloud metadata, "this host". */
export const DEFAULT_DENIED = [
  '169.254.0.0/16',
  'fe80::/10',
  'fd00:ec2::254/128',
  '100.100.100.200/32',
  '0.0.0.0/8',
  '::/128',
  // 169.254.0.0/16 again, as NAT64 (an IPv6-only pod reaches IPv4 through it) and IPv4-compatible.
  '64:ff9b::a9fe:0/112',
  '::a9fe:0/112',
] as const;

export interface CidrProblem {
  readonly cidr: string;
  readonly problem: string;
}

/** A list of CIDRs (`10.0.0.0/8`, `fd00::/8`, or a bare address) as a BlockList, or the problems. */
export function cidrList(cidrs: readonly string[]): { list: BlockList; problems: CidrProblem[] } {
  const list = new BlockList();
  const problems: CidrProblem[] = [];
  for (const cidr of cidrs) {
    const [address = '', bits, extra] = cidr.trim().split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
    if (family === 0 || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      problems.push({ cidr, problem: 'must be an address or address/prefix, e.g. 10.0.0.0/8 or fd00::/8' });
      continue;
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return { list, problems };
}

function contains(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  // BlockList also matches an IPv4-mapped IPv6 address (::ffff:a.b.c.d) against IPv4 rules.
  return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

/** `[::1]` → `::1`; an IP literal as a URL shows it, ready for isIP. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

export interface AddressPolicyOptions {
  /** When set, only addresses inside these CIDRs are allowed (the deny list still applies). */
  readonly allow?: readonly string[] | null;
  /** Refused whatever the allow-list says; defaults to DEFAULT_DENIED. */
  readonly deny?: readonly string[];
  /** For tests: how names are resolved (defaults to the system resolver, as connections use). */
  readonly lookup?: typeof dnsLookup;
}

export class AddressPolicy {
  readonly #allow: BlockList | null;
  readonly #allowText: string;
  readonly #deny: BlockList;
  readonly #lookup: typeof dnsLookup;

  constructor(options: AddressPolicyOptions = {}) {
    const allow = options.allow ?? null;
    this.#allow = allow === null ? null : cidrList(allow).list;
    this.#allowText = allow === null ? '' : allow.join(', ');
    this.#deny = cidrList(options.deny ?? DEFAULT_DENIED).list;
    this.#lookup = options.lookup ?? dnsLookup;
  }

  /** Why `ip` (an IP literal) may not be called, or null when it may. */
  refusal(ip: string): string | null {
    if (isIP(ip) === 0) return `${ip} is not an IP address`;
    if (contains(this.#deny, ip)) return `${ip} is link-local, a metadata address or unspecified`;
    if (this.#allow !== null && !contains(this.#allow, ip)) return `${ip} is outside the allowed ${this.#allowText}`;
    return null;
  }

  /** Every address `host` resolves to, each checked; answers the reason for the first refused one. */
  async check(host: string): Promise<string | null> {
    const bare = bareHost(host);
    if (isIP(bare) !== 0) return this.refusal(bare);
    let addresses: LookupAddress[];
    try {
      addresses = await new Promise((resolve, reject) =>
        this.#lookup(bare, { all: true }, (error, list) => (error ? reject(error) : resolve(list))),
      );
    } catch (e) {
      return `${bare} does not resolve (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    for (const { address } of addresses) {
      const why = this.refusal(address);
      if (why !== null) return `${bare} resolves to ${address}: ${why}`;
    }
    return null;
  }

  /** A `lookup` for net.connect (undici's `connect.lookup`) that refuses what check() refuses. */
  readonly connectLookup: LookupFunction = (hostname, options, callback) => {
    this.#lookup(hostname, { ...options, all: true }, (error, list) => {
      if (error) return callback(error, '', 0);
      const addresses = list as unknown as LookupAddress[];
      for (const { address } of addresses) {
        const why = this.refusal(address);
        if (why !== null) {
          const refused = Object.assign(new Error(`${hostname} resolves to ${address}: ${why}`), {
            code: 'EADDRREFUSED_POLICY',
          });
          return callback(refused, '', 0);
        }
      }
      if ((options as { all?: boolean }).all === true)
        return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}
