/**
 * The renderer inside the desktop bridge, in real Chromium: the built renderer (renderer/dist)
 * is served the way main serves it (core/bundle-files.ts with the window CSP of core/csp.ts)
 * from an app origin that is not the server's; `window.factoryops` is the preload's own
 * bridge code (preload/bridge.ts, bundled by esbuild), whose IPC goes through a Playwright
 * binding into main's real dispatcher, validators and handlers (profile store and token vault
 * on disk). The site server is a real test server reached cross-origin, with main's CORS
 * answer (core/cors.ts) applied as Electron's session would. Only the Electron transport
 * itself (ipcRenderer, protocol.handle, webRequest) is stood in for.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleResponse } from '../../main/core/bundle-files.js';
import { corsRewrite } from '../../main/core/cors.js';
import { buildCsp } from '../../main/core/csp.js';
import { isTrustedSender } from '../../main/core/navigation.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { createTestShell, type TestShell } from '../unit/main/shell-services.js';
import { launchChromium, openPage, snap, type WatchedPage } from './support/browser.js';
import { ensureUiBuilt, REPO_ROOT } from './support/ui-build.js';

/** Chromium cannot be taught the factoryops:// scheme from outside; this origin stands in for it. */
const APP = 'https://factoryops-app.test';
const WINDOW_ID = 1;

let server: TestServer;
let shell: TestShell;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
let profileId: string;
const ipcCalls: string[] = [];

/** The preload's bridge factory compiled for the page, plus the ipcRenderer stand-in that feeds the binding. */
async function preloadScript(): Promise<string> {
  const bundled = await build({ entryPoints: [join(REPO_ROOT, 'preload', 'bridge.ts')], bundle: true, format: 'iife', globalName: '__foPreload', write: false, platform: 'browser', target: 'chrome120', logLevel: 'silent' });
  const code = bundled.outputFiles[0]?.text ?? '';
  return `${code}
(() => {
  const listeners = new Map();
  const ipc = {
    invoke: (channel, ...args) => window.__foIpcInvoke(channel, args),
    on: (channel, listener) => { (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)).add(listener); },
    removeListener: (channel, listener) => { listeners.get(channel)?.delete(listener); },
  };
  window.__foIpcEmit = (channel, payload) => { for (const l of listeners.get(channel) ?? []) l({}, payload); };
  // contextBridge hands the page a frozen copy; freeze here too so the renderer cannot patch it.
  const bridge = __foPreload.createBridge(ipc);
  window.factoryops = Object.freeze({ ...bridge, profiles: Object.freeze({ ...bridge.profiles }) });
})();`;
}

async function serveApp(route: Route): Promise<void> {
  const url = route.request().url().replace(APP, 'factoryops://app');
  const response = await bundleResponse(url, { renderer: join(REPO_ROOT, 'renderer', 'dist'), shell: join(REPO_ROOT, 'resources', 'shell') }, buildCsp(server.url));
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  await route.fulfill({ status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) });
}

/** What Electron's session does for the site server: the request goes out, main's CORS answer comes back. */
async function serveSiteServer(route: Route): Promise<void> {
  const request = route.request();
  const response = await route.fetch();
  const responseHeaders = response.headers();
  const rewrite = corsRewrite({ method: request.method(), url: request.url(), requestHeaders: await request.allHeaders(), responseHeaders }, APP, server.url);
  const status = rewrite?.statusLine ? Number(rewrite.statusLine.split(' ')[1]) : response.status();
  const headers = Object.fromEntries(Object.entries(rewrite?.responseHeaders ?? responseHeaders).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
  await route.fulfill({ status, headers, body: await response.body() });
}

beforeAll(async () => {
  await ensureUiBuilt();
  server = await startTestServer();
  shell = createTestShell();
  profileId = shell.profiles.save({ name: 'Plant 1 control room', serverUrl: server.url }).id;
  shell.sessions.set(WINDOW_ID, { profileId, wall: null });
  browser = await launchChromium();
  watched = await openPage(browser);
  page = watched.page;
  // main/core/permissions.ts grants the app origin Local Network Access to its site server.
  await watched.context.grantPermissions(['local-network-access'], { origin: APP });
  await watched.context.exposeBinding('__foIpcInvoke', async (source, channel: string, args: unknown[]) => {
    // main/electron/ipc.ts: only frames showing the bundle are answered.
    if (!isTrustedSender(source.frame.url().replace(APP, 'factoryops://app'), 'factoryops://app')) throw new Error('refused: not an app window');
    ipcCalls.push(channel);
    return shell.dispatcher.dispatch(channel, { windowId: WINDOW_ID }, args);
  });
  await watched.context.addInitScript({ content: await preloadScript() });
  await watched.context.route(`${APP}/**`, serveApp);
  await watched.context.route(`${server.url}/**`, serveSiteServer);
}, 180_000);

afterEach(async (context) => {
  if (context.task.result?.state !== 'fail' || !page) return;
  await snap(page, `bridge-failed-${context.task.name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => {});
  console.error('browser errors:', watched.errors, '\nCSP:', watched.cspViolations, '\nIPC:', ipcCalls);
});

afterAll(async () => {
  // Requests still in flight (the stream's reconnects) must not fail after the page is gone.
  await watched?.context.unrouteAll({ behavior: 'ignoreErrors' }).catch(() => {});
  await watched?.context.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.close();
  shell?.close();
});

describe('renderer inside the desktop bridge (Chromium)', () => {
  it('asks the bridge for its profile and signs in to that site server, cross-origin', async () => {
    await page.goto(`${APP}/`);
    await page.waitForSelector('form[aria-label="Sign in"]');
    expect(ipcCalls).toContain('factoryops:host-info');
    // The sign-in names the profile's server, not the page's origin.
    expect(await page.textContent('form[aria-label="Sign in"]')).toContain(new URL(server.url).host);
    await page.waitForSelector(`#fo-factory option[value="${server.factory.slug}"]`, { state: 'attached' });
    await page.fill('#fo-email', server.factory.adminEmail);
    await page.fill('#fo-password', server.factory.adminPassword);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="nav-overview"]');
    await page.waitForSelector('[data-testid="link-state"][data-state="open"]');
    await snap(page, 'bridge-01-signed-in');
    expect(watched.apiRequests.every((url) => url.startsWith(`${server.url}/api/v1/`))).toBe(true);
    expect(watched.cspViolations).toEqual([]);
  });

  it('kept the refresh token in the vault, encrypted, and nowhere in web storage', async () => {
    expect(ipcCalls).toContain('factoryops:vault-save');
    const files = readdirSync(join(shell.dir, 'vault'));
    expect(files).toEqual([`${profileId}.bin`]);
    const stored = await shell.vault.load(profileId);
    expect(stored).toMatch(/^[A-Za-z0-9._~+/=-]{16,}$/);
    expect(readFileSync(join(shell.dir, 'vault', files[0] as string)).toString('latin1')).not.toContain(stored as string);
    const webStorage = await page.evaluate(() => JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage }));
    expect(webStorage).not.toContain(stored as string);
  });

  it('stays signed in after a reload, from the vault token', async () => {
    const before = ipcCalls.length;
    await page.reload();
    await page.waitForSelector('[data-testid="nav-overview"]');
    expect(ipcCalls.slice(before)).toContain('factoryops:vault-load');
    expect(await page.$('form[aria-label="Sign in"]')).toBeNull();
  });

  it("refuses malformed bridge calls in main's validator, and the page cannot replace the bridge", async () => {
    const outcome = await page.evaluate(async () => {
      const bridge = (window as unknown as { factoryops: unknown }).factoryops as { saveRefreshToken(t: unknown): Promise<void>; profiles: { open(id: string): Promise<void> } };
      const errors: string[] = [];
      await bridge.saveRefreshToken({ steal: true }).catch((e: Error) => errors.push(e.message));
      await bridge.profiles.open('../../etc/passwd').catch((e: Error) => errors.push(e.message));
      let replaced = true;
      try {
        const target = (window as unknown as { factoryops: { host: () => unknown } }).factoryops;
        target.host = () => Promise.resolve({});
        replaced = target.host.toString().includes('{}');
      } catch {
        replaced = false;
      }
      return { errors, replaced };
    });
    expect(outcome.errors).toEqual([expect.stringContaining('saveRefreshToken: invalid argument'), expect.stringContaining('openProfile: invalid argument at /id')]);
    expect(outcome.replaced).toBe(false);
    // The vault still holds the real token.
    expect(await shell.vault.load(profileId)).toMatch(/^[A-Za-z0-9._~+/=-]{16,}$/);
  });

  it('signs out through the bridge: the vault forgets the token', async () => {
    const menu = await page.$('[data-testid="user-menu"]');
    if (menu) {
      await menu.click();
      await page.click('[data-testid="sign-out"]');
    } else {
      await page.evaluate(() => (window as unknown as { factoryops: { saveRefreshToken(t: null): Promise<void> } }).factoryops.saveRefreshToken(null));
    }
    await expect.poll(() => shell.vault.has(profileId)).toBe(false);
  });
});
