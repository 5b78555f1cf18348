/**
 * Alarm deltas as WebSocket clients see them (StreamDeps.alarms in server/api/stream.ts):
 * the wire shape of a delta, the factory's current sequence number, and the answer to
 * `alarm_resync` — the missed transitions from the journal when there are few enough, else
 * a snapshot of the open alarms with the sequence number it is valid at.
 *
 * A resynced delta carries its journal entry (action, states, actor, time) and the alarm as
 * it is NOW (the journal does not keep every past version of the row); applied in order, the
 * client ends where the server is.
 */
import type { StreamAlarm, StreamAlarmDelta, StreamServerMessage } from '../../engine/contract/stream.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { Alert } from '../store/meta/repositories/alerts.js';
import type { AlarmDelta } from './ports.js';

/** Up to this many missed transitions are replayed; more and the client gets a snapshot. */
export const MAX_RESYNC_CHANGES = 1000;

export function toStreamAlarm(alert: Alert): StreamAlarm {
  return {
    id: alert.id,
    rule_id: alert.ruleId,
    device_id: alert.deviceId,
    state: alert.state,
    severity: alert.severity,
    message: alert.message,
    triggered_at: alert.triggeredAt,
    cleared_at: alert.clearedAt,
    acknowledged_at: alert.acknowledgedAt,
    acknowledged_by: alert.acknowledgedBy,
    shelved_until: alert.shelvedUntil,
    shelve_reason: alert.shelveReason,
  };
}

export function toStreamDelta(delta: AlarmDelta): StreamAlarmDelta {
  return {
    seq: delta.seq,
    action: delta.action,
    from_state: delta.fromState,
    to_state: delta.toState,
    actor: delta.actor,
    comment: delta.comment,
    at: delta.at,
    alarm: toStreamAlarm(delta.alert),
  };
}

export interface StreamAlarms {
  toStream(delta: AlarmDelta): StreamAlarmDelta;
  currentSeq(factoryId: number): Promise<number>;
  resync(factoryId: number, since: number): Promise<StreamServerMessage>;
}

export function createStreamAlarms(meta: MetaStore, options: { maxChanges?: number } = {}): StreamAlarms {
  const maxChanges = options.maxChanges ?? MAX_RESYNC_CHANGES;

  const snapshot = (factoryId: number): Promise<StreamServerMessage> =>
    // One transaction: the open alarms and the sequence number they are valid at agree.
    meta.transaction(async (repos) => {
      const seq = await repos.alerts.currentSeq(factoryId);
      const open = await repos.alerts.listOpen(factoryId);
      open.sort((a, b) => a.triggeredAt - b.triggeredAt || a.id - b.id);
      return { type: 'alarm_snapshot', seq, open: open.map(toStreamAlarm) };
    });

  return {
    toStream: toStreamDelta,
    currentSeq: (factoryId) => meta.alerts.currentSeq(factoryId),
    async resync(factoryId, since) {
      const current = await meta.alerts.currentSeq(factoryId);
      // A client ahead of the server (the database was replaced) cannot be patched up.
      if (since > current || current - since > maxChanges) return snapshot(factoryId);
      if (since === current) return { type: 'alarm_changes', since, seq: current, deltas: [] };
      const entries = await meta.alerts.journalSince(factoryId, since, maxChanges + 1);
      if (entries.length > maxChanges) return snapshot(factoryId);
      const alerts = new Map((await meta.alerts.getMany(factoryId, entries.map((e) => e.alertId))).map((a) => [a.id, a]));
      const deltas: StreamAlarmDelta[] = [];
      for (const e of entries) {
        const alert = alerts.get(e.alertId);
        if (!alert) continue;
        deltas.push({
          seq: e.seq,
          action: e.action,
          from_state: e.fromState,
          to_state: e.toState,
          actor: e.actor,
          comment: e.comment,
          at: e.createdAt,
          alarm: toStreamAlarm(alert),
        });
      }
      const last = entries[entries.length - 1];
      return { type: 'alarm_changes', since, seq: Math.max(current, last?.seq ?? 0), deltas };
    },
  };
}
