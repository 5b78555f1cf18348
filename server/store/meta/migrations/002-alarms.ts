/**
 * Alarms and notifications: rule options the first schema lacked (on-delay, deadband,
 * escalation, recipients, out of service), the alarm journal with a per-factory sequence,
 * timed shelving, planned maintenance windows, and the durable notification outbox.
 */
import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const table = <T extends string>(name: T): CreateTableBuilder<T, never> => {
    const builder = db.schema.createTable(name);
    return ctx.dialect === 'mysql' ? builder.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`) : builder;
  };
  const id = 'integer';
  const ms = 'bigint';

  // One ALTER per column: SQLite adds a single column per statement.
  const addColumns = async (name: string, columns: Array<[string, string, boolean?]>) => {
    for (const [column, type, notNullZero] of columns) {
      await db.schema
        .alterTable(name)
        .addColumn(column, sql.raw(type), (c) => (notNullZero ? c.notNull().defaultTo(0) : c))
        .execute();
    }
  };
  await addColumns('rules', [
    ['on_delay_seconds', 'integer', true],
    ['deadband', 'double precision', true],
    ['escalation_minutes', 'integer'],
    ['recipients', 'text'],
    ['out_of_service', 'integer', true],
    ['disabled_reason', 'text'],
  ]);
  await addColumns('alarm_states', [['memory', 'text']]);
  await addColumns('alerts', [
    ['shelved_until', ms],
    ['shelve_reason', 'text'],
    ['shelved_by', id],
    ['escalated_at', ms],
    ['last_seq', ms],
  ]);
  await addColumns('users', [['notify_channels', 'text']]);
  await addColumns('factories', [['notification_settings', 'text']]);

  await table('alarm_journal')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('alert_id', id, (c) => c.notNull())
    .addColumn('seq', ms, (c) => c.notNull())
    .addColumn('from_state', 'varchar(30)')
    .addColumn('to_state', 'varchar(30)', (c) => c.notNull())
    .addColumn('action', 'varchar(30)', (c) => c.notNull())
    .addColumn('user_id', id)
    .addColumn('actor', 'varchar(255)', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addForeignKeyConstraint('alarm_journal_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .addForeignKeyConstraint('alarm_journal_alert_id_fk', ['alert_id'], 'alerts', ['id'])
    .addUniqueConstraint('alarm_journal_factory_seq_uq', ['factory_id', 'seq'])
    .execute();
  await db.schema.createIndex('alarm_journal_alert_idx').on('alarm_journal').columns(['alert_id', 'id']).execute();

  // The last sequence number handed out per factory (alarm deltas on the stream carry it).
  await table('alarm_sequences')
    .addColumn('factory_id', id, (c) => c.primaryKey())
    .addColumn('seq', ms, (c) => c.notNull())
    .addForeignKeyConstraint('alarm_sequences_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .execute();

  await table('maintenance_windows')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('target_type', 'varchar(10)', (c) => c.notNull())
    .addColumn('target_id', id, (c) => c.notNull())
    .addColumn('mode', 'varchar(20)', (c) => c.notNull())
    .addColumn('starts_at', ms, (c) => c.notNull())
    .addColumn('ends_at', ms, (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', id)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('cancelled_at', ms)
    .addForeignKeyConstraint('maintenance_windows_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .execute();
  await db.schema.createIndex('maintenance_windows_factory_idx').on('maintenance_windows').columns(['factory_id', 'ends_at']).execute();

  await table('notification_outbox')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('alert_id', id, (c) => c.notNull())
    .addColumn('kind', 'varchar(20)', (c) => c.notNull())
    .addColumn('channel', 'varchar(20)', (c) => c.notNull())
    .addColumn('recipient', 'varchar(255)', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', ms, (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('sent_at', ms)
    .addForeignKeyConstraint('notification_outbox_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .addForeignKeyConstraint('notification_outbox_alert_id_fk', ['alert_id'], 'alerts', ['id'])
    .execute();
  await db.schema.createIndex('notification_outbox_due_idx').on('notification_outbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('notification_outbox_alert_idx').on('notification_outbox').columns(['alert_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of ['notification_outbox', 'maintenance_windows', 'alarm_sequences', 'alarm_journal']) {
    await db.schema.dropTable(name).ifExists().execute();
  }
}
