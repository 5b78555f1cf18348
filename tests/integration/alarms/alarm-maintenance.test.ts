/**
 * Out of service and planned maintenance through the real alarm service: maintenance
 * windows applied when they start and undone by themselves when they end (the periodic
 * check), rules taken out of service or deactivated, and a rule whose evaluation throws
 * disabled with its reason instead of being retried forever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { journalOf, openHarness, type Harness } from './alarm-harness.js';

const TEMP_ABOVE_100 = { parameter: 'temp', operator: 'gt', value: 100 };
const MINUTE = 60_000;

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('maintenance windows', () => {
  it('takes a rule out of service when the window starts and returns it by itself when it ends', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    const rule = await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    const [alert] = await h.alerts();

    const start = h.clock.now() + MINUTE;
    await h.meta.maintenance.create(
      h.factoryId,
      { targetType: 'rule', targetId: rule.id, mode: 'out_of_service', startsAt: start, endsAt: start + 10 * MINUTE, reason: 'planned overhaul', createdBy: h.operator.userId },
      h.clock.now(),
    );
    await h.service.reload(h.factoryId);
    await h.service.idle();
    expect((await h.alerts())[0]?.state).toBe('active_unacknowledged'); // not started yet

    await h.advance(MINUTE);
    expect((await h.alerts())[0]).toMatchObject({ id: alert!.id, state: 'normal', resolvedAt: start });
    const journal = await h.meta.alerts.journal(h.factoryId, alert!.id);
    expect(journal.at(-1)).toMatchObject({ action: 'out_of_service', fromState: 'active_unacknowledged', toState: 'normal', comment: 'planned overhaul' });

    // Out of service: a true condition raises nothing, even for a new device.
    const mixer = await h.device('mixer-1');
    await h.send(press, { temp: 150 });
    await h.send(mixer, { temp: 150 });
    await h.advance(5 * MINUTE);
    expect(await h.alerts()).toHaveLength(1);

    // The window ends: back in service by itself; the condition counts afresh.
    await h.advance(5 * MINUTE);
    const [memory] = (await h.meta.alarmStates.listForFactory(h.factoryId)).filter((s) => s.deviceId === press.id);
    expect((memory?.memory as { state: string }).state).toBe('normal');
    await h.send(press, { temp: 151 });
    const alerts = await h.alerts();
    expect(alerts).toHaveLength(2);
    expect(alerts[1]).toMatchObject({ deviceId: press.id, state: 'active_unacknowledged' });
  });

  it('a device window shelves every rule of that device, and the shelving runs out with the window', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    const mixer = await h.device('mixer-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    const [alert] = await h.alerts();
    const now = h.clock.now();
    await h.meta.maintenance.create(
      h.factoryId,
      // Longer than an operator may shelve (24 h): a window is not bound by that limit.
      { targetType: 'device', targetId: press.id, mode: 'shelved', startsAt: now, endsAt: now + 30 * 60 * MINUTE, reason: 'calibration', createdBy: null },
      now,
    );
    await h.service.reload(h.factoryId);
    await h.service.idle();
    expect((await h.alerts())[0]).toMatchObject({ id: alert!.id, state: 'shelved', shelvedUntil: now + 30 * 60 * MINUTE, shelveReason: 'calibration' });
    expect((await h.meta.alerts.journal(h.factoryId, alert!.id)).at(-1)).toMatchObject({ action: 'shelved', actor: expect.stringContaining('maintenance window') });

    // Other devices are not affected.
    await h.send(mixer, { temp: 140 });
    expect((await h.alerts()).filter((a) => a.deviceId === mixer.id)).toHaveLength(1);

    await h.advance(30 * 60 * MINUTE);
    const pressAlerts = (await h.alerts()).filter((a) => a.deviceId === press.id);
    // Expired; the condition still held (120), so it is annunciated again.
    expect(pressAlerts.map((a) => a.state)).toEqual(['normal', 'active_unacknowledged']);
    expect((await journalOf(h, alert!.id)).map((j) => j[0])).toEqual(['raised', 'shelved', 'shelve_expired']);
  });

  it('a cancelled window gives the alarm back at once', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    const rule = await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    const now = h.clock.now();
    const window = await h.meta.maintenance.create(
      h.factoryId,
      { targetType: 'rule', targetId: rule.id, mode: 'shelved', startsAt: now, endsAt: now + 60 * MINUTE, reason: 'test run', createdBy: null },
      now,
    );
    await h.service.reload(h.factoryId);
    await h.service.idle();
    expect((await h.alerts())[0]?.state).toBe('shelved');
    await h.meta.maintenance.cancel(h.factoryId, window.id, h.clock.now());
    await h.service.reload(h.factoryId);
    await h.service.idle();
    expect((await h.alerts()).map((a) => a.state)).toEqual(['normal', 'active_unacknowledged']);
  });
});

describe('rules out of service, deactivated or failing', () => {
  it('a rule marked out of service closes its alarms; back in service it evaluates again', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    const rule = await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    await h.meta.rules.update(h.factoryId, rule.id, { outOfService: true }, h.clock.now());
    await h.service.reload(h.factoryId);
    await h.service.idle();
    expect((await h.alerts())[0]?.state).toBe('normal');
    await h.send(press, { temp: 130 });
    expect(await h.alerts()).toHaveLength(1);
    await h.meta.rules.update(h.factoryId, rule.id, { outOfService: false }, h.clock.now());
    await h.service.reload(h.factoryId);
    await h.send(press, { temp: 131 });
    expect(await h.alerts()).toHaveLength(2);
  });

  it('a device removed from a rule\u2019s scope no longer alarms on it', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    const mixer = await h.device('mixer-1');
    const rule = await h.rule({ conditions: TEMP_ABOVE_100, scope: 'device', deviceIds: [press.id, mixer.id] });
    await h.send(press, { temp: 120 });
    await h.meta.rules.update(h.factoryId, rule.id, { deviceIds: [mixer.id] }, h.clock.now());
    await h.service.reload(h.factoryId);
    await h.service.idle();
    const [alert] = await h.alerts();
    expect(alert?.state).toBe('normal');
    expect((await h.meta.alerts.journal(h.factoryId, alert!.id)).at(-1)?.comment).toMatch(/scope/);
    await h.send(mixer, { temp: 120 });
    expect((await h.alerts()).map((a) => a.deviceId)).toEqual([press.id, mixer.id]);
  });

  it('a rule whose evaluation throws is disabled with the reason, and its alarms closed', async () => {
    // An unknown zone can only be read when the schedule is evaluated, on the worker.
    h = await openHarness({ timezone: 'Mars/Olympus_Mons' });
    const press = await h.device('press-1');
    const healthy = await h.rule({ name: 'always', conditions: TEMP_ABOVE_100 });
    const broken = await h.rule({
      name: 'day shift',
      conditions: { parameter: 'temp', operator: 'gt', value: 50 },
      scheduleType: 'time_window',
      scheduleConfig: { start_time: '00:00', end_time: '24:00' },
    });
    await h.send(press, { temp: 120 });
    await h.service.idle();
    const stored = await h.meta.rules.get(h.factoryId, broken.id);
    expect(stored?.isActive).toBe(false);
    expect(stored?.disabledReason).toMatch(/evaluation failed: .*time zone/i);
    // The healthy rule is unaffected.
    expect((await h.meta.rules.get(h.factoryId, healthy.id))?.isActive).toBe(true);
    expect((await h.alerts()).map((a) => a.ruleId)).toEqual([healthy.id]);
    // And it is not retried: more telemetry, still one disable, no errors.
    await h.send(press, { temp: 121 });
    expect((await h.meta.rules.get(h.factoryId, broken.id))?.disabledReason).toBe(stored?.disabledReason);
  });

  it('a deactivated rule\u2019s open alarm is closed with the reason', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    const rule = await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    await h.meta.rules.update(h.factoryId, rule.id, { isActive: false }, h.clock.now());
    await h.service.reload(h.factoryId);
    await h.service.idle();
    const [alert] = await h.alerts();
    expect(alert?.state).toBe('normal');
    expect((await h.meta.alerts.journal(h.factoryId, alert!.id)).at(-1)).toMatchObject({ action: 'out_of_service', comment: 'rule deactivated' });
  });
});
