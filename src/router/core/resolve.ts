/**
 * Everything up to the choice of bound name, outside in: call depth, identify → dtab (base ++
 * l5d-ctx-dtab ++ l5d-dtab, judged by the override policy) → the cached route for (dtab, name)
 * → a weighted choice of bound name → its client, admitted before any byte is sent. Nothing
 * here builds what can be built once: names, parsed headers, routes and clients are all cached.
 */
import { createError, SwitchyardError } from '../../errors.js';
import type { Bound } from '../../naming/bound.js';
import type { RetryBudget } from '../policy/retry-budget.js';
import type { Client } from './client.js';
import type { RequestHead } from './exchange.js';
import { callDepth } from './header-policy.js';
import type { LocalDtab } from './local-dtab-reader.js';
import type { Route } from './route.js';
import type { BaseDtab, RouterRuntime } from './runtime.js';
import type { ScopeStats } from './stats.js';

/** Everything up to the choice of bound name: identification, dtabs, the route and a weighted pick. */
export function resolve(rt: RouterRuntime, head: RequestHead, started = performance.now()): Target | Promise<Target> {
  const s = rt.settings;
  const depth = callDepth(head.via);
  if (depth >= s.maxCallDepth) throw createError('SY_ERR_MAX_CALL_DEPTH', [depth, s.maxCallDepth]);
  const identified = rt.identify(head);
  if (typeof identified === 'string') throw createError('SY_ERR_UNIDENTIFIED', [identified]);
  const base = rt.base();
  if (base === null) throw createError('SY_ERR_BINDING_TIMEOUT', [identified.name.show(), 0]);
  let local: LocalDtab | null = null;
  const name = identified.name;
  const service = name.show();
  let route: Route;
  try {
    if (!s.clearContext && (head.ctxDtab !== undefined || head.userDtab !== undefined)) {
      local = rt.localDtabs.read(head.ctxDtab, head.userDtab);
    }
    const l = local;
    // An override is judged by what it binds to before it is bound (dtab-override-policy.ts).
    route =
      l === null
        ? rt.routes.get(base.routeKey ?? base.key, base.dtab, name)
        : rt.routes.get(
            `${base.key}\u0001${l.key}`,
            base.dtab,
            name,
            () => rt.localDtabs.judge(base.dtab, l.dtab, name),
            l.dtab,
          );
  } catch (e) {
    countRefusal(rt, e);
    throw e;
  }
  const settled = route.whenSettled(s.bindingTimeoutMs);
  // A warm route takes no closure and no promise: the function is called directly.
  if (settled === null) return pickTarget(rt, route, service, base, local, identified.url, started);
  return settled.then(() => pickTarget(rt, route, service, base, local, identified.url, started));
}

/** The target on a settled route: its stats and budget, an endpoint's client, admitted before use. */
function pickTarget(
  rt: RouterRuntime,
  route: Route,
  service: string,
  base: BaseDtab,
  local: LocalDtab | null,
  url: string | undefined,
  started: number,
): Target | Promise<Target> {
  const s = rt.settings;
  if (route.state === 'pending') throw createError('SY_ERR_BINDING_TIMEOUT', [service, s.bindingTimeoutMs]);
  if (route.state === 'failed') {
    throw route.error ?? createError('SY_ERR_NO_BROKERS', [service, base.shown, local?.shown ?? '']);
  }
  route.stats ??= rt.stats.service(service);
  route.budget ??= rt.retryBudget(service);
  const picked = route.pick();
  if ('none' in picked) throw createError('SY_ERR_NO_BROKERS', [service, base.shown, local?.shown ?? '']);
  const target: Target = {
    service,
    route: route as WarmRoute,
    local,
    base,
    bound: picked.bound,
    client: picked.client,
    started,
    url,
  };
  const resolved = picked.client.whenResolved(s.bindingTimeoutMs);
  return resolved === null ? admit(rt, target) : resolved.then(() => admit(rt, target));
}

/** Before any byte is sent: the leaf was judged, and no address is one of our own listeners. */
function admit(rt: RouterRuntime, target: Target): Target {
  try {
    target.route.admit(target.service, target.bound);
  } catch (e) {
    countRefusal(rt, e);
    throw e;
  }
  return target;
}

function countRefusal(rt: RouterRuntime, e: unknown): void {
  if (e instanceof SwitchyardError && (e.code === 'SY_ERR_DTAB_OVERRIDE_DENIED' || e.code === 'SY_ERR_SELF_ADDRESS')) {
    rt.stats.overridesRefused.inc();
  }
}

/** A route whose first request has looked up its metrics and retry budget. */
export type WarmRoute = Route & { stats: ScopeStats; budget: RetryBudget };

export interface Target {
  readonly service: string;
  readonly route: WarmRoute;
  readonly base: BaseDtab;
  readonly local: LocalDtab | null;
  readonly bound: Bound;
  readonly client: Client;
  readonly started: number;
  readonly url: string | undefined;
}
