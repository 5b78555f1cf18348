/**
 * Carries out one alarm transition's engine effects on the alarm records, inside ONE
 * transaction (the caller's): the alarm row (`alerts`), a journal entry with the factory's
 * next sequence number per engine journal entry, the planner's outbox rows for `notify`, and
 * the (rule, device) memory — so a restart finds all of it or none of it.
 *
 * How engine states map onto the alerts table (which holds a row only while there is an
 * alarm to show):
 *   active_unacknowledged, active_acknowledged, cleared_unacknowledged → the same state
 *   shelved        → 'shelved': the alarm row stays visible as shelved (with until, reason,
 *                    by) instead of being closed, so the console can list and unshelve it;
 *                    it closes when the shelving ends (unshelve or expiry). If the condition
 *                    still holds then, the engine raises a NEW alarm (ISA-18.2: a returning
 *                    alarm is annunciated again), with its own notifications.
 *   normal, out_of_service → 'normal' (closed, resolved_at set).
 * Journal from/to states are these table states, so the journal and the stream deltas agree;
 * the engine's cause is the journal `action`.
 *
 * A transition of a (rule, device) with no alarm row (a maintenance window shelving or taking
 * out of service a quiet rule, its return) has nothing to journal against (journal rows
 * belong to an alarm): only the memory is saved. The maintenance window is its record.
 */
import type { AlarmEffect, AlarmMemory, Actor as EngineActor, AlarmState, JournalEntry as EngineJournalEntry } from '../../engine/rules/index.js';
import type { MetaRepositories } from '../store/meta/meta-store.js';
import type { Alert, AlertPatch, AlertState } from '../store/meta/repositories/alerts.js';
import type { Rule } from '../store/meta/repositories/rules.js';
import { SYSTEM_ACTOR, type Actor, type AlarmDelta, type NotificationPlanner } from './ports.js';
import type { Logger } from '../observe/logger.js';

/** The engine actor for a person or the system (the journal reads it back with journalActor). */
export function engineActor(actor: Actor): EngineActor {
  return actor.userId === null ? { id: 'system', name: actor.name } : { id: actor.userId, name: actor.name };
}

function journalActor(by: EngineActor | null): { userId: number | null; actor: string } {
  if (by === null) return { userId: SYSTEM_ACTOR.userId, actor: SYSTEM_ACTOR.name };
  return { userId: typeof by.id === 'number' ? by.id : null, actor: by.name ?? String(by.id) };
}

/** The alerts-table state of an engine state (see the file header). */
export function rowStateOf(state: AlarmState): AlertState {
  switch (state) {
    case 'active_unacknowledged':
    case 'active_acknowledged':
    case 'cleared_unacknowledged':
    case 'shelved':
      return state;
    default:
      return 'normal';
  }
}

export interface TransitionRecord {
  factoryId: number;
  ruleId: number;
  deviceId: number;
  /** The rule as stored (severity, name, channels for the planner); loaded in the transaction when absent. */
  rule: Rule | undefined;
  /** The alarm row the memory is linked with (open or shelved), if any. */
  linkedAlertId: number | null;
  effects: readonly AlarmEffect[];
  /** The memory after the transition. */
  memory: AlarmMemory;
  /** For open_alarm: the message and the telemetry that tripped the rule. */
  raise: { message: string | null; snapshot: unknown } | null;
  now: number;
}

export interface TransitionOutcome {
  /** The alarm row linked after the transition (null once closed). */
  linkedAlertId: number | null;
  deltas: AlarmDelta[];
  /** The row the transition acted on last (what an operator action returns). */
  alert: Alert | null;
  /** Outbox rows enqueued. */
  messages: number;
}

function patchFor(entry: EngineJournalEntry, to: AlertState): AlertPatch {
  const patch: AlertPatch = { state: to };
  const at = entry.at;
  switch (entry.cause) {
    case 'cleared':
      patch.clearedAt = at;
      break;
    case 'reactivated':
      patch.clearedAt = null;
      break;
    case 'acknowledged':
      patch.acknowledgedAt = at;
      patch.acknowledgedBy = entry.by !== null && typeof entry.by.id === 'number' ? entry.by.id : null;
      break;
    case 'shelved':
    case 'reshelved':
      patch.shelvedUntil = entry.until ?? null;
      patch.shelveReason = entry.comment;
      patch.shelvedBy = entry.by !== null && typeof entry.by.id === 'number' ? entry.by.id : null;
      break;
    default:
      break;
  }
  if (to === 'normal') patch.resolvedAt = at;
  return patch;
}

/** Writes one transition with the transaction's repositories; see the file header. */
export async function writeTransition(
  repos: MetaRepositories,
  planner: NotificationPlanner,
  record: TransitionRecord,
  logger: Logger,
): Promise<TransitionOutcome> {
  const { factoryId, ruleId, deviceId, now } = record;
  let alert: Alert | null = null;
  if (record.linkedAlertId !== null) {
    const linked = await repos.alerts.get(factoryId, record.linkedAlertId);
    if (linked && linked.state !== 'normal') alert = linked;
  }
  let rule = record.rule;
  const ruleOf = async (): Promise<Rule | undefined> => (rule ??= await repos.rules.get(factoryId, ruleId));
  const deltas: AlarmDelta[] = [];
  let last: Alert | null = alert;
  let messages = 0;

  for (const effect of record.effects) {
    switch (effect.type) {
      case 'open_alarm': {
        if (alert !== null) {
          // The engine opens a new alarm only after closing the last one; a row still open
          // here is left over (e.g. restored from an older server): close it first.
          logger.warn({ event: 'alarm.stale_row_closed', factoryId, ruleId, deviceId, alertId: alert.id }, 'closing a stale open alarm row');
          await repos.alerts.update(factoryId, alert.id, { state: 'normal', resolvedAt: effect.at });
        }
        const r = await ruleOf();
        alert = await repos.alerts.create(
          factoryId,
          {
            ruleId,
            deviceId,
            state: 'active_unacknowledged',
            triggeredAt: effect.at,
            severity: r?.severity ?? 'medium',
            message: record.raise?.message ?? null,
            telemetrySnapshot: record.raise?.snapshot ?? null,
          },
          now,
        );
        last = alert;
        break;
      }
      case 'journal': {
        if (alert === null) break;
        const entry = effect.entry;
        const to = rowStateOf(entry.to);
        const from: AlertState | null = entry.cause === 'raised' ? null : alert.state;
        const who = journalActor(entry.by);
        const seq = await repos.alerts.nextSeq(factoryId);
        await repos.alerts.addJournal(factoryId, seq, {
          alertId: alert.id,
          fromState: from,
          toState: to,
          action: entry.cause,
          userId: who.userId,
          actor: who.actor,
          comment: entry.comment,
          createdAt: entry.at,
        });
        const updated = await repos.alerts.update(factoryId, alert.id, { ...patchFor(entry, to), lastSeq: seq });
        if (!updated) throw new Error(`alarm ${alert.id} vanished during a transition`);
        deltas.push({ factoryId, seq, action: entry.cause, fromState: from, toState: to, actor: who.actor, comment: entry.comment, at: entry.at, alert: updated });
        last = updated;
        alert = to === 'normal' ? null : updated;
        break;
      }
      case 'notify': {
        if (alert === null) break;
        const r = await ruleOf();
        if (r === undefined) break;
        // A planner bug must not cost the alarm itself: it is written without messages.
        let planned;
        try {
          planned = await planner.plan(repos, alert, r, 'raise', now);
        } catch (error) {
          logger.error({ event: 'alarm.plan_failed', factoryId, ruleId, deviceId, alertId: alert.id, err: error }, 'notification planner failed');
          break;
        }
        await repos.outbox.enqueue(factoryId, planned, now);
        messages += planned.length;
        break;
      }
      case 'close_alarm':
        // Already done by the journal entry of the same step (the state it moved to).
        break;
    }
  }

  await repos.alarmStates.save(factoryId, {
    ruleId,
    deviceId,
    memory: record.memory,
    conditionSince: record.memory.conditionSince,
    lastTriggered: record.memory.lastRaisedAt,
    openAlertId: alert?.id ?? null,
    updatedAt: now,
  });
  return { linkedAlertId: alert?.id ?? null, deltas, alert: last, messages };
}
