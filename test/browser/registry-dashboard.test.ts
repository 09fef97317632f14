/**
 * The registry's dashboard in Debian's chromium while a canary runs: a registry process, a router
 * process that is also its traffic peer (with --locker), and two versions behind a weighted dtab
 * that changes mid-run. The page lists the peer with its epoch and the target, and charts the
 * split by the tracked header from the merged locker results; header values from upstreams are
 * shown as text (one of them is markup).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser, openPage } from '../helpers/browser.js';
import { type NamedUpstream, startNamedUpstream, startRouterProcess } from '../helpers/router-harness.js';
import { eventually, startRole, stopAll } from '../helpers/switchyard-process.js';

const HOSTILE = '<img src=x onerror="window.__owned=1">';
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await stopAll();
});

async function versioned(version: string): Promise<NamedUpstream> {
  const u = await startNamedUpstream(version, (req, res) => {
    req.resume();
    res.setHeader('x-version', version);
    res.end(version);
  });
  cleanups.push(() => u.close());
  return u;
}

describe.skipIf(!hasChromium)('the registry dashboard', () => {
  it('charts a running canary split by the tracked header', async () => {
    const v1 = await versioned('v1');
    const v2 = await versioned(HOSTILE);
    const dir = mkdtempSync(join(tmpdir(), 'registry-ui-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dtab = join(dir, 'dtab');
    writeFileSync(dtab, `/svc/web => 1 * /$/inet/127.0.0.1/${v2.port} & 9 * /$/inet/127.0.0.1/${v1.port}`);
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    const router = await startRouterProcess([
      '--dtab',
      dtab,
      '--label',
      'canary',
      '--registry',
      registry.url,
      '--locker',
    ]);
    cleanups.push(() => router.child.kill('SIGKILL'));
    await eventually(
      async () => {
        const peers = (await (await fetch(`${registry.url}/registry/peers`)).json()) as Record<
          string,
          { pods?: object }
        >;
        return Object.keys(peers.canary?.pods ?? {}).length === 1 ? true : undefined;
      },
      10_000,
      'the router registered as a peer',
    );
    const browser: Browser = await launchBrowser();
    cleanups.push(() => browser.close());
    const tab = await openPage(browser, `${registry.url}/`);

    // Bounded: 150 requests a second for at most 8 s.
    const added = await fetch(`${registry.url}/registry/peers/canary/targets/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'canary',
        url: `${router.url}/`,
        headers: { host: 'web' },
        qps: 150,
        duration: '8s',
        trackHeaders: ['x-version'],
        autoInvoke: true,
      }),
    });
    expect(added.status).toBe(200);
    const { page } = tab;
    await page.locator('#peers-body [data-stat=epoch]').first().waitFor({ timeout: 5000 });
    await expect.poll(() => page.locator('#targets-body').textContent(), { timeout: 5000 }).toContain('canary');
    const chart = page.locator('#results-charts figure');
    await chart.first().waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#results-tables').textContent(), { timeout: 10_000 }).toContain('v1');
    // The canary is promoted halfway: the chart keeps running as the split moves.
    writeFileSync(dtab, `/svc/web => 1 * /$/inet/127.0.0.1/${v2.port} & 1 * /$/inet/127.0.0.1/${v1.port}`);
    await expect.poll(async () => (await chart.first().textContent()) ?? '', { timeout: 10_000 }).toContain(HOSTILE);
    // Samples accumulate as the pod sends its results to the locker (every 3 s).
    await expect
      .poll(async () => Number(await chart.first().getAttribute('data-points')), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(3);
    await tab.screenshot('registry-dashboard-canary');
    expect(await page.locator('#results img').count()).toBe(0);
    expect(await page.evaluate('window.__owned')).toBeUndefined();
    expect(tab.errors).toEqual([]);
  }, 45_000);
});
