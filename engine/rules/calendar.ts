/**
 * Calendar arithmetic in a factory's IANA time zone without a date library: "today" and
 * "this month" for energy figures, and later schedule windows. Pure: time is an argument.
 */

// Building an Intl.DateTimeFormat costs far more than using one, and schedules ask for the
// offset on every rule evaluation, so keep one formatter per zone (zones are few per server).
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

/** Whether `timeZone` is an IANA zone name this runtime knows (`Europe/Berlin`, `UTC`). */
export function isValidTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== 'string' || timeZone.length === 0) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Offset of `tz` from UTC at instant `t`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(t: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - (t - (t % 1000));
}

/** Local calendar fields of instant `t` in `timeZone`. */
export function zonedParts(t: number, timeZone: string): { year: number; month: number; day: number; weekday: number; minutes: number } {
  const local = new Date(t + zoneOffsetMs(t, timeZone));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    weekday: local.getUTCDay(),
    minutes: local.getUTCHours() * 60 + local.getUTCMinutes(),
  };
}

/** The UTC instant of local midnight of the given local date, correct across DST changes. */
export function zonedMidnight(year: number, month: number, day: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day);
  let t = guess - zoneOffsetMs(guess, timeZone);
  // A second pass settles the answer when the offset differs between guess and result (DST).
  t = guess - zoneOffsetMs(t, timeZone);
  return t;
}

export function startOfLocalDay(t: number, timeZone: string): number {
  const p = zonedParts(t, timeZone);
  return zonedMidnight(p.year, p.month, p.day, timeZone);
}

export function startOfLocalMonth(t: number, timeZone: string): number {
  const p = zonedParts(t, timeZone);
  return zonedMidnight(p.year, p.month, 1, timeZone);
}
