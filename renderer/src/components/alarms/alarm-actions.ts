/** Operator actions on alarms: call the API, apply the answer at once (the delta confirms it). */
import type { StreamAlarm } from '../../../../engine/contract/stream.js';
import { alertsApi, type Alert } from '../../api/alerts-api';
import { parseIso } from '../../lib/format';
import { upsertAlarm } from '../../stores/alarm-store';

/** The REST view in the stream's shape (epoch ms), so one table shows both. */
export function alertToStream(a: Alert): StreamAlarm {
  return {
    id: a.id,
    rule_id: a.rule_id,
    device_id: a.device_id,
    state: a.state,
    severity: a.severity,
    message: a.message,
    triggered_at: parseIso(a.triggered_at) ?? 0,
    cleared_at: parseIso(a.cleared_at),
    acknowledged_at: parseIso(a.acknowledged_at),
    acknowledged_by: a.acknowledged_by,
    shelved_until: parseIso(a.shelved_until),
    shelve_reason: a.shelve_reason,
  };
}

export async function acknowledgeOne(id: number): Promise<void> {
  upsertAlarm(alertToStream(await alertsApi.acknowledge(id)));
}

/** Acknowledges many; returns how many failed (already acknowledged by someone else, …). */
export async function acknowledgeMany(ids: number[]): Promise<{ acknowledged: number; failed: number }> {
  if (ids.length === 0) return { acknowledged: 0, failed: 0 };
  const result = await alertsApi.acknowledgeMany(ids);
  return { acknowledged: result.acknowledged, failed: result.failed };
}

export async function shelveOne(id: number, minutes: number, reason: string): Promise<void> {
  upsertAlarm(alertToStream(await alertsApi.shelve(id, minutes, reason)));
}

export async function unshelveOne(id: number): Promise<void> {
  upsertAlarm(alertToStream(await alertsApi.unshelve(id)));
}
