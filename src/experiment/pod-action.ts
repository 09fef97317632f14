/**
 * Kill a random pod: list the pods of one namespace that match a label selector and delete one
 * of them, through the same Kubernetes client and connection settings as the io.l5d.k8s namer
 * (src/namers/k8s/: in-cluster service account, a kubeconfig, or an API URL). Pods already being
 * deleted are not candidates. Nothing is rolled back: the pod's controller (a Deployment's
 * ReplicaSet) makes a new one, which is exactly what the experiment tests.
 */
import { randomInt } from 'node:crypto';
import type { K8sApiClient } from '../namers/k8s/api-client.js';

export interface KilledPod {
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string | null;
  /** How many pods matched (the choice was among these). */
  readonly candidates: number;
}

const MAX_PODS = 500;
const TIMEOUT_MS = 10_000;

interface PodMeta {
  name?: unknown;
  uid?: unknown;
  deletionTimestamp?: unknown;
}

export async function killPod(
  client: K8sApiClient,
  namespace: string,
  labelSelector: string,
  signal: AbortSignal,
): Promise<KilledPod> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]);
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  const list = (await client.get(base, { labelSelector, limit: String(MAX_PODS) }, deadline)) as {
    items?: unknown;
  } | null;
  const items = Array.isArray(list?.items) ? (list.items as { metadata?: PodMeta }[]) : [];
  const alive = items
    .map((p) => p?.metadata)
    .filter(
      (m): m is PodMeta & { name: string } =>
        typeof m?.name === 'string' && /^[a-z0-9.-]{1,253}$/.test(m.name) && m.deletionTimestamp == null,
    );
  if (alive.length === 0) throw new Error(`no running pod in namespace ${namespace} matches ${labelSelector}`);
  const victim = alive[randomInt(alive.length)]!;
  await client.delete(`${base}/${encodeURIComponent(victim.name)}`, deadline);
  return {
    namespace,
    pod: victim.name,
    uid: typeof victim.uid === 'string' ? victim.uid : null,
    candidates: alive.length,
  };
}
