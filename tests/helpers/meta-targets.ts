/**
 * The metadata databases the tests run against: a fresh SQLite file and a freshly created,
 * uniquely named MariaDB/MySQL database. Each `create()` gives an empty database and a
 * `cleanup()` that removes it again.
 *
 * Environment:
 * - FACTORYOPS_TEST_MYSQL_URL  server to create test databases on (default mysql://root@127.0.0.1:3306;
 *                              any database path in the URL is ignored).
 * - FACTORYOPS_TEST_SKIP_MYSQL=1  leave MariaDB out of META_DIALECTS. Without it an unreachable
 *                              server makes the MariaDB suite FAIL with a message saying so.
 *
 * Usage:
 *   describe.each(META_DIALECTS)('$name', (dialect) => {
 *     let handle: MetaTargetHandle;
 *     beforeAll(async () => { handle = await dialect.create(); });
 *     afterAll(() => handle?.cleanup());
 *   });
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import { redactUrl, type MetaTarget } from '../../server/store/meta/connect.js';

export type MetaDialectName = 'sqlite' | 'mariadb';

export interface MetaTargetHandle {
  /** Pass to openMetaStore() / openMetaDatabase(). */
  target: MetaTarget;
  /** The same target as a `--metadata` argument ("sqlite:/tmp/…/meta.db" or "mysql://…/db"). */
  metadataArg: string;
  /** Drops the database (MariaDB) or deletes the temp directory (SQLite). Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface MetaDialectCase {
  name: MetaDialectName;
  create(): Promise<MetaTargetHandle>;
}

export const DEFAULT_TEST_MYSQL_URL = 'mysql://root@127.0.0.1:3306';

/** The server the MariaDB suites create their databases on. */
export function testMysqlServerUrl(): string {
  return process.env.FACTORYOPS_TEST_MYSQL_URL || DEFAULT_TEST_MYSQL_URL;
}

export function mysqlSkipped(): boolean {
  return process.env.FACTORYOPS_TEST_SKIP_MYSQL === '1';
}

function uniqueSuffix(): string {
  return `${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function createSqliteTarget(): Promise<MetaTargetHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'fo-meta-'));
  const file = join(dir, 'meta.db');
  return {
    target: { kind: 'sqlite', file },
    metadataArg: `sqlite:${file}`,
    // The directory holds the database and its -wal/-shm files.
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function connectServer(serverUrl: string): Promise<Connection> {
  const url = new URL(serverUrl.replace(/^mariadb:/, 'mysql:'));
  try {
    return await createConnection({
      host: url.hostname,
      port: url.port ? Number(url.port) : 3306,
      user: decodeURIComponent(url.username) || 'root',
      password: decodeURIComponent(url.password),
      connectTimeout: 5_000,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message || (error as { code?: string }).code : String(error);
    throw new Error(
      `MariaDB/MySQL test server ${redactUrl(serverUrl)} is unreachable (${reason}). ` +
        'Start it (e.g. `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`), ' +
        'point FACTORYOPS_TEST_MYSQL_URL at one, or set FACTORYOPS_TEST_SKIP_MYSQL=1 to skip the MariaDB suites.',
      { cause: error },
    );
  }
}

export async function createMysqlTarget(serverUrl = testMysqlServerUrl()): Promise<MetaTargetHandle> {
  const database = `fo_test_${uniqueSuffix()}`;
  const admin = await connectServer(serverUrl);
  try {
    // Server defaults on purpose, as a DBA's plain CREATE DATABASE would leave them: the
    // migration must set the charset/collation it relies on itself.
    await admin.query(`CREATE DATABASE \`${database}\``);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl.replace(/^mariadb:/, 'mysql:'));
  url.pathname = `/${database}`;
  url.search = '';
  let dropped = false;
  return {
    target: { kind: 'mysql', url: url.toString() },
    metadataArg: url.toString(),
    async cleanup() {
      if (dropped) return;
      dropped = true;
      const conn = await connectServer(serverUrl);
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

const SQLITE: MetaDialectCase = { name: 'sqlite', create: createSqliteTarget };
const MARIADB: MetaDialectCase = { name: 'mariadb', create: () => createMysqlTarget() };

/** Every dialect the metadata store must work on (MariaDB left out only with FACTORYOPS_TEST_SKIP_MYSQL=1). */
export const META_DIALECTS: readonly MetaDialectCase[] = mysqlSkipped() ? [SQLITE] : [SQLITE, MARIADB];
