/**
 * The router's own listeners (data and admin port). A route to one of them loops the router
 * into itself or hands a caller its admin API (drain, dtabs, the traffic generator), so every
 * bound address is checked against them, whichever dtab produced it. The check knows the many
 * spellings of one socket: any 127.0.0.0/8 address, `localhost`, `::1`, IPv4-mapped IPv6,
 * inet_aton's forms (`127.1`, `2130706433`, `0x7f.1`), the unspecified address (`0.0.0.0`, `::`,
 * which a connect treats as this host), and, for a listener on 0.0.0.0/::, every local address.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Addr } from '../../naming/addr.js';

type Scope = 'any' | 'loopback' | string;

export class OwnListeners {
  /** port → how the listener on it is bound: 'any' (0.0.0.0/::), 'loopback', or one address. */
  readonly #ports = new Map<number, Set<Scope>>();
  #local: Set<string> | undefined;
  /** Addr values already checked (they are immutable; a change is a new value). */
  #checked = new WeakMap<Addr, string | null>();

  add(host: string, port: number): void {
    const h = canonicalHost(host);
    const scope: Scope = isUnspecified(h) ? 'any' : isLoopback(h) ? 'loopback' : h;
    let scopes = this.#ports.get(port);
    if (scopes === undefined) this.#ports.set(port, (scopes = new Set()));
    scopes.add(scope);
    this.#checked = new WeakMap();
  }

  /** The first of an address set's addresses that is a listener of this router (`host:port`), or null. */
  firstOwn(addr: Addr): string | null {
    if (addr.type !== 'bound') return null;
    let own = this.#checked.get(addr);
    if (own === undefined) {
      own = null;
      for (const a of addr.addresses) {
        if (this.isOwn(a.host, a.port)) {
          own = `${a.host}:${a.port}`;
          break;
        }
      }
      this.#checked.set(addr, own);
    }
    return own;
  }

  /** Whether a connection to host:port would reach one of the listeners. */
  isOwn(host: string, port: number): boolean {
    const scopes = this.#ports.get(port);
    if (scopes === undefined) return false;
    const h = canonicalHost(host);
    // Connecting to the unspecified address reaches this host, whatever the listener's address.
    if (isUnspecified(h)) return true;
    for (const scope of scopes) {
      if (scope === 'any' && (isLoopback(h) || this.#localAddresses().has(h))) return true;
      if (scope === 'loopback' && isLoopback(h)) return true;
      if (scope === h) return true;
    }
    return false;
  }

  #localAddresses(): Set<string> {
    if (this.#local === undefined) {
      this.#local = new Set();
      for (const list of Object.values(networkInterfaces())) {
        for (const a of list ?? []) this.#local.add(canonicalHost(a.address));
      }
    }
    return this.#local;
  }
}

function isUnspecified(h: string): boolean {
  return h === '0.0.0.0' || h === '::';
}

function isLoopback(h: string): boolean {
  return h === '::1' || h === 'localhost' || h.startsWith('127.');
}

/** One spelling per address: lower case, no brackets, IPv4 dotted quads, IPv6 compressed. */
export function canonicalHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return 'localhost';
  const v4 = inetAton(h);
  if (v4 !== null) return v4;
  if (isIP(h.split('%')[0]!) === 6) {
    const six = new URL(`http://[${h.split('%')[0]}]`).hostname.slice(1, -1);
    // IPv4-mapped (::ffff:7f00:1) and IPv4-compatible (::7f00:1) forms reach the IPv4 address.
    const mapped = /^::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(six);
    if (mapped) {
      const n = (Number.parseInt(mapped[1]!, 16) << 16) + Number.parseInt(mapped[2]!, 16);
      return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    }
    return six;
  }
  return h;
}

/** inet_aton: 1 to 4 parts, each decimal, octal (0…) or hex (0x…); the last fills the rest. */
function inetAton(h: string): string | null {
  const parts = h.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/.test(p)) n = p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = p.length === 1 ? 0 : Number.parseInt(p.slice(1), 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = Number.parseInt(p, 10);
    else return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return null;
  let value = last;
  nums.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return [Math.floor(value / 2 ** 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}
