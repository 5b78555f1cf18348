/**
 * The console's alarm list follows the server by ordered deltas: a missed seq asks for a
 * resync, deltas that arrive meanwhile are held and replayed, a snapshot replaces the list.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { StreamAlarm, StreamAlarmDelta } from '../../../engine/contract/stream.js';
import {
  alarmStore,
  countAlarms,
  onLiveAlarm,
  receiveChanges,
  receiveDelta,
  receiveSnapshot,
  receiveSubscribed,
  resetAlarms,
} from '../../../renderer/src/stores/alarm-store.js';

function alarm(id: number, state: string, severity = 'high'): StreamAlarm {
  return { id, rule_id: 1, device_id: 1, state, severity, message: `alarm ${id}`, triggered_at: 1000 * id, cleared_at: null, acknowledged_at: null, acknowledged_by: null, shelved_until: null, shelve_reason: null };
}

function delta(seq: number, a: StreamAlarm, action = 'raised'): StreamAlarmDelta {
  return { seq, action, from_state: null, to_state: a.state, actor: 'system', comment: null, at: Date.now(), alarm: a };
}

/** Subscribed at server seq `seq` and resynced with nothing missed. */
function synced(seq: number): void {
  expect(receiveSubscribed(seq)).toBe(0);
  expect(receiveChanges([], seq)).toBeNull();
}

beforeEach(() => resetAlarms());

describe('alarm store', () => {
  it('applies deltas in order and tells live listeners', () => {
    synced(0);
    const heard: number[] = [];
    const off = onLiveAlarm((d) => heard.push(d.seq));
    expect(receiveDelta(delta(1, alarm(7, 'active_unacknowledged', 'critical')))).toBeNull();
    expect(receiveDelta(delta(2, alarm(7, 'active_acknowledged', 'critical'), 'acknowledged'))).toBeNull();
    off();
    expect(heard).toEqual([1, 2]);
    expect(alarmStore.getState().open.get(7)?.state).toBe('active_acknowledged');
    expect(countAlarms(alarmStore.getState().open)).toMatchObject({ total: 1, unacknowledged: 0, bySeverity: { critical: 1 } });
  });

  it('asks for a resync from the last seq on a gap, holds what arrives, and replays it after the answer', () => {
    synced(0);
    receiveDelta(delta(1, alarm(1, 'active_unacknowledged')));
    // seq 2 is lost; 3 arrives: resync from 1.
    expect(receiveDelta(delta(3, alarm(3, 'active_unacknowledged')))).toBe(1);
    // 4 arrives while the resync is pending: held, no second request.
    expect(receiveDelta(delta(4, alarm(1, 'normal'), 'acknowledged'))).toBeNull();
    expect(alarmStore.getState().seq).toBe(1);
    expect(receiveChanges([delta(2, alarm(2, 'active_unacknowledged')), delta(3, alarm(3, 'active_unacknowledged'))], 3)).toBeNull();
    const { seq, open } = alarmStore.getState();
    expect(seq).toBe(4);
    expect([...open.keys()].sort()).toEqual([2, 3]);
  });

  it('takes a snapshot when the server sends the whole open set, dropping closed alarms', () => {
    synced(0);
    receiveDelta(delta(1, alarm(1, 'active_unacknowledged')));
    expect(receiveSubscribed(50)).toBe(1);
    expect(receiveSnapshot([alarm(9, 'shelved'), alarm(10, 'cleared_unacknowledged'), alarm(11, 'normal')], 50)).toBeNull();
    const { seq, open, synced: isSynced } = alarmStore.getState();
    expect(seq).toBe(50);
    expect(isSynced).toBe(true);
    expect([...open.keys()].sort()).toEqual([10, 9]);
    expect(countAlarms(open)).toMatchObject({ shelved: 1, unacknowledged: 1 });
  });

  it('ignores a delta already covered by a resync answer', () => {
    synced(5);
    expect(receiveDelta(delta(5, alarm(1, 'active_unacknowledged')))).toBeNull();
    expect(alarmStore.getState().open.size).toBe(0);
  });
});
