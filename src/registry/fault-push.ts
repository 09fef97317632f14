/**
 * What the registry sends a pod's `/toxiproxy/` admin API to apply or take away fault configs.
 *
 * A config is applied with `POST /toxiproxy/populate` and the proxy (with its toxics) in the list:
 * one request that creates the proxy or replaces the one of that name, toxics included,
 * all-or-nothing on the pod. The alternative, `DELETE /toxiproxy/proxies/{name}` then
 * `POST /toxiproxy/proxies`, is two requests: between them the pod has no fault at all, a failed
 * second request leaves it with none, and two pushes racing on the name can each delete the
 * other's proxy or meet a 409. Populate also applies a label's whole set to a pod that just
 * registered in one request. Removal deletes by name; a 404 means the pod already lacks it.
 */
import type { FaultConfig } from './fault-config.js';
import type { PeerRequest } from './peer-caller.js';

export const TOXIPROXY_PATH = '/toxiproxy';

/** Creates or replaces these configs (each with its toxics) on a pod, in one request. */
export function applyFaults(configs: readonly FaultConfig[]): PeerRequest[] {
  return configs.length === 0 ? [] : [{ method: 'POST', path: `${TOXIPROXY_PATH}/populate`, body: configs }];
}

/** Deletes these faults from a pod, one request each; one it does not have counts as done. */
export function removeFaults(names: readonly string[]): PeerRequest[] {
  return names.map((name) => ({
    method: 'DELETE',
    path: `${TOXIPROXY_PATH}/proxies/${encodeURIComponent(name)}`,
    absentOk: true,
  }));
}
