/**
 * Alarm rules and their device scope. Conditions, schedule and channels are stored as JSON
 * text exactly as validated by engine/rules; this repository does not interpret them.
 */
import type { Kysely, Selectable } from 'kysely';
import type { MetaDatabase, RulesTable } from '../tables.js';
import { assertInFactory, flag, insertedId, parseJson, toFlag, toMsRequired } from './convert.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface Rule {
  id: number;
  factoryId: number;
  name: string;
  description: string | null;
  scope: 'device' | 'global';
  conditions: unknown;
  cooldownMinutes: number;
  isActive: boolean;
  scheduleType: 'always' | 'time_window' | 'date_range';
  scheduleConfig: unknown;
  severity: Severity;
  notificationChannels: unknown;
  onDelaySeconds: number;
  deadband: number;
  escalationMinutes: number | null;
  recipients: unknown;
  outOfService: boolean;
  disabledReason: string | null;
  createdBy: number | null;
  createdAt: number;
  updatedAt: number;
  /** Devices of a `device`-scoped rule (empty for `global`). */
  deviceIds: number[];
}

export interface RuleInput {
  name: string;
  description: string | null;
  scope: 'device' | 'global';
  conditions: unknown;
  cooldownMinutes: number;
  isActive: boolean;
  scheduleType: Rule['scheduleType'];
  scheduleConfig: unknown;
  severity: Severity;
  notificationChannels: unknown;
  onDelaySeconds: number;
  deadband: number;
  escalationMinutes: number | null;
  recipients: unknown;
  deviceIds: number[];
}

export type RulePatch = Partial<RuleInput> & { outOfService?: boolean; disabledReason?: string | null };

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function toRule(row: Selectable<RulesTable>, deviceIds: number[]): Rule {
  return {
    id: row.id,
    factoryId: row.factory_id,
    name: row.name,
    description: row.description,
    scope: row.scope === 'global' ? 'global' : 'device',
    conditions: parseJson(row.conditions),
    cooldownMinutes: Number(row.cooldown_minutes),
    isActive: toFlag(row.is_active),
    scheduleType: (['always', 'time_window', 'date_range'] as const).find((t) => t === row.schedule_type) ?? 'always',
    scheduleConfig: parseJson(row.schedule_config),
    severity: (['low', 'medium', 'high', 'critical'] as const).find((s) => s === row.severity) ?? 'medium',
    notificationChannels: parseJson(row.notification_channels),
    onDelaySeconds: Number(row.on_delay_seconds),
    deadband: Number(row.deadband),
    escalationMinutes: row.escalation_minutes === null ? null : Number(row.escalation_minutes),
    recipients: parseJson(row.recipients),
    outOfService: toFlag(row.out_of_service),
    disabledReason: row.disabled_reason,
    createdBy: row.created_by,
    createdAt: toMsRequired(row.created_at),
    updatedAt: toMsRequired(row.updated_at),
    deviceIds,
  };
}

export class RuleRepository {
  constructor(private readonly db: Kysely<MetaDatabase>) {}

  private async devicesOf(factoryId: number, ruleIds: number[]): Promise<Map<number, number[]>> {
    const map = new Map<number, number[]>(ruleIds.map((id) => [id, []]));
    if (ruleIds.length === 0) return map;
    const rows = await this.db
      .selectFrom('rule_devices')
      .select(['rule_id', 'device_id'])
      .where('factory_id', '=', factoryId)
      .where('rule_id', 'in', ruleIds)
      .orderBy('device_id')
      .execute();
    for (const r of rows) map.get(r.rule_id)?.push(r.device_id);
    return map;
  }

  async list(factoryId: number, filter: { isActive?: boolean } = {}): Promise<Rule[]> {
    let query = this.db.selectFrom('rules').selectAll().where('factory_id', '=', factoryId);
    if (filter.isActive !== undefined) query = query.where('is_active', '=', flag(filter.isActive));
    const rows = await query.orderBy('id').execute();
    const devices = await this.devicesOf(factoryId, rows.map((r) => r.id));
    return rows.map((r) => toRule(r, devices.get(r.id) ?? []));
  }

  async get(factoryId: number, ruleId: number): Promise<Rule | undefined> {
    const row = await this.db.selectFrom('rules').selectAll().where('factory_id', '=', factoryId).where('id', '=', ruleId).executeTakeFirst();
    if (!row) return undefined;
    return toRule(row, (await this.devicesOf(factoryId, [row.id])).get(row.id) ?? []);
  }

  /** Names of the rules of this factory among `ruleIds` (labels for alarm lists; other factories' ids find nothing). */
  async namesByIds(factoryId: number, ruleIds: readonly number[]): Promise<Map<number, string>> {
    const unique = [...new Set(ruleIds)];
    const names = new Map<number, string>();
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db
        .selectFrom('rules')
        .select(['id', 'name'])
        .where('factory_id', '=', factoryId)
        .where('id', 'in', unique.slice(i, i + 500))
        .execute();
      for (const r of rows) names.set(r.id, r.name);
    }
    return names;
  }

  /** Every factory's active rules (the evaluator loads them all at start). */
  async listActiveFactoryIds(): Promise<number[]> {
    const rows = await this.db.selectFrom('rules').select('factory_id').where('is_active', '=', 1).groupBy('factory_id').execute();
    return rows.map((r) => r.factory_id);
  }

  async create(factoryId: number, input: RuleInput, createdBy: number | null, now: number): Promise<Rule> {
    for (const deviceId of input.deviceIds) await assertInFactory(this.db, 'device', factoryId, deviceId);
    const result = await this.db
      .insertInto('rules')
      .values({
        factory_id: factoryId,
        name: input.name,
        description: input.description,
        scope: input.scope,
        conditions: JSON.stringify(input.conditions),
        cooldown_minutes: input.cooldownMinutes,
        is_active: flag(input.isActive),
        schedule_type: input.scheduleType,
        schedule_config: json(input.scheduleConfig),
        severity: input.severity,
        notification_channels: json(input.notificationChannels),
        on_delay_seconds: input.onDelaySeconds,
        deadband: input.deadband,
        escalation_minutes: input.escalationMinutes,
        recipients: json(input.recipients),
        out_of_service: 0,
        disabled_reason: null,
        created_by: createdBy,
        created_at: now,
        updated_at: now,
      })
      .executeTakeFirstOrThrow();
    const id = insertedId(result);
    await this.setDevices(factoryId, id, input.scope === 'device' ? input.deviceIds : []);
    const created = await this.get(factoryId, id);
    if (!created) throw new Error('rule vanished after insert');
    return created;
  }

  async update(factoryId: number, ruleId: number, patch: RulePatch, now: number): Promise<Rule | undefined> {
    const existing = await this.get(factoryId, ruleId);
    if (!existing) return undefined;
    if (patch.deviceIds) for (const deviceId of patch.deviceIds) await assertInFactory(this.db, 'device', factoryId, deviceId);
    await this.db
      .updateTable('rules')
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.scope !== undefined && { scope: patch.scope }),
        ...(patch.conditions !== undefined && { conditions: JSON.stringify(patch.conditions) }),
        ...(patch.cooldownMinutes !== undefined && { cooldown_minutes: patch.cooldownMinutes }),
        ...(patch.isActive !== undefined && { is_active: flag(patch.isActive) }),
        ...(patch.scheduleType !== undefined && { schedule_type: patch.scheduleType }),
        ...(patch.scheduleConfig !== undefined && { schedule_config: json(patch.scheduleConfig) }),
        ...(patch.severity !== undefined && { severity: patch.severity }),
        ...(patch.notificationChannels !== undefined && { notification_channels: json(patch.notificationChannels) }),
        ...(patch.onDelaySeconds !== undefined && { on_delay_seconds: patch.onDelaySeconds }),
        ...(patch.deadband !== undefined && { deadband: patch.deadband }),
        ...(patch.escalationMinutes !== undefined && { escalation_minutes: patch.escalationMinutes }),
        ...(patch.recipients !== undefined && { recipients: json(patch.recipients) }),
        ...(patch.outOfService !== undefined && { out_of_service: flag(patch.outOfService) }),
        ...(patch.disabledReason !== undefined && { disabled_reason: patch.disabledReason }),
        updated_at: now,
      })
      .where('factory_id', '=', factoryId)
      .where('id', '=', ruleId)
      .execute();
    const scope = patch.scope ?? existing.scope;
    if (patch.deviceIds !== undefined || patch.scope !== undefined) {
      await this.setDevices(factoryId, ruleId, scope === 'device' ? (patch.deviceIds ?? existing.deviceIds) : []);
    }
    return this.get(factoryId, ruleId);
  }

  /** Deletes a rule with no alarm history; one with history is deactivated instead (kept for the record). */
  async remove(factoryId: number, ruleId: number, now: number): Promise<'deleted' | 'deactivated' | 'not_found'> {
    const existing = await this.get(factoryId, ruleId);
    if (!existing) return 'not_found';
    const history = await this.db.selectFrom('alerts').select('id').where('factory_id', '=', factoryId).where('rule_id', '=', ruleId).executeTakeFirst();
    if (history) {
      await this.update(factoryId, ruleId, { isActive: false }, now);
      return 'deactivated';
    }
    await this.db.deleteFrom('alarm_states').where('factory_id', '=', factoryId).where('rule_id', '=', ruleId).execute();
    await this.db.deleteFrom('rule_devices').where('factory_id', '=', factoryId).where('rule_id', '=', ruleId).execute();
    await this.db.deleteFrom('rules').where('factory_id', '=', factoryId).where('id', '=', ruleId).execute();
    return 'deleted';
  }

  private async setDevices(factoryId: number, ruleId: number, deviceIds: number[]): Promise<void> {
    await this.db.deleteFrom('rule_devices').where('factory_id', '=', factoryId).where('rule_id', '=', ruleId).execute();
    const unique = [...new Set(deviceIds)].sort((a, b) => a - b);
    if (unique.length > 0) {
      await this.db
        .insertInto('rule_devices')
        .values(unique.map((deviceId) => ({ rule_id: ruleId, device_id: deviceId, factory_id: factoryId })))
        .execute();
    }
  }
}
