/**
 * Pods as objects in the fake (docs/experiments.md#testing-against-the-fake-api): what a
 * chaos experiment's kill-pod lists by label selector and deletes. These are the Pod objects
 * themselves, apart from cluster.ts, which derives a Service's endpoints from pod descriptions.
 */
import type { FakeK8s } from './fake-k8s-server.js';

export interface PodObject {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ip?: string;
}

export function putPod(fake: FakeK8s, pod: PodObject): void {
  fake.store.apply('pods', {
    metadata: { name: pod.name, namespace: pod.namespace ?? 'default', labels: { ...pod.labels } },
    spec: { containers: [{ name: 'app', image: 'switchyard:0.1.0' }] },
    status: { phase: 'Running', ...(pod.ip ? { podIP: pod.ip } : {}) },
  });
}

/** The names of the pods in a namespace, sorted. */
export function podNames(fake: FakeK8s, namespace = 'default'): string[] {
  return fake.store
    .list('pods', namespace)
    .map((o) => (o.metadata as { name: string }).name)
    .sort();
}

/** The DELETE requests the fake answered for pods, as `namespace/name`. */
export function podDeletes(fake: FakeK8s): string[] {
  return fake.requests
    .filter((r) => r.method === 'DELETE' && r.resource === 'pods' && r.status === 200)
    .map((r) => r.path.replace(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/, '$1/$2'));
}
