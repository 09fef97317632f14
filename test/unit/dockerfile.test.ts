/**
 * The Dockerfile, checked without a Docker engine (there is none here): every file it copies from
 * the build context exists and is not ignored by .dockerignore, stages refer to earlier stages,
 * the build stage compiles and the runtime stage installs production dependencies only, and the
 * entry point and the paths the image links to are files the image really gets. It runs on the
 * current Node LTS as a non-root user, from a data volume that user owns (namerd's default file
 * store is relative to it), with a node-based HEALTHCHECK. The k8s/ manifests run the image by
 * the package's version.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultOf } from '../../src/config/config-schema.js';
import { NAMERD_FIELDS } from '../../src/config/namerd-keys.js';
import { containersOf, deployable, k8sDir, podTemplates } from '../helpers/k8s-manifests.js';
import { repoRoot } from '../helpers/repo.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly stage: number;
  /** The working directory in force for this instruction (the stage's latest WORKDIR before it). */
  readonly cwd: string;
}

/** Instructions in order, continuation lines joined, comments dropped, each with its stage's index. */
function instructions(text: string): Instruction[] {
  const lines = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  let stage = -1;
  let cwd = '/';
  return lines.map((line) => {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      stage++;
      cwd = '/';
    }
    if (op.toUpperCase() === 'WORKDIR') cwd = path.posix.resolve(cwd, args);
    return { op: op.toUpperCase(), args, stage, cwd };
  });
}

/** .dockerignore patterns that match a path or one of its parents (plain names and `*` globs). */
function ignoredBy(patterns: readonly string[], file: string): string | undefined {
  const parts = file.split('/');
  return patterns.find((p) => {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    return parts.some((_, i) => re.test(parts.slice(0, i + 1).join('/')));
  });
}

const dockerfile = instructions(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
const ignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const stages = dockerfile.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/));
const last = stages.length - 1;
const copies = dockerfile
  .filter((i) => i.op === 'COPY')
  .map((i) => {
    const words = i.args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    return {
      stage: i.stage,
      from,
      sources: paths.slice(0, -1),
      dest: path.posix.resolve(i.cwd, paths.at(-1) as string),
      intoDir: paths.length > 2 || (paths.at(-1) as string).endsWith('/'),
    };
  });
/** Where the stage's code lives: its first WORKDIR (a later one is where the processes run). */
const workdir = (stage: number): string => dockerfile.find((i) => i.op === 'WORKDIR' && i.stage === stage)?.args ?? '/';
const runs = (stage: number) =>
  dockerfile
    .filter((i) => i.op === 'RUN' && i.stage === stage)
    .map((i) => i.args)
    .join('\n');
/** The node major an image tag such as node:24-bookworm-slim names. */
const nodeMajor = (image: string | undefined) => Number(/^node:(\d+)/.exec(image ?? '')?.[1]);

/** The build-context file that an absolute path of the final image comes from, if a COPY put it there. */
function contextFileOf(imagePath: string): string | undefined {
  for (const c of copies.filter((c) => c.stage === last && c.from === undefined)) {
    const dest = c.dest;
    for (const source of c.sources) {
      // Into a directory, a file keeps its own name (`COPY scripts/x.mjs ./scripts/` → scripts/x.mjs).
      const target = c.intoDir ? path.posix.join(dest, path.posix.basename(source)) : dest;
      if (imagePath === target) return source;
      if (imagePath.startsWith(`${target}/`)) return path.posix.join(source, imagePath.slice(target.length + 1));
    }
  }
  return undefined;
}

describe('Dockerfile', () => {
  it('builds and runs on the current Node LTS (24; Node 20 reached its end of life), slim to run', () => {
    expect(stages.length).toBe(2);
    expect(nodeMajor(stages[0]?.[0])).toBeGreaterThanOrEqual(24);
    expect(nodeMajor(stages[last]?.[0])).toBe(nodeMajor(stages[0]?.[0]));
    expect(stages[last]?.[0]).toMatch(/-slim$/);
    // …and package.json lets that Node run it.
    const { engines } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    expect(engines.node).toMatch(/>=\s*2[0-4]/);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const sources = copies.filter((c) => c.from === undefined).flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(path.join(repoRoot, source)), source).toBe(true);
      expect(ignoredBy(ignore, source), source).toBeUndefined();
    }
  });

  it('copies --from earlier stages only', () => {
    const names = stages.map((s) => s[2]);
    for (const c of copies.filter((c) => c.from !== undefined)) {
      expect(names.slice(0, c.stage), c.from).toContain(c.from);
    }
  });

  it('compiles with npm ci and npm run build, and installs only production dependencies to run', () => {
    expect(runs(0)).toMatch(/npm ci\b/);
    expect(runs(0)).toMatch(/npm run build\b/);
    expect(runs(last)).toMatch(/npm ci --omit=dev\b/);
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    expect(pkg.scripts.build).toBeDefined();
    // The entry points, the example dtabs, and package.json (read for --version) from the context…
    for (const needed of ['bin', 'dtabs', 'package.json'])
      expect(contextFileOf(path.posix.join(workdir(last), needed)), needed).toBe(needed);
    // …and the compiled code from the build stage, where tsconfig.build.json puts it.
    const dist = copies.find((c) => c.stage === last && c.from !== undefined);
    expect(dist?.sources).toEqual([path.posix.join(workdir(0), 'dist')]);
    expect(dist?.dest).toBe(path.posix.join(workdir(last), 'dist'));
    const tsconfig = JSON.parse(readFileSync(path.join(repoRoot, 'tsconfig.build.json'), 'utf8'));
    expect(tsconfig.compilerOptions.outDir).toBe('dist');
  });

  it('starts node bin/switchyard.js, a file the image gets, which loads the compiled CLI', () => {
    const entry = dockerfile.find((i) => i.op === 'ENTRYPOINT');
    const argv = JSON.parse(entry?.args ?? 'null') as string[];
    expect(argv[0]).toBe('node');
    const file = contextFileOf(path.posix.resolve(workdir(last), argv[1] as string));
    expect(file).toBe('bin/switchyard.js');
    const bin = readFileSync(path.join(repoRoot, file as string), 'utf8');
    const target = /from '\.\.\/dist\/(.+)\.js'/.exec(bin)?.[1];
    expect(existsSync(path.join(repoRoot, 'src', `${target}.ts`)), `src/${target}.ts`).toBe(true);
  });

  it('links namectl, namerctl and switchyard onto PATH from files the image gets', () => {
    const links = dockerfile
      .filter((i) => i.op === 'RUN' && i.stage === last)
      .flatMap((i) => [...i.args.matchAll(/ln -s (\S+) (\S+)/g)]);
    expect(links.map((l) => path.posix.basename(l[2] as string)).sort()).toEqual(['namectl', 'namerctl', 'switchyard']);
    for (const [, from] of links)
      expect(existsSync(path.join(repoRoot, contextFileOf(from as string) ?? '-')), from).toBe(true);
  });

  it('runs as a numeric non-root user, so that runAsNonRoot can check it', () => {
    const user = dockerfile.filter((i) => i.op === 'USER' && i.stage === last).at(-1)?.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it("is what k8s/ runs: every switchyard container's image is switchyard:<package.json version>", () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const images = [deployable(k8sDir), deployable(k8sDir, ['daemonset'])]
      .flatMap((d) => podTemplates(d.manifests))
      .flatMap((p) => containersOf(p.spec).map((c) => String(c.image)))
      .filter((image) => image.startsWith('switchyard'));
    expect(images.length).toBeGreaterThan(5);
    expect(new Set(images)).toEqual(new Set([`switchyard:${version}`]));
    expect(readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8')).toContain(`newTag: ${version}`);
  });

  it("runs in a data volume its non-root user owns, where namerd's default file store is writable", () => {
    const user = dockerfile.filter((i) => i.op === 'USER' && i.stage === last).at(-1);
    const uid = user?.args.split(':')[0];
    const volume = dockerfile.find((i) => i.op === 'VOLUME' && i.stage === last);
    const volumes = volume?.args.startsWith('[')
      ? (JSON.parse(volume.args) as string[])
      : (volume?.args.split(/\s+/) ?? []);
    expect(volumes).toHaveLength(1);
    const data = volumes[0]!;
    // The processes run in the volume: the last WORKDIR, in force for USER, ENTRYPOINT and CMD.
    expect(user?.cwd).toBe(data);
    expect(dockerfile.find((i) => i.op === 'ENTRYPOINT')?.cwd).toBe(data);
    // Owned by the user, before VOLUME (a new volume starts as a copy of the image's directory).
    const chown = dockerfile.find((i) => i.op === 'RUN' && i.stage === last && /\bchown\b/.test(i.args));
    expect(chown?.args).toMatch(new RegExp(`chown (-R )?${uid}(:\\d+)? ${data}(\\s|$)`));
    expect(dockerfile.indexOf(chown!)).toBeLessThan(dockerfile.indexOf(volume!));
    // namerd's default store is a relative path, so it lands inside the volume.
    expect(defaultOf(NAMERD_FIELDS, 'store')).toMatch(/^file:\.\//);
  });

  it('has a HEALTHCHECK that needs nothing but node, on a script the image gets', () => {
    const health = dockerfile.filter((i) => i.op === 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    const cmd = /\bCMD\s+(\[.*\])$/.exec(health[0]!.args)?.[1];
    const argv = JSON.parse(cmd ?? 'null') as string[];
    expect(argv[0]).toBe('node');
    expect(contextFileOf(argv[1]!)).toBe('scripts/docker-healthcheck.mjs');
    expect(health[0]!.args).toMatch(/--timeout=\d+s/);
    expect(health[0]!.args).not.toMatch(/curl|wget/);
  });
});
