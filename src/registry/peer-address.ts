/**
 * Which address a peer may register. The registry calls every peer it knows — health checks,
 * pushed targets, commands — so a registration is a request to be called at that address. A
 * peer is therefore believed only about itself: the address it registers must be the one its
 * request came from, unless the registry was told that registrations may also come from a
 * network (`--peer-cidrs`, e.g. the pod CIDR when an ingress or a NAT sits in between). Hostnames
 * are resolved and every address they give is checked; link-local, metadata and unspecified
 * addresses are refused whatever the CIDRs say.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { createError } from '../errors.js';
import { AddressPolicy, bareHost, cidrList } from '../http/address-policy.js';
import { isLoopback } from '../http/admin-guard.js';

export interface PeerAddressOptions {
  readonly peerCidrs?: readonly string[];
  readonly addresses?: AddressPolicy;
  readonly lookup?: typeof dnsLookup;
}

/** `::ffff:10.1.2.3` (how a dual-stack socket shows an IPv4 peer) → `10.1.2.3`. */
function unmapped(ip: string): string {
  return ip.toLowerCase().startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

export class PeerAddressCheck {
  readonly #cidrs: BlockList;
  readonly #addresses: AddressPolicy;
  readonly #lookup: typeof dnsLookup;

  constructor(options: PeerAddressOptions = {}) {
    this.#cidrs = cidrList(options.peerCidrs ?? []).list;
    this.#addresses = options.addresses ?? new AddressPolicy();
    this.#lookup = options.lookup ?? dnsLookup;
  }

  /** What the registry's calls to peers resolve names with: the same refusals at connect time. */
  get connectLookup() {
    return this.#addresses.connectLookup;
  }

  async #resolve(host: string): Promise<string[]> {
    if (isIP(host) !== 0) return [host];
    const list = await new Promise<LookupAddress[]>((resolve, reject) =>
      this.#lookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
    ).catch((e: NodeJS.ErrnoException) => {
      throw createError('SY_ERR_PEER_ADDRESS_REFUSED', [`${host} does not resolve (${e.code ?? e.message})`]);
    });
    return list.map((a) => a.address);
  }

  /** Throws SY_ERR_PEER_ADDRESS_REFUSED unless `address` (host:port) may be registered by `source`. */
  async check(address: string, source: string): Promise<void> {
    const host = bareHost(address.slice(0, address.lastIndexOf(':')));
    const from = unmapped(source);
    const self = new BlockList();
    if (isIP(from) !== 0) self.addAddress(from, isIP(from) === 6 ? 'ipv6' : 'ipv4');
    for (const ip of await this.#resolve(host)) {
      const refused = this.#addresses.refusal(ip);
      if (refused !== null) throw createError('SY_ERR_PEER_ADDRESS_REFUSED', [`${address}: ${refused}`]);
      const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
      if (self.check(unmapped(ip), isIP(unmapped(ip)) === 6 ? 'ipv6' : 'ipv4') || this.#cidrs.check(ip, family))
        continue;
      // A peer on this host may name any loopback address of it (`localhost` may give 127.0.0.1 and ::1).
      if (isLoopback(from) && isLoopback(ip)) continue;
      throw createError('SY_ERR_PEER_ADDRESS_REFUSED', [
        `${address} is not the address the registration came from (${from}), nor inside --peer-cidrs`,
      ]);
    }
  }
}
