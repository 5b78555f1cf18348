/** Small conversions shared by the repositories (portable column types, see tables.ts). */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { DuplicateKeyError, NotInFactoryError } from '../models.js';
import type { MetaDatabase } from '../tables.js';

/** mysql2 may return BIGINT as string; SQLite returns number. */
export function toMs(value: number | string | bigint | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return Number(value);
}

export function toMsRequired(value: number | string | bigint): number {
  return Number(value);
}

export function toFlag(value: number | boolean | null | undefined): boolean {
  return value === 1 || value === true;
}

export function flag(value: boolean): number {
  return value ? 1 : 0;
}

export function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * The LIKE escape character. Not a backslash: in a MySQL/MariaDB string literal a backslash
 * escapes the quote, so the SQL text ESCAPE '\' is a syntax error there, while '\\' is two
 * characters (an invalid escape) in SQLite. `!` means the same to both dialects.
 */
export const LIKE_ESCAPE = '!';

/** A LIKE pattern for "contains `term`", wildcards escaped: "50%" matches the text "50%" only. */
export function likeContains(term: string): string {
  return `%${term.replace(/[!%_]/g, (c) => `${LIKE_ESCAPE}${c}`)}%`;
}

/** `<pattern> ESCAPE '!'`, the right-hand side of a portable LIKE. */
export function likePattern(pattern: string): RawBuilder<string> {
  return sql<string>`${pattern} escape ${sql.lit(LIKE_ESCAPE)}`;
}

export function insertedId(result: { insertId?: bigint | number }): number {
  if (result.insertId === undefined) throw new Error('insert returned no id');
  return Number(result.insertId);
}

/** Turns a unique-constraint violation of either dialect into a DuplicateKeyError. */
export async function unique<T>(what: DuplicateKeyError['what'], run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const e = error as { code?: string; errno?: number };
    if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'ER_DUP_ENTRY' || e.errno === 1062) {
      throw new DuplicateKeyError(what);
    }
    throw error;
  }
}

/**
 * Refuses to attach a row to a device or user of another factory (or to one that does not
 * exist): the child rows carry factory_id themselves, so a mismatch would leak across
 * factories. A device's or user's factory never changes, so check-then-insert cannot race.
 */
export async function assertInFactory(
  db: Kysely<MetaDatabase>,
  what: NotInFactoryError['what'],
  factoryId: number,
  id: number,
): Promise<void> {
  const row = await db
    .selectFrom(what === 'device' ? 'devices' : 'users')
    .select('id')
    .where('factory_id', '=', factoryId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotInFactoryError(what, factoryId, id);
}
