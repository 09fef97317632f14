/**
 * Kill a random local peer: pick one of the pods a (loopback) registry lists under a label, find
 * the local process that actually listens on its address (local-process.ts), and signal it only
 * when that process is a switchyard peer, router or app — not because the registry named it,
 * which anyone on the machine can tell the registry. The registry and the address must be
 * loopback: this action reaches only this machine's processes.
 */
import { randomInt } from 'node:crypto';
import { type FetchLimits, getJson } from '../canary/bounded-fetch.js';
import { isLoopback, splitHostPort } from '../chaos/loopback.js';
import { exited, listeningInodes, ownersOf, switchyardRole } from './local-process.js';

export interface KilledPeer {
  readonly label: string;
  readonly address: string;
  readonly pid: number;
  readonly role: string;
  readonly cmdline: string;
  readonly signal: string;
  /** The process was gone within the wait. */
  readonly exited: boolean;
  readonly candidates: number;
}

const EXIT_WAIT_MS = 5_000;

/** The loopback addresses a registry lists under `label`, healthy ones only. */
async function peerAddresses(registry: string, label: string, limits: FetchLimits): Promise<string[]> {
  const peers = await getJson(`${registry}/registry/peers`, limits);
  const pods = ((peers as Record<string, unknown> | null)?.[label] as { pods?: unknown } | undefined)?.pods;
  if (pods === null || typeof pods !== 'object') return [];
  return Object.entries(pods as Record<string, unknown>)
    .filter(([, pod]) => (pod as { healthy?: unknown } | null)?.healthy !== false)
    .map(([address]) => address)
    .filter((address) => {
      const hp = address.length <= 100 ? splitHostPort(address) : null;
      return hp !== null && isLoopback(hp.host);
    })
    .slice(0, 1000);
}

export async function killLocalPeer(
  registry: string,
  label: string,
  signal: 'SIGKILL' | 'SIGTERM',
  limits: FetchLimits,
): Promise<KilledPeer> {
  const addresses = await peerAddresses(registry, label, limits);
  if (addresses.length === 0) throw new Error(`the registry lists no live loopback peer under label ${label}`);
  const address = addresses[randomInt(addresses.length)]!;
  const { host, port } = splitHostPort(address)!;
  const owners = await ownersOf(await listeningInodes(host, port));
  if (owners.length === 0) throw new Error(`no local process listens on ${address} (refused: nothing to judge)`);
  if (owners.length > 1)
    throw new Error(`${owners.length} processes share ${address}: refused, the kill would be a guess`);
  const owner = owners[0]!;
  const judged = switchyardRole(owner.cmdline);
  if ('refused' in judged)
    throw new Error(`refused to kill pid ${owner.pid}, the owner of ${address}: ${judged.refused}`);
  if (owner.pid === process.pid || owner.pid === process.ppid)
    throw new Error(`refused to kill pid ${owner.pid}: it is this experiment's own process`);
  process.kill(owner.pid, signal);
  return {
    label,
    address,
    pid: owner.pid,
    role: judged.role,
    cmdline: owner.cmdline.join(' ').slice(0, 300),
    signal,
    exited: await exited(owner.pid, EXIT_WAIT_MS),
    candidates: addresses.length,
  };
}
