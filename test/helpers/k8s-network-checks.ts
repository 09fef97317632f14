/**
 * What k8s/ NetworkPolicies let in, computed from the manifests as a network plugin would: for a
 * pod (by its labels) and a port, either `any` (no Ingress policy selects the pod, or a rule
 * admits the port from anywhere or from an ipBlock) or the `app.kubernetes.io/name`s of the pods
 * its rules admit. Only what k8s/ uses is understood (podSelector matchLabels and
 * matchExpressions with In, numeric ports); anything else counts as `any`, so an unexpected shape
 * fails the test rather than passing it.
 */
import type { K8sObject, Manifest } from './k8s-manifests.js';
import { matches } from './k8s-manifests.js';

const APP = 'app.kubernetes.io/name';

export type Sources = 'any' | Set<string>;

function sourceApps(peer: K8sObject): string[] | 'any' {
  if (peer.ipBlock !== undefined || peer.namespaceSelector !== undefined) return 'any';
  const selector = peer.podSelector;
  if (selector === undefined) return 'any';
  const labels = selector.matchLabels ?? {};
  const expressions: K8sObject[] = selector.matchExpressions ?? [];
  if (Object.keys(labels).some((k) => k !== APP) || expressions.some((e) => e.key !== APP || e.operator !== 'In'))
    return 'any';
  if (labels[APP] !== undefined && expressions.length > 0) return 'any';
  if (labels[APP] !== undefined) return [labels[APP]];
  if (expressions.length === 1) return expressions[0]!.values ?? [];
  return 'any';
}

/** Who may reach `port` on pods labelled `podLabels`. */
export function ingressSources(set: readonly Manifest[], podLabels: Record<string, string>, port: number): Sources {
  const policies = set
    .filter((m) => m.object.kind === 'NetworkPolicy')
    .map((m) => m.object.spec)
    .filter(
      (spec) => (spec.policyTypes ?? []).includes('Ingress') && matches(spec.podSelector?.matchLabels ?? {}, podLabels),
    );
  if (policies.length === 0) return 'any';
  const apps = new Set<string>();
  for (const spec of policies) {
    for (const rule of spec.ingress ?? []) {
      const ports: K8sObject[] = rule.ports ?? [];
      if (ports.length > 0 && !ports.some((p) => p.port === port)) continue;
      const from: K8sObject[] = rule.from ?? [];
      if (from.length === 0) return 'any';
      for (const peer of from) {
        const source = sourceApps(peer);
        if (source === 'any') return 'any';
        for (const app of source) apps.add(app);
      }
    }
  }
  return apps;
}
