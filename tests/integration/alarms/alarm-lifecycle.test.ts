/**
 * The ISA-18.2 life cycle through the real alarm service: telemetry committed by the real
 * ingest pipeline, evaluated on real Piscina workers, written to a real SQLite MetaStore,
 * pushed on the bus. One alarm per (rule, device) episode, journal with a per-factory
 * sequence, on-delay, deadband, cooldown, shelving and operator actions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmActionError } from '../../../server/alarms/ports.js';
import { journalOf, openHarness, type Harness } from './alarm-harness.js';

const TEMP_ABOVE_100 = { parameter: 'temp', operator: 'gt', value: 100 };

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function expectRefused(action: Promise<unknown>, code: 'INVALID_TRANSITION' | 'ALERT_NOT_FOUND'): Promise<AlarmActionError> {
  const error = await action.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AlarmActionError);
  expect((error as AlarmActionError).code).toBe(code);
  return error as AlarmActionError;
}

describe('raising and clearing', () => {
  it('raises one alarm with journal, snapshot, message, notification and a delta with seq 1', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    const rule = await h.rule({ name: 'Hot press', conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 90, rpm: 5 });
    expect(await h.alerts()).toHaveLength(0);

    await h.send(press, { temp: 120.5, rpm: 5 });
    const [alert, ...others] = await h.alerts();
    expect(others).toHaveLength(0);
    expect(alert).toMatchObject({ ruleId: rule.id, deviceId: press.id, state: 'active_unacknowledged', severity: 'high', triggeredAt: h.clock.now(), lastSeq: 1 });
    expect(alert?.message).toBe('[Hot press] temp (120.5) gt 100');
    expect(alert?.telemetrySnapshot).toEqual({ temp: { value: 120.5, ts: h.clock.now() } });
    expect(await journalOf(h, alert!.id)).toEqual([['raised', null, 'active_unacknowledged']]);

    const deltas = h.deltas();
    expect(deltas).toHaveLength(1);
    expect(deltas[0]).toMatchObject({ seq: 1, action: 'raised', fromState: null, toState: 'active_unacknowledged', actor: 'system', factoryId: h.factoryId });
    expect(deltas[0]?.alert.id).toBe(alert!.id);
    expect(h.events[0]?.deviceId).toBe(press.id);

    // Notifications planned in the transaction, queued in the outbox, sender kicked after commit.
    expect(h.planned).toEqual([{ alertId: alert!.id, ruleId: rule.id, kind: 'raise' }]);
    expect(await h.meta.outbox.listForAlert(h.factoryId, alert!.id)).toHaveLength(1);
    expect(h.kicks()).toBe(1);

    // The memory is stored with the alarm link.
    const [state] = await h.meta.alarmStates.listForFactory(h.factoryId);
    expect(state).toMatchObject({ ruleId: rule.id, deviceId: press.id, openAlertId: alert!.id, lastTriggered: h.clock.now() });
  });

  it('never opens a second alarm while the condition stays true', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    for (let i = 0; i < 5; i++) {
      await h.send(press, { temp: 110 + i });
      h.clock.advance(1000);
    }
    expect(await h.alerts()).toHaveLength(1);
    expect(h.deltas().map((d) => d.action)).toEqual(['raised']);
    expect(h.planned).toHaveLength(1);
  });

  it('clears to cleared_unacknowledged, and an acknowledgement closes it', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    h.clock.advance(5_000);
    await h.send(press, { temp: 80 });
    let [alert] = await h.alerts();
    expect(alert).toMatchObject({ state: 'cleared_unacknowledged', clearedAt: h.clock.now() });

    h.clock.advance(1_000);
    const acked = await h.service.acknowledge(h.factoryId, alert!.id, h.operator, 'seen it');
    expect(acked).toMatchObject({ id: alert!.id, state: 'normal', acknowledgedBy: h.operator.userId, acknowledgedAt: h.clock.now(), resolvedAt: h.clock.now() });
    [alert] = await h.alerts();
    expect(alert?.state).toBe('normal');
    expect(await journalOf(h, alert!.id)).toEqual([
      ['raised', null, 'active_unacknowledged'],
      ['cleared', 'active_unacknowledged', 'cleared_unacknowledged'],
      ['acknowledged', 'cleared_unacknowledged', 'normal'],
    ]);
    const journal = await h.meta.alerts.journal(h.factoryId, alert!.id);
    expect(journal[2]).toMatchObject({ userId: h.operator.userId, actor: h.operator.name, comment: 'seen it', seq: 3 });
    expect(h.deltas().map((d) => [d.seq, d.action, d.toState])).toEqual([
      [1, 'raised', 'active_unacknowledged'],
      [2, 'cleared', 'cleared_unacknowledged'],
      [3, 'acknowledged', 'normal'],
    ]);
    // A closed alarm takes no further action.
    await expectRefused(h.service.acknowledge(h.factoryId, alert!.id, h.operator, null), 'INVALID_TRANSITION');
  });

  it('acknowledged while active, it closes by itself when the condition clears', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    const [alert] = await h.alerts();
    const acked = await h.service.acknowledge(h.factoryId, alert!.id, h.operator, null);
    expect(acked.state).toBe('active_acknowledged');
    await expectRefused(h.service.acknowledge(h.factoryId, alert!.id, h.operator, null), 'INVALID_TRANSITION');

    await h.send(press, { temp: 120 });
    expect((await h.alerts())[0]?.state).toBe('active_acknowledged');
    await h.send(press, { temp: 50 });
    expect((await h.alerts())[0]).toMatchObject({ state: 'normal', resolvedAt: h.clock.now(), clearedAt: h.clock.now() });
    expect(await journalOf(h, alert!.id)).toEqual([
      ['raised', null, 'active_unacknowledged'],
      ['acknowledged', 'active_unacknowledged', 'active_acknowledged'],
      ['cleared', 'active_acknowledged', 'normal'],
    ]);

    // A new episode is a new alarm.
    await h.send(press, { temp: 130 });
    const alerts = await h.alerts();
    expect(alerts).toHaveLength(2);
    expect(alerts[1]?.state).toBe('active_unacknowledged');
  });

  it('resolve closes an open alarm; a still-true condition does not raise again until it clears', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    const [alert] = await h.alerts();
    const resolved = await h.service.resolve(h.factoryId, alert!.id, h.operator, 'sensor replaced');
    expect(resolved.state).toBe('normal');
    await h.send(press, { temp: 125 });
    expect(await h.alerts()).toHaveLength(1);
    await h.send(press, { temp: 20 });
    await h.send(press, { temp: 125 });
    expect(await h.alerts()).toHaveLength(2);
  });

  it('evaluates every message of a batch in order: a one-sample spike still raises', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    const t = h.clock.now();
    await h.sendBatch([
      { device: press, metrics: { temp: 50 }, ts: t - 30 },
      { device: press, metrics: { temp: 300 }, ts: t - 20 },
      { device: press, metrics: { temp: 50 }, ts: t - 10 },
    ]);
    const [alert] = await h.alerts();
    expect(alert?.state).toBe('cleared_unacknowledged');
    expect(alert?.telemetrySnapshot).toEqual({ temp: { value: 300, ts: t - 20 } });
    expect(h.deltas().map((d) => d.action)).toEqual(['raised', 'cleared']);
  });
});

describe('on-delay, deadband and cooldown', () => {
  it('raises only after the condition held for the on-delay, by the periodic check', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100, onDelaySeconds: 30 });
    await h.send(press, { temp: 120 });
    await h.advance(10_000);
    await h.send(press, { temp: 121 });
    expect(await h.alerts()).toHaveLength(0);
    // False before the delay ran out: the run starts again.
    await h.advance(5_000);
    await h.send(press, { temp: 90 });
    await h.advance(20_000);
    expect(await h.alerts()).toHaveLength(0);

    await h.send(press, { temp: 120 });
    const since = h.clock.now();
    await h.advance(29_000);
    expect(await h.alerts()).toHaveLength(0);
    // No new telemetry: the tick sees the delay run out.
    await h.advance(1_000);
    const [alert] = await h.alerts();
    expect(alert).toMatchObject({ state: 'active_unacknowledged', triggeredAt: since + 30_000 });
  });

  it('deadband: once active, the alarm clears only past the margin', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100, deadband: 5 });
    await h.send(press, { temp: 99 });
    expect(await h.alerts()).toHaveLength(0);
    await h.send(press, { temp: 101 });
    expect((await h.alerts())[0]?.state).toBe('active_unacknowledged');
    await h.send(press, { temp: 97 });
    await h.send(press, { temp: 95.5 });
    expect((await h.alerts())[0]?.state).toBe('active_unacknowledged');
    await h.send(press, { temp: 94.9 });
    expect((await h.alerts())[0]?.state).toBe('cleared_unacknowledged');
  });

  it('cooldown: no second alarm within it; a condition still true when it ends raises then', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100, cooldownMinutes: 10 });
    await h.send(press, { temp: 120 });
    const [first] = await h.alerts();
    await h.service.acknowledge(h.factoryId, first!.id, h.operator, null);
    await h.send(press, { temp: 50 });
    expect((await h.alerts())[0]?.state).toBe('normal');

    await h.advance(60_000);
    await h.send(press, { temp: 130 });
    expect(await h.alerts()).toHaveLength(1);
    await h.advance(8 * 60_000);
    expect(await h.alerts()).toHaveLength(1);
    await h.advance(60_000);
    const alerts = await h.alerts();
    expect(alerts).toHaveLength(2);
    expect(alerts[1]).toMatchObject({ state: 'active_unacknowledged', triggeredAt: first!.triggeredAt + 10 * 60_000 });
  });
});

describe('shelving and operator actions', () => {
  it('shelves for a time with a reason, and expiry annunciates a condition that still holds', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    const [alert] = await h.alerts();

    await expectRefused(h.service.shelve(h.factoryId, alert!.id, h.operator, 5, '   '), 'INVALID_TRANSITION');
    await expectRefused(h.service.shelve(h.factoryId, alert!.id, h.operator, 60 * 25, 'too long'), 'INVALID_TRANSITION');
    const shelvedAt = h.clock.now();
    const shelved = await h.service.shelve(h.factoryId, alert!.id, h.operator, 5, 'valve being replaced');
    expect(shelved).toMatchObject({ state: 'shelved', shelvedUntil: shelvedAt + 5 * 60_000, shelveReason: 'valve being replaced', shelvedBy: h.operator.userId });
    const refusal = await expectRefused(h.service.acknowledge(h.factoryId, alert!.id, h.operator, null), 'INVALID_TRANSITION');
    expect(refusal.message).toMatch(/shelved/);

    // Still true while shelved: nothing annunciated.
    await h.advance(60_000);
    await h.send(press, { temp: 125 });
    expect(await h.alerts()).toHaveLength(1);

    await h.advance(4 * 60_000);
    const alerts = await h.alerts();
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({ id: alert!.id, state: 'normal', resolvedAt: shelvedAt + 5 * 60_000 });
    expect(alerts[1]).toMatchObject({ state: 'active_unacknowledged', triggeredAt: shelvedAt + 5 * 60_000 });
    expect(await journalOf(h, alert!.id)).toEqual([
      ['raised', null, 'active_unacknowledged'],
      ['shelved', 'active_unacknowledged', 'shelved'],
      ['shelve_expired', 'shelved', 'normal'],
    ]);
    expect(h.deltas().map((d) => d.action)).toEqual(['raised', 'shelved', 'shelve_expired', 'raised']);
    expect(h.planned).toHaveLength(2);
  });

  it('unshelve by hand; a condition gone meanwhile raises nothing', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    const [alert] = await h.alerts();
    await h.service.shelve(h.factoryId, alert!.id, h.operator, 30, 'maintenance');
    await h.send(press, { temp: 20 });
    const unshelved = await h.service.unshelve(h.factoryId, alert!.id, h.operator);
    expect(unshelved).toMatchObject({ id: alert!.id, state: 'normal' });
    expect(await h.alerts()).toHaveLength(1);
    await expectRefused(h.service.unshelve(h.factoryId, alert!.id, h.operator), 'INVALID_TRANSITION');
  });

  it('unknown alarms and other factories\u2019 alarms are not found', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    const [alert] = await h.alerts();
    const other = await h.factory('plant-2');
    await expectRefused(h.service.acknowledge(h.factoryId, 999_999, h.operator, null), 'ALERT_NOT_FOUND');
    await expectRefused(h.service.acknowledge(other, alert!.id, h.operator, null), 'ALERT_NOT_FOUND');
    await expectRefused(h.service.resolve(other, alert!.id, h.operator, null), 'ALERT_NOT_FOUND');
    expect((await h.alerts())[0]?.state).toBe('active_unacknowledged');
  });

  it('an action racing evaluations is never lost: acknowledge between telemetry batches', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    const [alert] = await h.alerts();
    // Telemetry keeps coming while the acknowledgement is in flight.
    const ack = h.service.acknowledge(h.factoryId, alert!.id, h.operator, null);
    for (let i = 0; i < 5; i++) h.pipeline.submit({ device: press, ts: h.clock.now() + i, metrics: [{ key: 'temp', value: 121 + i }] }, 'test');
    await h.pipeline.flush();
    await ack;
    await h.service.idle();
    expect((await h.alerts())[0]?.state).toBe('active_acknowledged');
    h.clock.advance(1_000);
    await h.send(press, { temp: 10 });
    expect((await h.alerts())[0]?.state).toBe('normal');
    expect(await h.alerts()).toHaveLength(1);
  });
});
