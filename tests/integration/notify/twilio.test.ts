/**
 * WhatsApp and SMS through the twilio SDK, pointed at a local stand-in for Twilio's REST API
 * (the only part of these tests that is not the real thing): form fields, basic auth,
 * `whatsapp:` addresses, an invalid number as a permanent failure, a 503 retried, and an
 * unconfigured account or sender skipped with a logged reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiteChannels } from '../../../server/notify/channels/site-channels.js';
import { createTwilioChannels } from '../../../server/notify/channels/twilio.js';
import { twilioFromEnv } from '../../../server/notify/config.js';
import { OutboxSender } from '../../../server/notify/outbox-sender.js';
import { createNotificationPlanner } from '../../../server/notify/planner.js';
import type { Rule } from '../../../server/store/meta/repositories/rules.js';
import {
  captureLogger,
  openTempStore,
  raise,
  ruleInput,
  seedPlant,
  startTwilioStandIn,
  T0,
  TWILIO_SID,
  TWILIO_TOKEN,
  type Plant,
  type StoreHandle,
  type TwilioStandIn,
} from './fixtures.js';

const planner = createNotificationPlanner();

describe('WhatsApp and SMS through Twilio', () => {
  let store: StoreHandle;
  let plant: Plant;
  let rule: Rule;
  let twilio: TwilioStandIn;
  let now = T0;
  const clock = () => now;

  beforeAll(async () => {
    store = await openTempStore();
    plant = await seedPlant(store.meta);
    rule = await store.meta.rules.create(plant.factory.id, ruleInput(plant.device.id, { notificationChannels: { whatsapp: true, sms: true } }), null, T0);
    twilio = await startTwilioStandIn(['+14155550123']);
  });
  afterAll(async () => {
    await twilio.close();
    await store.cleanup();
  });

  function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
      TWILIO_SMS_FROM: '+15005550006',
      FACTORYOPS_TWILIO_API_URL: `${twilio.url}/`,
      ...extra,
    };
  }

  it('reads TWILIO_* and FACTORYOPS_TWILIO_API_URL', () => {
    expect(twilioFromEnv({})).toBeNull();
    expect(twilioFromEnv({ TWILIO_ACCOUNT_SID: TWILIO_SID })).toBeNull();
    expect(twilioFromEnv(env())).toEqual({
      accountSid: TWILIO_SID,
      authToken: TWILIO_TOKEN,
      whatsappFrom: '+14155238886',
      smsFrom: '+15005550006',
      apiUrl: twilio.url,
    });
    expect(() => twilioFromEnv(env({ TWILIO_ACCOUNT_SID: 'SK123' }))).toThrow(/TWILIO_ACCOUNT_SID/);
  });

  it('sends WhatsApp and SMS with basic auth and form fields; an invalid number fails for good with Twilio’s reason', async () => {
    const config = twilioFromEnv(env());
    if (!config) throw new Error('config expected');
    const log = captureLogger();
    const sender = new OutboxSender({ meta: store.meta, logger: log.logger, clock, random: () => 0, channels: createTwilioChannels(config) });
    now = T0;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);

    expect(await sender.processDue()).toMatchObject({ claimed: 3, sent: 2, failed: 1 });
    const auth = `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`;
    for (const request of twilio.requests) {
      expect(request.path).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
      expect(request.authorization).toBe(auth);
      expect(request.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    }
    const byTo = new Map(twilio.requests.map((r) => [r.form.To, r.form]));
    expect([...byTo.keys()].sort()).toEqual(['+919876500001', 'whatsapp:+14155550123', 'whatsapp:+919876543210']);
    expect(byTo.get('whatsapp:+919876543210')?.From).toBe('whatsapp:+14155238886');
    expect(byTo.get('+919876500001')?.From).toBe('+15005550006');
    const whatsapp = byTo.get('whatsapp:+919876543210')?.Body ?? '';
    expect(whatsapp).toContain('*CRITICAL ALARM*');
    expect(whatsapp).toContain('*Device:* Compressor 1 (M01)');
    expect(whatsapp).toContain('*Time:* 2026-02-19 16:05:00 Asia/Kolkata');
    const sms = byTo.get('+919876500001')?.Body ?? '';
    expect(sms).toMatch(/^CRITICAL alarm at Plant A: High Voltage Alert on Compressor 1 \(M01\), 2026-02-19 16:05 Asia\/Kolkata/);
    expect(sms).toContain('voltage=245.2 V');

    const rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    const invalid = rows.find((r) => r.recipient === '+14155550123');
    expect(invalid).toMatchObject({ channel: 'whatsapp', status: 'failed', attempts: 1 });
    expect(invalid?.lastError).toMatch(/HTTP 400: Twilio error 21211: The 'To' number whatsapp:\+14155550123 is not a valid phone number/);
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(2);
    expect(log.events('notification.whatsapp_sent').map((l) => l.providerId)).toEqual([expect.stringMatching(/^SM\d{32}$/)]);
    expect((await store.meta.alerts.get(plant.factory.id, alert.id))?.notificationSent).toBe(true);
  });

  it('retries when Twilio answers 503, then sends once', async () => {
    const config = twilioFromEnv(env());
    if (!config) throw new Error('config expected');
    const sms = await store.meta.rules.create(plant.factory.id, ruleInput(plant.device.id, { notificationChannels: { sms: true } }), null, T0);
    const sender = new OutboxSender({ meta: store.meta, logger: captureLogger().logger, clock, random: () => 0, channels: createTwilioChannels(config) });
    now = T0 + 60 * 60_000;
    const alert = await raise(store.meta, planner, sms, plant.device.id, now);
    twilio.requests.length = 0;
    twilio.failNext(1);
    expect(await sender.processDue()).toMatchObject({ claimed: 1, retried: 1 });
    const [row] = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(row?.lastError).toMatch(/HTTP 503/);
    now += 5_000;
    expect(await sender.processDue()).toMatchObject({ claimed: 1, sent: 1 });
    expect(twilio.requests.map((r) => r.form.To)).toEqual(['+919876500001', '+919876500001']);
  });

  it('skips WhatsApp and SMS with a logged reason when Twilio is not configured', async () => {
    const log = captureLogger();
    const channels = createSiteChannels({ smtp: null, twilio: twilioFromEnv({}), webhookSettings: async () => null });
    const sender = new OutboxSender({ meta: store.meta, logger: log.logger, clock, channels });
    now = T0 + 2 * 60 * 60_000;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    twilio.requests.length = 0;
    expect(await sender.processDue()).toMatchObject({ claimed: 3, skipped: 3 });
    expect(twilio.requests).toHaveLength(0);
    const rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(rows.every((r) => r.status === 'skipped' && /not configured: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set/.test(r.lastError ?? ''))).toBe(true);
    expect(log.events('notification.skipped')).toHaveLength(3);
  });

  it('skips only WhatsApp when the account is set but TWILIO_WHATSAPP_FROM is not', async () => {
    const config = twilioFromEnv(env({ TWILIO_WHATSAPP_FROM: '' }));
    if (!config) throw new Error('config expected');
    const sender = new OutboxSender({ meta: store.meta, logger: captureLogger().logger, clock, channels: createTwilioChannels(config) });
    now = T0 + 3 * 60 * 60_000;
    const alert = await raise(store.meta, planner, rule, plant.device.id, now);
    expect(await sender.processDue()).toMatchObject({ claimed: 3, skipped: 2, sent: 1 });
    const rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(rows.filter((r) => r.channel === 'whatsapp').every((r) => r.lastError === 'WhatsApp not configured: TWILIO_WHATSAPP_FROM is not set')).toBe(true);
    expect(rows.find((r) => r.channel === 'sms')?.status).toBe('sent');
  });
});
