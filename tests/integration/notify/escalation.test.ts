/**
 * Escalation with an injected clock: an alarm still unacknowledged N minutes (the rule's
 * escalation_minutes) after it was raised gets a second notification and a journal entry,
 * exactly once; acknowledged alarms and rules without escalation are left alone; an
 * escalation acknowledged before it could be delivered is not sent. Runs the assembled
 * notifier (planner, channels, sender, monitor) against a real SMTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDelta } from '../../../server/alarms/ports.js';
import { createNotifier, type Notifier } from '../../../server/notify/notifier.js';
import type { Rule } from '../../../server/store/meta/repositories/rules.js';
import { captureLogger, openTempStore, raise, ruleInput, seedPlant, startSmtp, T0, type Plant, type SmtpHandle, type StoreHandle } from './fixtures.js';

const MINUTE = 60_000;

describe('escalation of unacknowledged alarms', () => {
  let store: StoreHandle;
  let plant: Plant;
  let rule: Rule;
  let smtp: SmtpHandle;
  let notifier: Notifier;
  let now = T0;
  const deltas: AlarmDelta[] = [];

  beforeAll(async () => {
    store = await openTempStore();
    plant = await seedPlant(store.meta);
    rule = await store.meta.rules.create(plant.factory.id, ruleInput(plant.device.id, { escalationMinutes: 15 }), null, T0);
    smtp = await startSmtp();
    notifier = createNotifier({
      meta: store.meta,
      logger: captureLogger().logger,
      smtp: { host: '127.0.0.1', port: smtp.port, secure: false, username: null, password: null, from: 'alarms@factoryops.test' },
      twilio: null,
      clock: () => now,
      onEscalated: (delta) => deltas.push(delta),
      sender: { random: () => 0 },
    });
  });
  afterAll(async () => {
    await notifier.stop();
    await smtp.close();
    await store.cleanup();
  });

  /** Runs sender rounds until nothing is due; returns the totals. */
  async function drain(): Promise<{ sent: number; skipped: number }> {
    const total = { sent: 0, skipped: 0 };
    for (;;) {
      const round = await notifier.sender.processDue();
      if (round.claimed === 0) return total;
      total.sent += round.sent;
      total.skipped += round.skipped;
    }
  }

  it('sends a second notification once the alarm has been unacknowledged for the rule’s minutes, and journals it, once', async () => {
    now = T0;
    const alert = await raise(store.meta, notifier.planner, rule, plant.device.id, now);
    await drain();
    expect(smtp.mails).toHaveLength(2);

    now = T0 + 15 * MINUTE - 1;
    expect(await notifier.escalation.checkNow()).toBe(0);
    now = T0 + 15 * MINUTE;
    expect(await notifier.escalation.checkNow()).toBe(1);
    expect(await notifier.escalation.checkNow()).toBe(0);
    now += 60 * MINUTE;
    expect(await notifier.escalation.checkNow()).toBe(0);

    const escalated = await store.meta.alerts.get(plant.factory.id, alert.id);
    expect(escalated?.escalatedAt).toBe(T0 + 15 * MINUTE);
    expect(escalated?.state).toBe('active_unacknowledged');
    const journal = await store.meta.alerts.journal(plant.factory.id, alert.id);
    expect(journal.map((j) => j.action)).toEqual(['raise', 'escalate']);
    expect(journal[1]).toMatchObject({
      actor: 'system',
      userId: null,
      fromState: 'active_unacknowledged',
      toState: 'active_unacknowledged',
      comment: 'still unacknowledged after 15 minutes',
      createdAt: T0 + 15 * MINUTE,
    });
    expect(deltas).toHaveLength(1);
    expect(deltas[0]).toMatchObject({ action: 'escalate', seq: journal[1]?.seq, factoryId: plant.factory.id });
    expect(deltas[0]?.alert.lastSeq).toBe(journal[1]?.seq);

    const rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(rows.filter((r) => r.kind === 'escalation').map((r) => r.recipient).sort()).toEqual([plant.admin.email, plant.operator.email].sort());
    await drain();
    expect(smtp.mails).toHaveLength(4);
    const second = smtp.mails.slice(2);
    for (const mail of second) {
      expect(mail.subject).toBe('[CRITICAL] Escalation: High Voltage Alert on Compressor 1 (M01) still unacknowledged after 15 minutes');
      expect(mail.text).toContain('ESCALATION: this CRITICAL alarm is still unacknowledged after 15 minutes.');
    }
  });

  it('leaves acknowledged alarms and rules without escalation alone', async () => {
    now = T0 + 24 * 60 * MINUTE;
    const acknowledged = await raise(store.meta, notifier.planner, rule, plant.device.id, now);
    await store.meta.alerts.update(plant.factory.id, acknowledged.id, { state: 'active_acknowledged', acknowledgedAt: now + MINUTE, acknowledgedBy: plant.admin.id });
    const plain = await store.meta.rules.create(plant.factory.id, ruleInput(plant.device.id, { escalationMinutes: null, name: 'No escalation' }), null, now);
    const quiet = await raise(store.meta, notifier.planner, plain, plant.device.id, now);
    await drain();
    now += 16 * MINUTE;
    expect(await notifier.escalation.checkNow()).toBe(0);
    for (const id of [acknowledged.id, quiet.id]) {
      expect((await store.meta.alerts.get(plant.factory.id, id))?.escalatedAt).toBeNull();
      expect((await store.meta.alerts.journal(plant.factory.id, id)).map((j) => j.action)).toEqual(['raise']);
    }
  });

  it('does not send an escalation that was acknowledged before it could go out', async () => {
    now = T0 + 48 * 60 * MINUTE;
    const alert = await raise(store.meta, notifier.planner, rule, plant.device.id, now);
    await drain();
    const before = smtp.mails.length;
    now += 15 * MINUTE;
    expect(await notifier.escalation.checkNow()).toBe(1);
    // Someone acknowledges before the sender gets to the escalation (SMTP was down, say).
    await store.meta.alerts.update(plant.factory.id, alert.id, { state: 'active_acknowledged', acknowledgedAt: now, acknowledgedBy: plant.admin.id });
    expect(await drain()).toEqual({ sent: 0, skipped: 2 });
    expect(smtp.mails).toHaveLength(before);
    const rows = await store.meta.outbox.listForAlert(plant.factory.id, alert.id);
    expect(rows.filter((r) => r.kind === 'escalation').every((r) => r.status === 'skipped' && /no longer applies/.test(r.lastError ?? ''))).toBe(true);
  });

  it('runs on its own timer and kicks the sender', async () => {
    now = T0 + 72 * 60 * MINUTE;
    const alert = await raise(store.meta, notifier.planner, rule, plant.device.id, now);
    await drain();
    const before = smtp.mails.length;
    now += 20 * MINUTE;
    notifier.start();
    await expect.poll(() => smtp.mails.length, { timeout: 10_000 }).toBe(before + 2);
    await notifier.stop();
    expect((await store.meta.alerts.get(plant.factory.id, alert.id))?.escalatedAt).toBe(now);
  });
});
