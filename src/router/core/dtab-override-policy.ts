/**
 * What a request may change with `l5d-dtab` / `l5d-ctx-dtab`. linkerd applied any override, so
 * anyone who could reach a router could send its traffic anywhere. Judging the text of an
 * override is not enough (`/svc/web => /a/$/inet/127.0.0.1/9990 ; /a => /` never names `/$/`
 * at the front of a destination, yet binds to it), so the policy judges what the override binds
 * to: it walks every lookup the bind can make through base ++ local, remembering for each path
 * whether an override entry took part and what the last step was, and judges each bound leaf:
 *
 * - reached through base entries only: allowed (the router's own dtab decided);
 * - bound by a configured namer (`/#/…`): allowed;
 * - an address of a `/$/` namer reached after an override entry: allowed only when the base
 *   entry that led to it spells the whole bound id itself (`/srv/web-v2 => /$/inet/10.0.0.7/80`),
 *   so the override chose among the operator's addresses and wrote none of its own;
 *   `/$/…` text the override wrote, directly, through `/x => /` rewrites, through a rewriting
 *   namer or through a base prefix it extended (`/srv => /$/inet/127.0.0.1` + `/srv/9990`) is
 *   refused.
 *
 * `allowPrefixes` limits the prefixes the override's entries that take part may rewrite, and
 * `allowDestinations`, when set, replaces the rule above: every path an override entry produced
 * on the way to a leaf must start with one of them. The walk shares identical sub-paths and
 * counts its lookups against the bind budget, so judging costs no more than binding.
 */
import type { Dtab } from '../../dtab/dtab.js';
import type { NameTree } from '../../dtab/name-tree.js';
import { Path } from '../../dtab/path.js';
import { AnyElem, type Prefix } from '../../dtab/prefix.js';
import { createError } from '../../errors.js';
import { BindBudget } from '../../naming/bind-budget.js';
import { Bound } from '../../naming/bound.js';
import type { NameInterpreter } from '../../naming/interpreter.js';

export interface OverridePolicyConfig {
  readonly enabled: boolean;
  /** Prefixes an override entry that takes part in a bind may rewrite; null for any. */
  readonly allowPrefixes: readonly string[] | null;
  /** Paths every override-produced path on the way to a leaf must start with; null for the default rule. */
  readonly allowDestinations: readonly string[] | null;
}

export const DEFAULT_OVERRIDE_POLICY: OverridePolicyConfig = {
  enabled: true,
  allowPrefixes: null,
  allowDestinations: null,
};

/** What the walk found a name may bind to through an override; kept with the route. */
export class OverrideVerdict {
  constructor(
    /** Ids of leaves judged allowed. */
    readonly ids: ReadonlySet<string>,
    /** Paths handed to configured (`/#/`) namers; their bound ids are prefixes of these. */
    readonly namerPaths: readonly Path[],
    /** Lookups the walk made, an estimate of the route's size. */
    readonly lookups: number,
  ) {}

  /** Whether the bind's actual leaf is one the walk judged; anything else is refused. */
  allows(bound: Bound): boolean {
    return this.ids.has(bound.id.show()) || this.namerPaths.some((p) => p.startsWith(bound.id));
  }
}

/** How a path was reached: whether an override entry took part, and by what step last. */
interface Step {
  readonly overridden: boolean;
  readonly last: 'start' | 'base' | 'local' | 'namer';
  /** The size of the base destination leaf, when the last step was a base entry. */
  readonly spelled: number;
  /** Every override-produced path so far is within allowDestinations (always true when unset). */
  readonly destinationsOk: boolean;
}

const START: Step = { overridden: false, last: 'start', spelled: 0, destinationsOk: true };

function denied(reason: string): Error {
  return createError('SY_ERR_DTAB_OVERRIDE_DENIED', [reason]);
}

export class OverridePolicy {
  readonly #enabled: boolean;
  readonly #prefixes: Path[] | null;
  readonly #destinations: Path[] | null;

  constructor(
    config: OverridePolicyConfig = DEFAULT_OVERRIDE_POLICY,
    private readonly interpreter?: NameInterpreter,
  ) {
    this.#enabled = config.enabled;
    this.#prefixes = config.allowPrefixes?.map((p) => Path.read(p)) ?? null;
    this.#destinations = config.allowDestinations?.map((p) => Path.read(p)) ?? null;
  }

  /** Before any binding: refuses every override when overrides are switched off. */
  check(local: Dtab): void {
    if (!local.isEmpty && !this.#enabled) throw denied('dtab overrides are disabled on this router');
  }

  /**
   * Walks every lookup binding `name` through base ++ local can make; throws 403
   * (SY_ERR_DTAB_OVERRIDE_DENIED) naming the first leaf or entry not allowed, or 400
   * (SY_ERR_BIND_BUDGET) past the lookup budget.
   */
  judge(base: Dtab, local: Dtab, name: Path): OverrideVerdict {
    this.check(local);
    const interpreter = this.interpreter;
    if (interpreter === undefined) throw new Error('OverridePolicy.judge needs the interpreter');
    const dtab = base.concat(local);
    const budget = new BindBudget(interpreter.maxLookups);
    const seen = new Set<string>();
    const ids = new Set<string>();
    const namerPaths: Path[] = [];
    const shown = local.show();

    const leaf = (bound: Bound, step: Step): void => {
      const id = bound.id;
      let ok: boolean;
      if (!step.overridden) ok = true;
      else if (this.#destinations !== null) ok = step.destinationsOk;
      else ok = step.last === 'base' && id.size <= step.spelled;
      if (!ok)
        throw denied(
          `${shown} binds ${name.show()} to ${id.show()}, which is not an allowed destination (the override wrote that address itself)`,
        );
      ids.add(id.show());
    };

    const walk = (path: Path, step: Step, depth: number): void => {
      // Past the depth limit the bind itself fails; nothing there can be reached.
      if (depth > interpreter.maxDepth) return;
      const key = `${step.overridden ? 1 : 0}${step.last}${step.spelled}${step.destinationsOk ? 1 : 0} ${path.show()}`;
      if (seen.has(key)) return;
      seen.add(key);
      const over = budget.spend();
      if (over) throw over;
      if (dtab.lookup(path).type !== 'neg') {
        for (let i = dtab.dentries.length - 1; i >= 0; i--) {
          const d = dtab.dentries[i]!;
          if (!d.prefix.matches(path)) continue;
          const isLocal = i >= base.size;
          if (isLocal && this.#prefixes !== null && !this.#prefixes.some((p) => prefixWithin(d.prefix, p))) {
            throw denied(`${d.show()} rewrites ${d.prefix.show()}, which is not an allowed prefix`);
          }
          const residual = path.drop(d.prefix.size);
          forEachLeaf(d.dst, (dst: Path) => {
            const next = dst.concat(residual);
            const nextStep: Step = isLocal
              ? {
                  overridden: true,
                  last: 'local',
                  spelled: 0,
                  destinationsOk: step.destinationsOk && this.#within(next),
                }
              : { ...step, last: 'base', spelled: dst.size };
            walk(next, nextStep, depth + 1);
          });
        }
        return;
      }
      for (const { prefix } of interpreter.namers) {
        if (path.startsWith(prefix)) {
          if (step.overridden && this.#destinations !== null && !step.destinationsOk)
            throw denied(`${shown} binds ${name.show()} to ${path.show()}, which is not an allowed destination`);
          namerPaths.push(path);
          return;
        }
      }
      const [first, kind] = path.elems;
      if (first !== '$' || kind === undefined || kind === 'fail' || kind === 'nil') return;
      const answer = interpreter.global.lookup(path).sample();
      // A failed lookup fails the bind too; a pending one cannot be judged, so it is refused.
      if (answer.status === 'failed') return;
      if (answer.status === 'pending') {
        if (step.overridden) throw denied(`${path.show()} cannot be judged before it binds`);
        return;
      }
      forEachLeaf(answer.value, (n: Path | Bound) => {
        if (n instanceof Bound) leaf(n, step);
        else walk(n, { ...step, last: 'namer', spelled: 0 }, depth + 1);
      });
    };

    walk(name, START, 0);
    return new OverrideVerdict(ids, namerPaths, budget.lookups);
  }

  #within(path: Path): boolean {
    return this.#destinations === null || this.#destinations.some((allowed) => path.startsWith(allowed));
  }
}

/** A prefix is within an allowed path when its leading elements are exactly that path (no `*` there). */
function prefixWithin(prefix: Prefix, allowed: Path): boolean {
  if (prefix.size < allowed.size) return false;
  for (let i = 0; i < allowed.size; i++) {
    const e = prefix.elems[i];
    if (e === AnyElem || e !== allowed.elems[i]) return false;
  }
  return true;
}

function forEachLeaf<T>(tree: NameTree<T>, f: (value: T) => void): void {
  if (tree.type === 'leaf') f(tree.value);
  else if (tree.type === 'alt') for (const t of tree.trees) forEachLeaf(t, f);
  else if (tree.type === 'union') for (const w of tree.trees) forEachLeaf(w.tree, f);
}
