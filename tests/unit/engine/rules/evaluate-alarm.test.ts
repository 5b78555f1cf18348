import { describe, expect, it } from 'vitest';
import {
  compileRule,
  createSnapshotContext,
  evaluateAlarm,
  formatAlarmMessage,
  initialAlarmMemory,
  transition,
  validateSchedule,
} from '../../../../engine/rules/index.js';
import type { AlarmMemory, CompiledRule, Schedule } from '../../../../engine/rules/index.js';

const T0 = Date.parse('2026-02-19T10:00:00Z'); // Thursday, 11:00 in Berlin
const SEC = 1000;

const ctxAt = (now: number, values: Record<string, number>) =>
  createSnapshotContext({ now, latest: Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, ts: now }])) });

/** Feeds a series of values one second apart; returns the states after each step. */
function feed(rule: CompiledRule, values: number[], options: { schedule?: Schedule; timeZone?: string } = {}): string[] {
  let memory: AlarmMemory = initialAlarmMemory();
  return values.map((v, i) => {
    const step = evaluateAlarm({ memory, rule, ctx: ctxAt(T0 + i * SEC, { v }), ...options });
    memory = step.memory;
    return memory.state;
  });
}

describe('evaluateAlarm', () => {
  it('applies the deadband from the memory: raised above 100, cleared only at 95 or below', () => {
    const rule = compileRule({ conditions: { parameter: 'v', operator: 'gt', value: 100 }, deadband: 5, cooldown_minutes: 0 });
    expect(feed(rule, [99, 101, 99, 96, 95, 99, 101])).toEqual([
      'normal',
      'active_unacknowledged',
      'active_unacknowledged',
      'active_unacknowledged',
      'cleared_unacknowledged',
      'cleared_unacknowledged', // 99 is below the raising threshold again
      'active_unacknowledged',
    ]);
  });

  it('without a deadband a value dithering on the threshold chatters', () => {
    const rule = compileRule({ conditions: { parameter: 'v', operator: 'gt', value: 100 }, cooldown_minutes: 0 });
    expect(feed(rule, [101, 99.9, 101])).toEqual(['active_unacknowledged', 'cleared_unacknowledged', 'active_unacknowledged']);
  });

  it('the deadband also steadies the on-delay against dithering', () => {
    const rule = compileRule({ conditions: { parameter: 'v', operator: 'gt', value: 100 }, deadband: 2, on_delay_seconds: 3 });
    expect(feed(rule, [101, 99.5, 101, 99.5])).toEqual(['normal', 'normal', 'normal', 'active_unacknowledged']);
    const jumpy = compileRule({ conditions: { parameter: 'v', operator: 'gt', value: 100 }, on_delay_seconds: 3 });
    expect(feed(jumpy, [101, 99.5, 101, 99.5, 101, 101, 101, 101])).toEqual([
      'normal',
      'normal',
      'normal',
      'normal',
      'normal',
      'normal',
      'normal',
      'active_unacknowledged',
    ]);
  });

  it('reports the leaves that raised the alarm, and only when it is raised', () => {
    const rule = compileRule({
      conditions: { operator: 'OR', conditions: [{ parameter: 'v', operator: 'lt', value: 0 }, { parameter: 'v', operator: 'gt', value: 100 }] },
    });
    const ctx = ctxAt(T0, { v: 120 });
    const raised = evaluateAlarm({ memory: initialAlarmMemory(), rule, ctx });
    expect(raised.conditionTrue).toBe(true);
    expect(raised.trueLeaves).toEqual([1]);
    expect(formatAlarmMessage('Pressure', rule, ctx)).toBe('[Pressure] v (120) gt 100');
    const again = evaluateAlarm({ memory: raised.memory, rule, ctx: ctxAt(T0 + SEC, { v: 130 }) });
    expect(again.effects).toEqual([]);
    expect(again.trueLeaves).toEqual([]);
  });

  it('outside its schedule the condition counts as false and an active alarm clears', () => {
    const office = validateSchedule('time_window', { start_time: '08:00', end_time: '12:00', days: [4] });
    if (!office.ok) throw new Error('bad schedule');
    const rule = compileRule({ conditions: { parameter: 'v', operator: 'gt', value: 100 }, cooldown_minutes: 0 });
    const inside = evaluateAlarm({ memory: initialAlarmMemory(), rule, ctx: ctxAt(T0, { v: 120 }), schedule: office.value, timeZone: 'Europe/Berlin' });
    expect(inside).toMatchObject({ inSchedule: true, conditionTrue: true });
    expect(inside.memory.state).toBe('active_unacknowledged');
    const afterNoon = T0 + 3600 * SEC; // 12:00 Berlin
    const outside = evaluateAlarm({ memory: inside.memory, rule, ctx: ctxAt(afterNoon, { v: 120 }), schedule: office.value, timeZone: 'Europe/Berlin' });
    expect(outside).toMatchObject({ inSchedule: false, conditionTrue: false });
    expect(outside.memory.state).toBe('cleared_unacknowledged');
  });

  it('refuses a zoned schedule without the factory time zone', () => {
    const range = validateSchedule('date_range', { start_date: '2026-01-01', end_date: '2026-12-31' });
    if (!range.ok) throw new Error('bad schedule');
    const rule = compileRule({ conditions: { parameter: 'v', operator: 'gt', value: 100 } });
    expect(() => evaluateAlarm({ memory: initialAlarmMemory(), rule, ctx: ctxAt(T0, { v: 1 }), schedule: range.value })).toThrow(TypeError);
  });

  it('skips evaluation out of service', () => {
    const rule = compileRule({ conditions: { parameter: 'v', operator: 'gt', value: 100 } });
    const oos = transition(initialAlarmMemory(), { type: 'out_of_service', scope: 'rule', now: T0, by: { id: 1 }, reason: 'retrofit' }, rule.policy);
    const step = evaluateAlarm({ memory: oos.memory, rule, ctx: ctxAt(T0 + SEC, { v: 500 }) });
    expect(step.memory).toBe(oos.memory);
    expect(step).toMatchObject({ conditionTrue: false, effects: [] });
  });

  it('no_data raises on a silent parameter at a periodic evaluation', () => {
    const rule = compileRule({ conditions: { parameter: 'v', operator: 'no_data', seconds: 300 } });
    const latest = { v: { value: 1, ts: T0 } };
    const quiet = evaluateAlarm({ memory: initialAlarmMemory(), rule, ctx: createSnapshotContext({ now: T0 + 300 * SEC, latest }) });
    expect(quiet.memory.state).toBe('normal');
    const silent = evaluateAlarm({ memory: quiet.memory, rule, ctx: createSnapshotContext({ now: T0 + 301 * SEC, latest }) });
    expect(silent.memory.state).toBe('active_unacknowledged');
  });
});
