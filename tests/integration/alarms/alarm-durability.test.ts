/**
 * Alarm state across restarts (a new service on the same database continues the episode
 * exactly), stream resync after a gap (exactly the missed deltas, or a snapshot when too
 * many were missed), factory isolation on the bus, and alarm-system health.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamAlarms } from '../../../server/alarms/stream-alarms.js';
import { journalOf, openHarness, type Harness } from './alarm-harness.js';

const TEMP_ABOVE_100 = { parameter: 'temp', operator: 'gt', value: 100 };

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('restarts', () => {
  it('a restart mid-episode opens no second alarm, and the episode continues', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.send(press, { temp: 120 });
    const [alert] = await h.alerts();

    await h.restart();
    h.clock.advance(1_000);
    await h.send(press, { temp: 125 });
    expect(await h.alerts()).toHaveLength(1);
    h.clock.advance(1_000);
    await h.send(press, { temp: 80 });
    expect((await h.alerts())[0]).toMatchObject({ id: alert!.id, state: 'cleared_unacknowledged' });
    await h.service.acknowledge(h.factoryId, alert!.id, h.operator, null);
    expect(await journalOf(h, alert!.id)).toEqual([
      ['raised', null, 'active_unacknowledged'],
      ['cleared', 'active_unacknowledged', 'cleared_unacknowledged'],
      ['acknowledged', 'cleared_unacknowledged', 'normal'],
    ]);
    expect(h.deltas().map((d) => d.seq)).toEqual([1, 2, 3]);
  });

  it('memory without a transition survives too: an on-delay started before the restart ends on time after it', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100, onDelaySeconds: 60 });
    await h.send(press, { temp: 120 });
    const since = h.clock.now();
    await h.advance(20_000);
    expect(await h.alerts()).toHaveLength(0);

    await h.restart();
    await h.advance(39_000);
    expect(await h.alerts()).toHaveLength(0);
    await h.advance(1_000);
    const [alert] = await h.alerts();
    expect(alert).toMatchObject({ state: 'active_unacknowledged', triggeredAt: since + 60_000 });
  });

  it('shelving and cooldown survive a restart', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    await h.rule({ conditions: TEMP_ABOVE_100, cooldownMinutes: 30 });
    await h.send(press, { temp: 120 });
    const [alert] = await h.alerts();
    await h.service.shelve(h.factoryId, alert!.id, h.operator, 10, 'noisy sensor');
    await h.restart();
    expect((await h.alerts())[0]?.state).toBe('shelved');
    // The restarted service can act on it.
    await h.service.unshelve(h.factoryId, alert!.id, h.operator);
    // Unshelved while true: annunciated again? Not within the cooldown.
    await h.send(press, { temp: 121 });
    expect((await h.alerts()).map((a) => a.state)).toEqual(['normal']);
    await h.restart();
    await h.advance(30 * 60_000);
    expect((await h.alerts()).map((a) => a.state)).toEqual(['normal', 'active_unacknowledged']);
  });
});

describe('stream resync', () => {
  it('returns exactly the missed deltas after a gap, and a snapshot when too many were missed', async () => {
    h = await openHarness();
    const press = await h.device('press-1');
    const mixer = await h.device('mixer-1');
    await h.rule({ conditions: TEMP_ABOVE_100 });
    for (let i = 0; i < 3; i++) {
      h.clock.advance(1_000);
      await h.send(press, { temp: 120 });
      await h.send(mixer, { temp: 120 });
      h.clock.advance(1_000);
      await h.send(press, { temp: 20 });
      await h.send(mixer, { temp: 20 });
      for (const a of (await h.alerts()).filter((x) => x.state === 'cleared_unacknowledged')) await h.service.acknowledge(h.factoryId, a.id, h.operator, null);
    }
    const published = h.deltas();
    expect(published.map((d) => d.seq)).toEqual(Array.from({ length: published.length }, (_, i) => i + 1));

    const stream = createStreamAlarms(h.meta);
    expect(await stream.currentSeq(h.factoryId)).toBe(published.length);
    // A client saw up to seq 4 and then missed the rest.
    const answer = await stream.resync(h.factoryId, 4);
    expect(answer.type).toBe('alarm_changes');
    if (answer.type !== 'alarm_changes') throw new Error('unreachable');
    expect(answer.since).toBe(4);
    expect(answer.seq).toBe(published.length);
    const missed = published.filter((d) => d.seq > 4).map(stream.toStream);
    expect(answer.deltas.map(({ alarm, ...rest }) => ({ ...rest, alarm: alarm.id }))).toEqual(missed.map(({ alarm, ...rest }) => ({ ...rest, alarm: alarm.id })));
    // Up to date: nothing to send.
    expect(await stream.resync(h.factoryId, published.length)).toEqual({ type: 'alarm_changes', since: published.length, seq: published.length, deltas: [] });

    // Too many missed (limit 5 here): a snapshot of the open alarms instead.
    await h.send(press, { temp: 150 });
    const small = createStreamAlarms(h.meta, { maxChanges: 5 });
    const snapshot = await small.resync(h.factoryId, 0);
    expect(snapshot.type).toBe('alarm_snapshot');
    if (snapshot.type !== 'alarm_snapshot') throw new Error('unreachable');
    expect(snapshot.seq).toBe(published.length + 1);
    expect(snapshot.open.map((a) => [a.device_id, a.state])).toEqual([[press.id, 'active_unacknowledged']]);
    // A client claiming to be ahead of the server gets a snapshot too.
    expect((await stream.resync(h.factoryId, 10_000)).type).toBe('alarm_snapshot');
  });
});

describe('factories', () => {
  it('two factories never see each other\u2019s alarms, and each has its own sequence', async () => {
    h = await openHarness();
    const other = await h.factory('plant-2');
    const pressA = await h.device('press-1');
    const pressB = await h.device('press-1', other);
    await h.rule({ conditions: TEMP_ABOVE_100 });
    await h.rule({ conditions: { parameter: 'temp', operator: 'gt', value: 200 } }, other);

    await h.send(pressA, { temp: 150 });
    await h.send(pressB, { temp: 150 });
    expect(h.deltas(other)).toHaveLength(0);
    await h.send(pressB, { temp: 250 });

    const a = h.events.filter((e) => e.factoryId === h!.factoryId);
    const b = h.events.filter((e) => e.factoryId === other);
    expect(a.map((e) => [e.delta.seq, e.delta.alert.factoryId, e.deviceId])).toEqual([[1, h.factoryId, pressA.id]]);
    expect(b.map((e) => [e.delta.seq, e.delta.alert.factoryId, e.deviceId])).toEqual([[1, other, pressB.id]]);
    expect(await h.alerts()).toHaveLength(1);
    expect(await h.alerts(other)).toHaveLength(1);
    const stream = createStreamAlarms(h.meta);
    const resyncA = await stream.resync(h.factoryId, 0);
    expect(resyncA.type === 'alarm_changes' && resyncA.deltas.every((d) => d.alarm.device_id === pressA.id)).toBe(true);
  });
});

describe('alarm health', () => {
  it('reports a flood, chattering, standing alarms and the most frequent', async () => {
    h = await openHarness();
    const devices = [];
    for (let i = 0; i < 12; i++) devices.push(await h.device(`cell-${i}`));
    await h.rule({ conditions: TEMP_ABOVE_100 });
    for (const d of devices) await h.send(d, { temp: 150 });
    // One device chatters: raised, cleared, acknowledged, raised again... three times in a minute.
    const noisy = devices[0]!;
    for (let i = 0; i < 2; i++) {
      h.clock.advance(5_000);
      await h.send(noisy, { temp: 10 });
      const open = (await h.alerts()).find((a) => a.deviceId === noisy.id && a.state === 'cleared_unacknowledged');
      await h.service.acknowledge(h.factoryId, open!.id, h.operator, null);
      h.clock.advance(5_000);
      await h.send(noisy, { temp: 150 });
    }
    const report = await h.service.alarmHealth(h.factoryId, h.clock.now());
    expect(report.flood).toMatchObject({ flooding: true, count: 14 });
    expect(report.chattering).toEqual([expect.objectContaining({ deviceId: noisy.id, maxInWindow: 3 })]);
    expect(report.top[0]).toMatchObject({ deviceId: noisy.id, count: 3 });
    expect(report.standing).toEqual([]);

    const later = await h.service.alarmHealth(h.factoryId, h.clock.now() + 25 * 60 * 60_000, { flood: { maxAlarms: 20, windowMs: 600_000 } });
    expect(later.flood.flooding).toBe(false);
    expect(later.standing).toHaveLength(12);
  });
});
