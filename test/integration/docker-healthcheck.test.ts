/**
 * The image's HEALTHCHECK script (scripts/docker-healthcheck.mjs) against a real namerd process:
 * it finds the role and its --listen address in the main process's command line (here the test's
 * child, named by SWITCHYARD_HEALTH_PID instead of the container's pid 1), and it calls a process
 * that stopped answering unhealthy.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, type NamerdProcess, startNamerdProcess } from '../helpers/namerd-process.js';
import { repoRoot } from '../helpers/repo.js';

const run = promisify(execFile);
const script = join(repoRoot, 'scripts', 'docker-healthcheck.mjs');
const dir = mkdtempSync(join(tmpdir(), 'healthcheck-'));
let namerd: NamerdProcess | undefined;

afterAll(async () => {
  if (namerd?.child.signalCode === null) namerd.child.kill('SIGCONT');
  await namerd?.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function check(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [script], { env: { ...process.env, ...env }, timeout: 15_000 });
    return { code: 0, stderr };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

describe('docker healthcheck', () => {
  it('asks namerd on the port of its --listen, and fails once namerd stops answering', async () => {
    namerd = await startNamerdProcess(await freePort(), join(dir, 'store'));
    const pid = String(namerd.child.pid);
    expect(await check({ SWITCHYARD_HEALTH_PID: pid })).toEqual({ code: 0, stderr: '' });

    namerd.child.kill('SIGSTOP'); // bound but silent: a hung process
    try {
      const hung = await check({ SWITCHYARD_HEALTH_PID: pid });
      expect(hung.code).toBe(1);
      expect(hung.stderr).toContain(`${namerd.url}/api/1/dtabs`);
    } finally {
      namerd.child.kill('SIGCONT');
    }
  }, 30_000);

  it('takes SWITCHYARD_HEALTH_URL as given, and calls a closed port unhealthy', async () => {
    const port = await freePort();
    const closed = await check({ SWITCHYARD_HEALTH_URL: `http://127.0.0.1:${port}/health` });
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain(`127.0.0.1:${port}`);
  });
});
