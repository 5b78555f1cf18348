import { describe, expect, it } from 'vitest';
import {
  AlarmMemoryError,
  initialAlarmMemory,
  restoreAlarmMemory,
  serializeAlarmMemory,
  transition,
} from '../../../../engine/rules/index.js';
import type {
  AlarmEffect,
  AlarmEvent,
  AlarmMemory,
  AlarmPolicy,
  RefusalCode,
  TransitionResult,
} from '../../../../engine/rules/index.js';

const T0 = Date.UTC(2026, 1, 19, 10, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const POLICY: AlarmPolicy = { onDelayMs: 0, cooldownMs: 0, maxShelveMs: 24 * HOUR };
const ANNA = { id: 7, name: 'Anna' };

const on = (now: number): AlarmEvent => ({ type: 'condition', value: true, now });
const off = (now: number): AlarmEvent => ({ type: 'condition', value: false, now });
const ack = (now: number, comment?: string): AlarmEvent => ({ type: 'acknowledge', now, by: ANNA, ...(comment ? { comment } : {}) });
const shelve = (now: number, until: number, reason = 'sensor swap'): AlarmEvent => ({ type: 'shelve', now, until, reason, by: ANNA });

/** Applies events in order; fails the test on a refusal. Returns the final memory and all effects. */
function run(events: AlarmEvent[], policy = POLICY, start = initialAlarmMemory()): { memory: AlarmMemory; effects: AlarmEffect[] } {
  let memory = start;
  const effects: AlarmEffect[] = [];
  for (const event of events) {
    const result = transition(memory, event, policy);
    if (result.refused) throw new Error(`refused ${event.type}: ${result.refused.code}`);
    memory = result.memory;
    effects.push(...result.effects);
  }
  return { memory, effects };
}

const types = (effects: readonly AlarmEffect[]) =>
  effects.map((e) => (e.type === 'journal' ? `journal:${e.entry.from}>${e.entry.to}:${e.entry.cause}` : e.type === 'close_alarm' ? `close:${e.reason}` : e.type));

function expectRefused(memory: AlarmMemory, event: AlarmEvent, code: RefusalCode, policy = POLICY): TransitionResult {
  const result = transition(memory, event, policy);
  expect(result.refused?.code).toBe(code);
  expect(result.refused?.message).toEqual(expect.any(String));
  expect(result.memory).toBe(memory);
  expect(result.effects).toEqual([]);
  return result;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const activeUnack = () => run([on(T0)]).memory;
const activeAck = () => run([on(T0), ack(T0 + MIN)]).memory;
const clearedUnack = () => run([on(T0), off(T0 + MIN)]).memory;
const shelved = () => run([shelve(T0, T0 + HOUR)]).memory;
const outOfService = () => run([{ type: 'out_of_service', scope: 'rule', now: T0, by: ANNA, reason: 'maintenance' }]).memory;

describe('raising', () => {
  it('normal + condition true opens, journals and notifies, in that order', () => {
    const result = transition(initialAlarmMemory(), on(T0), POLICY);
    expect(result.refused).toBeNull();
    expect(result.effects).toEqual([
      { type: 'open_alarm', at: T0 },
      { type: 'journal', entry: { at: T0, from: 'normal', to: 'active_unacknowledged', cause: 'raised', by: null, comment: null } },
      { type: 'notify', kind: 'raised', at: T0 },
    ]);
    expect(result.memory).toMatchObject({ state: 'active_unacknowledged', condition: true, conditionSince: T0, openSince: T0, lastRaisedAt: T0, armed: false });
  });

  it('normal + condition false changes nothing (same object, no effects)', () => {
    const memory = initialAlarmMemory();
    const result = transition(memory, off(T0), POLICY);
    expect(result.memory).toBe(memory);
    expect(result.effects).toEqual([]);
  });

  it('a still-true condition never opens a second alarm', () => {
    for (const memory of [activeUnack(), activeAck()]) {
      const result = transition(memory, on(T0 + HOUR), POLICY);
      expect(result.memory).toBe(memory);
      expect(result.effects).toEqual([]);
    }
  });

  it('never mutates the memory it is given', () => {
    const memory = deepFreeze(activeUnack());
    expect(() => transition(memory, off(T0 + MIN), POLICY)).not.toThrow();
    expect(() => transition(memory, ack(T0 + MIN), POLICY)).not.toThrow();
    expect(memory.state).toBe('active_unacknowledged');
  });
});

describe('the ISA-18.2 cycle', () => {
  it('active_unacknowledged + acknowledge -> active_acknowledged, journaled with who and comment', () => {
    const result = transition(activeUnack(), ack(T0 + MIN, '  checking the feed  '), POLICY);
    expect(result.memory.state).toBe('active_acknowledged');
    expect(result.effects).toEqual([
      {
        type: 'journal',
        entry: { at: T0 + MIN, from: 'active_unacknowledged', to: 'active_acknowledged', cause: 'acknowledged', by: ANNA, comment: 'checking the feed' },
      },
    ]);
  });

  it('active_acknowledged + condition false -> normal, closed', () => {
    const result = transition(activeAck(), off(T0 + 2 * MIN), POLICY);
    expect(result.memory).toMatchObject({ state: 'normal', openSince: null, condition: false, armed: true });
    expect(types(result.effects)).toEqual(['journal:active_acknowledged>normal:cleared', 'close:cleared']);
  });

  it('active_unacknowledged + condition false -> cleared_unacknowledged, still open', () => {
    const result = transition(activeUnack(), off(T0 + MIN), POLICY);
    expect(result.memory).toMatchObject({ state: 'cleared_unacknowledged', openSince: T0 });
    expect(types(result.effects)).toEqual(['journal:active_unacknowledged>cleared_unacknowledged:cleared']);
  });

  it('cleared_unacknowledged + acknowledge -> normal, closed', () => {
    const result = transition(clearedUnack(), ack(T0 + 2 * MIN), POLICY);
    expect(result.memory).toMatchObject({ state: 'normal', openSince: null });
    expect(types(result.effects)).toEqual(['journal:cleared_unacknowledged>normal:acknowledged', 'close:acknowledged']);
  });

  it('cleared_unacknowledged + condition true -> the same alarm is active again (no new record, no message)', () => {
    const result = transition(clearedUnack(), on(T0 + 2 * MIN), POLICY);
    expect(result.memory).toMatchObject({ state: 'active_unacknowledged', openSince: T0, lastRaisedAt: T0 });
    expect(types(result.effects)).toEqual(['journal:cleared_unacknowledged>active_unacknowledged:reactivated']);
  });

  it('resolve closes any open alarm by hand', () => {
    for (const memory of [activeUnack(), activeAck(), clearedUnack()]) {
      const result = transition(memory, { type: 'resolve', now: T0 + 5 * MIN, by: ANNA, comment: 'fixed' }, POLICY);
      expect(result.memory).toMatchObject({ state: 'normal', openSince: null });
      expect(types(result.effects)).toEqual([`journal:${memory.state}>normal:resolved`, 'close:resolved']);
    }
  });

  it('after a manual resolve, a condition that never cleared does not raise again until it clears', () => {
    const resolved = run([on(T0), { type: 'resolve', now: T0 + MIN, by: ANNA }]).memory;
    const still = run([on(T0 + 2 * MIN), on(T0 + HOUR)], POLICY, resolved);
    expect(still.memory.state).toBe('normal');
    expect(still.effects).toEqual([]);
    const again = run([off(T0 + 2 * HOUR), on(T0 + 3 * HOUR)], POLICY, still.memory);
    expect(again.memory.state).toBe('active_unacknowledged');
    expect(types(again.effects)).toEqual(['open_alarm', 'journal:normal>active_unacknowledged:raised', 'notify']);
  });
});

describe('on-delay', () => {
  const delayed: AlarmPolicy = { ...POLICY, onDelayMs: 30 * SEC };

  it('raises only once the condition has held for the on-delay', () => {
    const pending = run([on(T0), on(T0 + 29 * SEC)], delayed);
    expect(pending.memory).toMatchObject({ state: 'normal', condition: true, conditionSince: T0 });
    expect(pending.effects).toEqual([]);
    const raised = transition(pending.memory, on(T0 + 30 * SEC), delayed);
    expect(raised.memory.state).toBe('active_unacknowledged');
    expect(raised.effects[0]).toEqual({ type: 'open_alarm', at: T0 + 30 * SEC });
  });

  it('restarts when the condition drops during the delay', () => {
    const { memory } = run([on(T0), off(T0 + 20 * SEC), on(T0 + 25 * SEC), on(T0 + 50 * SEC)], delayed);
    expect(memory).toMatchObject({ state: 'normal', conditionSince: T0 + 25 * SEC });
    expect(transition(memory, on(T0 + 55 * SEC), delayed).memory.state).toBe('active_unacknowledged');
  });

  it('also delays the return of a cleared, unacknowledged alarm', () => {
    const cleared = run([on(T0), on(T0 + 30 * SEC), off(T0 + MIN)], delayed).memory;
    expect(cleared.state).toBe('cleared_unacknowledged');
    expect(run([on(T0 + 2 * MIN)], delayed, cleared).memory.state).toBe('cleared_unacknowledged');
    expect(run([on(T0 + 2 * MIN), on(T0 + 2 * MIN + 30 * SEC)], delayed, cleared).memory.state).toBe('active_unacknowledged');
  });
});

describe('cooldown', () => {
  const cooled: AlarmPolicy = { ...POLICY, cooldownMs: 15 * MIN };

  it('suppresses a repeat alarm until cooldown minutes after the last raise', () => {
    const closed = run([on(T0), off(T0 + MIN), ack(T0 + 2 * MIN)], cooled).memory;
    expect(closed.state).toBe('normal');
    const early = run([on(T0 + 5 * MIN), on(T0 + 14 * MIN + 59 * SEC)], cooled, closed);
    expect(early.memory.state).toBe('normal');
    expect(early.effects).toEqual([]);
    const later = transition(early.memory, on(T0 + 15 * MIN), cooled);
    expect(later.memory).toMatchObject({ state: 'active_unacknowledged', lastRaisedAt: T0 + 15 * MIN, openSince: T0 + 15 * MIN });
    expect(types(later.effects)).toEqual(['open_alarm', 'journal:normal>active_unacknowledged:raised', 'notify']);
  });

  it('does not hold back an alarm that was never raised', () => {
    expect(run([on(T0)], cooled).memory.state).toBe('active_unacknowledged');
  });
});

describe('shelving', () => {
  it('shelving an open alarm closes it and journals the reason and end', () => {
    const result = transition(activeUnack(), shelve(T0 + MIN, T0 + 8 * HOUR, 'chattering level switch'), POLICY);
    expect(result.memory).toMatchObject({
      state: 'shelved',
      openSince: null,
      shelving: { at: T0 + MIN, until: T0 + 8 * HOUR, reason: 'chattering level switch', by: ANNA },
    });
    expect(result.effects).toEqual([
      { type: 'close_alarm', at: T0 + MIN, reason: 'shelved' },
      {
        type: 'journal',
        entry: {
          at: T0 + MIN,
          from: 'active_unacknowledged',
          to: 'shelved',
          cause: 'shelved',
          by: ANNA,
          comment: 'chattering level switch',
          until: T0 + 8 * HOUR,
        },
      },
    ]);
  });

  it('a normal alarm can be shelved ahead of time, and a shelved one re-shelved', () => {
    const first = transition(initialAlarmMemory(), shelve(T0, T0 + HOUR), POLICY);
    expect(types(first.effects)).toEqual(['journal:normal>shelved:shelved']);
    const again = transition(first.memory, shelve(T0 + 10 * MIN, T0 + 2 * HOUR, 'longer'), POLICY);
    expect(again.memory.shelving).toMatchObject({ until: T0 + 2 * HOUR, reason: 'longer' });
    expect(types(again.effects)).toEqual(['journal:shelved>shelved:reshelved']);
  });

  it('annunciates nothing while shelved but keeps tracking the condition', () => {
    const result = run([on(T0 + MIN), on(T0 + 10 * MIN)], POLICY, shelved());
    expect(result.effects).toEqual([]);
    expect(result.memory).toMatchObject({ state: 'shelved', condition: true, conditionSince: T0 + MIN });
  });

  it('unshelve while the condition holds raises it at once', () => {
    const memory = run([on(T0 + MIN)], POLICY, shelved()).memory;
    const result = transition(memory, { type: 'unshelve', now: T0 + 20 * MIN, by: ANNA, comment: 'done' }, POLICY);
    expect(result.memory.state).toBe('active_unacknowledged');
    expect(types(result.effects)).toEqual(['journal:shelved>normal:unshelved', 'open_alarm', 'journal:normal>active_unacknowledged:raised', 'notify']);
  });

  it('unshelve while the condition is false returns to normal quietly', () => {
    const result = transition(shelved(), { type: 'unshelve', now: T0 + 20 * MIN, by: ANNA }, POLICY);
    expect(result.memory).toMatchObject({ state: 'normal', shelving: null });
    expect(types(result.effects)).toEqual(['journal:shelved>normal:unshelved']);
  });

  it('an alarm shelved while active comes back when unshelved if still active', () => {
    const memory = run([on(T0), shelve(T0 + MIN, T0 + HOUR), on(T0 + 2 * MIN)]).memory;
    const result = transition(memory, { type: 'unshelve', now: T0 + 3 * MIN, by: ANNA }, POLICY);
    expect(result.memory.state).toBe('active_unacknowledged');
  });

  it('expires by a shelve_expired event, or by the first evaluation after the end', () => {
    const byEvent = transition(shelved(), { type: 'shelve_expired', now: T0 + HOUR }, POLICY);
    expect(byEvent.memory.state).toBe('normal');
    expect(byEvent.effects).toEqual([
      { type: 'journal', entry: { at: T0 + HOUR, from: 'shelved', to: 'normal', cause: 'shelve_expired', by: null, comment: null } },
    ]);
    const byEvaluation = transition(shelved(), on(T0 + HOUR + SEC), POLICY);
    expect(byEvaluation.memory.state).toBe('active_unacknowledged');
    expect(types(byEvaluation.effects)).toEqual([
      'journal:shelved>normal:shelve_expired',
      'open_alarm',
      'journal:normal>active_unacknowledged:raised',
      'notify',
    ]);
    expect(transition(shelved(), off(T0 + HOUR - 1), POLICY).memory.state).toBe('shelved');
  });

  it('refuses shelving without a reason, into the past, beyond the limit, or out of service', () => {
    expectRefused(activeUnack(), shelve(T0 + MIN, T0 + HOUR, '   '), 'REASON_REQUIRED');
    expectRefused(activeUnack(), shelve(T0 + MIN, T0 + MIN), 'SHELVE_UNTIL_NOT_IN_FUTURE');
    expectRefused(activeUnack(), shelve(T0 + MIN, NaN), 'SHELVE_UNTIL_NOT_IN_FUTURE');
    expectRefused(activeUnack(), shelve(T0, T0 + 24 * HOUR + 1), 'SHELVE_TOO_LONG');
    expect(transition(activeUnack(), shelve(T0, T0 + 24 * HOUR), POLICY).refused).toBeNull();
    expectRefused(outOfService(), shelve(T0 + MIN, T0 + HOUR), 'ALARM_OUT_OF_SERVICE');
  });

  it('refuses unshelving what is not shelved, and expiring early', () => {
    for (const memory of [initialAlarmMemory(), activeUnack(), outOfService()]) {
      expectRefused(memory, { type: 'unshelve', now: T0, by: ANNA }, 'NOT_SHELVED');
      expectRefused(memory, { type: 'shelve_expired', now: T0 }, 'NOT_SHELVED');
    }
    expectRefused(shelved(), { type: 'shelve_expired', now: T0 + HOUR - 1 }, 'SHELVE_NOT_EXPIRED');
  });
});

describe('out of service', () => {
  const oos = (scope: 'rule' | 'device', now: number): AlarmEvent => ({ type: 'out_of_service', scope, now, by: ANNA, reason: 'maintenance' });
  const back = (scope: 'rule' | 'device', now: number): AlarmEvent => ({ type: 'return_to_service', scope, now, by: ANNA });

  it('closes an open alarm and stops evaluating', () => {
    const result = transition(activeAck(), oos('device', T0 + MIN), POLICY);
    expect(result.memory).toMatchObject({ state: 'out_of_service', openSince: null, condition: false, conditionSince: null });
    expect(result.memory.outOfService.device).toEqual({ at: T0 + MIN, reason: 'maintenance', by: ANNA });
    expect(result.effects).toEqual([
      { type: 'close_alarm', at: T0 + MIN, reason: 'out_of_service' },
      {
        type: 'journal',
        entry: { at: T0 + MIN, from: 'active_acknowledged', to: 'out_of_service', cause: 'out_of_service', by: ANNA, comment: 'maintenance', scope: 'device' },
      },
    ]);
    const ignored = transition(result.memory, on(T0 + 2 * MIN), POLICY);
    expect(ignored.memory).toBe(result.memory);
    expect(ignored.effects).toEqual([]);
  });

  it('replaces shelving', () => {
    const result = transition(shelved(), oos('rule', T0 + MIN), POLICY);
    expect(result.memory).toMatchObject({ state: 'out_of_service', shelving: null });
    expect(types(result.effects)).toEqual(['journal:shelved>out_of_service:out_of_service']);
  });

  it('stays out of service until both rule and device are back', () => {
    const both = run([on(T0), oos('rule', T0 + MIN), oos('device', T0 + 2 * MIN)]);
    expect(types(both.effects).slice(-1)).toEqual(['journal:out_of_service>out_of_service:out_of_service']);
    const ruleBack = transition(both.memory, back('rule', T0 + 3 * MIN), POLICY);
    expect(ruleBack.memory.state).toBe('out_of_service');
    expect(types(ruleBack.effects)).toEqual(['journal:out_of_service>out_of_service:returned_to_service']);
    const allBack = transition(ruleBack.memory, back('device', T0 + 4 * MIN), POLICY);
    expect(allBack.memory).toMatchObject({ state: 'normal', armed: true, condition: false });
    expect(types(allBack.effects)).toEqual(['journal:out_of_service>normal:returned_to_service']);
    // A condition still present after maintenance is raised afresh.
    expect(transition(allBack.memory, on(T0 + 5 * MIN), POLICY).memory.state).toBe('active_unacknowledged');
  });

  it('refuses a second mark for the same scope, a return that is not due, and a missing reason', () => {
    expectRefused(outOfService(), oos('rule', T0 + MIN), 'ALREADY_OUT_OF_SERVICE');
    expectRefused(outOfService(), back('device', T0 + MIN), 'NOT_OUT_OF_SERVICE');
    expectRefused(initialAlarmMemory(), back('rule', T0), 'NOT_OUT_OF_SERVICE');
    expectRefused(initialAlarmMemory(), { ...oos('rule', T0), reason: '' } as AlarmEvent, 'REASON_REQUIRED');
  });
});

describe('refused operator actions', () => {
  it('acknowledge needs an unacknowledged alarm', () => {
    expectRefused(initialAlarmMemory(), ack(T0), 'NOTHING_TO_ACKNOWLEDGE');
    expectRefused(activeAck(), ack(T0 + 2 * MIN), 'ALREADY_ACKNOWLEDGED');
    expectRefused(shelved(), ack(T0 + MIN), 'ALARM_SHELVED');
    expectRefused(outOfService(), ack(T0 + MIN), 'ALARM_OUT_OF_SERVICE');
  });

  it('resolve needs an open alarm', () => {
    for (const memory of [initialAlarmMemory(), shelved(), outOfService()]) {
      expectRefused(memory, { type: 'resolve', now: T0 + MIN, by: ANNA }, 'NO_OPEN_ALARM');
    }
  });
});

describe('serialise and restore', () => {
  const histories: [string, AlarmEvent[]][] = [
    ['initial', []],
    ['active', [on(T0)]],
    ['cleared', [on(T0), off(T0 + MIN)]],
    ['shelved', [on(T0), shelve(T0 + MIN, T0 + HOUR), on(T0 + 2 * MIN)]],
    ['out of service', [on(T0), { type: 'out_of_service', scope: 'device', now: T0 + MIN, by: { id: 'svc' }, reason: 'calibration' }]],
  ];
  const next: AlarmEvent[] = [on(T0 + 2 * HOUR), off(T0 + 3 * HOUR), ack(T0 + 3 * HOUR), on(T0 + 4 * HOUR)];

  for (const [name, events] of histories) {
    it(`restores the ${name} memory exactly, and it behaves the same afterwards`, () => {
      const { memory } = run(events, { ...POLICY, cooldownMs: 30 * MIN, onDelayMs: 10 * SEC });
      const restored = restoreAlarmMemory(serializeAlarmMemory(memory));
      expect(restored).toEqual(memory);
      expect(restoreAlarmMemory(JSON.parse(JSON.stringify(memory)))).toEqual(memory);
      const policy = { ...POLICY, cooldownMs: 30 * MIN, onDelayMs: 10 * SEC };
      for (const event of next) {
        const a = transition(memory, event, policy);
        const b = transition(restored, event, policy);
        expect(b).toEqual(a);
      }
    });
  }

  it('refuses corrupt memories with a reason', () => {
    const good = JSON.parse(serializeAlarmMemory(activeUnack())) as Record<string, unknown>;
    const bad: [unknown, RegExp][] = [
      ['{not json', /not JSON/],
      [[], /must be an object/],
      [{ ...good, v: 2 }, /unknown version 2/],
      [{ ...good, state: 'alarm' }, /state is not an alarm state/],
      [{ ...good, condition: 'yes' }, /condition must be a boolean/],
      [{ ...good, openSince: 'today' }, /openSince must be a finite number/],
      [{ ...good, openSince: null }, /openSince must be set exactly when an alarm is open/],
      [{ ...good, conditionSince: null }, /conditionSince must be set exactly when condition is true/],
      [{ ...good, shelving: { at: 1, until: 2, reason: 'x', by: ANNA } }, /shelving must be set exactly when the state is shelved/],
      [{ ...good, shelving: { at: 1, until: 2, reason: 'x', by: {} } }, /shelving\.by\.id must be a number or string/],
      [{ ...good, outOfService: { rule: { at: 1, reason: 'x', by: ANNA }, device: null } }, /out-of-service mark must be set exactly/],
      [{ ...good, outOfService: null }, /outOfService must be an object/],
    ];
    for (const [input, message] of bad) {
      expect(() => restoreAlarmMemory(input)).toThrow(AlarmMemoryError);
      expect(() => restoreAlarmMemory(input)).toThrow(message);
    }
  });
});
