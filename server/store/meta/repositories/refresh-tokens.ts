import type { Kysely } from 'kysely';
import type { RefreshTokenRecord } from '../models.js';
import type { MetaDatabase } from '../tables.js';
import { assertInFactory, toMs, toMsRequired } from './convert.js';

export interface NewRefreshToken {
  userId: number;
  tokenHash: string;
  familyId: string;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
}

export class RefreshTokenRepository {
  constructor(private readonly db: Kysely<MetaDatabase>) {}

  /** Throws NotInFactoryError when the user is not one of this factory's. */
  async insert(factoryId: number, token: NewRefreshToken, now: number): Promise<void> {
    await assertInFactory(this.db, 'user', factoryId, token.userId);
    await this.db
      .insertInto('refresh_tokens')
      .values({
        factory_id: factoryId,
        user_id: token.userId,
        token_hash: token.tokenHash,
        family_id: token.familyId,
        expires_at: token.expiresAt,
        created_at: now,
        used_at: null,
        revoked_at: null,
        user_agent: token.userAgent?.slice(0, 255) ?? null,
        ip: token.ip,
      })
      .execute();
  }

  async find(factoryId: number, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('factory_id', '=', factoryId)
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return (
      row && {
        id: row.id,
        factoryId: row.factory_id,
        userId: row.user_id,
        familyId: row.family_id,
        expiresAt: toMsRequired(row.expires_at),
        usedAt: toMs(row.used_at),
        revokedAt: toMs(row.revoked_at),
      }
    );
  }

  /** Marks a token used; false when another request used it first (rotation race or replay). */
  async markUsed(factoryId: number, id: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('refresh_tokens')
      .set({ used_at: now })
      .where('factory_id', '=', factoryId)
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async revokeFamily(factoryId: number, familyId: string, now: number): Promise<void> {
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('factory_id', '=', factoryId)
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revokeAllForUser(factoryId: number, userId: number, now: number): Promise<void> {
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('factory_id', '=', factoryId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** Housekeeping: forget tokens that expired long ago. */
  async deleteExpired(factoryId: number, before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('refresh_tokens')
      .where('factory_id', '=', factoryId)
      .where('expires_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
