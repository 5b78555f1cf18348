/**
 * The overview's device grid with more devices than fit on the screen, in real Chromium
 * against a real server: rows off screen skip their live DOM writes (that is what keeps a
 * 500-device grid cheap, `npm run bench:ui`), and a row scrolled into view shows the newest
 * values at once, not what it had when it left the screen.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDevice, type CreatedDevice } from '../helpers/ingest.js';
import { startTestServer, TestClock, type TestServer } from '../helpers/test-server.js';
import { launchChromium, openPage, snap, snapIfFailed, type WatchedPage } from './support/browser.js';
import { ensureUiBuilt } from './support/ui-build.js';

/** The browser and the server must agree on "now" (values turn stale by age). */
class WallClock extends TestClock {
  override readonly now = (): number => Date.now();
}

const DEVICES = 60;
let server: TestServer;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
const devices: CreatedDevice[] = [];

const key = (i: number) => `grid-${String(i).padStart(2, '0')}`;
const cell = (i: number) => `[data-testid="live-${key(i)}-speed"]`;

async function send(device: CreatedDevice, speed: number): Promise<void> {
  const res = await server.api('POST', '/api/v1/telemetry/ingest', { headers: { 'x-api-key': device.apiKey }, body: { metrics: { speed } } });
  expect(res.status).toBeLessThan(300);
}

async function textOf(selector: string): Promise<string> {
  return page.$eval(selector, (el) => el.textContent ?? '');
}

beforeAll(async () => {
  await ensureUiBuilt();
  server = await startTestServer({ clock: new WallClock() });
  const admin = await server.login();
  for (let i = 0; i < DEVICES; i++) {
    const device = await createDevice(server.api, admin.accessToken, key(i));
    devices.push(device);
    await send(device, 100 + i); // discovers the parameter the grid shows
  }
  browser = await launchChromium();
  watched = await openPage(browser, { width: 1440, height: 900 });
  page = watched.page;
}, 120_000);

afterEach(async (context) => snapIfFailed(context, page, 'grid'));

afterAll(async () => {
  await watched?.context.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.close();
});

describe('overview grid with rows off screen', () => {
  it('paints only what is on screen, and a row scrolled into view catches up at once', async () => {
    await page.goto(server.url);
    await page.fill('#fo-email', server.factory.adminEmail);
    await page.fill('#fo-password', server.factory.adminPassword);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="link-state"][data-state="open"]');
    await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '').includes('100'), cell(0));
    const last = DEVICES - 1;
    const lastRow = `[data-testid="device-row-${key(last)}"]`;
    // Its value cell exists once the device's parameters have been fetched.
    await page.waitForSelector(cell(last), { state: 'attached' });
    // The precondition: the last row is far below the fold (beyond the observer's margin).
    const top = await page.$eval(lastRow, (el) => el.getBoundingClientRect().top - window.innerHeight);
    expect(top).toBeGreaterThan(400);

    // New values for the hidden row first, then for a visible one: once the visible one is
    // painted, the hidden one's value has reached the page too, but was not written.
    await send(devices[last] as CreatedDevice, 4242);
    await send(devices[0] as CreatedDevice, 777);
    await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '').includes('777'), cell(0));
    expect(await textOf(cell(last))).not.toContain('4242');

    await page.$eval(lastRow, (el) => el.scrollIntoView({ block: 'center' }));
    await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '').includes('4242'), cell(last));
    await snap(page, 'grid-scrolled-to-last-row');
    // And it stays live while on screen.
    await send(devices[last] as CreatedDevice, 4343);
    await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '').includes('4343'), cell(last));
    expect(watched.errors).toEqual([]);
  });
});
