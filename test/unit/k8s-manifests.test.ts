/**
 * k8s/ checked without a cluster (docs/kubernetes.md#what-ci-checks-and-what-it-cannot): every
 * document parses and has what its kind requires; names, selectors, ports, volumes, ServiceAccounts
 * and RBAC line up within each deployable set (k8s/ with the router as a sidecar, and with the
 * daemonset component); every switchyard command line uses only flags its `--help` lists, and the
 * router's and namerd's configurations pass the same validation the processes run at start; the
 * grace periods cover preStop, the router's drain and its in-flight requests; routers drain over
 * loopback; every router, registry and traffic peer needs the admin token from one Secret;
 * NetworkPolicies let only the pods that need them reach namerd, the registry, the peers, Redis and
 * the routers' admin port (docs/security.md). `kubectl kustomize`, the one part of kubectl that
 * works offline, builds each set when a recent enough kubectl is there, and the same checks run on
 * what it builds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Dtab } from '../../src/dtab/dtab.js';
import { validateExperiment } from '../../src/experiment/spec.js';
import {
  adminTokenProblems,
  commandProblems,
  containerProblems,
  flagValue,
  mountedFile,
  podContainers,
  role,
  terminationProblems,
} from '../helpers/k8s-container-checks.js';
import {
  type Deployable,
  deployable,
  describeObject,
  helpFlags,
  isKustomization,
  type K8sObject,
  k8sDir,
  listedFiles,
  type Manifest,
  parseManifests,
  patchFiles,
  podTemplates,
  readManifests,
  rel,
  shellCommands,
  yamlFiles,
} from '../helpers/k8s-manifests.js';
import { ingressSources } from '../helpers/k8s-network-checks.js';
import { find, grantsOf, objectProblems, setProblems } from '../helpers/k8s-object-checks.js';
import { repoRoot } from '../helpers/repo.js';

/** Files applied on their own, on demand, rather than through a kustomization. */
const STANDALONE = ['k8s/traffic-job.yaml'];

/** The switch in k8s/kustomization.yaml between the two router layouts (docs/kubernetes.md). */
const DAEMONSET_SWITCH = '# components:\n#   - daemonset\n';
const NAMESPACE = 'default';

const patches = new Set(patchFiles());
const manifestFiles = yamlFiles().filter((f) => !isKustomization(f) && !patches.has(f));
const sets = [deployable(k8sDir), deployable(k8sDir, ['daemonset'])];
/** Each deployable set with the on-demand files that are applied beside it. */
const withStandalone = (d: Deployable): Manifest[] => [
  ...d.manifests,
  ...STANDALONE.map((f) => path.join(repoRoot, f)).flatMap(readManifests),
];

describe('k8s/ manifests', () => {
  it('every file parses, and every document has what its kind requires', () => {
    expect(manifestFiles.length).toBeGreaterThan(5);
    const problems = manifestFiles
      .flatMap(readManifests)
      .flatMap((m) => objectProblems(m, { namespace: NAMESPACE, required: false }));
    expect(problems).toEqual([]);
  });

  it('k8s/ deploys the router as a sidecar, or per node with the daemonset component switched on', () => {
    expect(deployable(k8sDir).namespace).toBe(NAMESPACE);
    expect(readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8')).toContain(DAEMONSET_SWITCH);
    const [sidecar, daemonset] = sets.map((s) => podTemplates(s.manifests).map((p) => describeObject(p.owner)));
    expect(sidecar).toContain('k8s/web-with-router-sidecar.yaml: Deployment/web');
    expect(sidecar?.some((d) => d.includes('DaemonSet'))).toBe(false);
    expect(daemonset).toContain('k8s/daemonset/router-daemonset.yaml: DaemonSet/router');
    expect(daemonset).toContain(
      'k8s/web-with-router-sidecar.yaml + k8s/daemonset/web-pod-uses-node-router.yaml: Deployment/web',
    );
  });

  it('every file is listed by a kustomization, but the on-demand traffic Job', () => {
    const listed = new Set(listedFiles());
    expect(manifestFiles.filter((f) => !listed.has(f)).map(rel)).toEqual(STANDALONE);
  });

  for (const set of sets) {
    describe(`${set.root}/`, () => {
      const objects = withStandalone(set);
      it('names are unique per kind', () => {
        const ids = objects.map((m) => `${m.object.kind}/${m.object.metadata.name}`);
        expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
      });
      it('selectors, ports, volumes, Secrets, ServiceAccounts and bindings line up', () => {
        expect(setProblems(objects)).toEqual([]);
      });
      // Runs each command's --help as a process: slow on a loaded machine.
      it('switchyard and namectl command lines use only flags their --help lists; configurations validate', () => {
        expect(containerProblems(objects)).toEqual([]);
      }, 60_000);
      it('terminationGracePeriodSeconds covers preStop, the router drain and its in-flight cap', () => {
        expect(terminationProblems(objects)).toEqual([]);
      });
      it('routers: readiness on /ready, liveness on /healthz, preStop drains over loopback, all on the admin port', () => {
        const routers = podTemplates(objects)
          .flatMap(podContainers)
          .filter(({ c }) => role(c) === 'router');
        expect(routers.length).toBeGreaterThan(0);
        for (const { c } of routers) {
          expect(c.readinessProbe?.httpGet, c.name).toMatchObject({ path: '/ready', port: 'admin' });
          expect(c.livenessProbe?.httpGet, c.name).toMatchObject({ path: '/healthz', port: 'admin' });
          // The kubelet's httpGet comes from the node, and GET /prestop is answered only on loopback.
          expect(c.lifecycle?.preStop?.httpGet, c.name).toBeUndefined();
          const admin = c.ports.find((p: K8sObject) => p.name === 'admin').containerPort;
          const command: string[] = c.lifecycle?.preStop?.exec?.command ?? [];
          expect(command[0], c.name).toBe('node');
          expect(command.join(' '), c.name).toContain(`fetch('http://127.0.0.1:${admin}/prestop')`);
        }
      });
      it('routers, the registry and traffic peers need the admin token, from one Secret', () => {
        const { problems, secrets } = adminTokenProblems(objects);
        expect(problems).toEqual([]);
        expect([...secrets]).toEqual(['switchyard-admin-token']);
        const roles = podTemplates(objects)
          .flatMap(podContainers)
          .map(({ c }) => role(c));
        for (const r of ['router', 'registry', 'peer']) expect(roles).toContain(r);
      });
      it("NetworkPolicies: namerd, the registry, peers, Redis and routers' admin ports only from the pods that call them", () => {
        const podsOf = (app: string) => podTemplates(objects).filter((p) => p.labels['app.kubernetes.io/name'] === app);
        const expected: [app: string, port: number, from: string[]][] = [
          ['namerd', 4180, ['canary-controller', 'namerd-seed-dtab', 'router', 'traffic', 'web']],
          ['registry', 4190, ['canary-controller', 'chaos-experiment', 'router', 'traffic-peer', 'web']],
          ['traffic-peer', 8081, ['registry']],
          ['redis', 6379, ['namerd', 'registry']],
        ];
        // The routers' admin port, wherever a router runs in this set (web's sidecar, the DaemonSet),
        // for the registry's pushes; the traffic Job's router registers nowhere and is reached by nobody.
        for (const pod of podTemplates(objects)) {
          const router = pod.spec.containers
            .concat(pod.spec.initContainers ?? [])
            .find((c: K8sObject) => role(c) === 'router');
          const app = pod.labels['app.kubernetes.io/name']!;
          if (router !== undefined)
            expected.push([app, 9990, app === 'traffic' ? [] : ['canary-controller', 'chaos-experiment', 'registry']]);
        }
        expect(expected.some(([, port]) => port === 9990)).toBe(true);
        for (const [app, port, from] of expected) {
          const pods = podsOf(app);
          expect(pods.length, app).toBeGreaterThan(0);
          for (const pod of pods) {
            const sources = ingressSources(objects, pod.labels, port);
            expect(sources === 'any' ? 'any' : [...sources].sort(), `${app}:${port}`).toEqual(from);
          }
        }
        // What the mesh serves stays open: web's own port, and the node router's proxy port.
        for (const pod of podsOf('web')) expect(ingressSources(objects, pod.labels, 8080)).toBe('any');
        for (const pod of podsOf('router')) expect(ingressSources(objects, pod.labels, 4140)).toBe('any');
        expect(listedFiles().map(rel)).toContain('k8s/network-policy.yaml');
      });
    });
  }

  it('the chaos experiment CronJob: its experiment validates, and its ServiceAccount may do what its actions need in one namespace, nothing more', () => {
    for (const set of sets) {
      const objects = withStandalone(set);
      const runs = podTemplates(objects)
        .flatMap(podContainers)
        .filter(({ c }) => role(c) === 'chaos');
      expect(
        runs.map(({ pod }) => describeObject(pod.owner)),
        set.root,
      ).toEqual(['k8s/chaos-experiment.yaml: CronJob/chaos-experiment']);
      for (const { pod, c } of runs) {
        expect(c.args.slice(0, 2)).toEqual(['chaos', 'run']);
        const { experiment, problems } = validateExperiment(parseYaml(mountedFile(objects, pod, c, c.args[2])));
        expect(problems).toBeNull();
        // What the actions ask of the Kubernetes API: kill-pod lists a namespace's pods and deletes one.
        const namespaces = new Set<string>();
        const needed = new Set<string>();
        for (const a of experiment?.method ?? []) {
          if (a.action !== 'kill-pod') continue;
          namespaces.add(a.namespace);
          needed.add('pods:delete').add('pods:list');
        }
        expect([...namespaces]).toEqual([NAMESPACE]);
        const grants = grantsOf(objects, pod.spec.serviceAccountName);
        // One Role bound by one RoleBinding (so in the kustomization's namespace only), no wildcards.
        expect(grants.map((g) => [g.binding, g.role])).toEqual([
          ['RoleBinding/chaos-experiment', 'Role/chaos-experiment'],
        ]);
        const granted = new Set(
          grants.flatMap((g) => g.resources.flatMap((r) => g.verbs.map((v) => `${g.apiGroups.join(',')}/${r}:${v}`))),
        );
        expect([...granted].sort()).toEqual([...needed].map((n) => `/${n}`).sort());
        expect(pod.spec.automountServiceAccountToken).not.toBe(false);
        const cron = find(objects, 'CronJob', 'chaos-experiment')?.object;
        expect(cron?.spec).toMatchObject({ suspend: true, concurrencyPolicy: 'Forbid' });
        expect(cron?.spec.jobTemplate.spec.backoffLimit).toBe(0);
      }
    }
  });

  it("the namerd-dtabs ConfigMap has the rules of dtabs/default.dtab, and its Kubernetes names fit the apps' Services", () => {
    const objects = sets[0]?.manifests ?? [];
    const text = find(objects, 'ConfigMap', 'namerd-dtabs')?.object.data['default.dtab'];
    // The same rules in the same order; the comments may be worded for either place.
    const dtab = Dtab.read(text);
    expect(dtab.show()).toBe(Dtab.read(readFileSync(path.join(repoRoot, 'dtabs/default.dtab'), 'utf8')).show());
    const k8sNames = [...dtab.show().matchAll(/\/#\/io\.l5d\.k8s\/([^/;\s]+)\/([^/;\s]+)/g)];
    expect(k8sNames.length).toBeGreaterThan(0);
    const apps = ['web', 'word', 'gen', 'gen-growthhack'];
    for (const [, namespace, portName] of k8sNames) {
      expect(namespace).toBe(sets[0]?.namespace);
      for (const app of apps)
        expect(
          find(objects, 'Service', app)?.object.spec.ports.map((sp: K8sObject) => sp.name),
          app,
        ).toContain(portName);
    }
  });

  it('namerd runs two replicas on the Redis store, behind a control and a sync Service', () => {
    const objects = sets[0]?.manifests ?? [];
    const namerd = find(objects, 'Deployment', 'namerd');
    expect(namerd?.object.spec.replicas).toBe(2);
    expect(flagValue(namerd?.object.spec.template.spec.containers[0].args, '--store')).toBe('redis://redis:6379/0');
    expect(find(objects, 'Service', 'namerd-control')).toBeDefined();
    expect(find(objects, 'Service', 'namerd-sync')).toBeDefined();
  });

  it('the helpers read help texts and shell scripts as intended', () => {
    const flags = helpFlags('  -H, --header K  a header\n      --locker     flag\n      --pretty=false  compact\n');
    expect([...flags.entries()]).toEqual([
      ['--header', { takesValue: true }],
      ['-H', { takesValue: true }],
      ['--locker', { takesValue: false }],
      ['--pretty', { takesValue: false }],
    ]);
    expect(shellCommands('if namectl dtab get x > /dev/null; then\n  echo "a b"\nelse\n  namectl c "d e"\nfi')).toEqual(
      [['namectl', 'dtab', 'get', 'x'], ['echo', 'a b'], ['namectl', 'c', 'd e'], ['fi']],
    );
    expect(commandProblems('switchyard.js', ['router', '--lisen', '0.0.0.0:1'])).toEqual([
      '--lisen is not in `switchyard router --help`',
    ]);
    expect(commandProblems('switchyard.js', ['example-app', 'nope'])).toEqual([
      'nope is none of word, gen, gen-growthhack, web',
    ]);
    expect(parseManifests('a: 1\n---\n', 'x.yaml')).toHaveLength(1);
  });
});

/**
 * kubectl needs an API server for everything but `kustomize`. Debian's kubectl (1.20) embeds
 * kustomize 2.0, which knows no components; the machines' kubectl embeds a current one.
 */
function kustomizeVersion(): number | null {
  const r = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const v = /v(\d+)\./.exec(JSON.parse(r.stdout).kustomizeVersion ?? '')?.[1];
  return v === undefined ? null : Number(v);
}

const kustomize = kustomizeVersion();
const kustomizeTitle =
  kustomize !== null && kustomize >= 4
    ? `kubectl kustomize (v${kustomize}) builds each set, and what it builds passes the same checks`
    : 'SKIPPED extra check, kubectl kustomize: no kubectl with kustomize v4 or later here (the checks above still ran)';

/** `kubectl kustomize` of k8s/, with the components switched on as a user would: uncommented. */
function kustomizeBuild(components: readonly string[]): string {
  if (components.length === 0) return execFileSync('kubectl', ['kustomize', k8sDir], { encoding: 'utf8' });
  const copy = mkdtempSync(path.join(tmpdir(), 'k8s-'));
  try {
    cpSync(k8sDir, copy, { recursive: true });
    const file = path.join(copy, 'kustomization.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(DAEMONSET_SWITCH, `components:\n${components.map((c) => `  - ${c}\n`).join('')}`));
    return execFileSync('kubectl', ['kustomize', copy], { encoding: 'utf8' });
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

describe.skipIf(kustomize === null || kustomize < 4)('k8s/ through kubectl kustomize', () => {
  it(kustomizeTitle, () => {
    for (const [set, components] of [
      [sets[0], []],
      [sets[1], ['daemonset']],
    ] as const) {
      if (set === undefined) throw new Error('no set');
      const objects = parseManifests(kustomizeBuild(components), `kubectl kustomize ${set.root}`);
      expect(objects.length, set.root).toBe(set.manifests.length);
      // What kustomize built is what the checks above saw, but for the namespace it adds.
      const strip = (o: K8sObject) => ({ ...o, metadata: { ...o.metadata, namespace: undefined } });
      const byId = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
      for (const built of objects) {
        const seen = set.manifests.find((m) => byId(m.object) === byId(built.object));
        expect(JSON.parse(JSON.stringify(strip(built.object))), byId(built.object)).toEqual(
          JSON.parse(JSON.stringify(strip(seen?.object ?? {}))),
        );
      }
      const all = [...objects, ...withStandalone(set).slice(set.manifests.length)];
      const problems = [
        ...objects.flatMap((m) => objectProblems(m, { namespace: NAMESPACE, required: true })),
        ...setProblems(all),
        ...containerProblems(all),
        ...terminationProblems(all),
      ];
      expect(problems, set.root).toEqual([]);
    }
  });
});
