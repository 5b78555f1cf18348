import type { Kysely, Selectable } from 'kysely';
import type { Device, Page } from '../models.js';
import type { DevicesTable, MetaDatabase } from '../tables.js';
import { flag, insertedId, likeContains, likePattern, toFlag, toMs, toMsRequired, unique } from './convert.js';

export interface NewDevice {
  deviceKey: string;
  name?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  region?: string | null;
}

export interface DevicePatch {
  name?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  region?: string | null;
  isActive?: boolean;
}

export interface DeviceListQuery {
  page: number;
  perPage: number;
  search?: string;
  isActive?: boolean;
}

function toDevice(row: Selectable<DevicesTable>): Device {
  return {
    id: row.id,
    factoryId: row.factory_id,
    deviceKey: row.device_key,
    name: row.name,
    manufacturer: row.manufacturer,
    model: row.model,
    region: row.region,
    isActive: toFlag(row.is_active),
    lastSeen: toMs(row.last_seen),
    createdAt: toMsRequired(row.created_at),
    updatedAt: toMsRequired(row.updated_at),
  };
}

export class DeviceRepository {
  constructor(private readonly db: Kysely<MetaDatabase>) {}

  async list(factoryId: number, query: DeviceListQuery): Promise<Page<Device>> {
    let base = this.db.selectFrom('devices').where('factory_id', '=', factoryId);
    if (query.isActive !== undefined) base = base.where('is_active', '=', flag(query.isActive));
    if (query.search) {
      // Case-insensitive on both dialects: lower() on both sides (the columns compare
      // exactly, utf8mb4_bin / BINARY). SQLite's built-in lower() folds ASCII only; connect.ts
      // replaces it with a Unicode-aware one so "SÜD" finds "Süd" there too.
      const pattern = likePattern(likeContains(query.search.toLowerCase()));
      base = base.where((eb) =>
        eb.or([eb(eb.fn('lower', ['device_key']), 'like', pattern), eb(eb.fn('lower', ['name']), 'like', pattern)]),
      );
    }
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('device_key')
        .limit(query.perPage)
        .offset((query.page - 1) * query.perPage)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows: rows.map(toDevice), total: Number(count.n) };
  }

  /** Every device of a factory (the ingest cache warms from this). */
  async listAll(factoryId: number): Promise<Device[]> {
    const rows = await this.db.selectFrom('devices').selectAll().where('factory_id', '=', factoryId).execute();
    return rows.map(toDevice);
  }

  async get(factoryId: number, deviceId: number): Promise<Device | undefined> {
    const row = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('factory_id', '=', factoryId)
      .where('id', '=', deviceId)
      .executeTakeFirst();
    return row && toDevice(row);
  }

  /** The devices of this factory among `deviceIds` (any order; ids of other factories find nothing). */
  async getMany(factoryId: number, deviceIds: readonly number[]): Promise<Device[]> {
    const ids = [...new Set(deviceIds)];
    const out: Device[] = [];
    // Chunked: one IN list stays far below either dialect's limit on bound parameters.
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db
        .selectFrom('devices')
        .selectAll()
        .where('factory_id', '=', factoryId)
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const row of rows) out.push(toDevice(row));
    }
    return out;
  }

  async getByKey(factoryId: number, deviceKey: string): Promise<Device | undefined> {
    const row = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('factory_id', '=', factoryId)
      .where('device_key', '=', deviceKey)
      .executeTakeFirst();
    return row && toDevice(row);
  }

  async create(factoryId: number, input: NewDevice, now: number): Promise<Device> {
    const result = await unique('device_key', () =>
      this.db
        .insertInto('devices')
        .values({
          factory_id: factoryId,
          device_key: input.deviceKey,
          name: input.name ?? null,
          manufacturer: input.manufacturer ?? null,
          model: input.model ?? null,
          region: input.region ?? null,
          is_active: 1,
          last_seen: null,
          created_at: now,
          updated_at: now,
        })
        .executeTakeFirstOrThrow(),
    );
    const created = await this.get(factoryId, insertedId(result));
    if (!created) throw new Error('device vanished after insert');
    return created;
  }

  async update(factoryId: number, deviceId: number, patch: DevicePatch, now: number): Promise<Device | undefined> {
    await this.db
      .updateTable('devices')
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.manufacturer !== undefined && { manufacturer: patch.manufacturer }),
        ...(patch.model !== undefined && { model: patch.model }),
        ...(patch.region !== undefined && { region: patch.region }),
        ...(patch.isActive !== undefined && { is_active: flag(patch.isActive) }),
        updated_at: now,
      })
      .where('factory_id', '=', factoryId)
      .where('id', '=', deviceId)
      .execute();
    // Read back through the factory-scoped get rather than trusting the affected-row count:
    // MySQL counts only rows whose values changed unless the client sets CLIENT_FOUND_ROWS.
    return this.get(factoryId, deviceId);
  }

  /** Batched from the ingest loop: one statement per device, only ever moving forward. */
  async touchLastSeen(factoryId: number, seen: ReadonlyArray<{ deviceId: number; at: number }>): Promise<void> {
    if (seen.length === 0) return;
    // One update per device (its latest time), in id order: concurrent batches (two ingest
    // nodes, overlapping flushes) then lock rows in the same order; opposite orders deadlock
    // on InnoDB.
    const latest = new Map<number, number>();
    for (const { deviceId, at } of seen) latest.set(deviceId, Math.max(at, latest.get(deviceId) ?? at));
    const ordered = [...latest].sort(([a], [b]) => a - b);
    const run = async (db: Kysely<MetaDatabase>): Promise<void> => {
      for (const [deviceId, at] of ordered) {
        await db
          .updateTable('devices')
          .set({ last_seen: at })
          .where('factory_id', '=', factoryId)
          .where('id', '=', deviceId)
          .where((eb) => eb.or([eb('last_seen', 'is', null), eb('last_seen', '<', at)]))
          .execute();
      }
    };
    // Inside MetaStore.transaction() the repository already runs on a transaction, and Kysely
    // cannot nest them: join the caller's.
    if (this.db.isTransaction) await run(this.db);
    else await this.db.transaction().execute(run);
  }
}
