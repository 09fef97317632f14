/**
 * Reading k8s/ the way kubectl and kustomize would, for test/unit/k8s-manifests.test.ts: every
 * YAML document of every file, what a kustomization deploys (with its components), and the pods
 * inside the workloads. No validator that checks how
 * objects refer to each other installs here (kubeconform is on neither npm nor Debian, kubectl
 * needs an API server for anything but `kustomize`), so the test checks those references itself.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from './repo.js';

export const k8sDir = path.join(repoRoot, 'k8s');

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are checked field by field.
export type K8sObject = Record<string, any>;

export interface Manifest {
  /** Path from the repository root, e.g. k8s/base/namerd.yaml. */
  readonly file: string;
  readonly index: number;
  readonly object: K8sObject;
}

export interface Deployable {
  /** The kustomization's directory from the repository root, e.g. k8s or k8s/daemonset. */
  readonly root: string;
  readonly namespace: string | undefined;
  readonly manifests: readonly Manifest[];
}

export interface PodTemplate {
  readonly owner: Manifest;
  readonly labels: Record<string, string>;
  readonly spec: K8sObject;
}

export const rel = (file: string): string => path.relative(repoRoot, file).split(path.sep).join('/');

export function yamlFiles(dir = k8sDir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return yamlFiles(full);
      return /\.ya?ml$/.test(name) ? [full] : [];
    });
}

/** Every non-empty document; a syntax error throws with the file, line and column. */
export function parseManifests(text: string, file: string): Manifest[] {
  const out: Manifest[] = [];
  for (const [index, doc] of parseAllDocuments(text).entries()) {
    const problem = doc.errors[0];
    if (problem) throw new Error(`${file}: ${problem.message}`);
    const object = doc.toJS() as unknown;
    if (object === null || object === undefined) continue;
    if (typeof object !== 'object' || Array.isArray(object)) throw new Error(`${file}#${index}: not a mapping`);
    out.push({ file, index, object: object as K8sObject });
  }
  return out;
}

export function readManifests(file: string): Manifest[] {
  return parseManifests(readFileSync(file, 'utf8'), rel(file));
}

export const isKustomization = (file: string): boolean => path.basename(file) === 'kustomization.yaml';

function kustomization(dir: string): K8sObject {
  return readManifests(path.join(dir, 'kustomization.yaml'))[0]?.object ?? {};
}

/**
 * What `kubectl kustomize DIR` would put together, with these components switched on besides
 * those it lists: its resource files, then each component's, with the component's JSON patches
 * applied (`replace` and `add` only; anything else is refused, not guessed at).
 */
export function deployable(dir: string, extraComponents: readonly string[] = []): Deployable {
  const k = kustomization(dir);
  const manifests = ((k.resources ?? []) as string[]).flatMap((r) => readManifests(path.resolve(dir, r)));
  const components = [...((k.components ?? []) as string[]), ...extraComponents];
  for (const c of components) applyComponent(manifests, path.resolve(dir, c));
  const root = rel(dir) + (extraComponents.length > 0 ? ` with components ${extraComponents.join(', ')}` : '');
  return { root, namespace: k.namespace as string | undefined, manifests };
}

function applyComponent(manifests: Manifest[], dir: string): void {
  const c = kustomization(dir);
  if (c.kind !== 'Component') throw new Error(`${rel(dir)} is not a kustomize Component`);
  manifests.push(...((c.resources ?? []) as string[]).flatMap((r) => readManifests(path.resolve(dir, r))));
  for (const patch of (c.patches ?? []) as K8sObject[]) {
    const file = path.resolve(dir, patch.path);
    const at = manifests.findIndex(
      (m) => m.object.kind === patch.target?.kind && m.object.metadata?.name === patch.target?.name,
    );
    if (at < 0) throw new Error(`${rel(file)}: no ${patch.target?.kind}/${patch.target?.name} to patch`);
    const target = manifests[at] as Manifest;
    const object = structuredClone(target.object);
    for (const op of parse(readFileSync(file, 'utf8')) as K8sObject[]) jsonPatch(object, op, rel(file));
    manifests[at] = { file: `${target.file} + ${rel(file)}`, index: target.index, object };
  }
}

function jsonPatch(object: K8sObject, op: K8sObject, file: string): void {
  if (op.op !== 'replace' && op.op !== 'add')
    throw new Error(`${file}: the test applies replace and add, not ${op.op}`);
  const keys = String(op.path).split('/').slice(1);
  const last = keys.pop() as string;
  let parent: K8sObject = object;
  for (const key of keys) parent = parent?.[key];
  if (parent === undefined || (op.op === 'replace' && !(last in parent)))
    throw new Error(`${file}: ${op.path} is not there`);
  parent[last] = op.value;
}

/** Files that kustomizations list as patches: fragments, not objects of their own. */
export function patchFiles(): string[] {
  return yamlFiles()
    .filter(isKustomization)
    .flatMap((k) =>
      ((kustomization(path.dirname(k)).patches ?? []) as K8sObject[]).map((p) => path.resolve(path.dirname(k), p.path)),
    );
}

/** Every file a kustomization or component lists as a resource or a patch. */
export function listedFiles(): string[] {
  return yamlFiles()
    .filter(isKustomization)
    .flatMap((k) => {
      const o = kustomization(path.dirname(k));
      const paths = [...((o.resources ?? []) as string[]), ...((o.patches ?? []) as K8sObject[]).map((p) => p.path)];
      return paths.map((p) => path.resolve(path.dirname(k), p));
    });
}

export function podTemplates(manifests: readonly Manifest[]): PodTemplate[] {
  return manifests.flatMap((m) => {
    const template = ['Deployment', 'DaemonSet', 'StatefulSet', 'Job'].includes(m.object.kind)
      ? m.object.spec?.template
      : m.object.kind === 'CronJob'
        ? m.object.spec?.jobTemplate?.spec?.template
        : undefined;
    if (!template?.spec) return [];
    return [{ owner: m, labels: template.metadata?.labels ?? {}, spec: template.spec }];
  });
}

export const containersOf = (spec: K8sObject): K8sObject[] => [
  ...(spec.initContainers ?? []),
  ...(spec.containers ?? []),
];

/** A native sidecar: an init container that keeps running beside the main containers. */
export const isSidecar = (spec: K8sObject, container: K8sObject): boolean =>
  (spec.initContainers ?? []).includes(container) && container.restartPolicy === 'Always';

export const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

export const describeObject = (m: Manifest): string => `${m.file}: ${m.object.kind}/${m.object.metadata?.name}`;

/** A flag in a `--help` text, e.g. `--listen HOST:PORT` (takes a value) or `--locker` (does not). */
export interface HelpFlag {
  readonly takesValue: boolean;
}

/** The flags a help text lists, by long name and by short letter. */
export function helpFlags(help: string): Map<string, HelpFlag> {
  const flags = new Map<string, HelpFlag>();
  for (const line of help.split('\n')) {
    const m = /^\s+(?:-([A-Za-z]), )?--([a-z0-9-]+)(=\S+)?( \S+(?: \S+)*?)?(?:\s{2,}|$)/.exec(line);
    if (!m) continue;
    const flag = { takesValue: m[4] !== undefined };
    flags.set(`--${m[2]}`, flag);
    if (m[1]) flags.set(`-${m[1]}`, flag);
  }
  return flags;
}

/** The first words of the lines of a help section such as `Commands:` or `Apps:`. */
export function helpSection(help: string, title: string): string[] {
  const block = help.split('\n\n').find((b) => b.trimStart().startsWith(`${title}:`));
  if (block === undefined) return [];
  return block
    .split('\n')
    .slice(1)
    .map((l) => /^ {2}(\S+)\s{2,}/.exec(l)?.[1])
    .filter((w): w is string => w !== undefined);
}

/**
 * The words of each command a shell script runs (simple scripts only: quotes, no expansions),
 * split at `;`, `|`, `&`, redirections and new lines.
 */
export function shellCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  const endWord = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === ' ' || c === '\t') endWord();
    else if (c === '\n' || c === ';' || c === '|' || c === '&') endCommand();
    else if (c === '>' || c === '<') {
      endCommand();
      while (script[i + 1] === ' ' || script[i + 1] === '>') i++;
      while (i + 1 < script.length && !/[\s;|&]/.test(script[i + 1] as string)) i++;
    } else word = (word ?? '') + c;
  }
  endCommand();
  return commands
    .map((ws) => (['if', 'then', 'else', 'elif', '!'].includes(ws[0] as string) ? ws.slice(1) : ws))
    .filter((ws) => ws.length > 0);
}
