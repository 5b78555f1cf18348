/**
 * Alarm-system health for the API (ISA-18.2 §16, EEMUA 191), from the alarm records: flood
 * state now (default ISA-18.2: more than 10 alarms in 10 minutes per factory), the flood
 * periods, chattering alarms and the top 10 most frequent alarms of a period, and standing
 * alarms (active longer than 24 h). The arithmetic is engine/rules alarm-health; this file
 * only reads the records.
 */
import {
  alarmKey,
  CHATTER_LIMIT,
  findChattering,
  findStanding,
  floodPeriods,
  floodState,
  ISA_FLOOD_LIMIT,
  STANDING_AFTER_MS,
  topFrequent,
  type ChatteringAlarm,
  type FloodPeriod,
  type FloodState,
  type FrequentAlarm,
  type RateLimit,
  type StandingAlarm,
} from '../../engine/rules/index.js';
import type { MetaRepositories } from '../store/meta/meta-store.js';

export interface AlarmHealthOptions {
  /** Flood limit (default ISA-18.2: more than 10 raises in 10 minutes). */
  flood?: RateLimit;
  /** Chattering limit (default: 3 or more raises of one alarm within a minute). */
  chatter?: RateLimit;
  /** An open, active alarm older than this is standing (default 24 h). */
  standingAfterMs?: number;
  /** Period for flood periods, chattering and the most frequent alarms (default: the 24 h before `now`). */
  from?: number;
  to?: number;
  /** How many of the most frequent alarms (default 10). */
  top?: number;
}

interface AlarmRef {
  ruleId: number;
  deviceId: number;
}

export interface AlarmHealthReport {
  at: number;
  period: { from: number; to: number };
  /** Alarms raised in the period. */
  raised: number;
  flood: FloodState & { periods: FloodPeriod[] };
  chattering: Array<ChatteringAlarm & AlarmRef>;
  standing: Array<StandingAlarm & AlarmRef & { alertId: number }>;
  top: Array<FrequentAlarm & AlarmRef>;
}

const DAY_MS = 24 * 60 * 60_000;

function refOf(key: string): AlarmRef {
  const [rule, device] = key.split(':');
  return { ruleId: Number(rule), deviceId: Number(device) };
}

export async function alarmHealth(repos: MetaRepositories, factoryId: number, now: number, options: AlarmHealthOptions = {}): Promise<AlarmHealthReport> {
  const floodLimit = options.flood ?? ISA_FLOOD_LIMIT;
  const chatterLimit = options.chatter ?? CHATTER_LIMIT;
  const to = options.to ?? now + 1;
  const from = options.from ?? now - DAY_MS;
  // One read covers the period and the trailing flood window.
  const readFrom = Math.min(from, now - floodLimit.windowMs);
  const readTo = Math.max(to, now + 1);
  const [raisedAll, open] = await Promise.all([repos.alerts.raisedBetween(factoryId, readFrom, readTo), repos.alerts.listOpen(factoryId)]);
  const inPeriod = raisedAll.filter((r) => r.at >= from && r.at < to).map((r) => ({ key: alarmKey(r.ruleId, r.deviceId), at: r.at }));

  const standingOpen = open.filter((a) => a.state === 'active_unacknowledged' || a.state === 'active_acknowledged');
  const alertIdByKey = new Map(standingOpen.map((a) => [alarmKey(a.ruleId, a.deviceId), a.id]));
  const standing = findStanding(
    standingOpen.map((a) => ({ key: alarmKey(a.ruleId, a.deviceId), since: a.triggeredAt })),
    now,
    options.standingAfterMs ?? STANDING_AFTER_MS,
  );

  return {
    at: now,
    period: { from, to },
    raised: inPeriod.length,
    flood: {
      ...floodState(
        raisedAll.map((r) => r.at),
        now,
        floodLimit,
      ),
      periods: floodPeriods(
        inPeriod.map((r) => r.at),
        floodLimit,
      ),
    },
    chattering: findChattering(inPeriod, chatterLimit).map((c) => ({ ...c, ...refOf(c.key) })),
    standing: standing.map((s) => ({ ...s, ...refOf(s.key), alertId: alertIdByKey.get(s.key) ?? 0 })),
    top: topFrequent(inPeriod, options.top ?? 10).map((f) => ({ ...f, ...refOf(f.key) })),
  };
}
