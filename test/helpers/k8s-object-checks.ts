/**
 * Checks of k8s/ objects that need no switchyard knowledge, for test/unit/k8s-manifests.test.ts:
 * what each kind requires, and how the objects of one deployable set refer to each other
 * (selectors, ports, volumes, Secrets and their keys, ServiceAccounts, roles and bindings).
 * Each returns the problems it finds, as lines that name the file and the object.
 */
import {
  containersOf,
  describeObject,
  isSidecar,
  type K8sObject,
  type Manifest,
  matches,
  podTemplates,
} from './k8s-manifests.js';

const API_VERSIONS: Record<string, string> = {
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  ServiceAccount: 'v1',
  Deployment: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
  ClusterRole: 'rbac.authorization.k8s.io/v1',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
  PodDisruptionBudget: 'policy/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  PersistentVolumeClaim: 'v1',
};
const CLUSTER_SCOPED = ['ClusterRole', 'ClusterRoleBinding'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;
const HANDLERS = ['httpGet', 'tcpSocket', 'exec', 'grpc', 'sleep'];

export function find(set: readonly Manifest[], kind: string, name: string): Manifest | undefined {
  return set.find((m) => m.object.kind === kind && m.object.metadata?.name === name);
}

/** Every problem with one document on its own. */
export function objectProblems(m: Manifest, opts: { namespace: string; required: boolean }): string[] {
  const p: string[] = [];
  const o = m.object;
  const name = o.metadata?.name;
  if (typeof o.kind !== 'string' || !(o.kind in API_VERSIONS)) return [`unknown kind ${o.kind}`];
  if (o.apiVersion !== API_VERSIONS[o.kind]) p.push(`apiVersion ${o.apiVersion}, expected ${API_VERSIONS[o.kind]}`);
  if (typeof name !== 'string' || !(o.kind === 'Service' ? DNS_LABEL : DNS_SUBDOMAIN).test(name))
    p.push(`metadata.name ${JSON.stringify(name)} is not a valid name`);
  const ns = o.metadata?.namespace;
  if (!CLUSTER_SCOPED.includes(o.kind) && (ns !== undefined || opts.required) && ns !== opts.namespace)
    p.push(`namespace ${ns}, expected ${opts.namespace} (the kustomization's)`);
  const spec = o.spec ?? {};
  if (o.kind === 'Deployment' || o.kind === 'DaemonSet') {
    const selector = spec.selector?.matchLabels ?? {};
    if (!matches(selector, spec.template?.metadata?.labels ?? {}))
      p.push('spec.selector.matchLabels is empty or not a subset of the template labels');
    if (![undefined, 'Always'].includes(spec.template?.spec?.restartPolicy)) p.push('pods must restart Always');
  }
  if (o.kind === 'Job' && !['Never', 'OnFailure'].includes(spec.template?.spec?.restartPolicy))
    p.push('a Job pod needs restartPolicy Never or OnFailure');
  if (o.kind === 'CronJob') {
    if (!['Never', 'OnFailure'].includes(spec.jobTemplate?.spec?.template?.spec?.restartPolicy))
      p.push('a CronJob pod needs restartPolicy Never or OnFailure');
    if (typeof spec.schedule !== 'string' || spec.schedule.trim().split(/\s+/).length !== 5)
      p.push(`schedule ${JSON.stringify(spec.schedule)} is not a five-field cron schedule`);
  }
  if (o.kind === 'Service') {
    const ports: K8sObject[] = spec.ports ?? [];
    if (ports.length === 0) p.push('Service without ports');
    for (const port of ports) {
      if (!Number.isInteger(port.port)) p.push(`Service port ${JSON.stringify(port)} has no port number`);
      if (ports.length > 1 && !port.name) p.push('a Service with several ports must name each');
    }
    if (Object.keys(spec.selector ?? {}).length === 0) p.push('Service without a selector');
  }
  if (o.kind === 'PodDisruptionBudget' && Object.keys(spec.selector?.matchLabels ?? {}).length === 0)
    p.push('PodDisruptionBudget without a selector');
  if ((o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') && (!o.roleRef?.name || !o.subjects?.length))
    p.push('binding without roleRef or subjects');
  if (o.kind === 'Secret' && o.stringData === undefined && o.data === undefined) p.push('Secret without data');
  if (o.kind === 'NetworkPolicy' && (spec.podSelector === undefined || !Array.isArray(spec.policyTypes)))
    p.push('NetworkPolicy without podSelector or policyTypes');
  const pod = o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
  if (pod) p.push(...podProblems(pod));
  return p.map((x) => `${describeObject(m)}: ${x}`);
}

function podProblems(spec: K8sObject): string[] {
  const p: string[] = [];
  const containers = containersOf(spec);
  if ((spec.containers ?? []).length === 0) p.push('no containers');
  const names = containers.map((c) => c.name);
  if (new Set(names).size !== names.length) p.push(`container names repeat: ${names.join(', ')}`);
  const volumes = new Set((spec.volumes ?? []).map((v: K8sObject) => v.name));
  for (const c of containers) {
    const where = `container ${c.name}`;
    if (typeof c.name !== 'string' || !DNS_LABEL.test(c.name)) p.push(`${where}: bad or missing name`);
    if (typeof c.image !== 'string' || !/:[\w.-]+$|@sha256:/.test(c.image) || c.image.endsWith(':latest'))
      p.push(`${where}: image ${c.image} must be pinned to a tag`);
    if (c.restartPolicy !== undefined && !(isSidecar(spec, c) && c.restartPolicy === 'Always'))
      p.push(`${where}: only an init container may set restartPolicy, and only to Always (a sidecar)`);
    const ports: K8sObject[] = c.ports ?? [];
    for (const port of ports) {
      if (!Number.isInteger(port.containerPort) || port.containerPort < 1 || port.containerPort > 65535)
        p.push(`${where}: containerPort ${port.containerPort}`);
      if (port.name !== undefined && !PORT_NAME.test(port.name)) p.push(`${where}: port name ${port.name} is invalid`);
    }
    const portExists = (ref: unknown) =>
      ports.some((port) => (typeof ref === 'number' ? port.containerPort === ref : port.name === ref));
    const hooks: [string, K8sObject | undefined][] = [
      ['readinessProbe', c.readinessProbe],
      ['livenessProbe', c.livenessProbe],
      ['startupProbe', c.startupProbe],
      ['preStop', c.lifecycle?.preStop],
      ['postStart', c.lifecycle?.postStart],
    ];
    for (const [what, hook] of hooks) {
      if (hook === undefined) continue;
      const handlers = HANDLERS.filter((h) => hook[h] !== undefined);
      if (handlers.length !== 1)
        p.push(`${where}: ${what} needs exactly one handler, has ${handlers.join(', ') || 'none'}`);
      const ref = hook.httpGet?.port ?? hook.tcpSocket?.port ?? hook.grpc?.port;
      if (ref !== undefined && !portExists(ref))
        p.push(`${where}: ${what} uses port ${ref}, which it does not declare`);
      if (hook.httpGet && !String(hook.httpGet.path ?? '').startsWith('/')) p.push(`${where}: ${what} needs a path`);
      if (what !== 'preStop' && what !== 'postStart' && hook.sleep) p.push(`${where}: a probe cannot sleep`);
    }
    if (isSidecar(spec, c) && c.readinessProbe === undefined) p.push(`${where}: a sidecar needs a readiness probe`);
    for (const mount of c.volumeMounts ?? [])
      if (!volumes.has(mount.name)) p.push(`${where}: mounts undeclared volume ${mount.name}`);
  }
  return p;
}

/** Every problem with how the objects of one deployable set refer to each other. */
export function setProblems(set: readonly Manifest[]): string[] {
  const p: string[] = [];
  const pods = podTemplates(set);
  const say = (m: Manifest, text: string) => p.push(`${describeObject(m)}: ${text}`);
  const services = set.filter((m) => m.object.kind === 'Service');
  for (const s of services) {
    const selected = pods.filter((pod) => matches(s.object.spec.selector ?? {}, pod.labels));
    if (selected.length === 0) say(s, `selector ${JSON.stringify(s.object.spec.selector)} matches no pods`);
    for (const port of s.object.spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const pod of selected) {
        const declared = containersOf(pod.spec).some((c) =>
          (c.ports ?? []).some((cp: K8sObject) => (typeof target === 'number' ? cp.containerPort : cp.name) === target),
        );
        if (!declared) say(s, `targetPort ${target} is on no container of ${describeObject(pod.owner)}`);
      }
    }
  }
  for (const pdb of set.filter((m) => m.object.kind === 'PodDisruptionBudget'))
    if (!pods.some((pod) => matches(pdb.object.spec.selector.matchLabels, pod.labels))) say(pdb, 'matches no pods');
  for (const b of set.filter((m) => ['RoleBinding', 'ClusterRoleBinding'].includes(m.object.kind))) {
    if (!find(set, b.object.roleRef?.kind, b.object.roleRef?.name))
      say(b, `roleRef ${b.object.roleRef?.kind}/${b.object.roleRef?.name} does not exist`);
    for (const s of b.object.subjects ?? [])
      if (s.kind === 'ServiceAccount' && !find(set, 'ServiceAccount', s.name))
        say(b, `subject ${s.name} does not exist`);
  }
  for (const pod of pods) {
    const account = pod.spec.serviceAccountName;
    if (account !== undefined && !find(set, 'ServiceAccount', account))
      say(pod.owner, `ServiceAccount ${account} missing`);
    for (const v of pod.spec.volumes ?? []) {
      if (v.configMap && !find(set, 'ConfigMap', v.configMap.name))
        say(pod.owner, `ConfigMap ${v.configMap.name} missing`);
      if (v.secret && !find(set, 'Secret', v.secret.secretName))
        say(pod.owner, `Secret ${v.secret.secretName} missing`);
      if (v.persistentVolumeClaim && !find(set, 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName))
        say(pod.owner, `PersistentVolumeClaim ${v.persistentVolumeClaim.claimName} missing`);
    }
    for (const c of containersOf(pod.spec))
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        if (!ref) continue;
        const source = find(set, e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
        if (!source || !(ref.key in { ...source.object.data, ...source.object.stringData }))
          say(pod.owner, `env ${e.name} refers to ${ref.name}/${ref.key}, which does not exist`);
      }
  }
  return p;
}

export interface Grant {
  /** `RoleBinding/x` or `ClusterRoleBinding/x`. */
  readonly binding: string;
  /** `Role/x` or `ClusterRole/x`. */
  readonly role: string;
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** Every rule a ServiceAccount is granted through the set's bindings, one entry per rule. */
export function grantsOf(set: readonly Manifest[], account: string): Grant[] {
  const grants: Grant[] = [];
  for (const b of set.filter((m) => ['RoleBinding', 'ClusterRoleBinding'].includes(m.object.kind))) {
    const bound = (b.object.subjects ?? []).some((s: K8sObject) => s.kind === 'ServiceAccount' && s.name === account);
    if (!bound) continue;
    const role = find(set, b.object.roleRef?.kind, b.object.roleRef?.name);
    for (const r of role?.object.rules ?? [])
      grants.push({
        binding: `${b.object.kind}/${b.object.metadata.name}`,
        role: `${b.object.roleRef.kind}/${b.object.roleRef.name}`,
        apiGroups: [...(r.apiGroups ?? [])].sort(),
        resources: [...(r.resources ?? [])].sort(),
        verbs: [...(r.verbs ?? [])].sort(),
        ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
      });
  }
  return grants;
}
