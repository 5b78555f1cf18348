/**
 * Opens the metadata database: a SQLite file (embedded default) or MySQL/MariaDB
 * (`--metadata mysql://user:pass@host:port/db`). Both are migrated to the latest schema.
 */
import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import { migrateToLatest, type MetaDialect } from './migrate.js';
import type { MetaDatabase } from './tables.js';

export type MetaTarget = { kind: 'sqlite'; file: string } | { kind: 'mysql'; url: string };

export interface MetaConnection {
  db: Kysely<MetaDatabase>;
  dialect: MetaDialect;
  /** Where the data lives, with any password removed: safe to log. */
  description: string;
}

export function parseMetaTarget(value: string, defaultSqliteFile: string): MetaTarget {
  if (value === '' || value === 'sqlite') return { kind: 'sqlite', file: defaultSqliteFile };
  if (value.startsWith('sqlite:')) return { kind: 'sqlite', file: value.slice('sqlite:'.length) || defaultSqliteFile };
  if (value.startsWith('mysql://') || value.startsWith('mariadb://')) {
    const url = new URL(value.replace(/^mariadb:/, 'mysql:'));
    if (!url.hostname || url.pathname.length <= 1) {
      throw new Error(`--metadata ${redactUrl(value)}: expected mysql://user:password@host[:port]/database`);
    }
    return { kind: 'mysql', url: url.toString() };
  }
  throw new Error(`--metadata ${redactUrl(value)}: expected "sqlite", "sqlite:/path/file.db" or mysql://user:password@host/database`);
}

export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value.replace(/:[^:@/]*@/, ':***@');
  }
}

export async function openMetaDatabase(target: MetaTarget): Promise<MetaConnection> {
  if (target.kind === 'sqlite') {
    const database = new Database(target.file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // Another process (the `factory create` CLI) may write while the server runs.
    database.pragma('busy_timeout = 5000');
    // SQLite's built-in lower() folds ASCII only; MySQL's folds all of Unicode. Case-insensitive
    // searches (lower(col) LIKE lower(term)) must find "Halle Süd" from "SÜD" on both, so this
    // connection gets a Unicode-aware lower(). Used in queries only, never in the schema, so
    // other tools opening the file need nothing special.
    database.function('lower', { deterministic: true }, (value: unknown) =>
      typeof value === 'string' ? value.toLowerCase() : value,
    );
    const db = new Kysely<MetaDatabase>({ dialect: new SqliteDialect({ database }) });
    try {
      await migrateToLatest(db as Kysely<unknown>, 'sqlite');
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return { db, dialect: 'sqlite', description: `sqlite:${target.file}` };
  }
  const url = new URL(target.url);
  const pool = createPool({
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
    connectionLimit: 10,
    timezone: 'Z',
    charset: 'utf8mb4',
    // BIGINT epoch-ms values come back as numbers; SUM()/DECIMAL as numbers too.
    supportBigNumbers: true,
    decimalNumbers: true,
  });
  const db = new Kysely<MetaDatabase>({ dialect: new MysqlDialect({ pool }) });
  try {
    await migrateToLatest(db as Kysely<unknown>, 'mysql');
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, dialect: 'mysql', description: redactUrl(target.url) };
}
