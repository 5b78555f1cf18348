/**
 * Evaluation memory per (rule, device): what the evaluator must remember between batches
 * (condition true since, last raise for cooldown, the open alarm) as engine/rules serialises
 * it. Persisted so a restart continues exactly where it stopped.
 */
import type { Kysely } from 'kysely';
import type { MetaDatabase } from '../tables.js';
import type { MetaDialect } from '../migrate.js';
import { parseJson, toMs } from './convert.js';

export interface AlarmStateRecord {
  ruleId: number;
  deviceId: number;
  memory: unknown;
  conditionSince: number | null;
  lastTriggered: number | null;
  openAlertId: number | null;
  updatedAt: number;
}

export class AlarmStateRepository {
  constructor(
    private readonly db: Kysely<MetaDatabase>,
    private readonly dialect: MetaDialect,
  ) {}

  async listForFactory(factoryId: number): Promise<AlarmStateRecord[]> {
    const rows = await this.db.selectFrom('alarm_states').selectAll().where('factory_id', '=', factoryId).execute();
    return rows.map((r) => ({
      ruleId: r.rule_id,
      deviceId: r.device_id,
      memory: parseJson(r.memory),
      conditionSince: toMs(r.condition_since),
      lastTriggered: toMs(r.last_triggered),
      openAlertId: r.open_alert_id,
      updatedAt: Number(r.updated_at),
    }));
  }

  async save(factoryId: number, state: AlarmStateRecord): Promise<void> {
    const values = {
      factory_id: factoryId,
      rule_id: state.ruleId,
      device_id: state.deviceId,
      memory: JSON.stringify(state.memory ?? null),
      condition_since: state.conditionSince,
      last_triggered: state.lastTriggered,
      open_alert_id: state.openAlertId,
      updated_at: state.updatedAt,
    };
    const update = {
      memory: values.memory,
      condition_since: values.condition_since,
      last_triggered: values.last_triggered,
      open_alert_id: values.open_alert_id,
      updated_at: values.updated_at,
    };
    const insert = this.db.insertInto('alarm_states').values(values);
    await (this.dialect === 'sqlite'
      ? insert.onConflict((oc) => oc.columns(['rule_id', 'device_id']).doUpdateSet(update))
      : insert.onDuplicateKeyUpdate(update)
    ).execute();
  }

  async remove(factoryId: number, ruleId: number, deviceId?: number): Promise<void> {
    let query = this.db.deleteFrom('alarm_states').where('factory_id', '=', factoryId).where('rule_id', '=', ruleId);
    if (deviceId !== undefined) query = query.where('device_id', '=', deviceId);
    await query.execute();
  }
}
