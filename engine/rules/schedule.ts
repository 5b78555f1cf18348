// When a rule applies: `rules.schedule_type` + `rules.schedule_config`, read in the factory's
// IANA time zone.
//
//   always       schedule_config null (or {})
//   time_window  {"start_time":"08:00","end_time":"18:00","days":[1,2,3,4,5]}
//                local wall-clock time, start inclusive, end exclusive, whole minutes.
//                days are ISO weekdays, 1 = Monday ... 7 = Sunday (the reference's [1..5] is
//                Mon–Fri); omitted = every day. end_time may be "24:00" (to the end of the day).
//                end_time before start_time crosses midnight (22:00–06:00); `days` then names
//                the day the window STARTS: [5] = Friday 22:00 to Saturday 06:00.
//   date_range   {"start_date":"2026-01-01","end_date":"2026-03-31"}
//                local calendar dates, both inclusive (to 23:59:59.999 of end_date locally).
//
// DST: windows follow the wall clock. On the spring-forward day a window inside the skipped
// hour (Berlin 02:00–03:00) does not occur and one straddling it starts at 03:00; on the
// fall-back day the repeated hour is inside a window both times it is lived. A night window
// across a change is an hour shorter or longer in real time, as the shift on the floor is.

import { checkKnownFields, joinPath } from './conditions.js';
import type { RuleIssue, ValidationResult } from './conditions.js';
import { zonedParts } from './calendar.js';

export type ScheduleType = 'always' | 'time_window' | 'date_range';
/** ISO weekday: 1 = Monday ... 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface AlwaysSchedule {
  type: 'always';
}

export interface TimeWindowSchedule {
  type: 'time_window';
  start_time: string;
  end_time: string;
  days?: IsoWeekday[];
}

export interface DateRangeSchedule {
  type: 'date_range';
  start_date: string;
  end_date: string;
}

export type Schedule = AlwaysSchedule | TimeWindowSchedule | DateRangeSchedule;

export const ALWAYS: AlwaysSchedule = Object.freeze({ type: 'always' });

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Minutes after local midnight of "HH:MM" ("24:00" = 1440), or undefined. */
function minutesOf(time: string): number | undefined {
  if (time === '24:00') return 1440;
  const m = TIME.exec(time);
  return m === null ? undefined : Number(m[1]) * 60 + Number(m[2]);
}

/** yyyymmdd of a real calendar date "YYYY-MM-DD", or undefined. */
function dateKey(date: string): number | undefined {
  const m = DATE.exec(date);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC maps years 0–99 to 1900+; compare the full year to catch it along with Feb 30.
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  return y * 10_000 + mo * 100 + d;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates the two database columns into one Schedule. Paths name the column and field:
 * `schedule_config.start_time: must be HH:MM from 00:00 to 23:59`.
 */
export function validateSchedule(scheduleType: unknown, scheduleConfig: unknown): ValidationResult<Schedule> {
  const errors: RuleIssue[] = [];
  const fail = (path: string, message: string): ValidationResult<Schedule> => {
    errors.push({ path, message });
    return { ok: false, errors };
  };
  const type = scheduleType ?? 'always';
  if (type === 'always') {
    if (scheduleConfig == null || (isRecord(scheduleConfig) && Object.keys(scheduleConfig).length === 0)) {
      return { ok: true, value: { type: 'always' } };
    }
    return fail('schedule_config', 'must be empty (null) for schedule_type "always"');
  }
  if (type !== 'time_window' && type !== 'date_range') {
    return fail('schedule_type', 'must be "always", "time_window" or "date_range"');
  }
  if (!isRecord(scheduleConfig)) {
    return fail('schedule_config', `is required for schedule_type "${type}" and must be an object`);
  }
  const base = 'schedule_config';
  const at = (key: string) => joinPath(base, key);

  if (type === 'time_window') {
    checkKnownFields(scheduleConfig, ['start_time', 'end_time', 'days'], base, errors);
    const start = scheduleConfig['start_time'];
    const end = scheduleConfig['end_time'];
    const startMin = typeof start === 'string' && start !== '24:00' ? minutesOf(start) : undefined;
    const endMin = typeof end === 'string' ? minutesOf(end) : undefined;
    if (start === undefined) errors.push({ path: at('start_time'), message: 'is required' });
    else if (startMin === undefined) errors.push({ path: at('start_time'), message: 'must be HH:MM from 00:00 to 23:59' });
    if (end === undefined) errors.push({ path: at('end_time'), message: 'is required' });
    else if (endMin === undefined) errors.push({ path: at('end_time'), message: 'must be HH:MM from 00:00 to 24:00' });
    if (startMin !== undefined && endMin !== undefined && startMin === endMin) {
      errors.push({
        path: at('end_time'),
        message: 'must differ from start_time (for all day use 00:00–24:00, or schedule_type "always")',
      });
    }
    const days = scheduleConfig['days'];
    let cleanDays: IsoWeekday[] | undefined;
    if (days !== undefined) {
      if (!Array.isArray(days)) errors.push({ path: at('days'), message: 'must be an array of ISO weekdays (1 = Monday ... 7 = Sunday)' });
      else if (days.length === 0) errors.push({ path: at('days'), message: 'must list at least one day (omit it for every day)' });
      else {
        const seen = new Set<number>();
        cleanDays = [];
        days.forEach((d: unknown, i) => {
          if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 7) {
            errors.push({ path: `${at('days')}[${i}]`, message: 'must be a whole number from 1 (Monday) to 7 (Sunday)' });
          } else if (seen.has(d)) {
            errors.push({ path: `${at('days')}[${i}]`, message: `repeats day ${d}` });
          } else {
            seen.add(d);
            cleanDays?.push(d as IsoWeekday);
          }
        });
      }
    }
    if (errors.length > 0) return { ok: false, errors };
    const value: TimeWindowSchedule = { type, start_time: start as string, end_time: end as string };
    if (cleanDays !== undefined) value.days = cleanDays;
    return { ok: true, value };
  }

  checkKnownFields(scheduleConfig, ['start_date', 'end_date'], base, errors);
  const keys: (number | undefined)[] = [];
  for (const field of ['start_date', 'end_date'] as const) {
    const raw = scheduleConfig[field];
    const key = typeof raw === 'string' ? dateKey(raw) : undefined;
    if (raw === undefined) errors.push({ path: at(field), message: 'is required' });
    else if (key === undefined) errors.push({ path: at(field), message: 'must be a calendar date YYYY-MM-DD' });
    keys.push(key);
  }
  const [startKey, endKey] = keys;
  if (startKey !== undefined && endKey !== undefined && startKey > endKey) {
    errors.push({ path: at('end_date'), message: 'must not be before start_date' });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: { type, start_date: scheduleConfig['start_date'] as string, end_date: scheduleConfig['end_date'] as string },
  };
}

/** ISO weekday of the local day before. */
function previousIsoDay(iso: number): number {
  return iso === 1 ? 7 : iso - 1;
}

/**
 * Whether the rule applies at `now` in the factory's `timeZone`. Expects a validated schedule
 * (validateSchedule); throws RangeError for a time zone the runtime does not know.
 */
export function isScheduleActive(schedule: Schedule, now: number, timeZone: string): boolean {
  if (schedule.type === 'always') return true;
  const local = zonedParts(now, timeZone);
  if (schedule.type === 'date_range') {
    const today = local.year * 10_000 + local.month * 100 + local.day;
    const from = dateKey(schedule.start_date);
    const to = dateKey(schedule.end_date);
    return from !== undefined && to !== undefined && today >= from && today <= to;
  }
  const start = minutesOf(schedule.start_time);
  const end = minutesOf(schedule.end_time);
  if (start === undefined || end === undefined) return false;
  const iso = local.weekday === 0 ? 7 : local.weekday;
  const onDay = (d: number) => schedule.days === undefined || (schedule.days as number[]).includes(d);
  const m = local.minutes;
  if (start < end) return m >= start && m < end && onDay(iso);
  // Crosses midnight: the evening part belongs to today, the morning part to yesterday's window.
  return (m >= start && onDay(iso)) || (m < end && onDay(previousIsoDay(iso)));
}
