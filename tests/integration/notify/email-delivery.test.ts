/**
 * E-mail through the outbox to a real SMTP server in process: one mail per recipient with
 * readable content, retries with backoff while SMTP is down and exactly one delivery once
 * it is back, a rejected recipient recorded as a permanent failure, notification_sent, and
 * the sender's own loop woken by kick(). Time is an injected clock; nothing waits on it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmtpConfig } from '../../../server/config.js';
import { createEmailChannel } from '../../../server/notify/channels/email.js';
import { unconfiguredChannel, type ChannelSet } from '../../../server/notify/channels/channel.js';
import { OutboxSender } from '../../../server/notify/outbox-sender.js';
import { createNotificationPlanner } from '../../../server/notify/planner.js';
import type { Rule } from '../../../server/store/meta/repositories/rules.js';
import {
  captureLogger,
  freePort,
  openTempStore,
  raise,
  ruleInput,
  seedPlant,
  startSmtp,
  T0,
  type CapturedLog,
  type Plant,
  type SmtpHandle,
  type StoreHandle,
} from './fixtures.js';

const planner = createNotificationPlanner();

function smtpConfig(port: number, auth = false): SmtpConfig {
  return {
    host: '127.0.0.1',
    port,
    secure: false,
    username: auth ? 'alarms' : null,
    password: auth ? 'mail-secret' : null,
    from: 'FactoryOps <noreply@factoryops.test>',
  };
}

describe('e-mail notifications through the outbox', () => {
  let store: StoreHandle;
  let plant: Plant;
  let rule: Rule;
  let log: CapturedLog;
  let now = T0;
  const clock = () => now;
  const toClose: Array<() => unknown> = [];

  beforeAll(async () => {
    store = await openTempStore();
    plant = await seedPlant(store.meta);
    rule = await store.meta.rules.create(plant.factory.id, ruleInput(plant.device.id), plant.admin.id, T0);
  });
  afterEach(async () => {
    for (const close of toClose.splice(0)) await close();
  });
  afterAll(() => store.cleanup());

  function sender(channels: ChannelSet, extra: Partial<ConstructorParameters<typeof OutboxSender>[0]> = {}): OutboxSender {
    log = captureLogger();
    // random = 0: no jitter, so the backoff is exactly 5 s, 10 s, 20 s …
    return new OutboxSender({ meta: store.meta, channels, logger: log.logger, clock, random: () => 0, ...extra });
  }

  async function smtp(options: Parameters<typeof startSmtp>[0] = {}): Promise<SmtpHandle> {
    const server = await startSmtp(options);
    toClose.push(() => server.close());
    return server;
  }

  it('sends one readable e-mail per recipient and sets notification_sent', async () => {
    const server = await smtp({ auth: { user: 'alarms', pass: 'mail-secret' } });
    const email = createEmailChannel(smtpConfig(server.port, true));
    toClose.push(() => email.close?.());
    now = T0;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    expect((await store.meta.alerts.get(plant.factory.id, alert.id))?.notificationSent).toBe(false);

    const round = await sender({ email }).processDue();
    expect(round).toMatchObject({ claimed: 2, sent: 2, retried: 0, failed: 0 });
    expect(server.logins).toEqual(['alarms', 'alarms']);
    expect(server.mails.map((m) => m.rcptTo).flat().sort()).toEqual([plant.admin.email, plant.operator.email].sort());
    for (const mail of server.mails) {
      expect(mail.rcptTo).toHaveLength(1);
      expect(mail.mailFrom).toBe('noreply@factoryops.test');
      expect(mail.subject).toBe('[CRITICAL] Alarm: High Voltage Alert on Compressor 1 (M01)');
      expect(mail.text).toContain('Device:    Compressor 1 (M01)');
      expect(mail.text).toContain('Triggered: 2026-02-19 16:05:00 Asia/Kolkata (GMT+05:30)');
      expect(mail.text).toContain('[High Voltage Alert] voltage (245.2) gt 240');
      expect(mail.text).toMatch(/voltage\s+245\.2 V/);
      expect(mail.headers.get('x-factoryops-alert')).toBe(String(alert.id));
      expect(mail.headers.get('message-id')).toMatch(/^<outbox-\d+\.alert-\d+@factoryops\.test>$/);
    }
    expect((await store.meta.alerts.get(plant.factory.id, alert.id))?.notificationSent).toBe(true);
    const outcome = await store.meta.outbox.outcome(plant.factory.id, alert.id);
    expect(outcome).toEqual({ pending: 0, sent: 2, failed: 0, skipped: 0 });
    expect(log.events('notification.email_sent')).toHaveLength(2);
    // Addresses are masked in logs.
    expect(JSON.stringify(log.lines)).not.toContain(plant.operator.email);
    // Nothing is due any more: a second round sends nothing.
    expect((await sender({ email }).processDue()).claimed).toBe(0);
    expect(server.mails).toHaveLength(2);
  });

  it('upgrades with STARTTLS to a server with a self-signed, expired certificate unless told to verify it', async () => {
    const server = await smtp({ starttls: true });
    now = T0 + 30 * 60_000;
    const opportunistic = createEmailChannel(smtpConfig(server.port));
    const strict = createEmailChannel(smtpConfig(server.port), { verifyStartTls: true });
    toClose.push(() => opportunistic.close?.(), () => strict.close?.());
    const strictAlert = await raise(store.meta, planner, rule, plant.device.id, now);
    expect(await sender({ email: strict }).processDue()).toMatchObject({ retried: 2 });
    const rows = await store.meta.outbox.listForAlert(plant.factory.id, strictAlert.id);
    expect(rows.every((r) => /certificate/.test(r.lastError ?? ''))).toBe(true);
    now += 5_000;
    expect(await sender({ email: opportunistic }).processDue()).toMatchObject({ sent: 2 });
    expect(server.secured).toEqual([true, true]);
  });

  it('retries with exponential backoff while SMTP is down, then delivers each message exactly once', async () => {
    const port = await freePort();
    const email = createEmailChannel(smtpConfig(port));
    toClose.push(() => email.close?.());
    now = T0 + 60 * 60_000;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    const s = sender({ email });

    // Down: connection refused → retry in 5 s, then 10 s, then 20 s.
    expect(await s.processDue()).toMatchObject({ claimed: 2, retried: 2, sent: 0 });
    let rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: now + 5_000 });
      expect(row.lastError).toMatch(/ECONNREFUSED|ECONNECTION/);
    }
    expect(log.events('notification.retry')).toHaveLength(2);
    // Not due yet: nothing is claimed before the backoff runs out.
    now += 4_999;
    expect((await s.processDue()).claimed).toBe(0);
    now += 1;
    expect(await s.processDue()).toMatchObject({ claimed: 2, retried: 2 });
    rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(rows.map((r) => [r.attempts, r.nextAttemptAt - now])).toEqual([
      [2, 10_000],
      [2, 10_000],
    ]);
    now += 10_000;
    await s.processDue();
    rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(rows.map((r) => [r.attempts, r.nextAttemptAt - now])).toEqual([
      [3, 20_000],
      [3, 20_000],
    ]);
    expect((await store.meta.alerts.get(plant.factory.id, alert.id))?.notificationSent).toBe(false);

    // SMTP comes up on that port; the next due round delivers, and later rounds send nothing more.
    const server = await smtp({ port });
    now += 20_000;
    expect(await s.processDue()).toMatchObject({ claimed: 2, sent: 2 });
    now += 60 * 60_000;
    expect((await s.processDue()).claimed).toBe(0);
    expect(server.mails.map((m) => m.rcptTo[0]).sort()).toEqual([plant.admin.email, plant.operator.email].sort());
    rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 3 && r.lastError === null)).toBe(true);
    expect((await store.meta.alerts.get(plant.factory.id, alert.id))?.notificationSent).toBe(true);
  });

  it('gives up (status failed) once a message has been retried for a day', async () => {
    const email = createEmailChannel(smtpConfig(await freePort()));
    toClose.push(() => email.close?.());
    now = T0 + 2 * 60 * 60_000;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    const s = sender({ email }, { retry: { giveUpAfterMs: 60_000 } });
    await s.processDue();
    now += 60_000;
    expect(await s.processDue()).toMatchObject({ claimed: 2, failed: 2 });
    const rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(rows.every((r) => r.status === 'failed' && r.attempts === 2 && /ECONNREFUSED|ECONNECTION/.test(r.lastError ?? ''))).toBe(true);
    expect(log.events('notification.failed')).toHaveLength(2);
  });

  it('records a rejected recipient as a permanent failure with the server’s reason, and still sends to the others', async () => {
    const server = await smtp({ reject: [plant.operator.email] });
    const email = createEmailChannel(smtpConfig(server.port));
    toClose.push(() => email.close?.());
    now = T0 + 3 * 60 * 60_000;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    expect(await sender({ email }).processDue()).toMatchObject({ sent: 1, failed: 1, retried: 0 });
    const rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    const rejected = rows.find((r) => r.recipient === plant.operator.email);
    expect(rejected).toMatchObject({ status: 'failed', attempts: 1 });
    expect(rejected?.lastError).toMatch(/550.*mailbox unavailable/);
    expect(rows.find((r) => r.recipient === plant.admin.email)?.status).toBe('sent');
    expect(server.mails.map((m) => m.rcptTo[0])).toEqual([plant.admin.email]);
    expect((await store.meta.alerts.get(plant.factory.id, alert.id))?.notificationSent).toBe(true);
  });

  it('skips e-mail with a logged reason when SMTP is not configured, and notification_sent stays false', async () => {
    now = T0 + 4 * 60 * 60_000;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    const s = sender({ email: unconfiguredChannel('email', 'e-mail not configured: SMTP_HOST is not set') });
    expect(await s.processDue()).toMatchObject({ claimed: 2, skipped: 2 });
    const rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(rows.every((r) => r.status === 'skipped' && r.lastError === 'e-mail not configured: SMTP_HOST is not set')).toBe(true);
    expect(log.events('notification.skipped').map((l) => l.reason)).toEqual([
      'e-mail not configured: SMTP_HOST is not set',
      'e-mail not configured: SMTP_HOST is not set',
    ]);
    expect((await store.meta.alerts.get(plant.factory.id, alert.id))?.notificationSent).toBe(false);
  });

  it('runs on its own: kick() after a raise sends at once, and onNotified fires once per alarm', async () => {
    const server = await smtp();
    const email = createEmailChannel(smtpConfig(server.port));
    toClose.push(() => email.close?.());
    const notified: number[] = [];
    // A poll interval far longer than the test: only kick() can get the mail out in time.
    const s = sender({ email }, { pollIntervalMs: 3_600_000, onNotified: (_f, alertId) => notified.push(alertId) });
    now = T0 + 5 * 60 * 60_000;
    s.start();
    toClose.push(() => s.stop());
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    s.kick();
    await expect.poll(() => server.mails.length, { timeout: 10_000 }).toBe(2);
    await s.stop();
    expect(notified).toEqual([alert.id]);
    expect(await store.meta.outbox.outcome(plant.factory.id, alert.id)).toEqual({ pending: 0, sent: 2, failed: 0, skipped: 0 });
  });
});
