/**
 * Where the evidence comes from: the routers' admin ports, given as URLs or found in a registry
 * (its peers under a label are routers, registered at their admin addresses); which client ids
 * the canary and the primary bind to (the router's own delegator explains the paths, so the ids
 * are exactly the ones its metrics are kept under); and when routers have taken a written
 * version (their `/admin/dtab` names namerd's version), so a window never counts traffic that
 * was still routed by the previous step.
 */
import type { JsonDelegateTree } from '../naming/delegate-json.js';
import { type FetchLimits, getJson } from './bounded-fetch.js';
import { LIMITS } from './spec.js';

/** The admin URLs of the routers registered in `registry` under `label`. */
export async function routersFromRegistry(registry: string, label: string, limits: FetchLimits): Promise<string[]> {
  const peers = await getJson(`${registry}/registry/peers`, limits);
  const entry = (peers as Record<string, unknown> | null)?.[label] as { pods?: unknown } | undefined;
  const pods = entry?.pods;
  if (pods === null || typeof pods !== 'object') return [];
  const urls: string[] = [];
  for (const [address, pod] of Object.entries(pods as Record<string, unknown>)) {
    if ((pod as { healthy?: unknown } | null)?.healthy === false) continue;
    if (!/^[A-Za-z0-9.:[\]-]{1,100}$/.test(address)) continue;
    urls.push(`http://${address}`);
    if (urls.length >= LIMITS.maxRouters) break;
  }
  return urls;
}

/** The bound ids a path reaches through a router's current dtab (`/#/io.l5d.k8s/default/grpc/gen`). */
export async function boundIds(adminUrl: string, path: string, limits: FetchLimits): Promise<string[]> {
  const tree = await getJson(`${adminUrl}/delegator.json?path=${encodeURIComponent(path)}`, limits);
  const ids = new Set<string>();
  collect(tree as JsonDelegateTree, ids, 0);
  return [...ids];
}

function collect(tree: JsonDelegateTree | undefined, ids: Set<string>, depth: number): void {
  if (tree === null || typeof tree !== 'object' || depth > 64 || ids.size >= 64) return;
  if (tree.type === 'leaf' && typeof tree.bound?.id === 'string') ids.add(tree.bound.id);
  if (tree.delegate !== undefined) collect(tree.delegate, ids, depth + 1);
  // Under `|` only the first alternative that binds takes traffic, but any of them may: keep all.
  if (Array.isArray(tree.alt)) for (const t of tree.alt.slice(0, 64)) collect(t, ids, depth + 1);
  if (Array.isArray(tree.union)) for (const u of tree.union.slice(0, 64)) collect(u?.tree, ids, depth + 1);
}

/**
 * Waits until every router routes with namerd's `version` (ETag), or `timeoutMs` passes;
 * resolves to the routers still behind. Routers that do not take this namespace from namerd are not waited for.
 */
export async function waitForVersion(
  routers: readonly string[],
  namespace: string,
  version: string,
  timeoutMs: number,
  limits: FetchLimits,
): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  let behind = [...routers];
  for (;;) {
    const checks = await Promise.all(
      behind.map(async (r) => {
        try {
          const info = (await getJson(`${r}/admin/dtab`, limits)) as { source?: unknown; version?: unknown } | null;
          const source = typeof info?.source === 'string' ? info.source : '';
          return !(source.startsWith('namerd:') && source.endsWith(`/${namespace}`)) || info?.version === version;
        } catch {
          return false;
        }
      }),
    );
    behind = behind.filter((_, i) => !checks[i]);
    if (behind.length === 0 || Date.now() >= until || limits.signal?.aborted === true) return behind;
    await new Promise((r) => setTimeout(r, 100));
  }
}
