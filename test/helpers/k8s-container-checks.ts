/**
 * Checks of the switchyard containers in k8s/, for test/unit/k8s-manifests.test.ts: their command
 * lines against the built CLI's `--help`, the router's and namerd's effective configurations
 * (mounted file plus flags) through the validation the processes run at start, the Services their
 * URLs name, the RBAC the io.l5d.k8s namer needs, and grace periods against preStop, drain and
 * in-flight time (docs/kubernetes.md#draining-and-the-grace-periods).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { namerdConfig } from '../../src/config/namerd-config.js';
import { routerConfig } from '../../src/config/router-config.js';
import {
  containersOf,
  describeObject,
  helpFlags,
  helpSection,
  isSidecar,
  type K8sObject,
  type Manifest,
  type PodTemplate,
  podTemplates,
  shellCommands,
} from './k8s-manifests.js';
import { find } from './k8s-object-checks.js';
import { repoRoot } from './repo.js';

/**
 * After its drain grace, the router stops accepting and waits at most this long for requests in
 * flight before closing them (src/router/router.ts, `routerServer.stop(30_000)` in `drain`).
 */
const ROUTER_IN_FLIGHT_CAP_S = 30;

const BINS = { switchyard: 'switchyard.js', namectl: 'namectl.js' } as const;

const helps = new Map<string, string>();
/** `node bin/<bin> ...words --help` from the build that `npm test` makes first. */
function help(bin: string, words: readonly string[]): string {
  const key = [bin, ...words].join(' ');
  let text = helps.get(key);
  if (text === undefined) {
    text = execFileSync(process.execPath, [path.join(repoRoot, 'bin', bin), ...words, '--help'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    helps.set(key, text);
  }
  return text;
}

const isSwitchyardImage = (image: string): boolean => /^(?:.*\/)?switchyard(?::|@|$)/.test(image);

/** Problems with a command line: unknown commands and flags, flags without their value, unknown apps. */
export function commandProblems(bin: 'switchyard.js' | 'namectl.js', args: readonly string[]): string[] {
  const firstFlag = args.findIndex((a) => a.startsWith('-'));
  const leading = firstFlag === -1 ? args : args.slice(0, firstFlag);
  const commandPath = bin === 'switchyard.js' ? leading.slice(0, 1) : leading.slice(0, leading[0] === 'dtab' ? 2 : 1);
  if (bin === 'switchyard.js' && !helpSection(help(bin, []), 'Commands').includes(commandPath[0] ?? ''))
    return [`unknown command ${commandPath[0]}`];
  let text: string;
  try {
    text = help(bin, commandPath);
  } catch {
    return [`unknown command ${commandPath.join(' ')}`];
  }
  const flags = helpFlags(text);
  const problems: string[] = [];
  const positionals: string[] = [];
  for (let i = commandPath.length; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const name = arg.split('=')[0] as string;
    const flag = flags.get(name);
    const command = `${bin.replace('.js', '')} ${commandPath.join(' ')}`;
    if (flag === undefined) problems.push(`${name} is not in \`${command} --help\``);
    else if (flag.takesValue && !arg.includes('=')) {
      if (args[i + 1] === undefined || args[i + 1]?.startsWith('--')) problems.push(`${name} needs a value`);
      else i++;
    }
  }
  const apps = helpSection(text, 'Apps');
  if (apps.length > 0 && (positionals.length !== 1 || !apps.includes(positionals[0] as string)))
    problems.push(`${positionals.join(' ')} is none of ${apps.join(', ')}`);
  return problems;
}

/** The value of `--name VALUE` or `--name=VALUE`. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  for (const [i, a] of args.entries()) {
    if (a === name) return args[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

/** `--drain-grace-ms 5` → { drainGraceMs: '5' }, the shape the config loaders take flags in. */
function flagsObject(args: readonly string[], skip: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, a] of args.entries()) {
    if (!a.startsWith('--')) continue;
    const [name, inline] = a.slice(2).split('=') as [string, string | undefined];
    if (skip.includes(name)) continue;
    out[name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = inline ?? (args[i + 1] as string);
  }
  return out;
}

/** A file a container sees, read from the ConfigMap or Secret volume mounted over its directory. */
export function mountedFile(set: readonly Manifest[], pod: PodTemplate, container: K8sObject, file: string): string {
  const mount = (container.volumeMounts ?? []).find((m: K8sObject) => file.startsWith(`${m.mountPath}/`));
  if (!mount) throw new Error(`${file} is on no volume mount of ${container.name}`);
  const key = file.slice(mount.mountPath.length + 1);
  const volume = (pod.spec.volumes ?? []).find((v: K8sObject) => v.name === mount.name);
  const source = volume?.configMap
    ? find(set, 'ConfigMap', volume.configMap.name)
    : volume?.secret
      ? find(set, 'Secret', volume.secret.secretName)
      : undefined;
  const plain = source?.object.stringData?.[key] ?? source?.object.data?.[key];
  if (typeof plain !== 'string') throw new Error(`${file}: volume ${mount.name} has no key ${key}`);
  // A Secret's data is base64; its stringData, and a ConfigMap's data, are the text itself.
  const encoded = source?.object.kind === 'Secret' && source.object.stringData?.[key] === undefined;
  return encoded ? Buffer.from(plain, 'base64').toString('utf8') : plain;
}

/** Seconds a preStop hook holds the container before SIGTERM (an httpGet returns at once). */
function preStopSeconds(container: K8sObject): number {
  const hook = container.lifecycle?.preStop;
  if (hook?.sleep) return Number(hook.sleep.seconds);
  const command: string[] = hook?.exec?.command ?? [];
  const sleep = command.indexOf('sleep');
  return sleep >= 0 ? Number(command[sleep + 1]) : 0;
}

export const podContainers = (pod: PodTemplate) => containersOf(pod.spec).map((c) => ({ pod, c }));

/** A router's effective configuration: the mounted --config file plus its flags, validated as at start. */
export function routerSettings(set: readonly Manifest[], pod: PodTemplate, c: K8sObject) {
  const args: string[] = c.args;
  const file = flagValue(args, '--config');
  const text = file === undefined ? null : mountedFile(set, pod, c, file);
  // The token file is checked where it is mounted (adminTokenProblems), not read from this disk.
  return routerConfig(text, flagsObject(args.slice(1), ['config', 'admin-token-file']), file ?? 'config');
}

/**
 * Every router, registry and traffic peer takes the admin token from one file on a mounted
 * Secret (the same Secret for all: the registry and its peers send it to each other).
 */
export function adminTokenProblems(set: readonly Manifest[]): { problems: string[]; secrets: Set<string> } {
  const problems: string[] = [];
  const secrets = new Set<string>();
  for (const { pod, c } of podTemplates(set).flatMap(podContainers)) {
    if (!['router', 'registry', 'peer'].includes(role(c) ?? '')) continue;
    const where = `${describeObject(pod.owner)}: container ${c.name}`;
    const file = flagValue(c.args, '--admin-token-file');
    if (file === undefined) {
      problems.push(`${where}: no --admin-token-file`);
      continue;
    }
    try {
      const token = mountedFile(set, pod, c, file).trim();
      if (token === '' || /\s/.test(token)) problems.push(`${where}: ${file} is not one token`);
      const mount = (c.volumeMounts ?? []).find((m: K8sObject) => file.startsWith(`${m.mountPath}/`));
      const volume = (pod.spec.volumes ?? []).find((v: K8sObject) => v.name === mount?.name);
      if (volume?.secret === undefined) problems.push(`${where}: ${file} is not on a Secret volume`);
      else secrets.add(volume.secret.secretName);
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
  }
  return { problems, secrets };
}

function namerdSettings(set: readonly Manifest[], pod: PodTemplate, c: K8sObject) {
  const args: string[] = c.args;
  const file = flagValue(args, '--config');
  const text = file === undefined ? null : mountedFile(set, pod, c, file);
  const { namers, ...flags } = flagsObject(args.slice(1), ['config']);
  return namerdConfig(text, { ...flags, ...(namers ? { namers: [namers] } : {}) }, file ?? 'config');
}

export const role = (c: K8sObject): string | undefined =>
  isSwitchyardImage(c.image ?? '') && c.command === undefined ? c.args?.[0] : undefined;

/** Can this ServiceAccount get, list and watch this resource, through the set's bindings? */
function canWatch(set: readonly Manifest[], account: string, group: string, resource: string): boolean {
  return set.some((b) => {
    if (!['RoleBinding', 'ClusterRoleBinding'].includes(b.object.kind)) return false;
    const bound = (b.object.subjects ?? []).some((s: K8sObject) => s.kind === 'ServiceAccount' && s.name === account);
    const granted = find(set, b.object.roleRef?.kind, b.object.roleRef?.name);
    return (
      bound &&
      (granted?.object.rules ?? []).some(
        (r: K8sObject) =>
          r.apiGroups?.includes(group) &&
          r.resources?.includes(resource) &&
          ['get', 'list', 'watch'].every((v) => r.verbs?.includes(v)),
      )
    );
  });
}

/** `http://name:port` and `redis://name:port` in a text must name one of the set's Services and its port. */
function serviceUrlProblems(set: readonly Manifest[], text: string, where: string): string[] {
  const p: string[] = [];
  for (const [, host, port] of text.matchAll(/\b(?:https?|redis):\/\/([a-z][-a-z0-9]*)(?:\.[-a-z0-9.]+)?:(\d+)/g)) {
    if (host === 'localhost') continue;
    const service = find(set, 'Service', host as string);
    if (!service) p.push(`${where}: ${host}:${port} names no Service`);
    else if (!service.object.spec.ports.some((sp: K8sObject) => sp.port === Number(port)))
      p.push(`${where}: Service ${host} has no port ${port}`);
  }
  return p;
}

/** Command lines, configurations, RBAC and grace periods of every switchyard container in a set. */
export function containerProblems(set: readonly Manifest[]): string[] {
  const p: string[] = [];
  for (const { pod, c } of podTemplates(set).flatMap(podContainers)) {
    const where = `${describeObject(pod.owner)}: container ${c.name}`;
    if (!isSwitchyardImage(c.image)) continue;
    const script = c.command?.[0] === '/bin/sh' && c.command?.[1] === '-c' ? (c.args?.[0] as string) : undefined;
    if (c.command !== undefined && script === undefined) p.push(`${where}: use the image's entrypoint or /bin/sh -c`);
    const runs = script
      ? shellCommands(script)
          .filter((words) => words[0] === 'namectl' || words[0] === 'switchyard')
          .map((words) => ({ bin: words[0] === 'namectl' ? BINS.namectl : BINS.switchyard, args: words.slice(1) }))
      : [{ bin: BINS.switchyard, args: (c.args ?? []) as string[] }];
    if (script && runs.length === 0) p.push(`${where}: the script runs neither namectl nor switchyard`);
    for (const run of runs) for (const problem of commandProblems(run.bin, run.args)) p.push(`${where}: ${problem}`);
    const texts = [...(c.args ?? []), ...(c.env ?? []).map((e: K8sObject) => e.value ?? '')].join('\n');
    p.push(...serviceUrlProblems(set, texts, where));
    let k8sNamer = false;
    try {
      if (role(c) === 'router') {
        const config = routerSettings(set, pod, c);
        k8sNamer = config.namers.some((n) => n.kind === 'io.l5d.k8s');
        if (config.baseDtab.kind === 'namerd') p.push(...serviceUrlProblems(set, config.baseDtab.url, where));
        if (config.admin.host === '127.0.0.1') p.push(`${where}: the kubelet cannot probe an admin port on loopback`);
        const cache = config.baseDtab.kind === 'namerd' ? config.baseDtab.cacheFile : null;
        if (cache && !(c.volumeMounts ?? []).some((m: K8sObject) => cache.startsWith(`${m.mountPath}/`)))
          p.push(`${where}: the dtab cache ${cache} is on no volume (the root file system is read-only)`);
      }
      if (role(c) === 'namerd') {
        const config = namerdSettings(set, pod, c);
        k8sNamer = config.namers.some((n) => n.kind === 'io.l5d.k8s');
        p.push(...serviceUrlProblems(set, config.store, where));
        if (config.tokenFile) mountedFile(set, pod, c, config.tokenFile);
      }
    } catch (e) {
      p.push(`${where}: ${(e as Error).message}`);
    }
    if (k8sNamer) {
      const account = pod.spec.serviceAccountName ?? 'default';
      if (pod.spec.automountServiceAccountToken === false) p.push(`${where}: io.l5d.k8s needs the mounted token`);
      for (const [group, resource] of [
        ['discovery.k8s.io', 'endpointslices'],
        ['', 'services'],
        ['', 'endpoints'],
      ] as const)
        if (!canWatch(set, account, group, resource))
          p.push(`${where}: ServiceAccount ${account} may not get/list/watch ${resource} (io.l5d.k8s)`);
    }
  }
  return p;
}

/** Seconds each container needs from the start of termination to its exit, and the pod's total. */
export function terminationProblems(set: readonly Manifest[]): string[] {
  const p: string[] = [];
  for (const pod of podTemplates(set)) {
    const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
    const needs = (c: K8sObject): number => {
      const router =
        role(c) === 'router' ? routerSettings(set, pod, c).drainGraceMs / 1000 + ROUTER_IN_FLIGHT_CAP_S : 0;
      return preStopSeconds(c) + router;
    };
    // Native sidecars get their preStop and SIGTERM only once every main container has exited.
    const main = Math.max(0, ...(pod.spec.containers ?? []).map(needs));
    const sidecars = Math.max(
      0,
      ...(pod.spec.initContainers ?? []).filter((c: K8sObject) => isSidecar(pod.spec, c)).map(needs),
    );
    if (!(grace > main + sidecars))
      p.push(
        `${describeObject(pod.owner)}: terminationGracePeriodSeconds ${grace} does not cover preStop, drain and in-flight requests (${main} s + ${sidecars} s)`,
      );
  }
  return p;
}
