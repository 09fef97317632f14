/**
 * The gRPC walkthrough's topology as k8s/ deploys it, read from the manifests for
 * test/unit/k8s-gob-walkthrough.test.ts and test/integration/k8s-gob-walkthrough.test.ts: the
 * dtab namerd is seeded with (what the seed Job reads from its mounted ConfigMap), the routers'
 * shared configuration, the walkthrough apps' Services and the container ports their named
 * targetPorts resolve to, and where each router-using container sends its calls.
 */
import { flagValue, mountedFile, podContainers, role } from './k8s-container-checks.js';
import {
  type Deployable,
  deployable,
  type K8sObject,
  k8sDir,
  type Manifest,
  type PodTemplate,
  podTemplates,
  readManifests,
  shellCommands,
} from './k8s-manifests.js';
import { find } from './k8s-object-checks.js';

/** linkerd's gRPC walkthrough's dtab for namerd's `default` namespace, rule for rule. */
export const WALKTHROUGH_DTAB =
  '/srv => /#/io.l5d.k8s/default/grpc ; /srv/proto.GenSvc => /srv/gen ; /srv/proto.WordSvc => /srv/word ; /grpc => /srv ;';

/** The walkthrough's staging step: one dentry in an l5d-dtab header. */
export const STAGING_DENTRY = '/srv/gen => /srv/gen-growthhack';

export const GOB_APPS = ['word', 'gen', 'gen-growthhack', 'web'] as const;

/** The sidecar set (what `kubectl apply -k k8s/` applies) and the DaemonSet one, each with the traffic Job beside it. */
export function walkthroughSets(): { readonly layout: string; readonly set: Deployable; readonly all: Manifest[] }[] {
  const job = readManifests(`${k8sDir}/traffic-job.yaml`);
  return [
    { layout: 'sidecar', set: deployable(k8sDir) },
    { layout: 'daemonset', set: deployable(k8sDir, ['daemonset']) },
  ].map(({ layout, set }) => ({ layout, set, all: [...set.manifests, ...job] }));
}

/** The file the seed Job's `namectl dtab create default FILE` reads, as its container sees it. */
export function seededDtab(set: readonly Manifest[]): { file: string; text: string } {
  const pod = podTemplates(set).find(
    (p) => p.owner.object.kind === 'Job' && p.owner.object.metadata.name === 'namerd-seed-dtab',
  );
  if (pod === undefined) throw new Error('no Job namerd-seed-dtab');
  const container = pod.spec.containers[0] as K8sObject;
  const create = shellCommands(container.args[0] as string).find(
    (w) => w.slice(0, 4).join(' ') === 'namectl dtab create default',
  );
  const file = create?.[4];
  if (file === undefined) throw new Error('the seed Job runs no `namectl dtab create default FILE`');
  return { file, text: mountedFile(set, pod, container, file) };
}

/** Every switchyard router container in a set, with its pod. */
export function routers(set: readonly Manifest[]): { pod: PodTemplate; c: K8sObject }[] {
  return podTemplates(set)
    .flatMap(podContainers)
    .filter(({ c }) => role(c) === 'router');
}

/** The router.yaml every router mounts (they share one ConfigMap; the test checks that too). */
export function routerYaml(set: readonly Manifest[]): string {
  const texts = new Set(
    routers(set).map(({ pod, c }) => mountedFile(set, pod, c, flagValue(c.args, '--config') as string)),
  );
  if (texts.size !== 1) throw new Error(`routers mount ${texts.size} different configurations`);
  return [...texts][0] as string;
}

export interface GobService {
  readonly name: string;
  /** The Service port named `grpc`, if any. */
  readonly port: K8sObject | undefined;
  /** The container port its targetPort resolves to on the Service's pods (by name or number). */
  readonly containerPort: number | undefined;
  /** The pods' app container, the one that serves the port. */
  readonly container: K8sObject | undefined;
}

export function gobService(set: readonly Manifest[], name: string): GobService {
  const service = find(set, 'Service', name)?.object;
  const port = (service?.spec.ports ?? []).find((p: K8sObject) => p.name === 'grpc');
  const selector: Record<string, string> = service?.spec.selector ?? {};
  const pods = podTemplates(set).filter((p) => Object.entries(selector).every(([k, v]) => p.labels[k] === v));
  const served = pods.flatMap((p) =>
    (p.spec.containers as K8sObject[]).flatMap((c) =>
      (c.ports ?? [])
        .filter((cp: K8sObject) => cp.name === port?.targetPort || cp.containerPort === port?.targetPort)
        .map((cp: K8sObject) => ({ c, containerPort: cp.containerPort as number })),
    ),
  );
  return { name, port, containerPort: served[0]?.containerPort, container: served[0]?.c };
}

/**
 * The router a container's calls go to, as `host:port` with the downward-API variables it uses
 * spelled as what they are: `127.0.0.1:4140`, or `status.hostIP:4140`.
 */
export function calledRouter(c: K8sObject, url: string): string {
  const parsed = /^http:\/\/([^/:]+):(\d+)\/?$/.exec(url);
  if (!parsed) throw new Error(`${c.name}: ${url} is not http://HOST:PORT`);
  let host = parsed[1] as string;
  const variable = /^\$\(([A-Z_]+)\)$/.exec(host)?.[1];
  if (variable !== undefined) {
    const env = (c.env ?? []).find((e: K8sObject) => e.name === variable);
    host = env?.valueFrom?.fieldRef?.fieldPath ?? `unset ${variable}`;
  }
  return `${host}:${parsed[2]}`;
}
