/**
 * namectl finds namerd as namerctl's users expect, and more safely: --base-url, then
 * NAMECTL_BASE_URL, then NAMERCTL_BASE_URL, then the `base-url` of namerctl's `.namerctl.<ext>`
 * (in this directory or one above, or --config FILE), then http://127.0.0.1:4180. A config file
 * that cannot be read is an error (exit 2), not a silent fallback. namectl keeps its own output
 * where the twin prints namerctl's: `update` names the new version.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as namectl } from '../../src/cli/namectl.js';
import { runMain } from '../helpers/cli-run.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';

let namerd: RunningNamerd;
let tmp: string;
const DEAD = 'http://127.0.0.1:1';

beforeAll(async () => {
  namerd = await startNamerd();
  tmp = await mkdtemp(join(tmpdir(), 'namectl-config-'));
});

afterAll(async () => {
  await Promise.all([namerd.close(), rm(tmp, { recursive: true, force: true })]);
});

describe('namectl and .namerctl.<ext>', () => {
  it('takes flag > NAMECTL_BASE_URL > NAMERCTL_BASE_URL > config file > default', async () => {
    const project = join(tmp, 'project');
    const cwd = join(project, 'sub');
    await mkdir(cwd, { recursive: true });
    await writeFile(join(project, '.namerctl.yml'), `base-url: ${namerd.url}\n`);
    const ls = (env: Record<string, string>, args: string[] = []) =>
      runMain(namectl, [...args, 'dtab', 'ls'], { cwd, env });

    expect((await ls({})).code).toBe(0);
    expect((await ls({ NAMERCTL_BASE_URL: DEAD })).code).toBe(2);
    expect((await ls({ NAMECTL_BASE_URL: DEAD, NAMERCTL_BASE_URL: namerd.url })).code).toBe(2);
    expect((await ls({ NAMECTL_BASE_URL: namerd.url, NAMERCTL_BASE_URL: DEAD })).code).toBe(0);
    expect((await ls({ NAMECTL_BASE_URL: DEAD }, ['--base-url', namerd.url])).code).toBe(0);

    // Without a config file the default is namerd's own port (where another namerd may be running).
    const bare = await runMain(namectl, ['dtab', 'ls'], { cwd: tmp, env: {} });
    expect(bare.code === 0 || bare.stderr.includes('cannot reach namerd at http://127.0.0.1:4180')).toBe(true);
  });

  it('reads --config FILE, and refuses one it cannot read', async () => {
    const file = join(tmp, 'namerd.toml');
    await writeFile(file, `# where namerd is\nbase-url = "${namerd.url}"\n`);
    expect((await runMain(namectl, ['--config', file, 'dtab', 'ls'], { cwd: tmp, env: {} })).code).toBe(0);
    expect((await runMain(namectl, ['dtab', 'ls', '--config', file], { cwd: tmp, env: {} })).code).toBe(0);

    const broken = join(tmp, 'broken.json');
    await writeFile(broken, '{"base-url": ');
    const refused = await runMain(namectl, ['--config', broken, 'dtab', 'ls'], { cwd: tmp, env: {} });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^namectl: While parsing config: /);
    const absent = await runMain(namectl, ['--config', join(tmp, 'absent.yaml'), 'dtab', 'ls'], { cwd: tmp, env: {} });
    expect(absent).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file or directory') });
  });

  it('keeps its own update: a compare-and-set that names the new version, and no upsert', async () => {
    const run = (args: string[], input?: string) =>
      runMain(namectl, args, {
        cwd: tmp,
        env: { NAMECTL_BASE_URL: namerd.url },
        ...(input === undefined ? {} : { input }),
      });
    expect((await run(['dtab', 'update', 'absent', '-'], '/a=>/b')).code).toBe(1);
    await run(['dtab', 'create', 'own', '-'], '/a=>/b');
    expect((await run(['dtab', 'update', 'own', '-'], '/a=>/c')).stdout).toBe('Updated own (version 2)\n');
  });
});
