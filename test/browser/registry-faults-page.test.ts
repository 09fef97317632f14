/**
 * The registry page's fault section in Debian's chromium: a registry process holding a fault for
 * a label lists it (label, name, what it selects, its toxics) and drops it once removed. The
 * fault's header selector is markup, which the page must show as text.
 */
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser, openPage } from '../helpers/browser.js';
import { startRouterOnDtab } from '../helpers/router-harness.js';
import { startRole, stopAll } from '../helpers/switchyard-process.js';

const HOSTILE = 'x-canary: <img src=x onerror="window.__owned=1">';
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  await stopAll();
});

describe.skipIf(!hasChromium)('the registry page lists faults by label', () => {
  it('shows an added fault and drops it once removed', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    const added = await fetch(`${registry.url}/registry/peers/canary/faults/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'slow-canary',
        listen: '/svc/web',
        upstream: '/#/io.l5d.fs/web-canary',
        header: HOSTILE,
        toxics: [{ name: 'half-503', type: 'abort', toxicity: 0.5, attributes: { status: 503 } }],
      }),
    });
    expect(added.status).toBe(200);
    browser = await launchBrowser();
    const tab = await openPage(browser, `${registry.url}/`);
    const { page } = tab;
    const faults = page.locator('#faults-body');
    await expect.poll(() => faults.textContent(), { timeout: 10_000 }).toContain('slow-canary');
    const text = (await faults.textContent()) ?? '';
    for (const part of ['canary', '/svc/web', '/#/io.l5d.fs/web-canary', HOSTILE, 'abort(status=503', '50%']) {
      expect(text).toContain(part);
    }
    await tab.screenshot('registry-faults-page');
    expect(await page.locator('#faults img').count()).toBe(0);
    expect(await page.evaluate('window.__owned')).toBeUndefined();

    await fetch(`${registry.url}/registry/peers/canary/faults/slow-canary/remove`, { method: 'POST' });
    await expect.poll(() => faults.textContent(), { timeout: 10_000 }).toContain('No faults.');
    expect(tab.errors).toEqual([]);
  }, 45_000);

  it('is served at /registry of a router admin port too (the registry the router hosts)', async () => {
    const router = await startRouterOnDtab('/svc => /$/inet/127.0.0.1/1');
    try {
      const added = await fetch(`${router.adminUrl}/registry/peers/canary/faults/add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'on-the-router', listen: '*', upstream: '*', toxics: [] }),
      });
      expect(added.status).toBe(200);
      browser ??= await launchBrowser();
      const tab = await openPage(browser, `${router.adminUrl}/registry`);
      await expect
        .poll(() => tab.page.locator('#faults-body').textContent(), { timeout: 10_000 })
        .toContain('on-the-router');
      expect(await tab.page.title()).toBe('switchyard registry');
      expect(tab.errors).toEqual([]);
    } finally {
      await router.stop();
    }
  }, 45_000);
});
