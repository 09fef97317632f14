/**
 * The router's and namerd's dashboards in Debian's chromium, against a real namerd (in-process,
 * memory store) and a real router following it, all on port 0: the pages load without console
 * errors, the router's numbers move under load and agree with /admin/metrics.json, the
 * delegator explains a path, a dtab with a syntax error shows line:col and stores nothing, a save
 * and a rollback through the page change namerd's history, and namerd lists the router watching.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namerdConfig } from '../../src/config/namerd-config.js';
import { type RunningNamerd, runNamerd } from '../../src/namerd/server.js';
import type { RunningRouter } from '../../src/router/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { hasChromium, launchBrowser, openPage, type WatchedPage } from '../helpers/browser.js';
import { putDtab } from '../helpers/namerd-process.js';
import { get, type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

let web: NamedUpstream;
let namerd: RunningNamerd;
let router: RunningRouter;
let browser: Browser;
let v1Dtab: string;

const json = async <T>(url: string): Promise<T> => JSON.parse((await get(url)).body) as T;
const serverRequests = async () =>
  (await json<Record<string, number>>(`${router.adminUrl}/admin/metrics.json`))['rt/http/server/requests'] ?? 0;
/** namerd's history of `default`, newest first. */
const versions = () => json<{ number: number; message?: string }[]>(`${namerd.url}/api/1/dtabs/default/versions`);

beforeAll(async () => {
  if (!hasChromium) return;
  web = await startNamedUpstream('web');
  namerd = await runNamerd(
    namerdConfig(null, { listen: '127.0.0.1:0', store: 'memory' }),
    createLogger({ level: 'silent' }),
  );
  v1Dtab = `/svc/web => /$/inet/127.0.0.1/${web.port};`;
  await putDtab(namerd.url, 'default', v1Dtab);
  router = await startTestRouter(`namerd:\n  url: ${namerd.url}\n  namespace: default`);
  // Ready once the first dtab from namerd is in hand (bounded).
  for (const until = Date.now() + 10_000; (await get(`${router.adminUrl}/ready`)).status !== 200; ) {
    if (Date.now() > until) throw new Error('the router never became ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  browser = await launchBrowser();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await router?.close();
  await namerd?.close();
  await web?.close();
});

describe.skipIf(!hasChromium)('the router dashboard', () => {
  let tab: WatchedPage;
  beforeAll(async () => {
    tab = await openPage(browser, `${router.adminUrl}/`);
  });

  it('loads without console errors and shows the base dtab with namerd version', async () => {
    const { page } = tab;
    await page.locator('#dtab-version').filter({ hasText: 'AAAA' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#dtab-body pre').textContent()).toContain('/svc/web');
    expect(tab.errors).toEqual([]);
  });

  it('shows rates that change under load and totals that match /admin/metrics.json', async () => {
    const { page } = tab;
    const before = await serverRequests();
    // Bounded load: at most 3 s and 3000 requests, through the router with Host: web.
    const until = Date.now() + 3000;
    let sent = 0;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() < until && sent < 3000) {
          sent++;
          await get(`${router.url}/`, { host: 'web' });
        }
      }),
    );
    const routerRow = page.locator('#scopes table').first().locator('tbody tr').first();
    await expect
      .poll(async () => Number(await routerRow.locator('[data-stat=rps]').textContent()), { timeout: 5000 })
      .toBeGreaterThan(0);
    // Under load the page is never ahead of /admin/metrics.json, and what the JSON said a moment ago
    // the page shows within its next poll or two (it polls every second).
    const shown = Number(await routerRow.locator('[data-stat=requests]').textContent());
    const truth = await serverRequests();
    expect(truth).toBeGreaterThanOrEqual(shown);
    await expect
      .poll(async () => Number(await routerRow.locator('[data-stat=requests]').textContent()), { timeout: 3000 })
      .toBeGreaterThanOrEqual(truth);
    await tab.screenshot('router-dashboard-under-load');
    await load;
    const after = await serverRequests();
    expect(after - before).toBeGreaterThanOrEqual(sent);
    // The page polls every second: within a couple of polls its total is the JSON's.
    await expect
      .poll(async () => Number(await routerRow.locator('[data-stat=requests]').textContent()), { timeout: 4000 })
      .toBe(after);
    await expect.poll(() => page.locator('#scopes').textContent()).toContain('web');
    expect(tab.errors).toEqual([]);
  });

  it('lists the client endpoints with their failure accrual state', async () => {
    await expect
      .poll(() => tab.page.locator('#endpoints-body').textContent(), { timeout: 4000 })
      .toContain(`127.0.0.1:${web.port}`);
    expect(await tab.page.locator('#endpoints-body').textContent()).toContain('alive');
  });

  it('marks a client under injected faults, and unmarks it when the rule goes', async () => {
    const rules = `${router.adminUrl}/toxiproxy/proxies`;
    const rule = {
      name: 'chaos',
      upstream: '*',
      toxics: [{ name: 'slow', type: 'latency', attributes: { latency: 1 } }],
    };
    expect((await fetch(rules, { method: 'POST', body: JSON.stringify(rule) })).status).toBe(201);
    const marked = tab.page.locator('#endpoints-body .client.faulted .fault');
    await expect.poll(() => marked.getAttribute('data-faults'), { timeout: 4000 }).toBe('chaos/slow');
    expect(await marked.textContent()).toBe('faults: chaos/slow');
    expect((await fetch(`${rules}/chaos`, { method: 'DELETE' })).status).toBe(204);
    await expect.poll(() => tab.page.locator('#endpoints-body .faulted').count(), { timeout: 4000 }).toBe(0);
    expect(tab.errors).toEqual([]);
  });

  it('explains a path with the delegator', async () => {
    const { page } = tab;
    await page.fill('#delegate-path', '/svc/web');
    await page.press('#delegate-path', 'Enter');
    const tree = page.locator('#delegate-tree');
    await expect.poll(() => tree.textContent(), { timeout: 5000 }).toContain(`/$/inet/127.0.0.1/${web.port}`);
    expect(await tree.textContent()).toContain('/svc/web => ');
    await tab.screenshot('router-dashboard-delegator');
  });

  it("lists the router's own answers, escaped", async () => {
    await get(`${router.url}/<b>x</b>`, { host: 'nowhere.example' });
    const body = tab.page.locator('#errors-body');
    await expect.poll(() => body.textContent(), { timeout: 5000 }).toContain('nowhere.example');
    expect(await body.locator('b').count()).toBe(0);
  });

  it('is readable at 375 px', async () => {
    const narrow = await openPage(browser, `${router.adminUrl}/`, 375);
    await narrow.page.locator('#scopes table').first().waitFor({ timeout: 5000 });
    const overflow = await narrow.page.evaluate('document.documentElement.scrollWidth');
    expect(overflow).toBeLessThanOrEqual(375);
    await narrow.screenshot('router-dashboard-375px');
    expect(narrow.errors).toEqual([]);
  });
});

describe.skipIf(!hasChromium)('the namerd dashboard', () => {
  let tab: WatchedPage;
  beforeAll(async () => {
    tab = await openPage(browser, `${namerd.adminUrl}/`);
    // With the keyboard: focus the namespace's button and press Enter.
    await tab.page.getByRole('button', { name: 'default', exact: true }).focus();
    await tab.page.keyboard.press('Enter');
    await tab.page.waitForFunction("document.querySelector('#dtab-text').value.includes('/svc/web')", undefined, {
      timeout: 5000,
    });
  });

  it('lists the router watching the namespace and the version it was sent', async () => {
    const watchers = tab.page.locator('#watchers-body');
    await expect.poll(() => watchers.textContent(), { timeout: 5000 }).toContain('router http');
    expect(await watchers.textContent()).toContain('1 (AAAAAAAAAAE=)');
    // Its admin port was port 0, unknown when the watch connected: the label names it.
    expect(await watchers.textContent()).toContain('127.0.0.1');
    await tab.screenshot('namerd-dashboard-watchers');
    expect(tab.errors).toEqual([]);
  });

  it('shows line:col for a syntax error and stores nothing', async () => {
    const { page } = tab;
    await page.fill('#dtab-text', `${v1Dtab}\n/svc/x => /a |`);
    await expect.poll(() => page.locator('#dtab-check').textContent(), { timeout: 5000 }).toMatch(/^line 2:\d+: /);
    expect(await page.isDisabled('#dtab-save')).toBe(true);
    await tab.screenshot('namerd-dashboard-syntax-error');
    expect((await versions()).length).toBe(1);
  });

  it('saves with If-Match and rolls back, both in namerd history', async () => {
    const { page } = tab;
    const stored = (await get(`${namerd.url}/api/1/dtabs/default`, { accept: 'application/dtab' })).body;
    await page.fill('#dtab-text', `${stored.trimEnd()};\n/svc/extra => /svc/web\n`);
    await page.fill('#dtab-message', 'add extra');
    await expect.poll(() => page.isEnabled('#dtab-save'), { timeout: 5000 }).toBe(true);
    expect(await page.locator('#dtab-diff .add').allTextContents()).toContain('+ /svc/extra => /svc/web\n');
    await page.click('#dtab-save');
    await expect.poll(() => page.locator('#dtab-save-result').textContent(), { timeout: 5000 }).toContain('saved');
    expect((await versions()).map((v) => v.message)).toEqual(['add extra', undefined]);
    // The router follows, and namerd's page says which version it was sent.
    await expect
      .poll(() => tab.page.locator('#watchers-body').textContent(), { timeout: 5000 })
      .toContain('2 (AAAAAAAAAAI=)');

    await page.click('#history-body button[data-version="1"]');
    await expect.poll(async () => (await versions()).length, { timeout: 5000 }).toBe(3);
    // Newest first.
    expect((await versions())[0]!.message).toBe('rollback to version 1');
    expect((await get(`${namerd.url}/api/1/dtabs/default`, { accept: 'application/dtab' })).body).not.toContain(
      'extra',
    );
    await tab.screenshot('namerd-dashboard-history');
    expect(tab.errors).toEqual([]);
  });
});
