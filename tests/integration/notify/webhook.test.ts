/**
 * The factory webhook against a local HTTP receiver: the HMAC signature verifies over the
 * raw body, a 500 is retried and then delivered once (same delivery id), a 4xx is final,
 * and a factory without a secret is skipped with the reason.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookChannel } from '../../../server/notify/channels/webhook.js';
import { OutboxSender } from '../../../server/notify/outbox-sender.js';
import { createNotificationPlanner } from '../../../server/notify/planner.js';
import type { Rule } from '../../../server/store/meta/repositories/rules.js';
import { captureLogger, openTempStore, raise, ruleInput, seedPlant, startWebhookReceiver, T0, type Plant, type StoreHandle, type WebhookReceiver } from './fixtures.js';

const planner = createNotificationPlanner();
const SECRET = 'whsec-plant-a-0123456789';

/** What a receiver does: recompute the HMAC of the bytes it got and compare in constant time. */
function verifies(raw: string, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(raw).digest('hex'));
  const given = Buffer.from(header.slice('sha256='.length));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

describe('webhook notifications', () => {
  let store: StoreHandle;
  let plant: Plant;
  let rule: Rule;
  let receiver: WebhookReceiver;
  let now = T0;
  const clock = () => now;

  beforeAll(async () => {
    store = await openTempStore();
    plant = await seedPlant(store.meta);
    receiver = await startWebhookReceiver();
    await store.meta.factories.setNotificationSettings(plant.factory.id, { webhookUrl: receiver.url, webhookSecret: SECRET }, T0);
    rule = await store.meta.rules.create(plant.factory.id, ruleInput(plant.device.id, { notificationChannels: { webhook: true } }), null, T0);
  });
  afterAll(async () => {
    await receiver.close();
    await store.cleanup();
  });

  function sender(): OutboxSender {
    const channel = createWebhookChannel({ settings: (id) => store.meta.factories.notificationSettings(id), clock });
    return new OutboxSender({ meta: store.meta, logger: captureLogger().logger, clock, random: () => 0, channels: { webhook: channel } });
  }

  it('posts the alarm as JSON signed with the factory’s secret', async () => {
    now = T0;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    expect(await sender().processDue()).toMatchObject({ claimed: 1, sent: 1 });
    expect(receiver.calls).toHaveLength(1);
    const [call] = receiver.calls;
    if (!call) throw new Error('no call');
    expect(call.headers['content-type']).toBe('application/json');
    expect(verifies(call.raw, call.headers['x-factoryops-signature'], SECRET)).toBe(true);
    expect(verifies(call.raw, call.headers['x-factoryops-signature'], 'another secret')).toBe(false);
    expect(call.headers['x-factoryops-timestamp']).toBe(String(Math.floor(now / 1000)));
    const [row] = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(call.headers['x-factoryops-delivery']).toBe(String(row?.id));
    const payload = JSON.parse(call.raw) as Record<string, unknown>;
    expect(payload).toMatchObject({
      event: 'alarm.raised',
      factory: { id: plant.factory.id, name: 'Plant A' },
      device: { key: 'M01', name: 'Compressor 1' },
      rule: { id: rule.id, name: 'High Voltage Alert' },
      alert: { id: alert.id, severity: 'critical', telemetrySnapshot: { voltage: 245.2, current: 3.5 } },
    });
    // The query string (a token) is not copied into the outbox row.
    expect(row?.recipient).toBe(receiver.url.replace(/\?.*$/, ''));
    expect((await store.meta.alerts.get(plant.factory.id, alert.id))?.notificationSent).toBe(true);
  });

  it('retries a 500 and then delivers once, with the same delivery id', async () => {
    now = T0 + 60 * 60_000;
    receiver.calls.length = 0;
    receiver.respondWith(500, 503);
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    const s = sender();
    expect(await s.processDue()).toMatchObject({ retried: 1 });
    now += 5_000;
    expect(await s.processDue()).toMatchObject({ retried: 1 });
    now += 10_000;
    expect(await s.processDue()).toMatchObject({ sent: 1 });
    now += 60 * 60_000;
    expect((await s.processDue()).claimed).toBe(0);
    expect(receiver.calls).toHaveLength(3);
    expect(new Set(receiver.calls.map((c) => c.headers['x-factoryops-delivery'])).size).toBe(1);
    expect(receiver.calls.every((c) => verifies(c.raw, c.headers['x-factoryops-signature'], SECRET))).toBe(true);
    const [row] = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    // attempts counts the failed tries; sent_at records the one that worked.
    expect(row).toMatchObject({ status: 'sent', attempts: 2, sentAt: now - 60 * 60_000 });
  });

  it('treats a 4xx other than 408/429 as final', async () => {
    now = T0 + 2 * 60 * 60_000;
    receiver.respondWith(410);
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    expect(await sender().processDue()).toMatchObject({ failed: 1 });
    const [row] = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row?.lastError).toMatch(/^HTTP 410: receiver failed/);
  });

  it('skips with the reason when the factory has a URL but no secret to sign with', async () => {
    now = T0 + 3 * 60 * 60_000;
    await store.meta.factories.setNotificationSettings(plant.factory.id, { webhookUrl: receiver.url, webhookSecret: null }, now);
    receiver.calls.length = 0;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    expect(await sender().processDue()).toMatchObject({ skipped: 1 });
    const [row] = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(row?.lastError).toMatch(/no webhook_secret/);
    expect(receiver.calls).toHaveLength(0);
    await store.meta.factories.setNotificationSettings(plant.factory.id, { webhookUrl: receiver.url, webhookSecret: SECRET }, now);
  });
});
