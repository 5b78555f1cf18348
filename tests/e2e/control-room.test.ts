/**
 * The control room as an operator meets it: a real server (embedded broker, SQLite) serving
 * the built UI, a device publishing over real MQTT, and real headless Chromium. Sign in, see
 * a value change live, open the device trend (live, a custom range in the past), build a rule
 * in the builder, it fires on telemetry, the alarm appears in the console, is acknowledged
 * from the keyboard, its journal read; the wall display (overview, alarms, trends); shelving
 * with a duration and a reason, and unshelving; sign-out; and an invited person setting a
 * password from the e-mailed link. Screenshots go to tests/artifacts/ to be looked at.
 *
 * Every wait is on something on the page (a selector, a text, a data attribute), bounded by
 * Playwright's timeouts; no sleeps.
 */
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, createDevice, telemetry, telemetryTopicOf, waitFor, type CreatedDevice } from '../helpers/ingest.js';
import { startTestServer, TestClock, type Session, type TestServer } from '../helpers/test-server.js';
import { IPC_CHANNEL_NAMES, IPC_EVENT_NAMES } from '../../engine/contract/ipc-channels.js';
import { launchChromium, openPage, snap, type WatchedPage } from './support/browser.js';
import { installDesktopBridge } from './support/desktop-bridge.js';
import { ensureUiBuilt } from './support/ui-build.js';

/** The browser and the server must agree on "now": values, ages and alarms use real time. */
class WallClock extends TestClock {
  override readonly now = (): number => Date.now();
}

let server: TestServer;
let browser: Browser;
let admin: Session;
let press: CreatedDevice;
let device: MqttClient;
let watched: WatchedPage;
let page: Page;
/** The alarm raised from the rule built in the UI (set by that test, used by later ones). */
let alarmId = 0;

async function publish(metrics: Record<string, number>, timestamp?: number): Promise<void> {
  await device.publishAsync(telemetryTopicOf(server.factory.slug, press.deviceKey), telemetry(metrics, timestamp), { qos: 1 });
}

/** Waits until the element's text contains `text`. */
async function waitForText(selector: string, text: string, on: Page = page): Promise<void> {
  await on.waitForFunction(
    ([sel, want]) => (document.querySelector(sel as string)?.textContent ?? '').includes(want as string),
    [selector, text] as const,
  );
}

beforeAll(async () => {
  await ensureUiBuilt();
  server = await startTestServer({ clock: new WallClock() });
  admin = await server.login();
  press = await createDevice(server.api, admin.accessToken, 'press-1', { name: 'Press 1', region: 'Hall B' });
  device = await connectAs(server.running.mqttPort as number, server.factory.slug, press);
  // First data: the parameters are discovered before anyone looks.
  await publish({ temperature: 21.5, pressure: 5.2 });
  const param = await server.api('GET', `/api/v1/devices/${press.id}`, { token: admin.accessToken });
  for (const p of param.json.data.parameters as Array<{ id: number; parameter_key: string }>) {
    const unit = p.parameter_key === 'temperature' ? '°C' : 'bar';
    await server.api('PATCH', `/api/v1/devices/${press.id}/parameters/${p.id}`, { token: admin.accessToken, body: { unit, is_kpi_selected: true } });
  }
  // An older stretch of history (a device catching up after an outage sends its timestamps):
  // the custom range below looks at it. The latest values stay the newest ones.
  await publish({ temperature: 30.5, pressure: 4.8 }, Date.now() - 90 * 60_000);
  await publish({ temperature: 31.5, pressure: 4.9 }, Date.now() - 80 * 60_000);
  browser = await launchChromium();
  watched = await openPage(browser);
  page = watched.page;
}, 120_000);

// A failed step leaves a picture of what the browser showed.
afterEach(async (context) => {
  if (context.task.result?.state !== 'fail' || !page) return;
  await snap(page, `failed-${context.task.name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => {});
  console.error('browser errors:', watched.errors, '\nlast API requests:', watched.apiRequests.slice(-10));
});

afterAll(async () => {
  await watched?.context.close().catch(() => {});
  await browser?.close().catch(() => {});
  await device?.endAsync(true).catch(() => {});
  await server?.close();
});

describe('control room in Chromium', () => {
  it('serves the UI with a strict CSP and keeps the API JSON 404', async () => {
    const index = await server.api('GET', '/');
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const deep = await server.api('GET', '/machines/anything');
    expect(deep.status).toBe(200);
    expect(deep.text).toContain('<div id="root">');
    // The invitation e-mail's link is a real path: the SPA is served there too.
    const invite = await server.api('GET', '/accept-invite?token=1.abcdefghijkl');
    expect(invite.status).toBe(200);
    expect(invite.text).toContain('<div id="root">');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index.text)?.[1];
    expect(asset).toBeDefined();
    const js = await server.api('GET', asset as string);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    const api404 = await server.api('GET', '/api/v1/no-such-thing');
    expect(api404.status).toBe(404);
    expect(api404.json.error.code).toBe('NOT_FOUND');
  });

  it('signs in with factory, e-mail and password', async () => {
    await page.goto(server.url);
    await page.waitForSelector('form[aria-label="Sign in"]');
    // The factory list comes from the server.
    await page.waitForSelector(`#fo-factory option[value="${server.factory.slug}"]`, { state: 'attached' });
    await page.fill('#fo-email', server.factory.adminEmail);
    await page.fill('#fo-password', 'wrong-password');
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="signin-error"]');
    await snap(page, '01-sign-in-refused');
    await page.fill('#fo-password', server.factory.adminPassword);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="nav-overview"]');
    await page.waitForSelector('[data-testid="link-state"][data-state="open"]');
  });

  it('shows a value change live on the overview (pushed, not polled)', async () => {
    const cell = `[data-testid="live-press-1-temperature"]`;
    // Right after sign-in the stored latest value is there, pushed by the stream on subscribe:
    // the console reads no values over HTTP.
    await waitForText(cell, '21.50');
    await page.waitForSelector(`${cell}:not(.fo-stale-value)`);
    expect(watched.apiRequests.filter((u) => u.includes('/kpis/live'))).toEqual([]);
    const before = watched.apiRequests.length;
    await publish({ temperature: 42.75, pressure: 5.4 });
    await waitForText(cell, '42.75');
    await waitForText('[data-testid="live-press-1-pressure"]', '5.40');
    // The change arrived over the WebSocket: no request read values meanwhile.
    expect(watched.apiRequests.slice(before).filter((u) => /kpis|summary|devices\b/.test(u))).toEqual([]);
    await waitForText('[data-testid="tile-online"]', '1');
    await snap(page, '02-overview-live');
  });

  it('opens the device trend with history, the live tail and a reduced range fetch', async () => {
    await page.click('[data-testid="device-row-press-1"]');
    await page.waitForSelector('[data-testid="device-page"]');
    await waitForText('[data-testid="kpi-value-temperature"]', '42.75');
    await page.waitForSelector('[data-testid="trend-panel"][data-loading="false"]');
    await page.waitForSelector('[data-testid="trend-plot"] canvas');
    // Two pens on two axes (°C and bar): the legend names both with their units.
    await waitForText('[data-testid="trend-panel"] .u-legend', 'temperature (°C)');
    await waitForText('[data-testid="trend-panel"] .u-legend', 'pressure (bar)');
    const points = async () => Number(((await page.textContent('[data-testid="trend-points"]')) ?? '0').replace(/\D/g, ''));
    const first = await points();
    expect(first).toBeGreaterThan(0);
    // Live tail: a new sample extends the line without a reload.
    await publish({ temperature: 44.5, pressure: 5.5 });
    await waitForText('[data-testid="kpi-value-temperature"]', '44.50');
    await page.waitForFunction((n) => Number((document.querySelector('[data-testid="trend-points"]')?.textContent ?? '0').replace(/\D/g, '')) > n, first);
    // Another range asks the server for that span reduced to about the plot's width.
    const before = watched.apiRequests.length;
    await page.click('[data-testid="range-24h"]');
    await page.waitForSelector('[data-testid="trend-panel"][data-loading="false"]');
    const history = watched.apiRequests.slice(before).filter((u) => u.includes(`/devices/${press.id}/kpis/history`));
    expect(history.length).toBeGreaterThanOrEqual(2);
    for (const url of history) {
      const maxPoints = Number(new URL(url).searchParams.get('max_points'));
      expect(maxPoints).toBeGreaterThan(100);
      expect(maxPoints).toBeLessThan(5000);
    }
    await page.click('[data-testid="range-15m"]');
    await page.waitForSelector('[data-testid="trend-panel"][data-loading="false"]');
    await page.waitForSelector('[data-testid="range-15m"].bp6-active');
    await page.hover('[data-testid="trend-plot"] .u-over', { position: { x: 400, y: 60 } });
    await snap(page, '03-device-trend');
  });

  it('shows a custom range in the past, reduced for that span, and goes back to live', async () => {
    // The person picks local times; the browser says what they mean in epoch ms.
    const range = await page.evaluate(() => {
      const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      const from = local(Date.now() - 120 * 60_000);
      const to = local(Date.now() - 60 * 60_000);
      return { from, to, fromMs: Date.parse(from), toMs: Date.parse(to) };
    });
    const before = watched.apiRequests.length;
    await page.click('[data-testid="range-custom"]');
    await page.fill('[data-testid="range-from"]', range.to);
    await page.fill('[data-testid="range-to"]', range.from);
    await waitForText('[data-testid="custom-range"]', 'The end must be after the start.');
    expect(await page.isDisabled('[data-testid="range-apply"]')).toBe(true);
    await page.fill('[data-testid="range-from"]', range.from);
    await page.fill('[data-testid="range-to"]', range.to);
    await page.click('[data-testid="range-apply"]');
    await page.waitForSelector('[data-testid="custom-range"]', { state: 'detached' });
    await page.waitForSelector('[data-testid="trend-panel"][data-live="false"][data-loading="false"]');
    // One reduced read per pen, for exactly the chosen span.
    const reads = watched.apiRequests.slice(before).filter((u) => u.includes(`/devices/${press.id}/kpis/history`));
    expect(reads.map((u) => new URL(u).searchParams.get('parameter')).sort()).toEqual(['pressure', 'temperature']);
    for (const url of reads) {
      const q = new URL(url).searchParams;
      expect(Date.parse(q.get('start') ?? '')).toBe(range.fromMs);
      expect(Date.parse(q.get('end') ?? '')).toBe(range.toMs);
    }
    // The two samples stored 90 and 80 minutes ago are drawn, and the window is named.
    await page.waitForSelector('[data-testid="trend-panel"][data-points="2"]');
    await waitForText('[data-testid="trend-window"]', '→');
    await waitForText('[data-testid="trend-live"]', 'Back to live');
    await snap(page, '03b-trend-custom-range');
    // A new sample does not move a window in the past.
    await publish({ temperature: 44.75, pressure: 5.5 });
    await waitForText('[data-testid="kpi-value-temperature"]', '44.75');
    expect(await page.getAttribute('[data-testid="trend-panel"]', 'data-points')).toBe('2');
    await page.click('[data-testid="trend-live"]');
    await page.waitForSelector('[data-testid="trend-panel"][data-live="true"][data-loading="false"]');
    await page.waitForSelector('[data-testid="range-1h"].bp6-active');
  });

  it('builds a rule in the rule builder', async () => {
    await page.click('[data-testid="nav-rules"]');
    await page.click('[data-testid="rules-new"]');
    await page.waitForSelector('[data-testid="rule-editor"]');
    await page.fill('input[data-testid="rule-name"]', 'Press overheating');
    await page.selectOption('select[data-testid="rule-severity"]', 'critical');
    // Blueprint draws its own box over a hidden input: click the label, as a person does.
    // (the builder tags the label or the input; either way the label is what is clicked)
    await page.click('label[data-testid="rule-device-press-1"], label:has(input[data-testid="rule-device-press-1"])');
    await page.waitForSelector('label[data-testid="rule-device-press-1"] input:checked, input[data-testid="rule-device-press-1"]:checked', { state: 'attached' });
    // The parameter picker offers what the chosen device has reported.
    await page.waitForSelector('select[data-testid="rule-parameter"] option[value="temperature"]', { state: 'attached' });
    await page.selectOption('select[data-testid="rule-parameter"]', 'temperature');
    await page.selectOption('select[data-testid="rule-operator"]', 'gt');
    await page.fill('input[data-testid="rule-value"]', '80');
    await snap(page, '04a-rule-builder');
    await page.click('[data-testid="rule-save"]');
    const rule = await waitFor(async () => {
      const res = await server.api('GET', '/api/v1/rules', { token: admin.accessToken });
      return (res.json.data as Array<{ name: string; severity: string; device_ids: number[]; conditions: unknown }>).find((r) => r.name === 'Press overheating');
    }, 'the rule saved from the builder');
    expect(rule.severity).toBe('critical');
    expect(rule.device_ids).toEqual([press.id]);
    expect(JSON.stringify(rule.conditions)).toContain('"parameter":"temperature","operator":"gt","value":80');
  });

  it('raises an alarm from that rule on MQTT telemetry and acknowledges it from the console', async () => {
    await publish({ temperature: 95.5, pressure: 5.6 });
    // The annunciator (on every page) counts it.
    await waitForText('[data-testid="ann-critical"]', '1');
    await page.click('[data-testid="nav-alarms"]');
    const row = await page.waitForSelector('[data-testid^="alarm-row-"][data-state="active_unacknowledged"]');
    alarmId = Number((await row.getAttribute('data-testid'))?.replace('alarm-row-', ''));
    expect(alarmId).toBeGreaterThan(0);
    await waitForText(`[data-testid="alarm-row-${alarmId}"]`, 'Press overheating');
    await snap(page, '04-alarm-raised');
    // Keyboard: the row under the cursor, then A acknowledges it.
    await page.click(`[data-testid="alarm-row-${alarmId}"] td.fo-state`);
    await page.keyboard.press('a');
    await page.waitForSelector(`[data-testid="alarm-row-${alarmId}"][data-state="active_acknowledged"]`);
    const stored = await server.api('GET', `/api/v1/alerts/${alarmId}`, { token: admin.accessToken });
    expect(stored.json.data.state).toBe('active_acknowledged');
    // The journal says who did what.
    await page.click(`[data-testid="journal-${alarmId}"]`);
    await page.waitForSelector('[data-testid="journal-entry"][data-action="acknowledged"]');
    const actions = await page.$$eval('[data-testid="journal-entry"]', (rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions).toEqual(expect.arrayContaining(['raised', 'acknowledged']));
    await waitForText('[data-testid="journal"]', server.factory.adminEmail);
    await snap(page, '05-alarm-journal');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="journal"]', { state: 'detached' });
    // The device trend now draws the rule's limit (80 °C) and lists the open alarm.
    await page.goto(`${server.url}/#/devices/${press.id}`);
    await page.waitForSelector('[data-testid="trend-panel"][data-loading="false"]');
    await waitForText('[data-testid="device-alarms"]', '1 rule applies');
    await page.waitForSelector(`[data-testid="device-alarms"] [data-testid="alarm-row-${alarmId}"]`);
    await snap(page, '05b-trend-with-limit');
  });

  it('adds a device on Machines, shows its key once, and the key works over MQTT', async () => {
    await page.click('[data-testid="nav-machines"]');
    await page.waitForSelector('[data-testid="machine-row-press-1"]');
    await page.click('[data-testid="add-device"]');
    await page.fill('input[data-testid="device-field-device_key"]', 'bad key!');
    await page.click('[data-testid="device-dialog-submit"]');
    await waitForText('.bp6-dialog', 'Letters, digits');
    await page.fill('input[data-testid="device-field-device_key"]', 'mixer-3');
    await page.fill('input[data-testid="device-field-name"]', 'Mixer 3');
    await page.click('[data-testid="device-dialog-submit"]');
    const keyInput = await page.waitForSelector('input[data-testid="api-key"]');
    const apiKey = await keyInput.inputValue();
    expect(apiKey.length).toBeGreaterThan(20);
    await snap(page, '06a-device-key-once');
    await page.click('[data-testid="api-key-done"]');
    await page.waitForSelector('[data-testid="machine-row-mixer-3"]');
    // The key shown is the device's real credential.
    const mixer = await connectAs(server.running.mqttPort as number, server.factory.slug, { deviceKey: 'mixer-3', apiKey });
    await mixer.publishAsync(telemetryTopicOf(server.factory.slug, 'mixer-3'), telemetry({ rpm: 1450 }), { qos: 1 });
    await mixer.endAsync();
    await page.waitForSelector('[data-testid="machine-row-mixer-3"] .fo-status[data-state="online"]');
    // Search narrows the table.
    await page.fill('input[data-testid="machines-search"]', 'mixer');
    await page.waitForSelector('[data-testid="machine-row-press-1"]', { state: 'detached' });
    await page.fill('input[data-testid="machines-search"]', '');
    await page.waitForSelector('[data-testid="machine-row-press-1"]');
  });

  it('switches to the light theme from preferences and back', async () => {
    await page.goto(`${server.url}/#/settings`);
    await page.click('[data-testid="theme-choice"] button:has-text("Light")');
    await page.waitForFunction(() => document.body.classList.contains('fo-light') && !document.body.classList.contains('bp6-dark'));
    await page.goto(`${server.url}/#/machines`);
    await page.waitForSelector('[data-testid="machine-row-mixer-3"]');
    await snap(page, '06b-machines-light');
    await page.goto(`${server.url}/#/settings`);
    await page.click('[data-testid="theme-choice"] button:has-text("Dark")');
    await page.waitForFunction(() => document.body.classList.contains('bp6-dark'));
  });

  it('shows the wall display without chrome, still signed in', async () => {
    await page.goto(`${server.url}/?wall=1&layout=overview`);
    await page.waitForSelector('[data-testid="wall"][data-layout="overview"]');
    expect(await page.$('[data-testid="nav-overview"]')).toBeNull();
    expect(await page.$('form[aria-label="Sign in"]')).toBeNull();
    await waitForText('[data-testid="live-press-1-temperature"]', '95.50');
    await page.waitForSelector('[data-testid="link-state"][data-state="open"]');
    await snap(page, '06-wall-overview');
    await page.goto(`${server.url}/?wall=1&layout=alarms`);
    await page.waitForSelector('[data-testid="wall-alarms"] [data-state="active_acknowledged"]');
    await snap(page, '07-wall-alarms');
  });

  it('shows the wall trends layout for the chosen devices, with history and the live tail', async () => {
    await page.goto(`${server.url}/?wall=1&layout=trends&devices=${press.id}`);
    const trend = '[data-testid="wall-trends"] [data-testid="trend-panel"]';
    await page.waitForSelector(`${trend}[data-loading="false"][data-live="true"]`);
    await page.waitForSelector(`${trend} [data-testid="trend-plot"] canvas`);
    await waitForText('[data-testid="wall-trends"]', 'Press 1');
    await waitForText(`${trend} .u-legend`, 'temperature (°C)');
    // No toolbar on a wall: nobody is there to click it.
    expect(await page.$('[data-testid="wall-trends"] [data-testid="range-1h"]')).toBeNull();
    const points = async () => Number(await page.getAttribute(trend, 'data-points'));
    const first = await points();
    expect(first).toBeGreaterThan(0);
    await publish({ temperature: 96.25, pressure: 5.7 });
    await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel as string)?.getAttribute('data-points')) > (n as number), [trend, first] as const);
    await snap(page, '07b-wall-trends');
  });

  it('shelves the alarm from the console with a duration and a reason, and unshelves it', async () => {
    const reason = 'Thermocouple being replaced, work order 4711';
    const row = `[data-testid="alarm-row-${alarmId}"]`;
    await page.goto(`${server.url}/#/alarms`);
    await page.waitForSelector(`${row}[data-state="active_acknowledged"]`);
    await page.click(`[data-testid="shelve-${alarmId}"]`);
    // Shelving is always explained (ISA-18.2): a blank reason is refused before it is sent.
    await page.click('[data-testid="shelve-confirm"]');
    await waitForText('.bp6-dialog', 'Say why the alarm is shelved.');
    await page.selectOption('select[data-testid="shelve-minutes"]', '30');
    await page.fill('input[data-testid="shelve-reason"]', reason);
    await snap(page, '08a-shelve-dialog');
    await page.click('[data-testid="shelve-confirm"]');
    await page.waitForSelector('.bp6-dialog', { state: 'detached' });
    await page.waitForSelector(`${row}[data-state="shelved"]`);
    await waitForText(row, reason);
    // Shelved alarms are suppressed: the annunciator no longer counts it.
    await page.waitForFunction(() => document.querySelector('[data-testid="ann-critical"] .fo-ann-n')?.textContent === '0');
    const stored = (await server.api('GET', `/api/v1/alerts/${alarmId}`, { token: admin.accessToken })).json.data;
    expect(stored.state).toBe('shelved');
    expect(stored.shelve_reason).toBe(reason);
    const minutesLeft = (Date.parse(stored.shelved_until) - Date.now()) / 60_000;
    expect(minutesLeft).toBeGreaterThan(25);
    expect(minutesLeft).toBeLessThanOrEqual(30);
    await snap(page, '08-alarm-shelved');
    // The journal records who shelved it, why and until when.
    await page.click(`[data-testid="journal-${alarmId}"]`);
    await page.waitForSelector('[data-testid="journal-entry"][data-action="shelved"]');
    await waitForText('[data-testid="journal"]', reason);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="journal"]', { state: 'detached' });
    // Unshelved within the rule's cooldown (15 min), the alarm returns to normal and leaves the list.
    await page.click(`[data-testid="unshelve-${alarmId}"]`);
    await page.waitForSelector(row, { state: 'detached' });
    const after = (await server.api('GET', `/api/v1/alerts/${alarmId}`, { token: admin.accessToken })).json.data;
    expect(after.state).toBe('normal');
    const journal = (await server.api('GET', `/api/v1/alerts/${alarmId}/journal`, { token: admin.accessToken })).json.data as Array<{ action: string }>;
    expect(journal.map((e) => e.action)).toEqual(expect.arrayContaining(['shelved', 'unshelved']));
  });

  it('signs out to the sign-in form, with no console errors or CSP violations on the way', async () => {
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="user-menu"]');
    await page.click('[data-testid="user-menu"]');
    await page.click('[data-testid="sign-out"]');
    await page.waitForSelector('form[aria-label="Sign in"]');
    // The refresh token is gone from the tab: a reload does not come back signed in.
    await page.reload();
    await page.waitForSelector('form[aria-label="Sign in"]');
    expect(watched.cspViolations).toEqual([]);
    // The failed sign-in answers 401 on purpose; nothing else may fail.
    expect(watched.errors.filter((e) => !/401/.test(e))).toEqual([]);
  });
});

describe('inside the desktop shell (the preload bridge in the page)', () => {
  it('notifies each new critical alarm once, reports the connection, and opens the alarm a notification names', async () => {
    let vault: string | null = null;
    const shell = await openPage(browser, { width: 1280, height: 800 });
    const bridge = await installDesktopBridge(shell.context, ({ channel, arg }) => {
      switch (channel) {
        case IPC_CHANNEL_NAMES.hostInfo:
          return { serverUrl: server.url, profileName: 'Control room 1', wallMode: false, wallLayout: null, wallDevices: [], wallCycleSeconds: null, shellVersion: 'test' };
        case IPC_CHANNEL_NAMES.loadRefreshToken:
          return vault;
        case IPC_CHANNEL_NAMES.saveRefreshToken:
          vault = arg as string | null;
          return undefined;
        default:
          return undefined;
      }
    });
    const sent = (channel: string) => bridge.calls.filter((c) => c.channel === channel).map((c) => c.arg);
    const p = shell.page;
    try {
      await p.goto(server.url);
      await p.fill('#fo-email', server.factory.adminEmail);
      await p.fill('#fo-password', server.factory.adminPassword);
      await p.click('button[type="submit"]');
      await p.waitForSelector('[data-testid="link-state"][data-state="open"]');
      // The tray hears each change once: signed out, then connecting, then online.
      await waitFor(() => sent(IPC_CHANNEL_NAMES.reportConnection).some((a) => (a as { state: string }).state === 'online'), 'online reported');
      const states = sent(IPC_CHANNEL_NAMES.reportConnection).map((a) => (a as { state: string }).state);
      expect(states).toContain('signed-out');
      expect(states.at(-1)).toBe('online');
      expect(states.filter((s, i) => s === states[i - 1])).toEqual([]);
      // Alarms that were open before this console started are history: no notification.
      expect(sent(IPC_CHANNEL_NAMES.notifyAlarm)).toEqual([]);
      // A new critical alarm: one OS notification, however often the condition is seen again.
      const rule = await server.api('POST', '/api/v1/rules', {
        token: admin.accessToken,
        body: { name: 'Press overpressure', severity: 'critical', cooldown_minutes: 0, device_ids: [press.id], conditions: { parameter: 'pressure', operator: 'gt', value: 6 } },
      });
      expect(rule.status, JSON.stringify(rule.json)).toBe(201);
      await publish({ temperature: 60, pressure: 6.5 });
      const notice = (await waitFor(() => sent(IPC_CHANNEL_NAMES.notifyAlarm)[0], 'notifyAlarm')) as { alarmId: number; severity: string; title: string; body: string };
      expect(notice).toMatchObject({ severity: 'critical', title: 'Press 1' });
      expect(notice.body).toContain('Press overpressure');
      await publish({ temperature: 60, pressure: 6.8 });
      await waitForText('[data-testid="live-press-1-pressure"]', '6.80', p);
      expect(sent(IPC_CHANNEL_NAMES.notifyAlarm)).toHaveLength(1);
      // The person clicks the notification: the console opens on that alarm.
      await bridge.emit(p, IPC_EVENT_NAMES.alarmFocus, { alarmId: notice.alarmId });
      await p.waitForSelector(`[data-testid="alarm-row-${notice.alarmId}"].fo-selected`);
      expect(new URL(p.url()).hash).toBe('#/alarms');
      await snap(p, '10-desktop-alarm-focus');
      // An alarm that has closed meanwhile (the shelved-and-unshelved one) shows its journal.
      await bridge.emit(p, IPC_EVENT_NAMES.alarmFocus, { alarmId });
      await p.waitForSelector('[data-testid="journal-entry"][data-action="unshelved"]');
      expect(shell.errors).toEqual([]);
    } finally {
      await shell.context.close();
    }
  });
});

describe('invitation link in Chromium', () => {
  it('sets a password from the e-mailed link and lands signed in; the used link then says so', async () => {
    const email = 'new.operator@example.com';
    const password = 'pump house night shift';
    const invited = await server.api('POST', '/api/v1/users/invite', { token: admin.accessToken, body: { email, role: 'operator' } });
    expect(invited.status, JSON.stringify(invited.json)).toBe(201);
    // The link as e-mailed, on this server (the test server's public URL may name another host).
    const link = new URL(invited.json.data.invite_link as string);
    expect(link.pathname).toBe('/accept-invite');
    const url = `${server.url}${link.pathname}${link.search}`;
    // A fresh browser profile: the invited person has never used this console.
    const guest = await openPage(browser, { width: 1280, height: 800 });
    const p = guest.page;
    try {
      await p.goto(url);
      await p.waitForSelector('form[aria-label="Set your password"]');
      // Too short, and then typed differently twice: said at the field, nothing sent.
      await p.fill('#fo-new-password', 'short');
      await p.fill('#fo-repeat-password', 'short');
      await p.click('[data-testid="invite-submit"]');
      await waitForText('[data-testid="accept-invite"]', 'Use at least 8 characters.', p);
      await p.fill('#fo-new-password', password);
      await p.fill('#fo-repeat-password', `${password}!`);
      await waitForText('[data-testid="accept-invite"]', 'The two passwords are not the same.', p);
      await p.click('[data-testid="invite-submit"]');
      expect(guest.apiRequests.filter((u) => u.includes('/users/accept-invite'))).toEqual([]);
      await snap(p, '09a-invite-mismatch');
      await p.fill('#fo-repeat-password', password);
      await p.click('[data-testid="invite-submit"]');
      // Signed in with the tokens the server answered: the console, live, as the new operator.
      await p.waitForSelector('[data-testid="nav-overview"]');
      await p.waitForSelector('[data-testid="link-state"][data-state="open"]');
      await waitForText('[data-testid="user-menu"]', email, p);
      expect(await p.$('[data-testid="nav-users"]')).toBeNull();
      expect(new URL(p.url()).pathname).toBe('/');
      expect(p.url()).not.toContain('token=');
      await p.waitForSelector('[data-testid="live-press-1-temperature"]:not(.fo-stale-value)');
      await snap(p, '09b-invite-signed-in');
      // The password works for a normal sign-in.
      const login = await server.api('POST', '/api/v1/auth/login', { body: { factory_slug: server.factory.slug, email, password } });
      expect(login.status).toBe(200);
      // The same link again: the server refuses it and the page says why, with the way on.
      await p.goto(url);
      await p.waitForSelector('form[aria-label="Set your password"]');
      await p.fill('#fo-new-password', 'another long passphrase');
      await p.fill('#fo-repeat-password', 'another long passphrase');
      await p.click('[data-testid="invite-submit"]');
      await p.waitForSelector('[data-testid="invite-error"][data-code="INVITE_INVALID"]');
      await waitForText('[data-testid="invite-error"]', 'already used', p);
      await snap(p, '09c-invite-used');
      await p.click('[data-testid="invite-to-signin"]');
      // This tab's session is still valid: back to the console, no password asked.
      await p.waitForSelector('[data-testid="nav-overview"]');
      expect(guest.cspViolations).toEqual([]);
      // The refused accept answers 400 on purpose; nothing else may fail.
      expect(guest.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    } finally {
      await guest.context.close();
    }
  });
});
