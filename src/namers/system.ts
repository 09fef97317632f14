/**
 * The `/$/<kind>` namers switchyard ships, as the explicit kind → namer map that replaces
 * Finagle's reflection (dtab.md §7.1, router.md §4.3).
 */
import type { Namer } from '../naming/namer.js';
import { InetNamer } from './inet.js';
import { InetResolver } from './inet-resolver.js';
import { RinetNamer } from './rinet.js';

export function systemNamers(resolver: InetResolver = new InetResolver()): Map<string, Namer> {
  return new Map<string, Namer>([
    ['inet', new InetNamer(resolver)],
    ['fixedinet', new InetNamer(resolver, true)],
    ['io.buoyant.rinet', new RinetNamer(resolver)],
  ]);
}
