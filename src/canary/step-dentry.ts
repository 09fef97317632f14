/**
 * The one dentry a canary adds to the namespace's dtab at each step. A percentage becomes the
 * smallest integer weights with that ratio (5% is `1*CANARY & 19*PRIMARY`, 50% is
 * `CANARY & PRIMARY`), shown in the dtab's canonical form, so a step reads exactly like the
 * walkthrough's hand-written files. The last step sends everything to the canary, with the
 * primary as the walkthrough's fallback (`CANARY | PRIMARY`) or alone.
 */
import { Dentry } from '../dtab/dentry.js';
import type { Dtab } from '../dtab/dtab.js';

export interface StepRoute {
  readonly service: string;
  readonly primary: string;
  readonly canary: string;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** `{canary, primary}` integer weights for a percentage from 1 to 99. */
export function stepWeights(percent: number): { canary: number; primary: number } {
  const g = gcd(percent, 100 - percent);
  return { canary: percent / g, primary: (100 - percent) / g };
}

export function stepDentry(route: StepRoute, percent: number, fallback: boolean): Dentry {
  const { service, primary, canary } = route;
  if (percent >= 100) return Dentry.read(fallback ? `${service} => ${canary} | ${primary}` : `${service} => ${canary}`);
  const w = stepWeights(percent);
  return Dentry.read(`${service} => ${w.canary}*${canary} & ${w.primary}*${primary}`);
}

/** The base dtab with the step's dentry last, where it wins over the base's rules for the service. */
export function stepDtab(base: Dtab, route: StepRoute, percent: number, fallback: boolean): Dtab {
  return base.append(stepDentry(route, percent, fallback));
}
