/**
 * Only loopback addresses, for listening and for upstreams: a chaos proxy that anyone on the
 * machine can drive must not become a way to reach other hosts, nor to open a port on a public
 * interface. A name is judged by what it resolves to, every address of it, and the proxy then
 * connects to the resolved address itself, so a name that later resolves elsewhere changes nothing.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { badBody } from './api-error.js';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

export function isLoopback(ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && LOOPBACK.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

export interface HostPort {
  /** The address as given, for display. */
  readonly text: string;
  /** A loopback IP literal, resolved. */
  readonly ip: string;
  readonly port: number;
}

/** `host:port` or `[v6]:port` → parts; no resolution. */
export function splitHostPort(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (m === null) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: (m[1] ?? m[2])!, port };
}

/** Resolves `field`'s `host:port` and refuses it unless every address is loopback. */
export async function loopbackAddress(field: string, text: string, allowPortZero: boolean): Promise<HostPort> {
  const parts = text.length <= 300 ? splitHostPort(text) : null;
  if (parts === null) throw badBody(`${field} must be host:port, e.g. 127.0.0.1:6379`);
  if (parts.port === 0 && !allowPortZero) throw badBody(`${field} port must be 1 to 65535`);
  let addresses: string[];
  if (isIP(parts.host) !== 0) addresses = [parts.host];
  else {
    try {
      addresses = (await lookup(parts.host, { all: true })).map((a) => a.address);
    } catch {
      throw badBody(`${field} host ${parts.host} does not resolve`);
    }
  }
  if (addresses.length === 0 || !addresses.every(isLoopback)) {
    throw badBody(`${field} must be a loopback address (127.0.0.0/8 or ::1), not ${parts.host}`);
  }
  return { text, ip: addresses[0]!, port: parts.port };
}
