import type { Kysely } from 'kysely';
import type { AuditEntry, Page } from '../models.js';
import type { MetaDatabase } from '../tables.js';
import { parseJson, toMsRequired } from './convert.js';

export interface NewAuditEntry {
  userId: number | null;
  /** Who, readable: an e-mail, "cli", "system". */
  actor: string;
  action: string;
  targetType: string;
  targetId?: string | number | null;
  /** Never a secret: callers pass only what a reviewer needs. */
  details?: unknown;
  ip?: string | null;
  requestId?: string | null;
}

export class AuditRepository {
  constructor(private readonly db: Kysely<MetaDatabase>) {}

  async record(factoryId: number, entry: NewAuditEntry, now: number): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        factory_id: factoryId,
        user_id: entry.userId,
        actor: entry.actor.slice(0, 255),
        action: entry.action,
        target_type: entry.targetType,
        target_id: entry.targetId == null ? null : String(entry.targetId),
        details: entry.details === undefined ? null : JSON.stringify(entry.details),
        ip: entry.ip ?? null,
        request_id: entry.requestId ?? null,
        created_at: now,
      })
      .execute();
  }

  async list(factoryId: number, page: number, perPage: number): Promise<Page<AuditEntry>> {
    const base = this.db.selectFrom('audit_log').where('factory_id', '=', factoryId);
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('id', 'desc')
        .limit(perPage)
        .offset((page - 1) * perPage)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return {
      total: Number(count.n),
      rows: rows.map((r) => ({
        id: r.id,
        factoryId: r.factory_id,
        userId: r.user_id,
        actor: r.actor,
        action: r.action,
        targetType: r.target_type,
        targetId: r.target_id,
        details: parseJson(r.details),
        ip: r.ip,
        requestId: r.request_id,
        createdAt: toMsRequired(r.created_at),
      })),
    };
  }
}
