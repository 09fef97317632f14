/**
 * `switchyard example-app NAME`: what each Deployment in k8s/ runs. The app answers as in the
 * quickstart, on the address given, and a SIGTERM (the kubelet's, after the preStop sleep)
 * stops it with exit 0.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnBin } from '../helpers/cli-run.js';
import { repoRoot } from '../helpers/repo.js';

describe('switchyard example-app', () => {
  it('runs gen-growthhack on the address given and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [
      path.join(repoRoot, 'bin/switchyard.js'),
      'example-app',
      'gen-growthhack',
      '--listen',
      '127.0.0.1:0',
    ]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let text = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          text += d;
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', () => reject(new Error(`exited early: ${text}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-version')).toBe('gen-growthhack');
      expect(await res.text()).toContain('GEN-GROWTHHACK');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses an unknown app, and --router for an app that calls nobody', async () => {
    const unknown = await spawnBin('switchyard.js', ['example-app', 'gene']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('give one app name: word, gen, gen-growthhack, web');
    const router = await spawnBin('switchyard.js', ['example-app', 'word', '--router', 'http://127.0.0.1:4140']);
    expect(router.code).toBe(64);
    expect(router.stderr).toContain('only web calls through a router');
  });
});
