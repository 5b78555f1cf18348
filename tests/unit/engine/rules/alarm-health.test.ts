import { describe, expect, it } from 'vitest';
import {
  alarmKey,
  CHATTER_LIMIT,
  countInWindow,
  findChattering,
  findStanding,
  floodPeriods,
  floodState,
  ISA_FLOOD_LIMIT,
  topFrequent,
} from '../../../../engine/rules/index.js';

const T0 = Date.parse('2026-02-19T10:00:00Z');
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

/** n raise times starting at `start`, `step` apart. */
const every = (n: number, start: number, step: number) => Array.from({ length: n }, (_, i) => start + i * step);

describe('flood detection', () => {
  it('uses the ISA-18.2 default: more than 10 alarms in 10 minutes', () => {
    expect(ISA_FLOOD_LIMIT).toEqual({ maxAlarms: 10, windowMs: 10 * MIN });
    const ten = every(10, T0, 30 * SEC);
    expect(floodState(ten, T0 + 5 * MIN)).toMatchObject({ flooding: false, count: 10 });
    expect(floodState([...ten, T0 + 5 * MIN], T0 + 5 * MIN)).toMatchObject({ flooding: true, count: 11 });
  });

  it('counts the window (now - M, now]: old raises and future ones drop out', () => {
    const times = [T0 - 10 * MIN, T0 - 10 * MIN + 1, T0, T0 + 1];
    expect(countInWindow(times, T0, 10 * MIN)).toBe(2);
    expect(floodState(every(11, T0, SEC), T0 + 10 * MIN + 1)).toMatchObject({ flooding: false, count: 10 });
  });

  it('takes a custom limit', () => {
    expect(floodState([T0, T0 + 1, T0 + 2], T0 + 2, { maxAlarms: 2, windowMs: MIN }).flooding).toBe(true);
  });

  it('finds flood periods in a history, merged, with their peak', () => {
    const burst = every(12, T0, 10 * SEC); // 12 raises over 110 s
    const laterBurst = every(11, T0 + 2 * HOUR, SEC);
    const scattered = every(5, T0 + HOUR, 5 * MIN);
    const periods = floodPeriods([...laterBurst, ...scattered, ...burst]);
    expect(periods).toEqual([
      // The 11th raise tips it; it lasts until the 2nd raise leaves the 10-minute window.
      { start: T0 + 100 * SEC, end: T0 + 10 * SEC + 10 * MIN, peak: 12 },
      { start: T0 + 2 * HOUR + 10 * SEC, end: T0 + 2 * HOUR + 10 * MIN, peak: 11 },
    ]);
    expect(floodPeriods(every(10, T0, SEC))).toEqual([]);
  });
});

describe('chattering', () => {
  it('defaults to 3 or more raises of the same alarm within a minute', () => {
    expect(CHATTER_LIMIT).toEqual({ maxAlarms: 2, windowMs: MIN });
    const raised = [
      ...every(3, T0, 20 * SEC).map((at) => ({ key: alarmKey(1, 5), at })), // 3 in 40 s
      ...every(3, T0, 30 * SEC).map((at) => ({ key: alarmKey(2, 5), at })), // 3 in 60 s: the first has left
      ...every(2, T0, SEC).map((at) => ({ key: alarmKey(3, 5), at })),
    ];
    expect(findChattering(raised)).toEqual([{ key: '1:5', maxInWindow: 3, total: 3, lastAt: T0 + 40 * SEC }]);
  });

  it('finds the worst window anywhere in the history, worst alarm first', () => {
    const raised = [
      ...[T0, T0 + HOUR, T0 + HOUR + 1, T0 + HOUR + 2, T0 + HOUR + 3].map((at) => ({ key: 'a', at })),
      ...[T0 + 5, T0 + 6, T0 + 7].map((at) => ({ key: 'b', at })),
    ];
    expect(findChattering(raised)).toEqual([
      { key: 'a', maxInWindow: 4, total: 5, lastAt: T0 + HOUR + 3 },
      { key: 'b', maxInWindow: 3, total: 3, lastAt: T0 + 7 },
    ]);
    expect(findChattering(raised, { maxAlarms: 4, windowMs: MIN })).toEqual([]);
  });
});

describe('standing alarms', () => {
  it('lists alarms active longer than the threshold (default 24 h), longest first', () => {
    const now = T0 + 48 * HOUR;
    const open = [
      { key: 'fresh', since: now - HOUR },
      { key: 'exactly-a-day', since: now - 24 * HOUR },
      { key: 'two-days', since: now - 48 * HOUR },
      { key: 'day-and-a-bit', since: now - 24 * HOUR - 1 },
    ];
    expect(findStanding(open, now)).toEqual([
      { key: 'two-days', since: now - 48 * HOUR, durationMs: 48 * HOUR },
      { key: 'day-and-a-bit', since: now - 24 * HOUR - 1, durationMs: 24 * HOUR + 1 },
    ]);
    expect(findStanding(open, now, 30 * MIN).map((a) => a.key)).toEqual(['two-days', 'day-and-a-bit', 'exactly-a-day', 'fresh']);
  });
});

describe('top frequent alarms', () => {
  it('ranks by count, then most recent, then key, and keeps ten by default', () => {
    const raised = Array.from({ length: 12 }, (_, i) => every(12 - i, T0 + i, HOUR).map((at) => ({ key: `k${String(i).padStart(2, '0')}`, at }))).flat();
    const top = topFrequent(raised);
    expect(top).toHaveLength(10);
    expect(top[0]).toEqual({ key: 'k00', count: 12, lastAt: T0 + 11 * HOUR });
    expect(top.map((t) => t.count)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    const ties = [
      { key: 'b', at: T0 },
      { key: 'a', at: T0 },
      { key: 'c', at: T0 + 1 },
    ];
    expect(topFrequent(ties, 3).map((t) => t.key)).toEqual(['c', 'a', 'b']);
    expect(topFrequent(ties, 0)).toEqual([]);
  });
});
