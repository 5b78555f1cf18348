import { describe, expect, it } from 'vitest';
import { ALWAYS, formatIssue, isScheduleActive, isValidTimeZone, validateSchedule } from '../../../../engine/rules/index.js';
import type { Schedule } from '../../../../engine/rules/index.js';

const BERLIN = 'Europe/Berlin';
const utc = (iso: string) => Date.parse(iso);

function schedule(type: string, config: unknown): Schedule {
  const result = validateSchedule(type, config);
  if (!result.ok) throw new Error(result.errors.map(formatIssue).join('; '));
  return result.value;
}

function errorsOf(type: unknown, config: unknown): string[] {
  const result = validateSchedule(type, config);
  if (result.ok) throw new Error('expected validation to fail');
  return result.errors.map(formatIssue);
}

/** Which of the given UTC instants fall inside the schedule in Berlin. */
function activeAt(s: Schedule, instants: string[], timeZone = BERLIN): boolean[] {
  return instants.map((iso) => isScheduleActive(s, utc(iso), timeZone));
}

describe('validateSchedule', () => {
  it('accepts the reference examples and always', () => {
    expect(validateSchedule('time_window', { start_time: '08:00', end_time: '18:00', days: [1, 2, 3, 4, 5] })).toEqual({
      ok: true,
      value: { type: 'time_window', start_time: '08:00', end_time: '18:00', days: [1, 2, 3, 4, 5] },
    });
    expect(validateSchedule('date_range', { start_date: '2026-01-01', end_date: '2026-03-31' })).toEqual({
      ok: true,
      value: { type: 'date_range', start_date: '2026-01-01', end_date: '2026-03-31' },
    });
    for (const config of [null, undefined, {}]) expect(validateSchedule('always', config)).toEqual({ ok: true, value: ALWAYS });
    expect(validateSchedule(undefined, null)).toEqual({ ok: true, value: ALWAYS });
    expect(validateSchedule('time_window', { start_time: '00:00', end_time: '24:00' }).ok).toBe(true);
  });

  it('refuses unknown types and misplaced or missing configs', () => {
    expect(errorsOf('weekly', {})).toEqual(['schedule_type: must be "always", "time_window" or "date_range"']);
    expect(errorsOf('always', { start_time: '08:00' })).toEqual(['schedule_config: must be empty (null) for schedule_type "always"']);
    expect(errorsOf('time_window', null)).toEqual(['schedule_config: is required for schedule_type "time_window" and must be an object']);
  });

  it('refuses bad times, equal start and end, and unknown fields', () => {
    expect(errorsOf('time_window', { start_time: '8:00', end_time: '25:00' })).toEqual([
      'schedule_config.start_time: must be HH:MM from 00:00 to 23:59',
      'schedule_config.end_time: must be HH:MM from 00:00 to 24:00',
    ]);
    expect(errorsOf('time_window', { start_time: '24:00', end_time: '06:00' })).toEqual([
      'schedule_config.start_time: must be HH:MM from 00:00 to 23:59',
    ]);
    expect(errorsOf('time_window', { end_time: '06:00' })).toEqual(['schedule_config.start_time: is required']);
    expect(errorsOf('time_window', { start_time: '06:00' })).toEqual(['schedule_config.end_time: is required']);
    expect(errorsOf('time_window', { start_time: '06:00', end_time: '06:00' })).toEqual([
      'schedule_config.end_time: must differ from start_time (for all day use 00:00–24:00, or schedule_type "always")',
    ]);
    expect(errorsOf('time_window', { start_time: '06:00', end_time: '07:00', timezone: 'UTC' })).toEqual([
      'schedule_config.timezone: unknown field',
    ]);
  });

  it('refuses bad day lists', () => {
    const base = { start_time: '08:00', end_time: '18:00' };
    expect(errorsOf('time_window', { ...base, days: 'weekdays' })).toEqual([
      'schedule_config.days: must be an array of ISO weekdays (1 = Monday ... 7 = Sunday)',
    ]);
    expect(errorsOf('time_window', { ...base, days: [] })).toEqual([
      'schedule_config.days: must list at least one day (omit it for every day)',
    ]);
    expect(errorsOf('time_window', { ...base, days: [0, 1, 8, 1.5, 1] })).toEqual([
      'schedule_config.days[0]: must be a whole number from 1 (Monday) to 7 (Sunday)',
      'schedule_config.days[2]: must be a whole number from 1 (Monday) to 7 (Sunday)',
      'schedule_config.days[3]: must be a whole number from 1 (Monday) to 7 (Sunday)',
      'schedule_config.days[4]: repeats day 1',
    ]);
  });

  it('refuses bad dates and reversed ranges', () => {
    expect(errorsOf('date_range', { start_date: '2026-02-30', end_date: '2026-1-31' })).toEqual([
      'schedule_config.start_date: must be a calendar date YYYY-MM-DD',
      'schedule_config.end_date: must be a calendar date YYYY-MM-DD',
    ]);
    expect(errorsOf('date_range', { start_date: '2026-03-01', end_date: '2026-02-28' })).toEqual([
      'schedule_config.end_date: must not be before start_date',
    ]);
    expect(errorsOf('date_range', { start_date: '2026-03-01' })).toEqual(['schedule_config.end_date: is required']);
    expect(errorsOf('date_range', { start_date: '2024-02-29', end_date: '2024-02-29', days: [1] })).toEqual([
      'schedule_config.days: unknown field',
    ]);
  });
});

describe('isScheduleActive: time windows', () => {
  const office = schedule('time_window', { start_time: '08:00', end_time: '18:00', days: [1, 2, 3, 4, 5] });

  it('always is always active', () => {
    expect(isScheduleActive(ALWAYS, 0, BERLIN)).toBe(true);
  });

  it('Mon–Fri 08:00–18:00 in Berlin: start inclusive, end exclusive, weekend off', () => {
    // Thursday 19 Feb 2026, CET (UTC+1).
    expect(activeAt(office, ['2026-02-19T06:59:59Z', '2026-02-19T07:00:00Z', '2026-02-19T16:59:59Z', '2026-02-19T17:00:00Z'])).toEqual([
      false,
      true,
      true,
      false,
    ]);
    // Saturday and Sunday at 10:00 local; Monday at 10:00 local.
    expect(activeAt(office, ['2026-02-21T09:00:00Z', '2026-02-22T09:00:00Z', '2026-02-23T09:00:00Z'])).toEqual([false, false, true]);
  });

  it('reads the wall clock of the given zone', () => {
    const instant = '2026-02-19T07:30:00Z'; // 08:30 Berlin, 07:30 UTC, 13:00 Kolkata
    expect(activeAt(office, [instant], BERLIN)).toEqual([true]);
    expect(activeAt(office, [instant], 'UTC')).toEqual([false]);
    expect(activeAt(office, [instant], 'Asia/Kolkata')).toEqual([true]);
  });

  it('a window across midnight belongs to the day it starts', () => {
    const fridayNight = schedule('time_window', { start_time: '22:00', end_time: '06:00', days: [5] });
    expect(
      activeAt(fridayNight, [
        '2026-02-19T22:00:00Z', // Thu 23:00 – Thursday is not listed
        '2026-02-20T04:00:00Z', // Fri 05:00 – the morning of Thursday's window
        '2026-02-20T20:59:00Z', // Fri 21:59
        '2026-02-20T21:00:00Z', // Fri 22:00
        '2026-02-20T23:30:00Z', // Sat 00:30
        '2026-02-21T04:59:00Z', // Sat 05:59
        '2026-02-21T05:00:00Z', // Sat 06:00
        '2026-02-21T21:30:00Z', // Sat 22:30 – Saturday is not listed
      ]),
    ).toEqual([false, false, false, true, true, true, false, false]);
  });

  it('a Sunday-night window wraps to Monday (7 → 1)', () => {
    const sundayNight = schedule('time_window', { start_time: '23:00', end_time: '01:00', days: [7] });
    expect(activeAt(sundayNight, ['2026-02-22T22:30:00Z', '2026-02-22T23:30:00Z', '2026-02-23T00:30:00Z'])).toEqual([true, true, false]);
  });

  it('00:00–24:00 covers whole days; no days means every day', () => {
    const weekend = schedule('time_window', { start_time: '00:00', end_time: '24:00', days: [6, 7] });
    expect(activeAt(weekend, ['2026-02-20T22:59:00Z', '2026-02-20T23:00:00Z', '2026-02-22T22:59:00Z', '2026-02-22T23:00:00Z'])).toEqual([
      false,
      true,
      true,
      false,
    ]);
    const daily = schedule('time_window', { start_time: '12:00', end_time: '13:00' });
    expect(activeAt(daily, ['2026-02-21T11:30:00Z', '2026-02-22T11:30:00Z', '2026-02-22T12:30:00Z'])).toEqual([true, true, false]);
  });

  it('throws on an unknown time zone, which isValidTimeZone detects first', () => {
    expect(() => isScheduleActive(office, 0, 'Mars/Olympus')).toThrow(RangeError);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone(BERLIN)).toBe(true);
  });
});

describe('isScheduleActive across DST changes (Europe/Berlin, 2026)', () => {
  // Spring forward: Sun 29 Mar 2026, 02:00 CET -> 03:00 CEST at 01:00 UTC.
  // Fall back:      Sun 25 Oct 2026, 03:00 CEST -> 02:00 CET at 01:00 UTC.
  const night = schedule('time_window', { start_time: '22:00', end_time: '06:00' });

  it('a night shift across spring-forward runs 22:00–06:00 by the wall clock (7 real hours)', () => {
    expect(
      activeAt(night, [
        '2026-03-28T20:59:00Z', // 21:59 CET
        '2026-03-28T21:00:00Z', // 22:00 CET
        '2026-03-29T00:59:00Z', // 01:59 CET
        '2026-03-29T01:00:00Z', // 03:00 CEST
        '2026-03-29T03:59:00Z', // 05:59 CEST
        '2026-03-29T04:00:00Z', // 06:00 CEST
      ]),
    ).toEqual([false, true, true, true, true, false]);
  });

  it('a window inside the skipped hour never occurs; one straddling it starts at 03:00', () => {
    const skipped = schedule('time_window', { start_time: '02:00', end_time: '03:00', days: [7] });
    const straddling = schedule('time_window', { start_time: '02:30', end_time: '03:30', days: [7] });
    let skippedMinutes = 0;
    let straddlingMinutes = 0;
    for (let t = utc('2026-03-28T23:00:00Z'); t < utc('2026-03-29T04:00:00Z'); t += 60_000) {
      if (isScheduleActive(skipped, t, BERLIN)) skippedMinutes++;
      if (isScheduleActive(straddling, t, BERLIN)) straddlingMinutes++;
    }
    expect(skippedMinutes).toBe(0);
    expect(straddlingMinutes).toBe(30);
    expect(activeAt(straddling, ['2026-03-29T01:00:00Z', '2026-03-29T01:29:00Z', '2026-03-29T01:30:00Z'])).toEqual([true, true, false]);
  });

  it('a day window on the spring-forward Sunday opens at local 08:00', () => {
    const sunday = schedule('time_window', { start_time: '08:00', end_time: '18:00', days: [7] });
    expect(activeAt(sunday, ['2026-03-29T05:59:00Z', '2026-03-29T06:00:00Z', '2026-03-29T15:59:00Z', '2026-03-29T16:00:00Z'])).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('a night shift across fall-back runs 22:00–06:00 by the wall clock (9 real hours)', () => {
    let minutes = 0;
    for (let t = utc('2026-10-24T18:00:00Z'); t < utc('2026-10-25T08:00:00Z'); t += 60_000) {
      if (isScheduleActive(night, t, BERLIN)) minutes++;
    }
    expect(minutes).toBe(9 * 60);
    expect(activeAt(night, ['2026-10-24T19:59:00Z', '2026-10-24T20:00:00Z', '2026-10-25T04:59:00Z', '2026-10-25T05:00:00Z'])).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('the repeated hour is inside a window both times it is lived', () => {
    const repeated = schedule('time_window', { start_time: '02:00', end_time: '02:30', days: [7] });
    expect(
      activeAt(repeated, [
        '2026-10-25T00:15:00Z', // 02:15 CEST
        '2026-10-25T00:45:00Z', // 02:45 CEST
        '2026-10-25T01:15:00Z', // 02:15 CET
        '2026-10-25T01:45:00Z', // 02:45 CET
      ]),
    ).toEqual([true, false, true, false]);
  });
});

describe('isScheduleActive: date ranges', () => {
  const quarter = schedule('date_range', { start_date: '2026-01-01', end_date: '2026-03-31' });

  it('includes both dates whole, in the factory zone', () => {
    expect(
      activeAt(quarter, [
        '2025-12-31T22:59:59.999Z', // 31 Dec 23:59:59.999 CET
        '2025-12-31T23:00:00.000Z', // 1 Jan 00:00 CET
        '2026-03-31T21:59:59.999Z', // 31 Mar 23:59:59.999 CEST (after the DST change)
        '2026-03-31T22:00:00.000Z', // 1 Apr 00:00 CEST
      ]),
    ).toEqual([false, true, true, false]);
  });

  it('moves with the zone', () => {
    // 1 Jan 02:00 UTC is still 31 Dec in New York, already 1 Jan in Tokyo.
    expect(activeAt(quarter, ['2026-01-01T02:00:00Z'], 'America/New_York')).toEqual([false]);
    expect(activeAt(quarter, ['2026-01-01T02:00:00Z'], 'Asia/Tokyo')).toEqual([true]);
  });

  it('a one-day range covers exactly that local day', () => {
    const leapDay = schedule('date_range', { start_date: '2028-02-29', end_date: '2028-02-29' });
    expect(activeAt(leapDay, ['2028-02-28T22:59:00Z', '2028-02-28T23:00:00Z', '2028-02-29T22:59:00Z', '2028-02-29T23:00:00Z'])).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });
});
