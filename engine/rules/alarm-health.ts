// Alarm system health after ISA-18.2 §16 (monitoring and assessment) and EEMUA 191: floods,
// chattering, standing alarms and the most frequent alarms. Pure functions over timestamps
// the server reads from the journal; `now` is an argument.

/** One raise of one alarm; `key` identifies the (rule, device), see alarmKey. */
export interface RaisedAlarm {
  key: string;
  at: number;
}

export function alarmKey(ruleId: number | string, deviceId: number | string): string {
  return `${ruleId}:${deviceId}`;
}

export interface RateLimit {
  /** Up to this many raises in the window are fine; one more is a flood / chattering. */
  maxAlarms: number;
  windowMs: number;
}

/** ISA-18.2: more than 10 alarms in 10 minutes (per operator console; here per factory). */
export const ISA_FLOOD_LIMIT: Readonly<RateLimit> = Object.freeze({ maxAlarms: 10, windowMs: 10 * 60_000 });

/**
 * Chattering: the same alarm raised 3 or more times in one minute (the ISA-18.2 TR5 / EEMUA 191
 * rule of thumb), i.e. more than 2.
 */
export const CHATTER_LIMIT: Readonly<RateLimit> = Object.freeze({ maxAlarms: 2, windowMs: 60_000 });

/** Alarms active for more than 24 hours are "standing" (stale) in ISA-18.2 terms. */
export const STANDING_AFTER_MS = 24 * 60 * 60_000;

function sortedFinite(times: readonly number[]): number[] {
  return times.filter((t) => Number.isFinite(t)).sort((a, b) => a - b);
}

/** Raises in the window (now - windowMs, now]; a raise stamped after `now` does not count. */
export function countInWindow(times: readonly number[], now: number, windowMs: number): number {
  let n = 0;
  for (const t of times) if (t > now - windowMs && t <= now) n++;
  return n;
}

export interface FloodState {
  flooding: boolean;
  /** Raises in the trailing window. */
  count: number;
  limit: RateLimit;
}

/** Is the factory in an alarm flood at `now`? `raisedAt`: every raise time, in any order. */
export function floodState(raisedAt: readonly number[], now: number, limit: RateLimit = ISA_FLOOD_LIMIT): FloodState {
  const count = countInWindow(raisedAt, now, limit.windowMs);
  return { flooding: count > limit.maxAlarms, count, limit };
}

export interface FloodPeriod {
  /** The raise that tipped it over the limit. */
  start: number;
  /** When the window no longer holds more than the limit (exclusive). */
  end: number;
  /** Most raises seen in one window during the period. */
  peak: number;
}

/**
 * The periods of a flood over a history (for reports: "% of time in flood"). At instant t
 * there is a flood while (t - windowMs, t] holds more than maxAlarms raises.
 */
export function floodPeriods(raisedAt: readonly number[], limit: RateLimit = ISA_FLOOD_LIMIT): FloodPeriod[] {
  const ts = sortedFinite(raisedAt);
  const periods: FloodPeriod[] = [];
  let lo = 0;
  for (let j = 0; j < ts.length; j++) {
    const t = ts[j] as number;
    while ((ts[lo] as number) <= t - limit.windowMs) lo++;
    const count = j - lo + 1;
    if (count <= limit.maxAlarms) continue;
    // It lasts until the raise maxAlarms places back leaves the window.
    const end = (ts[j - limit.maxAlarms] as number) + limit.windowMs;
    const last = periods[periods.length - 1];
    if (last !== undefined && t <= last.end) {
      last.end = Math.max(last.end, end);
      last.peak = Math.max(last.peak, count);
    } else {
      periods.push({ start: t, end, peak: count });
    }
  }
  return periods;
}

export interface ChatteringAlarm {
  key: string;
  /** Most raises of this alarm in any one window. */
  maxInWindow: number;
  total: number;
  lastAt: number;
}

/**
 * Alarms raised more than `limit.maxAlarms` times within some window of `limit.windowMs`,
 * worst first. Pass only recent raises for a live view, a day's for a report.
 */
export function findChattering(raised: readonly RaisedAlarm[], limit: RateLimit = CHATTER_LIMIT): ChatteringAlarm[] {
  const byKey = new Map<string, number[]>();
  for (const r of raised) {
    if (!Number.isFinite(r.at)) continue;
    const list = byKey.get(r.key);
    if (list === undefined) byKey.set(r.key, [r.at]);
    else list.push(r.at);
  }
  const out: ChatteringAlarm[] = [];
  for (const [key, times] of byKey) {
    times.sort((a, b) => a - b);
    let lo = 0;
    let max = 0;
    for (let j = 0; j < times.length; j++) {
      while ((times[lo] as number) <= (times[j] as number) - limit.windowMs) lo++;
      max = Math.max(max, j - lo + 1);
    }
    if (max > limit.maxAlarms) out.push({ key, maxInWindow: max, total: times.length, lastAt: times[times.length - 1] as number });
  }
  return out.sort((a, b) => b.maxInWindow - a.maxInWindow || b.total - a.total || a.key.localeCompare(b.key));
}

export interface StandingAlarm {
  key: string;
  since: number;
  durationMs: number;
}

/** Open alarms active for longer than `afterMs` at `now`, longest first. */
export function findStanding(
  open: readonly { key: string; since: number }[],
  now: number,
  afterMs: number = STANDING_AFTER_MS,
): StandingAlarm[] {
  return open
    .filter((a) => Number.isFinite(a.since) && now - a.since > afterMs)
    .map((a) => ({ key: a.key, since: a.since, durationMs: now - a.since }))
    .sort((a, b) => b.durationMs - a.durationMs || a.key.localeCompare(b.key));
}

export interface FrequentAlarm {
  key: string;
  count: number;
  lastAt: number;
}

/**
 * The most frequently raised alarms (ISA-18.2's "top 10 bad actors"), most first; ties go to
 * the most recent, then by key so the order is stable.
 */
export function topFrequent(raised: readonly RaisedAlarm[], limit = 10): FrequentAlarm[] {
  const counts = new Map<string, FrequentAlarm>();
  for (const r of raised) {
    const entry = counts.get(r.key);
    if (entry === undefined) counts.set(r.key, { key: r.key, count: 1, lastAt: r.at });
    else {
      entry.count++;
      if (r.at > entry.lastAt) entry.lastAt = r.at;
    }
  }
  return [...counts.values()]
    .sort((a, b) => b.count - a.count || b.lastAt - a.lastAt || a.key.localeCompare(b.key))
    .slice(0, Math.max(0, limit));
}
