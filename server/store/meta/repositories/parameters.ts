import type { Kysely, Selectable } from 'kysely';
import type { MetaDialect } from '../migrate.js';
import type { DeviceParameter, ParameterDataType } from '../models.js';
import type { DeviceParametersTable, MetaDatabase } from '../tables.js';
import { assertInFactory, flag, toFlag, toMsRequired } from './convert.js';

export interface ParameterPatch {
  displayName?: string | null;
  unit?: string | null;
  isKpiSelected?: boolean;
}

export interface DiscoveredParameter {
  key: string;
  dataType: ParameterDataType;
}

const DATA_TYPES: readonly ParameterDataType[] = ['float', 'int', 'string', 'bool'];

function toParameter(row: Selectable<DeviceParametersTable>): DeviceParameter {
  return {
    id: row.id,
    factoryId: row.factory_id,
    deviceId: row.device_id,
    parameterKey: row.parameter_key,
    displayName: row.display_name,
    unit: row.unit,
    dataType: (DATA_TYPES as readonly string[]).includes(row.data_type) ? (row.data_type as ParameterDataType) : 'float',
    isKpiSelected: toFlag(row.is_kpi_selected),
    discoveredAt: toMsRequired(row.discovered_at),
    updatedAt: toMsRequired(row.updated_at),
  };
}

export class ParameterRepository {
  constructor(
    private readonly db: Kysely<MetaDatabase>,
    private readonly dialect: MetaDialect,
  ) {}

  async listForDevice(factoryId: number, deviceId: number): Promise<DeviceParameter[]> {
    const rows = await this.db
      .selectFrom('device_parameters')
      .selectAll()
      .where('factory_id', '=', factoryId)
      .where('device_id', '=', deviceId)
      .orderBy('parameter_key')
      .execute();
    return rows.map(toParameter);
  }

  async listForFactory(factoryId: number): Promise<DeviceParameter[]> {
    const rows = await this.db.selectFrom('device_parameters').selectAll().where('factory_id', '=', factoryId).execute();
    return rows.map(toParameter);
  }

  /** Parameter keys per device, for the devices of this factory among `deviceIds` (rule parameter check). */
  async keysByDevice(factoryId: number, deviceIds: readonly number[]): Promise<Map<number, string[]>> {
    const unique = [...new Set(deviceIds)];
    const map = new Map<number, string[]>(unique.map((id) => [id, []]));
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db
        .selectFrom('device_parameters')
        .select(['device_id', 'parameter_key'])
        .where('factory_id', '=', factoryId)
        .where('device_id', 'in', unique.slice(i, i + 500))
        .execute();
      for (const r of rows) map.get(r.device_id)?.push(r.parameter_key);
    }
    return map;
  }

  /** Every distinct parameter key reported in a factory (the parameter check of a global rule). */
  async distinctKeys(factoryId: number): Promise<string[]> {
    const rows = await this.db.selectFrom('device_parameters').select('parameter_key').distinct().where('factory_id', '=', factoryId).execute();
    return rows.map((r) => r.parameter_key);
  }

  async get(factoryId: number, deviceId: number, parameterId: number): Promise<DeviceParameter | undefined> {
    const row = await this.db
      .selectFrom('device_parameters')
      .selectAll()
      .where('factory_id', '=', factoryId)
      .where('device_id', '=', deviceId)
      .where('id', '=', parameterId)
      .executeTakeFirst();
    return row && toParameter(row);
  }

  async update(
    factoryId: number,
    deviceId: number,
    parameterId: number,
    patch: ParameterPatch,
    now: number,
  ): Promise<DeviceParameter | undefined> {
    await this.db
      .updateTable('device_parameters')
      .set({
        ...(patch.displayName !== undefined && { display_name: patch.displayName }),
        ...(patch.unit !== undefined && { unit: patch.unit }),
        ...(patch.isKpiSelected !== undefined && { is_kpi_selected: flag(patch.isKpiSelected) }),
        updated_at: now,
      })
      .where('factory_id', '=', factoryId)
      .where('device_id', '=', deviceId)
      .where('id', '=', parameterId)
      .execute();
    // Read back through the factory-scoped get rather than trusting the affected-row count:
    // MySQL counts only rows whose values changed unless the client sets CLIENT_FOUND_ROWS.
    return this.get(factoryId, deviceId, parameterId);
  }

  /**
   * Records parameters seen for the first time. Idempotent: an existing parameter keeps its
   * discovered_at and any name/unit a person gave it (seed rule). Throws NotInFactoryError
   * when the device is not one of this factory's (the row would carry the wrong factory and
   * block the real owner from discovering that key).
   */
  /** Records a wider data type seen later (an int parameter that sent 20.5 becomes float). */
  async setDataType(factoryId: number, deviceId: number, parameterKey: string, dataType: ParameterDataType, now: number): Promise<void> {
    await this.db
      .updateTable('device_parameters')
      .set({ data_type: dataType, updated_at: now })
      .where('factory_id', '=', factoryId)
      .where('device_id', '=', deviceId)
      .where('parameter_key', '=', parameterKey)
      .execute();
  }

  async discover(factoryId: number, deviceId: number, found: readonly DiscoveredParameter[], now: number): Promise<void> {
    if (found.length === 0) return;
    await assertInFactory(this.db, 'device', factoryId, deviceId);
    // One row per key, in key order: concurrent discoveries then lock the unique index in the
    // same order (opposite orders deadlock on InnoDB).
    const byKey = new Map<string, DiscoveredParameter>();
    for (const p of found) if (!byKey.has(p.key)) byKey.set(p.key, p);
    const sorted = [...byKey.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    const values = sorted.map((p) => ({
      factory_id: factoryId,
      device_id: deviceId,
      parameter_key: p.key,
      display_name: null,
      unit: null,
      data_type: p.dataType,
      is_kpi_selected: 1,
      discovered_at: now,
      updated_at: now,
    }));
    const insert = this.db.insertInto('device_parameters').values(values);
    // Both dialects: keep the existing row untouched on a repeat. MySQL gets a no-op
    // ON DUPLICATE KEY UPDATE, not INSERT IGNORE: IGNORE would also turn real errors (a key
    // too long for its column, a missing device) into warnings and silently truncate or drop.
    await (this.dialect === 'sqlite'
      ? insert.onConflict((oc) => oc.columns(['device_id', 'parameter_key']).doNothing())
      : insert.onDuplicateKeyUpdate((eb) => ({ parameter_key: eb.ref('parameter_key') }))
    ).execute();
  }
}
