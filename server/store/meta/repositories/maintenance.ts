/**
 * Planned maintenance: a rule or a device shelved or taken out of service for a window,
 * before anything fires. It returns to service by itself when the window ends.
 */
import type { Kysely } from 'kysely';
import type { MetaDatabase } from '../tables.js';
import { assertInFactory, insertedId, toMs, toMsRequired } from './convert.js';

export interface MaintenanceWindow {
  id: number;
  factoryId: number;
  targetType: 'rule' | 'device';
  targetId: number;
  mode: 'shelved' | 'out_of_service';
  startsAt: number;
  endsAt: number;
  reason: string;
  createdBy: number | null;
  createdAt: number;
  cancelledAt: number | null;
}

export type NewMaintenanceWindow = Omit<MaintenanceWindow, 'id' | 'factoryId' | 'createdAt' | 'cancelledAt'>;

export class MaintenanceRepository {
  constructor(private readonly db: Kysely<MetaDatabase>) {}

  async create(factoryId: number, input: NewMaintenanceWindow, now: number): Promise<MaintenanceWindow> {
    if (input.targetType === 'device') await assertInFactory(this.db, 'device', factoryId, input.targetId);
    else {
      const rule = await this.db.selectFrom('rules').select('id').where('factory_id', '=', factoryId).where('id', '=', input.targetId).executeTakeFirst();
      if (!rule) throw new Error(`rule ${input.targetId} does not exist in factory ${factoryId}`);
    }
    const result = await this.db
      .insertInto('maintenance_windows')
      .values({
        factory_id: factoryId,
        target_type: input.targetType,
        target_id: input.targetId,
        mode: input.mode,
        starts_at: input.startsAt,
        ends_at: input.endsAt,
        reason: input.reason,
        created_by: input.createdBy,
        created_at: now,
        cancelled_at: null,
      })
      .executeTakeFirstOrThrow();
    const created = await this.get(factoryId, insertedId(result));
    if (!created) throw new Error('maintenance window vanished after insert');
    return created;
  }

  async get(factoryId: number, id: number): Promise<MaintenanceWindow | undefined> {
    const row = await this.db.selectFrom('maintenance_windows').selectAll().where('factory_id', '=', factoryId).where('id', '=', id).executeTakeFirst();
    return row && toWindow(row);
  }

  /** Windows not cancelled that end after `now` (current and planned). */
  async listCurrent(factoryId: number, now: number): Promise<MaintenanceWindow[]> {
    const rows = await this.db
      .selectFrom('maintenance_windows')
      .selectAll()
      .where('factory_id', '=', factoryId)
      .where('cancelled_at', 'is', null)
      .where('ends_at', '>', now)
      .orderBy('starts_at')
      .execute();
    return rows.map(toWindow);
  }

  async cancel(factoryId: number, id: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('maintenance_windows')
      .set({ cancelled_at: now })
      .where('factory_id', '=', factoryId)
      .where('id', '=', id)
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

function toWindow(r: {
  id: number;
  factory_id: number;
  target_type: string;
  target_id: number;
  mode: string;
  starts_at: number;
  ends_at: number;
  reason: string;
  created_by: number | null;
  created_at: number;
  cancelled_at: number | null;
}): MaintenanceWindow {
  return {
    id: r.id,
    factoryId: r.factory_id,
    targetType: r.target_type === 'rule' ? 'rule' : 'device',
    targetId: r.target_id,
    mode: r.mode === 'out_of_service' ? 'out_of_service' : 'shelved',
    startsAt: toMsRequired(r.starts_at),
    endsAt: toMsRequired(r.ends_at),
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: toMsRequired(r.created_at),
    cancelledAt: toMs(r.cancelled_at),
  };
}
