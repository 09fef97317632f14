/**
 * The Dockerfile, checked without a Docker engine (there is none here): every file it copies from
 * the build context exists and is not ignored by .dockerignore, stages refer to earlier stages,
 * the build stage compiles and the runtime stage installs production dependencies only, and the
 * entry point and the paths the image links to are files the image really gets. The k8s/
 * manifests run the image by the package's version.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { containersOf, deployable, k8sDir, podTemplates } from '../helpers/k8s-manifests.js';
import { repoRoot } from '../helpers/repo.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly stage: number;
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
  return lines.map((line) => {
    const [op = '', ...rest] = line.split(/\s+/);
    if (op.toUpperCase() === 'FROM') stage++;
    return { op: op.toUpperCase(), args: rest.join(' '), stage };
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
    return { stage: i.stage, from, sources: paths.slice(0, -1), dest: paths.at(-1) as string };
  });
const workdir = (stage: number): string =>
  dockerfile.filter((i) => i.op === 'WORKDIR' && i.stage === stage).at(-1)?.args ?? '/';

/** The build-context file that an absolute path of the final image comes from, if a COPY put it there. */
function contextFileOf(imagePath: string): string | undefined {
  for (const c of copies.filter((c) => c.stage === last && c.from === undefined)) {
    const dest = path.posix.resolve(workdir(last), c.dest);
    for (const source of c.sources) {
      const target = c.sources.length > 1 || c.dest.endsWith('/') ? path.posix.join(dest, source) : dest;
      if (imagePath === target) return source;
      if (imagePath.startsWith(`${target}/`)) return path.posix.join(source, imagePath.slice(target.length + 1));
    }
  }
  return undefined;
}

describe('Dockerfile', () => {
  it('builds on node:20 and runs on a slim node:20, in two stages', () => {
    expect(stages.length).toBe(2);
    expect(stages[0]?.[0]).toMatch(/^node:20(-|$)/);
    expect(stages[last]?.[0]).toMatch(/^node:20-.*slim$/);
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
    const runs = (stage: number) =>
      dockerfile
        .filter((i) => i.op === 'RUN' && i.stage === stage)
        .map((i) => i.args)
        .join('\n');
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
    expect(path.posix.resolve(workdir(last), dist?.dest ?? '')).toBe(path.posix.join(workdir(last), 'dist'));
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

  it('links namectl and switchyard onto PATH from files the image gets', () => {
    const links = dockerfile
      .filter((i) => i.op === 'RUN' && i.stage === last)
      .flatMap((i) => [...i.args.matchAll(/ln -s (\S+) (\S+)/g)]);
    expect(links.map((l) => path.posix.basename(l[2] as string)).sort()).toEqual(['namectl', 'switchyard']);
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
});
