/**
 * `switchyard chaos run` on bad input (docs/experiments.md): every problem of an experiment file
 * is listed with its path and the command exits 64 before touching anything; a Toxiproxy API off
 * loopback is refused unless --allow-remote-toxiproxy says so, and a kill-local-peer's registry
 * must be loopback; waits are bounded, one by one and in all; the file's size is bounded.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentFile, runChaos, workDir } from '../helpers/chaos-experiment-kit.js';

const probe = {
  name: 'web',
  window: '1s',
  router: { admins: ['http://127.0.0.1:9'], service: '/svc/web' },
  tolerance: { minSuccessRate: 0.99 },
};
const valid = (method: unknown[]) => ({ title: 't', steadyStateHypothesis: { probes: [probe] }, method });

describe('switchyard chaos run: bad experiment files', () => {
  it('lists every problem with its path and exits 64', async () => {
    const file = experimentFile(`
title: ""
extra: 1
steadyStateHypothesis:
  probes:
    - name: a b
      window: 2h
      router: {client: nope}
      tolerance: {minSuccessRate: 2}
    - name: t
      traffic: {registry: "http://127.0.0.1:1", label: gen}
      router: {admins: ["http://127.0.0.1:2"], client: /x}
      tolerance: {}
method:
  - action: add-toxic
    api: ftp://x
    toxic: {type: latency, toxicity: 3}
  - action: explode
  - action: wait
    duration: 11m
  - action: kill-pod
    labelSelector: "app=gen;rm -rf /"
  - action: kill-local-peer
    label: gen
    signal: SIGSTOP
`);
    const r = await runChaos(['run', file]);
    expect(r.code).toBe(64);
    expect(r.verdicts).toEqual([]);
    for (const line of [
      'extra: unknown key',
      'title: must be 1-200 printable characters',
      'steadyStateHypothesis.probes[0].name: must be',
      'steadyStateHypothesis.probes[0].window: must be a duration from 100 ms to 600 s',
      'steadyStateHypothesis.probes[0].router: needs admins, registry or both',
      'steadyStateHypothesis.probes[0].router.client: must be a path',
      'steadyStateHypothesis.probes[0].tolerance.minSuccessRate: must be a number from 0 to 1, got 2',
      'steadyStateHypothesis.probes[1]: needs exactly one of router or traffic',
      'steadyStateHypothesis.probes[1].tolerance: needs minSuccessRate, maxP99 or both',
      'method[0].api: must be an http(s) URL',
      'method[0].proxy: is required',
      'method[0].toxic.name: is required',
      'method[0].toxic.toxicity: must be a number from 0 to 1, got 3',
      'method[1].action: must be one of add-toxic, kill-pod, kill-local-peer, wait, got "explode"',
      'method[2].duration: must be a duration from 0 ms to 600 s',
      'method[3].labelSelector: must be a label selector',
      'method[4].registry: is required',
      'method[4].signal: must be SIGKILL or SIGTERM',
    ])
      expect(r.stderr).toContain(line);
  });

  it('refuses files that are not YAML mappings, too large, or missing', async () => {
    for (const text of ['- a\n- b\n', 'title: [unclosed\n']) {
      const r = await runChaos(['run', experimentFile(text)]);
      expect(r.code, text).toBe(64);
    }
    const big = join(workDir, 'big.yaml');
    writeFileSync(big, `title: t\n# ${'x'.repeat(70_000)}\n`);
    expect((await runChaos(['run', big])).stderr).toContain('larger than 64 KiB');
    const missing = await runChaos(['run', join(workDir, 'nope.yaml')]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('no such file');
  });

  it('bounds the waits of one run in all, not only one by one', async () => {
    const waits = Array.from({ length: 7 }, () => ({ action: 'wait', duration: '9m' }));
    const r = await runChaos(['run', experimentFile(valid(waits))]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/method: the probes' windows \(twice\) and the waits come to 3782 s; the limit is 3600 s/);
  });

  it('refuses a Toxiproxy API off loopback unless allowed, and a kill-local-peer registry off loopback always', async () => {
    const file = experimentFile(
      valid([
        { action: 'add-toxic', api: 'http://192.0.2.10:8474', proxy: 'web', toxic: { name: 'slow', type: 'latency' } },
        { action: 'kill-local-peer', registry: 'http://192.0.2.11:4190', label: 'gen' },
      ]),
    );
    const r = await runChaos(['run', file]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(
      'method[0].api: 192.0.2.10 is 192.0.2.10, not loopback (refused; --allow-remote-toxiproxy allows it)',
    );
    expect(r.stderr).toContain('method[1].registry: 192.0.2.11 is 192.0.2.11, not loopback');
    const allowed = await runChaos(['run', file, '--allow-remote-toxiproxy']);
    expect(allowed.code).toBe(64);
    expect(allowed.stderr).not.toContain('method[0].api');
    expect(allowed.stderr).toContain('method[1].registry');
  });

  it('checks its flags: --every bounds, --max-runs only with --every, a command and a file', async () => {
    const file = experimentFile(valid([{ action: 'wait', duration: '1s' }]));
    const r = await runChaos(['run', file, '--every', '10ms', '--max-runs', '0']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--every: must be a duration from 1s to 24h');
    expect(r.stderr).toContain('--max-runs: must be an integer from 1 to 10000');
    expect((await runChaos(['run', file, '--max-runs', '2'])).stderr).toContain('--max-runs: only with --every');
    expect((await runChaos(['run'])).code).toBe(64);
    expect((await runChaos(['walk', file])).stderr).toContain('unknown command "walk"');
  });
});
