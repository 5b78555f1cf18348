/**
 * The repository queries notifications rely on, on every metadata dialect (SQLite and
 * MariaDB): notifiable users and their preference, a factory's webhook settings, which
 * alarms are due for escalation (and that only one caller wins it), and giving back a lease.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationPlanner } from '../../../server/notify/planner.js';
import { openMetaStore, type MetaStore } from '../../../server/store/meta/meta-store.js';
import { META_DIALECTS, type MetaTargetHandle } from '../../helpers/meta-targets.js';
import { raise, ruleInput, seedPlant, T0, type Plant } from './fixtures.js';

const MINUTE = 60_000;

describe.each(META_DIALECTS)('notification queries on $name', ({ create }) => {
  let handle: MetaTargetHandle | undefined;
  let meta: MetaStore;
  let plant: Plant;
  const planner = createNotificationPlanner();

  beforeAll(async () => {
    handle = await create();
    meta = await openMetaStore(handle.target);
    plant = await seedPlant(meta);
  });
  afterAll(async () => {
    await meta?.close();
    await handle?.cleanup();
  });

  it('lists a factory’s active users with their addresses and channel preference', async () => {
    const users = await meta.users.listNotifiable(plant.factory.id);
    expect(users.map((u) => u.id)).toEqual([plant.admin.id, plant.operator.id, plant.whatsappOnly.id]);
    expect(users.find((u) => u.id === plant.admin.id)).toEqual({
      id: plant.admin.id,
      email: plant.admin.email,
      whatsappNumber: '+919876543210',
      phoneNumber: '+919876500001',
      notifyChannels: null,
    });
    expect(users.find((u) => u.id === plant.whatsappOnly.id)?.notifyChannels).toEqual(['whatsapp']);
    // Another factory's id finds nothing to change.
    await meta.users.setNotifyChannels(plant.other.id, plant.operator.id, ['sms'], T0);
    expect((await meta.users.listNotifiable(plant.factory.id)).find((u) => u.id === plant.operator.id)?.notifyChannels).toBeNull();
  });

  it('stores and reads a factory’s webhook settings', async () => {
    expect(await meta.factories.notificationSettings(plant.factory.id)).toBeNull();
    await meta.factories.setNotificationSettings(plant.factory.id, { webhookUrl: 'https://hooks.example/a', webhookSecret: 's3' }, T0);
    expect(await meta.factories.notificationSettings(plant.factory.id)).toEqual({ webhookUrl: 'https://hooks.example/a', webhookSecret: 's3' });
    expect(await meta.factories.notificationSettings(plant.other.id)).toBeNull();
    await meta.factories.setNotificationSettings(plant.factory.id, null, T0);
    expect(await meta.factories.notificationSettings(plant.factory.id)).toBeNull();
  });

  it('finds alarms due for escalation per factory, and lets one caller mark each', async () => {
    const escalating = await meta.rules.create(plant.factory.id, ruleInput(plant.device.id, { escalationMinutes: 10 }), null, T0);
    const never = await meta.rules.create(plant.factory.id, ruleInput(plant.device.id, { name: 'No escalation' }), null, T0);
    const due = await raise(meta, planner, escalating, plant.device.id, T0);
    const later = await raise(meta, planner, escalating, plant.device.id, T0 + 5 * MINUTE);
    await raise(meta, planner, never, plant.device.id, T0);
    const states = ['active_unacknowledged'] as const;

    expect(await meta.alerts.listEscalationDue(plant.factory.id, T0 + 10 * MINUTE - 1, states)).toEqual([]);
    expect((await meta.alerts.listEscalationDue(plant.factory.id, T0 + 10 * MINUTE, states)).map((a) => a.id)).toEqual([due.id]);
    expect((await meta.alerts.listEscalationDue(plant.factory.id, T0 + 15 * MINUTE, states)).map((a) => a.id)).toEqual([due.id, later.id]);
    expect(await meta.alerts.listEscalationDue(plant.other.id, T0 + 15 * MINUTE, states)).toEqual([]);
    expect(await meta.alerts.listEscalationDue(plant.factory.id, T0 + 15 * MINUTE, ['cleared_unacknowledged'])).toEqual([]);
    // A rule taken out of service escalates nothing.
    await meta.rules.update(plant.factory.id, escalating.id, { outOfService: true }, T0);
    expect(await meta.alerts.listEscalationDue(plant.factory.id, T0 + 15 * MINUTE, states)).toEqual([]);
    await meta.rules.update(plant.factory.id, escalating.id, { outOfService: false }, T0);

    expect(await meta.alerts.markEscalated(plant.other.id, due.id, T0 + 10 * MINUTE, states)).toBe(false);
    expect(await meta.alerts.markEscalated(plant.factory.id, due.id, T0 + 10 * MINUTE, states)).toBe(true);
    expect(await meta.alerts.markEscalated(plant.factory.id, due.id, T0 + 11 * MINUTE, states)).toBe(false);
    await meta.alerts.update(plant.factory.id, later.id, { state: 'active_acknowledged' });
    expect(await meta.alerts.markEscalated(plant.factory.id, later.id, T0 + 15 * MINUTE, states)).toBe(false);
    expect(await meta.alerts.listEscalationDue(plant.factory.id, T0 + 15 * MINUTE, states)).toEqual([]);
  });

  it('gives back a claimed row only while the claim is still this sender’s', async () => {
    const rule = await meta.rules.create(plant.factory.id, ruleInput(plant.device.id), null, T0);
    const alert = await raise(meta, planner, rule, plant.device.id, T0 + 60 * MINUTE);
    const now = T0 + 60 * MINUTE;
    // Claims everything due (the earlier tests' rows too), then looks at this alarm's row.
    const claim = (await meta.outbox.claimDue(now, 5 * MINUTE, 100)).find((m) => m.alertId === alert.id);
    if (!claim) throw new Error('nothing claimed');
    // A stale release (another sender claimed it since) changes nothing.
    await meta.outbox.release(claim.id, claim.nextAttemptAt - 1, now);
    expect((await meta.outbox.claimDue(now, 5 * MINUTE, 10)).map((m) => m.id)).not.toContain(claim.id);
    await meta.outbox.release(claim.id, claim.nextAttemptAt, now);
    expect((await meta.outbox.claimDue(now, 5 * MINUTE, 10)).map((m) => m.id)).toContain(claim.id);
  });
});
