/**
 * The `/$/<kind>` namers switchyard ships, as the explicit kind → namer map that replaces
 * Finagle's reflection (docs/dtab-language.md#system-names, docs/namers.md#rewriting-namers).
 */
import type { Namer } from '../naming/namer.js';
import { InetNamer } from './inet.js';
import { InetResolver } from './inet-resolver.js';
import { rewritingNamers } from './rewriting.js';
import { RinetNamer } from './rinet.js';

/** Shared by every default interpreter, so names resolved once are not resolved again per bind. */
const sharedResolver = new InetResolver();

export function systemNamers(resolver: InetResolver = sharedResolver): Map<string, Namer> {
  return new Map<string, Namer>([
    ['inet', new InetNamer(resolver)],
    ['fixedinet', new InetNamer(resolver, true)],
    ['io.buoyant.rinet', new RinetNamer(resolver)],
    ...rewritingNamers(),
  ]);
}
