/**
 * Kysely's own Migrator over an in-code list, so the compiled server needs no migration
 * folder on disk. Migrations receive the dialect for the few places SQL differs.
 */
import { Migrator, type Kysely, type Migration } from 'kysely';
import * as initial from './migrations/001-initial.js';
import * as alarms from './migrations/002-alarms.js';

export type MetaDialect = 'sqlite' | 'mysql';

export interface MigrationContext {
  dialect: MetaDialect;
}

interface MigrationModule {
  up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
  down(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
}

/** Append-only: a released migration is never edited, a new one is added after it. */
const MIGRATIONS: Record<string, MigrationModule> = {
  '001-initial': initial,
  '002-alarms': alarms,
};

/** Every migration in order; a fully migrated database has applied exactly these. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS);

export async function migrateToLatest(db: Kysely<unknown>, dialect: MetaDialect): Promise<string[]> {
  const ctx: MigrationContext = { dialect };
  const migrator = new Migrator({
    db,
    provider: {
      async getMigrations(): Promise<Record<string, Migration>> {
        return Object.fromEntries(
          Object.entries(MIGRATIONS).map(([name, m]) => [
            name,
            { up: (d: Kysely<unknown>) => m.up(d, ctx), down: (d: Kysely<unknown>) => m.down(d, ctx) },
          ]),
        );
      },
    },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`metadata migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
