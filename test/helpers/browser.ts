/**
 * Debian's chromium driven by playwright-core, for the dashboards' browser tests
 * (scripts/install-system-deps.sh installs it at /usr/bin/chromium). One browser per test file;
 * each page records console errors and uncaught exceptions so a test can assert there were none,
 * and saves screenshots under test-results/ (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { repoRoot } from './repo.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const screenshotDir = path.join(repoRoot, 'test-results');

export interface WatchedPage {
  readonly page: Page;
  /** Console errors and page exceptions seen so far. */
  readonly errors: string[];
  screenshot(name: string): Promise<string>;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Containers run as root, where chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

export async function openPage(browser: Browser, url: string, width = 1000): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return {
    page,
    errors,
    async screenshot(name) {
      mkdirSync(screenshotDir, { recursive: true });
      const file = path.join(screenshotDir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
  };
}
