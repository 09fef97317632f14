/**
 * The registry page's connectivity section in Debian's chromium: a registry and three
 * `switchyard peer` processes pinging each other every 500 ms. The heatmap (rows destinations,
 * columns sources) fills in healthy; a peer killed with SIGKILL turns its row red (`x`) from
 * both other sources and its node in the graph red, by polling alone; removed, it leaves both.
 */
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser, openPage } from '../helpers/browser.js';
import { eventually, startRole, stopAll } from '../helpers/switchyard-process.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await stopAll();
});

describe.skipIf(!hasChromium)('the registry dashboard: connectivity', () => {
  it('draws the heatmap and the graph, and shows a killed peer unreachable', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    const ping = ['--ping-interval', '500ms', '--ping-timeout', '300ms'];
    const peers = await Promise.all(
      [1, 2, 3].map(() => startRole('peer', ['--registry', registry.url, '--label', 'gob', ...ping])),
    );
    await eventually(
      async () => {
        const view = (await (await fetch(`${registry.url}/registry/peers/connectivity?label=gob`)).json()) as {
          labels: Record<string, { summary: { healthy: number } }>;
        };
        return view.labels.gob?.summary.healthy === 6 ? true : undefined;
      },
      15_000,
      'a healthy 3×3 matrix',
    );
    const browser: Browser = await launchBrowser();
    cleanups.push(() => browser.close());
    const tab = await openPage(browser, `${registry.url}/`);
    const { page } = tab;
    const cells = page.locator('#connectivity-body table.heatmap td[data-source]');
    await expect.poll(() => cells.count(), { timeout: 10_000 }).toBe(6);
    await expect
      .poll(() => page.locator('#connectivity-body td[data-state=healthy]').count(), { timeout: 10_000 })
      .toBe(6);
    expect(await page.locator('#connectivity-body svg g[data-node]').count()).toBe(3);

    const victim = new URL(peers[1]!.url).host;
    await peers[1]!.kill();
    const row = page.locator(`#connectivity-body td[data-destination="${victim}"]`);
    await expect
      .poll(async () => (await row.evaluateAll((tds) => tds.map((td) => td.getAttribute('data-state')))).join(), {
        timeout: 10_000,
      })
      .toBe('unhealthy,unhealthy');
    expect(await row.first().textContent()).toBe('x');
    await expect
      .poll(() => page.locator(`#connectivity-body g[data-node="${victim}"]`).getAttribute('data-state'))
      .toBe('unhealthy');
    await tab.screenshot('registry-connectivity-killed-peer');

    await fetch(`${registry.url}/registry/peers/gob/remove/${victim}`, { method: 'POST' });
    await expect.poll(() => cells.count(), { timeout: 10_000 }).toBe(2);
    expect(tab.errors).toEqual([]);
  }, 60_000);
});
