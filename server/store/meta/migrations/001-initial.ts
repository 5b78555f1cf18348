/**
 * The initial metadata schema: the seed schema (factories, users, devices, device_parameters,
 * rules, rule_devices, alerts, analytics_jobs, reports), alarm evaluation state, refresh
 * tokens, the audit log and device credentials. One migration for both dialects: portable
 * column types only (see tables.ts), dialect differences confined to `table()` below.
 *
 * Foreign keys are table-level constraints (addForeignKeyConstraint), never column-level
 * `REFERENCES`: MySQL before 9.0 parses an inline REFERENCES and silently ignores it, so the
 * same schema had no foreign keys at all there while SQLite and MariaDB enforced them.
 */
import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  // MySQL: utf8mb4 so device names in any script fit; _bin so keys compare exactly as in SQLite.
  const table = <T extends string>(name: T): CreateTableBuilder<T, never> => {
    const builder = db.schema.createTable(name);
    return ctx.dialect === 'mysql'
      ? builder.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`)
      : builder;
  };
  const id = 'integer';
  const ms = 'bigint';

  await table('factories')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('slug', 'varchar(100)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('timezone', 'varchar(100)', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('allow_auto_provision', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('provisioning_key_hash', 'varchar(64)')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  await table('users')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('email', 'varchar(255)', (c) => c.notNull())
    .addColumn('whatsapp_number', 'varchar(50)')
    .addColumn('phone_number', 'varchar(50)')
    .addColumn('hashed_password', 'varchar(255)')
    .addColumn('role', 'varchar(20)', (c) => c.notNull().defaultTo('viewer'))
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('invite_token_hash', 'varchar(64)')
    .addColumn('invited_at', ms)
    .addColumn('invite_expires_at', ms)
    .addColumn('last_login', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('users_factory_email_uq', ['factory_id', 'email'])
    .addForeignKeyConstraint('users_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .execute();
  await db.schema.createIndex('users_invite_token_idx').on('users').column('invite_token_hash').execute();

  await table('devices')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('device_key', 'varchar(100)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)')
    .addColumn('manufacturer', 'varchar(255)')
    .addColumn('model', 'varchar(255)')
    .addColumn('region', 'varchar(255)')
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('last_seen', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('devices_factory_key_uq', ['factory_id', 'device_key'])
    .addForeignKeyConstraint('devices_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .execute();

  await table('device_credentials')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('device_id', id, (c) => c.notNull())
    .addColumn('key_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('revoked_at', ms)
    .addForeignKeyConstraint('device_credentials_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .addForeignKeyConstraint('device_credentials_device_id_fk', ['device_id'], 'devices', ['id'])
    .execute();
  await db.schema
    .createIndex('device_credentials_device_idx')
    .on('device_credentials')
    .columns(['factory_id', 'device_id'])
    .execute();

  await table('device_parameters')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('device_id', id, (c) => c.notNull())
    .addColumn('parameter_key', 'varchar(100)', (c) => c.notNull())
    .addColumn('display_name', 'varchar(255)')
    .addColumn('unit', 'varchar(50)')
    .addColumn('data_type', 'varchar(10)', (c) => c.notNull().defaultTo('float'))
    .addColumn('is_kpi_selected', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('discovered_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('device_parameters_device_key_uq', ['device_id', 'parameter_key'])
    .addForeignKeyConstraint('device_parameters_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .addForeignKeyConstraint('device_parameters_device_id_fk', ['device_id'], 'devices', ['id'])
    .execute();
  await db.schema
    .createIndex('device_parameters_factory_device_idx')
    .on('device_parameters')
    .columns(['factory_id', 'device_id'])
    .execute();

  await table('rules')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('scope', 'varchar(10)', (c) => c.notNull().defaultTo('device'))
    .addColumn('conditions', 'text', (c) => c.notNull())
    .addColumn('cooldown_minutes', 'integer', (c) => c.notNull().defaultTo(15))
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('schedule_type', 'varchar(20)', (c) => c.notNull().defaultTo('always'))
    .addColumn('schedule_config', 'text')
    .addColumn('severity', 'varchar(10)', (c) => c.notNull().defaultTo('medium'))
    .addColumn('notification_channels', 'text')
    .addColumn('created_by', id)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addForeignKeyConstraint('rules_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .addForeignKeyConstraint('rules_created_by_fk', ['created_by'], 'users', ['id'])
    .execute();
  await db.schema.createIndex('rules_factory_active_idx').on('rules').columns(['factory_id', 'is_active']).execute();

  await table('rule_devices')
    .addColumn('rule_id', id, (c) => c.notNull())
    .addColumn('device_id', id, (c) => c.notNull())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_devices_pk', ['rule_id', 'device_id'])
    .addForeignKeyConstraint('rule_devices_rule_id_fk', ['rule_id'], 'rules', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('rule_devices_device_id_fk', ['device_id'], 'devices', ['id'])
    .addForeignKeyConstraint('rule_devices_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .execute();

  await table('alarm_states')
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('rule_id', id, (c) => c.notNull())
    .addColumn('device_id', id, (c) => c.notNull())
    .addColumn('condition_since', ms)
    .addColumn('last_triggered', ms)
    .addColumn('open_alert_id', id)
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('alarm_states_pk', ['rule_id', 'device_id'])
    .addForeignKeyConstraint('alarm_states_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .addForeignKeyConstraint('alarm_states_rule_id_fk', ['rule_id'], 'rules', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('alarm_states_device_id_fk', ['device_id'], 'devices', ['id'])
    .execute();

  await table('alerts')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('rule_id', id, (c) => c.notNull())
    .addColumn('device_id', id, (c) => c.notNull())
    .addColumn('state', 'varchar(30)', (c) => c.notNull())
    .addColumn('triggered_at', ms, (c) => c.notNull())
    .addColumn('cleared_at', ms)
    .addColumn('acknowledged_at', ms)
    .addColumn('acknowledged_by', id)
    .addColumn('resolved_at', ms)
    .addColumn('severity', 'varchar(10)', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('telemetry_snapshot', 'text')
    .addColumn('notification_sent', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addForeignKeyConstraint('alerts_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .addForeignKeyConstraint('alerts_rule_id_fk', ['rule_id'], 'rules', ['id'])
    .addForeignKeyConstraint('alerts_device_id_fk', ['device_id'], 'devices', ['id'])
    .addForeignKeyConstraint('alerts_acknowledged_by_fk', ['acknowledged_by'], 'users', ['id'])
    .execute();
  await db.schema
    .createIndex('alerts_factory_device_time_idx')
    .on('alerts')
    .columns(['factory_id', 'device_id', 'triggered_at'])
    .execute();
  await db.schema.createIndex('alerts_factory_time_idx').on('alerts').columns(['factory_id', 'triggered_at']).execute();

  await table('analytics_jobs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('created_by', id, (c) => c.notNull())
    .addColumn('job_type', 'varchar(30)', (c) => c.notNull())
    .addColumn('mode', 'varchar(20)', (c) => c.notNull().defaultTo('standard'))
    .addColumn('device_ids', 'text', (c) => c.notNull())
    .addColumn('date_range_start', ms, (c) => c.notNull())
    .addColumn('date_range_end', ms, (c) => c.notNull())
    .addColumn('status', 'varchar(10)', (c) => c.notNull().defaultTo('pending'))
    .addColumn('result_url', 'varchar(500)')
    .addColumn('error_message', 'text')
    .addColumn('started_at', ms)
    .addColumn('completed_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addForeignKeyConstraint('analytics_jobs_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .addForeignKeyConstraint('analytics_jobs_created_by_fk', ['created_by'], 'users', ['id'])
    .execute();
  await db.schema
    .createIndex('analytics_jobs_factory_status_idx')
    .on('analytics_jobs')
    .columns(['factory_id', 'status'])
    .execute();

  await table('reports')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('created_by', id, (c) => c.notNull())
    .addColumn('title', 'varchar(255)')
    .addColumn('device_ids', 'text', (c) => c.notNull())
    .addColumn('date_range_start', ms, (c) => c.notNull())
    .addColumn('date_range_end', ms, (c) => c.notNull())
    .addColumn('format', 'varchar(10)', (c) => c.notNull())
    .addColumn('include_analytics', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('analytics_job_id', 'varchar(36)')
    .addColumn('status', 'varchar(10)', (c) => c.notNull().defaultTo('pending'))
    .addColumn('file_url', 'varchar(500)')
    .addColumn('file_size_bytes', 'bigint')
    .addColumn('error_message', 'text')
    .addColumn('expires_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addForeignKeyConstraint('reports_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .addForeignKeyConstraint('reports_created_by_fk', ['created_by'], 'users', ['id'])
    .addForeignKeyConstraint('reports_analytics_job_id_fk', ['analytics_job_id'], 'analytics_jobs', ['id'])
    .execute();
  await db.schema.createIndex('reports_factory_idx').on('reports').columns(['factory_id', 'created_at']).execute();

  await table('refresh_tokens')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('family_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('expires_at', ms, (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('used_at', ms)
    .addColumn('revoked_at', ms)
    .addColumn('user_agent', 'varchar(255)')
    .addColumn('ip', 'varchar(64)')
    .addForeignKeyConstraint('refresh_tokens_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .addForeignKeyConstraint('refresh_tokens_user_id_fk', ['user_id'], 'users', ['id'])
    .execute();
  await db.schema.createIndex('refresh_tokens_family_idx').on('refresh_tokens').column('family_id').execute();

  await table('audit_log')
    .addColumn('id', id, (c) => c.primaryKey().autoIncrement())
    .addColumn('factory_id', id, (c) => c.notNull())
    .addColumn('user_id', id)
    .addColumn('actor', 'varchar(255)', (c) => c.notNull())
    .addColumn('action', 'varchar(100)', (c) => c.notNull())
    .addColumn('target_type', 'varchar(50)', (c) => c.notNull())
    .addColumn('target_id', 'varchar(100)')
    .addColumn('details', 'text')
    .addColumn('ip', 'varchar(64)')
    .addColumn('request_id', 'varchar(64)')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addForeignKeyConstraint('audit_log_factory_id_fk', ['factory_id'], 'factories', ['id'])
    .execute();
  await db.schema.createIndex('audit_log_factory_time_idx').on('audit_log').columns(['factory_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of [
    'audit_log',
    'refresh_tokens',
    'reports',
    'analytics_jobs',
    'alerts',
    'alarm_states',
    'rule_devices',
    'rules',
    'device_parameters',
    'device_credentials',
    'devices',
    'users',
    'factories',
  ]) {
    await db.schema.dropTable(name).ifExists().execute();
  }
}
