/**
 * MetaStore — the metadata port (DESIGN.md §3): one set of repositories over Kysely, used
 * unchanged on SQLite and MySQL/MariaDB. Every repository method except the tenancy root
 * (factories) and the credential lookup (device key → owner) takes factoryId first.
 */
import type { Kysely } from 'kysely';
import { openMetaDatabase, type MetaTarget } from './connect.js';
import type { MetaDialect } from './migrate.js';
import { AlarmStateRepository } from './repositories/alarm-states.js';
import { AlertRepository } from './repositories/alerts.js';
import { MaintenanceRepository } from './repositories/maintenance.js';
import { OutboxRepository } from './repositories/outbox.js';
import { RuleRepository } from './repositories/rules.js';
import { AuditRepository } from './repositories/audit.js';
import { DeviceCredentialRepository } from './repositories/device-credentials.js';
import { DeviceRepository } from './repositories/devices.js';
import { FactoryRepository } from './repositories/factories.js';
import { ParameterRepository } from './repositories/parameters.js';
import { RefreshTokenRepository } from './repositories/refresh-tokens.js';
import { UserRepository } from './repositories/users.js';
import type { MetaDatabase } from './tables.js';
import { sql } from 'kysely';

export interface MetaRepositories {
  readonly factories: FactoryRepository;
  readonly users: UserRepository;
  readonly devices: DeviceRepository;
  readonly parameters: ParameterRepository;
  readonly deviceCredentials: DeviceCredentialRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly audit: AuditRepository;
  readonly alerts: AlertRepository;
  readonly rules: RuleRepository;
  readonly alarmStates: AlarmStateRepository;
  readonly maintenance: MaintenanceRepository;
  readonly outbox: OutboxRepository;
}

export interface MetaStore extends MetaRepositories {
  readonly dialect: MetaDialect;
  readonly description: string;
  /**
   * Runs `work` in one transaction; the repositories it receives write inside it. Inside
   * `work`, use only those: on SQLite the store's own repositories wait for the single
   * connection the transaction holds, so calling them there never returns.
   */
  transaction<T>(work: (repos: MetaRepositories) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function repositories(db: Kysely<MetaDatabase>, dialect: MetaDialect): MetaRepositories {
  return {
    factories: new FactoryRepository(db),
    users: new UserRepository(db),
    devices: new DeviceRepository(db),
    parameters: new ParameterRepository(db, dialect),
    deviceCredentials: new DeviceCredentialRepository(db),
    refreshTokens: new RefreshTokenRepository(db),
    audit: new AuditRepository(db),
    alerts: new AlertRepository(db),
    rules: new RuleRepository(db),
    alarmStates: new AlarmStateRepository(db, dialect),
    maintenance: new MaintenanceRepository(db),
    outbox: new OutboxRepository(db),
  };
}

export async function openMetaStore(target: MetaTarget): Promise<MetaStore> {
  const { db, dialect, description } = await openMetaDatabase(target);
  return {
    ...repositories(db, dialect),
    dialect,
    description,
    transaction: (work) => db.transaction().execute((trx) => work(repositories(trx, dialect))),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
