/**
 * The notification planner on a real SQLite store: who is told on which channel (the
 * factory's active users by default, or the rule's own recipients), channel filters and
 * preferences, factory isolation, and what the messages say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../server/store/meta/repositories/alerts.js';
import type { NewOutboxMessage } from '../../../server/store/meta/repositories/outbox.js';
import type { RuleInput } from '../../../server/store/meta/repositories/rules.js';
import { createNotificationPlanner } from '../../../server/notify/planner.js';
import { enabledChannels, normalizePhone, ruleRecipients } from '../../../server/notify/recipients.js';
import { openTempStore, raise, ruleInput, seedPlant, T0, type Plant, type StoreHandle } from './fixtures.js';

describe('notification planner', () => {
  let store: StoreHandle;
  let plant: Plant;
  const planner = createNotificationPlanner();

  beforeAll(async () => {
    store = await openTempStore();
    plant = await seedPlant(store.meta);
  });
  afterAll(() => store.cleanup());

  /** Raises an alarm of a fresh rule and returns the outbox rows it produced. */
  async function plan(patch: Partial<RuleInput>): Promise<{ alert: Alert; messages: NewOutboxMessage[] }> {
    const rule = await store.meta.rules.create(plant.factory.id, ruleInput(plant.device.id, patch), plant.admin.id, T0);
    const alert = await raise(store.meta, planner, rule, plant.device.id, T0);
    const messages = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    return { alert, messages };
  }

  const recipients = (messages: NewOutboxMessage[], channel: string) =>
    messages
      .filter((m) => m.channel === channel)
      .map((m) => m.recipient)
      .sort();

  it('e-mails every active user of the factory by default, honouring a preference that leaves e-mail out', async () => {
    const { messages } = await plan({ notificationChannels: { email: true, whatsapp: false } });
    expect(recipients(messages, 'email')).toEqual([plant.admin.email, plant.operator.email].sort());
    expect(messages.every((m) => m.channel === 'email' && m.kind === 'raise')).toBe(true);
  });

  it('sends WhatsApp to active users with a WhatsApp number, and SMS to those with a phone number', async () => {
    const { messages } = await plan({ notificationChannels: { email: false, whatsapp: true, sms: true } });
    // The deactivated user's number is not used; the other factory's user is never considered.
    expect(recipients(messages, 'whatsapp')).toEqual(['+14155550123', '+919876543210']);
    // The WhatsApp-only user has no phone number; their preference would leave SMS out anyway.
    expect(recipients(messages, 'sms')).toEqual(['+919876500001']);
    expect(recipients(messages, 'email')).toEqual([]);
  });

  it('uses the rule’s own recipients when it names them, ignores other factories’ and deactivated users, and deduplicates', async () => {
    const { messages } = await plan({
      notificationChannels: { email: true, whatsapp: true, sms: true },
      recipients: {
        user_ids: [plant.operator.id, plant.inactive.id, plant.outsider.id, 999_999],
        emails: ['Shift.Lead@plant-a.example', plant.operator.email.toUpperCase(), 'not-an-address'],
        phones: ['+44 7700 900123', '+447700900123'],
      },
    });
    expect(recipients(messages, 'email')).toEqual([plant.operator.email, 'shift.lead@plant-a.example'].sort());
    // The operator has no numbers; the phones list serves WhatsApp and SMS; duplicates collapse.
    expect(recipients(messages, 'whatsapp')).toEqual(['+447700900123']);
    expect(recipients(messages, 'sms')).toEqual(['+447700900123']);
    expect(messages.some((m) => m.recipient.includes('plant-b'))).toBe(false);
  });

  it('plans nothing for a rule with every channel off, and e-mail for a rule that never said', async () => {
    expect((await plan({ notificationChannels: { email: false, whatsapp: false } })).messages).toEqual([]);
    const { messages } = await plan({ notificationChannels: null });
    expect(new Set(messages.map((m) => m.channel))).toEqual(new Set(['email']));
  });

  it('plans one webhook message to the factory’s URL, or none when the factory has no webhook', async () => {
    expect((await plan({ notificationChannels: { webhook: true } })).messages).toEqual([]);
    await store.meta.factories.setNotificationSettings(plant.factory.id, { webhookUrl: 'https://hooks.example/alarms?token=s3cret', webhookSecret: 'k' }, T0);
    const { alert, messages } = await plan({ notificationChannels: { webhook: true, email: false } });
    expect(messages).toHaveLength(1);
    const [hook] = messages;
    expect(hook?.recipient).toBe('https://hooks.example/alarms');
    const payload = JSON.parse(hook?.body ?? '{}') as Record<string, unknown>;
    expect(payload.event).toBe('alarm.raised');
    expect(payload.alert).toMatchObject({ id: alert.id, severity: 'critical', triggeredAt: '2026-02-19T10:35:00.000Z' });
    expect(payload.device).toMatchObject({ id: plant.device.id, key: 'M01', name: 'Compressor 1' });
    expect(payload.factory).toMatchObject({ id: plant.factory.id, name: 'Plant A' });
    await store.meta.factories.setNotificationSettings(plant.factory.id, null, T0);
  });

  it('writes a readable e-mail: factory, device, rule, severity, message, values with units, local time', async () => {
    const { alert, messages } = await plan({ notificationChannels: { email: true } });
    const mail = messages.find((m) => m.recipient === plant.operator.email);
    expect(mail?.subject).toBe('[CRITICAL] Alarm: High Voltage Alert on Compressor 1 (M01)');
    const body = mail?.body ?? '';
    expect(body).toContain(`Factory:   Plant A (${plant.factory.slug})`);
    expect(body).toContain('Device:    Compressor 1 (M01)');
    expect(body).toContain('Rule:      High Voltage Alert');
    expect(body).toContain('Severity:  CRITICAL');
    // 10:35 UTC is 16:05 in Kolkata.
    expect(body).toContain('Triggered: 2026-02-19 16:05:00 Asia/Kolkata (GMT+05:30)');
    expect(body).toContain('[High Voltage Alert] voltage (245.2) gt 240');
    expect(body).toMatch(/voltage\s+245\.2 V/);
    expect(body).toMatch(/current\s+3\.5\n/);
    expect(body).toContain(`Alarm ID:  ${alert.id}`);
  });

  it('says "still unacknowledged after N minutes" in escalations, on every channel', async () => {
    const rule = await store.meta.rules.create(
      plant.factory.id,
      ruleInput(plant.device.id, { notificationChannels: { email: true, whatsapp: true, sms: true }, escalationMinutes: 15 }),
      null,
      T0,
    );
    const alert = await raise(store.meta, planner, rule, plant.device.id, T0);
    const messages = await store.meta.transaction((repos) => planner.plan(repos, alert, rule, 'escalation', T0 + 15 * 60_000));
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) {
      expect(m.kind).toBe('escalation');
      expect(m.body).toContain('still unacknowledged after 15 minutes');
    }
    expect(messages.find((m) => m.channel === 'email')?.subject).toBe(
      '[CRITICAL] Escalation: High Voltage Alert on Compressor 1 (M01) still unacknowledged after 15 minutes',
    );
    const sms = messages.find((m) => m.channel === 'sms')?.body ?? '';
    expect(sms.length).toBeLessThanOrEqual(459);
    expect(sms).not.toMatch(/[^\x20-\x7e…]/);
  });

  it('reads the seed’s channel and recipient shapes', () => {
    expect([...enabledChannels({ email: true, whatsapp: false })]).toEqual(['email']);
    expect([...enabledChannels(['sms', 'webhook', 'pager'])]).toEqual(['sms', 'webhook']);
    expect(ruleRecipients({ user_ids: [], emails: [] })).toBeNull();
    expect(ruleRecipients({ emails: ['a@b.example'] })).toEqual({ userIds: [], emails: ['a@b.example'], phones: [] });
    expect(normalizePhone('0044 (7700) 900-123')).toBe('+447700900123');
    expect(normalizePhone('whatsapp:+14155238886')).toBe('+14155238886');
    expect(normalizePhone('call me')).toBeNull();
  });
});
