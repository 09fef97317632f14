/**
 * The Grafana dashboard shipped in docs/grafana: every query is valid PromQL (promtool checks it
 * as a recording rule), and every metric it reads is one a real router or namerd exports at
 * /metrics, so a renamed metric breaks this test instead of a user's dashboard.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namerdConfig } from '../../src/config/namerd-config.js';
import { type RunningNamerd, runNamerd } from '../../src/namerd/server.js';
import type { RunningRouter } from '../../src/router/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { nativeName } from '../../src/telemetry/native-prometheus.js';
import { repoRoot } from '../helpers/repo.js';
import { get, type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

interface Panel {
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

const dashboard = JSON.parse(readFileSync(join(repoRoot, 'docs/grafana/switchyard.json'), 'utf8')) as {
  panels: Panel[];
};
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));

let web: NamedUpstream;
let router: RunningRouter;
let namerd: RunningNamerd;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grafana-'));
  web = await startNamedUpstream('web');
  router = await startTestRouter(`dtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
  namerd = await runNamerd(
    namerdConfig(null, { listen: '127.0.0.1:0', store: 'memory' }),
    createLogger({ level: 'silent' }),
  );
});

afterAll(async () => {
  await router.close();
  await namerd.close();
  await web.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Grafana dashboard', () => {
  it('has panels for services, clients, gRPC, failure accrual, the process and namerd', () => {
    expect(exprs.length).toBeGreaterThanOrEqual(15);
    for (const { title, expr } of exprs) expect(expr, title).not.toBe('');
  });

  it('queries valid PromQL', () => {
    // Grafana's variables are not PromQL: give them a value, as Grafana does before it queries.
    const rules = exprs
      .map(
        ({ expr }, i) =>
          `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(expr.replaceAll('$router', '.*'))}`,
      )
      .join('\n');
    const file = join(dir, 'rules.yml');
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
    const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
  });

  it('reads only metrics that the router and namerd export', async () => {
    await get(`${router.url}/`, { host: 'web' });
    await fetch(`${namerd.url}/api/1/dtabs/web`, {
      method: 'POST',
      body: '/a => /b',
      headers: { 'content-type': 'application/dtab' },
    });
    const exported = new Set<string>();
    for (const url of [`${router.adminUrl}/metrics`, `${namerd.adminUrl}/metrics`]) {
      const text = await (await fetch(url)).text();
      for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) exported.add(m[1]!);
    }
    // gRPC statuses appear with the first gRPC call; their name follows the same rule.
    exported.add(nativeName('rt:server:grpc:status', 'counter').name);
    const read = new Set(
      exprs.flatMap(({ expr }) =>
        [...expr.matchAll(/\b((?:switchyard|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_bucket$/, '')),
      ),
    );
    expect([...read].filter((name) => !exported.has(name))).toEqual([]);
  });
});
