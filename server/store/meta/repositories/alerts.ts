/**
 * Alarms (the seed's `alerts`), their journal and the per-factory sequence that orders every
 * transition. The alarm service writes a transition as one transaction: next sequence,
 * alarm row, journal entry, outbox rows — so a restart finds either all of it or none.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { AlertsTable, MetaDatabase } from '../tables.js';
import { insertedId, parseJson, toFlag, toMs, toMsRequired } from './convert.js';

/** States in which an alarm still needs attention (ISA-18.2: anything but normal). */
export const OPEN_ALERT_STATES = ['active_unacknowledged', 'active_acknowledged', 'cleared_unacknowledged', 'shelved'] as const;
export type AlertState = (typeof OPEN_ALERT_STATES)[number] | 'normal';

export interface Alert {
  id: number;
  factoryId: number;
  ruleId: number;
  deviceId: number;
  state: AlertState;
  triggeredAt: number;
  clearedAt: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: number | null;
  resolvedAt: number | null;
  severity: string;
  message: string | null;
  telemetrySnapshot: unknown;
  notificationSent: boolean;
  shelvedUntil: number | null;
  shelveReason: string | null;
  shelvedBy: number | null;
  escalatedAt: number | null;
  lastSeq: number | null;
  createdAt: number;
}

export interface NewAlert {
  ruleId: number;
  deviceId: number;
  state: AlertState;
  triggeredAt: number;
  severity: string;
  message: string | null;
  telemetrySnapshot: unknown;
}

export interface AlertPatch {
  state?: AlertState;
  clearedAt?: number | null;
  acknowledgedAt?: number | null;
  acknowledgedBy?: number | null;
  resolvedAt?: number | null;
  shelvedUntil?: number | null;
  shelveReason?: string | null;
  shelvedBy?: number | null;
  escalatedAt?: number | null;
  notificationSent?: boolean;
  lastSeq?: number;
}

export interface AlertQuery {
  deviceId?: number;
  ruleId?: number;
  severity?: string;
  states?: readonly AlertState[];
  from?: number;
  to?: number;
  page: number;
  perPage: number;
}

export interface JournalEntry {
  id: number;
  alertId: number;
  seq: number;
  fromState: string | null;
  toState: string;
  action: string;
  userId: number | null;
  actor: string;
  comment: string | null;
  createdAt: number;
}

export type NewJournalEntry = Omit<JournalEntry, 'id' | 'seq'>;

const ALL_STATES: readonly AlertState[] = [...OPEN_ALERT_STATES, 'normal'];

function toAlert(row: Selectable<AlertsTable>): Alert {
  return {
    id: row.id,
    factoryId: row.factory_id,
    ruleId: row.rule_id,
    deviceId: row.device_id,
    state: ALL_STATES.find((s) => s === row.state) ?? 'normal',
    triggeredAt: toMsRequired(row.triggered_at),
    clearedAt: toMs(row.cleared_at),
    acknowledgedAt: toMs(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: toMs(row.resolved_at),
    severity: row.severity,
    message: row.message,
    telemetrySnapshot: parseJson(row.telemetry_snapshot),
    notificationSent: toFlag(row.notification_sent),
    shelvedUntil: toMs(row.shelved_until),
    shelveReason: row.shelve_reason,
    shelvedBy: row.shelved_by,
    escalatedAt: toMs(row.escalated_at),
    lastSeq: toMs(row.last_seq),
    createdAt: toMsRequired(row.created_at),
  };
}

export class AlertRepository {
  constructor(private readonly db: Kysely<MetaDatabase>) {}

  /** Open alarms of a factory, per device and severity (dashboard, device list). */
  async openCounts(factoryId: number): Promise<Array<{ deviceId: number; severity: string; count: number }>> {
    const rows = await this.db
      .selectFrom('alerts')
      .select(['device_id', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
      .where('factory_id', '=', factoryId)
      .where('state', 'in', [...OPEN_ALERT_STATES])
      .groupBy(['device_id', 'severity'])
      .execute();
    return rows.map((r) => ({ deviceId: r.device_id, severity: r.severity, count: Number(r.n) }));
  }

  async get(factoryId: number, alertId: number): Promise<Alert | undefined> {
    const row = await this.db.selectFrom('alerts').selectAll().where('factory_id', '=', factoryId).where('id', '=', alertId).executeTakeFirst();
    return row && toAlert(row);
  }

  /** The alarms of this factory among `alertIds` (other factories' ids find nothing). */
  async getMany(factoryId: number, alertIds: readonly number[]): Promise<Alert[]> {
    const unique = [...new Set(alertIds)];
    const out: Alert[] = [];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db
        .selectFrom('alerts')
        .selectAll()
        .where('factory_id', '=', factoryId)
        .where('id', 'in', unique.slice(i, i + 500))
        .execute();
      for (const row of rows) out.push(toAlert(row));
    }
    return out;
  }

  /** Open alarms of a factory per state and severity (the annunciator's counts). */
  async openStateCounts(factoryId: number): Promise<Array<{ state: AlertState; severity: string; count: number }>> {
    const rows = await this.db
      .selectFrom('alerts')
      .select(['state', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
      .where('factory_id', '=', factoryId)
      .where('state', 'in', [...OPEN_ALERT_STATES])
      .groupBy(['state', 'severity'])
      .execute();
    return rows.map((r) => ({ state: ALL_STATES.find((s) => s === r.state) ?? 'normal', severity: r.severity, count: Number(r.n) }));
  }

  async list(factoryId: number, q: AlertQuery): Promise<{ rows: Alert[]; total: number }> {
    let base = this.db.selectFrom('alerts').where('factory_id', '=', factoryId);
    if (q.deviceId !== undefined) base = base.where('device_id', '=', q.deviceId);
    if (q.ruleId !== undefined) base = base.where('rule_id', '=', q.ruleId);
    if (q.severity !== undefined) base = base.where('severity', '=', q.severity);
    if (q.states && q.states.length > 0) base = base.where('state', 'in', [...q.states]);
    if (q.from !== undefined) base = base.where('triggered_at', '>=', q.from);
    if (q.to !== undefined) base = base.where('triggered_at', '<', q.to);
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('triggered_at', 'desc')
        .orderBy('id', 'desc')
        .limit(q.perPage)
        .offset((q.page - 1) * q.perPage)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows: rows.map(toAlert), total: Number(count.n) };
  }

  /** Every open alarm of a factory (the evaluator's and the console's starting point). */
  async listOpen(factoryId: number): Promise<Alert[]> {
    const rows = await this.db.selectFrom('alerts').selectAll().where('factory_id', '=', factoryId).where('state', 'in', [...OPEN_ALERT_STATES]).execute();
    return rows.map(toAlert);
  }

  /** The open alarm of a (rule, device) episode, if any: there is never more than one. */
  async openFor(factoryId: number, ruleId: number, deviceId: number): Promise<Alert | undefined> {
    const row = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('factory_id', '=', factoryId)
      .where('rule_id', '=', ruleId)
      .where('device_id', '=', deviceId)
      .where('state', 'in', [...OPEN_ALERT_STATES])
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row && toAlert(row);
  }

  async create(factoryId: number, input: NewAlert, now: number): Promise<Alert> {
    const result = await this.db
      .insertInto('alerts')
      .values({
        factory_id: factoryId,
        rule_id: input.ruleId,
        device_id: input.deviceId,
        state: input.state,
        triggered_at: input.triggeredAt,
        cleared_at: null,
        acknowledged_at: null,
        acknowledged_by: null,
        resolved_at: null,
        severity: input.severity,
        message: input.message,
        telemetry_snapshot: input.telemetrySnapshot === undefined ? null : JSON.stringify(input.telemetrySnapshot),
        notification_sent: 0,
        created_at: now,
      })
      .executeTakeFirstOrThrow();
    const created = await this.get(factoryId, insertedId(result));
    if (!created) throw new Error('alert vanished after insert');
    return created;
  }

  async update(factoryId: number, alertId: number, patch: AlertPatch): Promise<Alert | undefined> {
    await this.db
      .updateTable('alerts')
      .set({
        ...(patch.state !== undefined && { state: patch.state }),
        ...(patch.clearedAt !== undefined && { cleared_at: patch.clearedAt }),
        ...(patch.acknowledgedAt !== undefined && { acknowledged_at: patch.acknowledgedAt }),
        ...(patch.acknowledgedBy !== undefined && { acknowledged_by: patch.acknowledgedBy }),
        ...(patch.resolvedAt !== undefined && { resolved_at: patch.resolvedAt }),
        ...(patch.shelvedUntil !== undefined && { shelved_until: patch.shelvedUntil }),
        ...(patch.shelveReason !== undefined && { shelve_reason: patch.shelveReason }),
        ...(patch.shelvedBy !== undefined && { shelved_by: patch.shelvedBy }),
        ...(patch.escalatedAt !== undefined && { escalated_at: patch.escalatedAt }),
        ...(patch.notificationSent !== undefined && { notification_sent: patch.notificationSent ? 1 : 0 }),
        ...(patch.lastSeq !== undefined && { last_seq: patch.lastSeq }),
      })
      .where('factory_id', '=', factoryId)
      .where('id', '=', alertId)
      .execute();
    return this.get(factoryId, alertId);
  }

  /**
   * Hands out the factory's next sequence number. Call inside the transition's transaction:
   * the row lock (MySQL) or the write lock (SQLite) keeps numbers gap-free and ordered.
   */
  async nextSeq(factoryId: number): Promise<number> {
    const updated = await this.db.updateTable('alarm_sequences').set((eb) => ({ seq: eb('seq', '+', 1) })).where('factory_id', '=', factoryId).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      await this.db.insertInto('alarm_sequences').values({ factory_id: factoryId, seq: 1 }).execute();
      return 1;
    }
    const row = await this.db.selectFrom('alarm_sequences').select('seq').where('factory_id', '=', factoryId).executeTakeFirstOrThrow();
    return Number(row.seq);
  }

  async currentSeq(factoryId: number): Promise<number> {
    const row = await this.db.selectFrom('alarm_sequences').select('seq').where('factory_id', '=', factoryId).executeTakeFirst();
    return row ? Number(row.seq) : 0;
  }

  async addJournal(factoryId: number, seq: number, entry: NewJournalEntry): Promise<void> {
    await this.db
      .insertInto('alarm_journal')
      .values({
        factory_id: factoryId,
        alert_id: entry.alertId,
        seq,
        from_state: entry.fromState,
        to_state: entry.toState,
        action: entry.action,
        user_id: entry.userId,
        actor: entry.actor.slice(0, 255),
        comment: entry.comment,
        created_at: entry.createdAt,
      })
      .execute();
  }

  async journal(factoryId: number, alertId: number): Promise<JournalEntry[]> {
    const rows = await this.db.selectFrom('alarm_journal').selectAll().where('factory_id', '=', factoryId).where('alert_id', '=', alertId).orderBy('seq').execute();
    return rows.map(toJournal);
  }

  /** Transitions after `seq`, in order (a client resyncing after a gap or a reconnect). */
  async journalSince(factoryId: number, seq: number, limit: number): Promise<JournalEntry[]> {
    const rows = await this.db.selectFrom('alarm_journal').selectAll().where('factory_id', '=', factoryId).where('seq', '>', seq).orderBy('seq').limit(limit).execute();
    return rows.map(toJournal);
  }

  /** Raise times in a period, for alarm health (flood, chattering, most frequent). */
  async raisedBetween(factoryId: number, from: number, to: number): Promise<Array<{ alertId: number; ruleId: number; deviceId: number; at: number }>> {
    const rows = await this.db
      .selectFrom('alerts')
      .select(['id', 'rule_id', 'device_id', 'triggered_at'])
      .where('factory_id', '=', factoryId)
      .where('triggered_at', '>=', from)
      .where('triggered_at', '<', to)
      .orderBy('triggered_at')
      .execute();
    return rows.map((r) => ({ alertId: r.id, ruleId: r.rule_id, deviceId: r.device_id, at: toMsRequired(r.triggered_at) }));
  }

  /**
   * Alarms of a factory in one of `states`, not yet escalated, whose rule (in service) has an
   * escalation delay that has run out by `now` (triggered_at + escalation_minutes <= now).
   */
  async listEscalationDue(factoryId: number, now: number, states: readonly AlertState[]): Promise<Alert[]> {
    if (states.length === 0) return [];
    const rows = await this.db
      .selectFrom('alerts')
      .innerJoin('rules', (join) => join.onRef('rules.id', '=', 'alerts.rule_id').onRef('rules.factory_id', '=', 'alerts.factory_id'))
      .selectAll('alerts')
      .where('alerts.factory_id', '=', factoryId)
      .where('alerts.state', 'in', [...states])
      .where('alerts.escalated_at', 'is', null)
      .where('rules.escalation_minutes', 'is not', null)
      .where('rules.escalation_minutes', '>', 0)
      .where('rules.out_of_service', '=', 0)
      .where(sql<boolean>`${sql.ref('alerts.triggered_at')} + ${sql.ref('rules.escalation_minutes')} * 60000 <= ${now}`)
      .orderBy('alerts.triggered_at')
      .orderBy('alerts.id')
      .execute();
    return rows.map(toAlert);
  }

  /**
   * Sets escalated_at only if the alarm is still in one of `states` and not yet escalated:
   * true for the one caller that won (a concurrent acknowledge or a second node loses).
   */
  async markEscalated(factoryId: number, alertId: number, now: number, states: readonly AlertState[]): Promise<boolean> {
    if (states.length === 0) return false;
    const result = await this.db
      .updateTable('alerts')
      .set({ escalated_at: now })
      .where('factory_id', '=', factoryId)
      .where('id', '=', alertId)
      .where('state', 'in', [...states])
      .where('escalated_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

function toJournal(r: Selectable<MetaDatabase['alarm_journal']>): JournalEntry {
  return {
    id: r.id,
    alertId: r.alert_id,
    seq: toMsRequired(r.seq),
    fromState: r.from_state,
    toState: r.to_state,
    action: r.action,
    userId: r.user_id,
    actor: r.actor,
    comment: r.comment,
    createdAt: toMsRequired(r.created_at),
  };
}
