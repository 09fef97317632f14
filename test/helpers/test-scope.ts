/**
 * What a router test starts (upstreams, routers, temp dirs, anything with a close), stopped after
 * each test in reverse order, so a failing test leaves no port or process behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { get, type NamedUpstream, startNamedUpstream, startTestRouter } from './router-harness.js';

export function testScope() {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    cleanups,
    async upstream(name: string, handle?: Parameters<typeof startNamedUpstream>[1]): Promise<NamedUpstream> {
      const u = await startNamedUpstream(name, handle);
      cleanups.push(() => u.close());
      return u;
    },
    async router(yaml: string) {
      const r = await startTestRouter(yaml);
      cleanups.push(() => r.close());
      return r;
    },
    tempDir(prefix = 'sy-test-'): string {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
  };
}

/** The router's metrics.json as numbers by name. */
export async function metrics(adminUrl: string): Promise<Record<string, number>> {
  return JSON.parse((await get(`${adminUrl}/admin/metrics.json`)).body);
}
