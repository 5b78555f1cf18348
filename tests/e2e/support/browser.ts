/**
 * Real Chromium for the browser tests (playwright-core, the system's /usr/bin/chromium),
 * headless, with a page that records what a person would not see: console errors, CSP
 * violations and failed requests. Screenshots go to tests/artifacts/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestContext } from 'vitest';
import { REPO_ROOT } from './ui-build.js';

export const CHROMIUM = process.env.FACTORYOPS_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(REPO_ROOT, 'tests', 'artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and page errors, in order. */
  errors: string[];
  /** Messages about a Content-Security-Policy violation. */
  cspViolations: string[];
  /** Every /api/v1 request URL the page made. */
  apiRequests: string[];
}

export async function openPage(browser: Browser, options: { width?: number; height?: number } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1440, height: options.height ?? 900 }, ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const watched: WatchedPage = { page, context, errors: [], cspViolations: [], apiRequests: [] };
  page.on('console', (message) => {
    const text = message.text();
    if (/Content[- ]Security[- ]Policy/i.test(text)) watched.cspViolations.push(text);
    else if (message.type() === 'error') watched.errors.push(text);
  });
  page.on('pageerror', (error) => watched.errors.push(`pageerror: ${error.message}`));
  page.on('request', (request) => {
    if (request.url().includes('/api/v1/')) watched.apiRequests.push(request.url());
  });
  return watched;
}

/** A full-page screenshot under tests/artifacts/<name>.png. */
export async function snap(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** In an afterEach: a screenshot of `page` named after the test when it failed (tests/artifacts/failed-<prefix>-<test>.png). */
export async function snapIfFailed(context: TestContext, page: Page | undefined, prefix: string): Promise<void> {
  if (context.task.result?.state !== 'fail' || !page) return;
  await snap(page, `failed-${prefix}-${context.task.name.replace(/\W+/g, '-').slice(0, 50)}`).catch(() => {});
}
