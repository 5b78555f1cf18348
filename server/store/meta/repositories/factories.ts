/**
 * Factories are the tenancy root: the only repository whose methods do not take a
 * factoryId, because they are how one is found (sign-in by slug, the factory list).
 */
import type { Kysely, Selectable } from 'kysely';
import type { Factory } from '../models.js';
import type { FactoriesTable, MetaDatabase } from '../tables.js';
import { flag, insertedId, parseJson, toFlag, toMsRequired, unique } from './convert.js';

export interface NewFactory {
  slug: string;
  name: string;
  timezone?: string;
}

/** notification_settings: where the factory's alarm webhook goes and the secret that signs it. */
export interface FactoryNotificationSettings {
  webhookUrl: string | null;
  webhookSecret: string | null;
}

export interface FactoryPatch {
  name?: string;
  timezone?: string;
  allowAutoProvision?: boolean;
  provisioningKeyHash?: string | null;
}

function toFactory(row: Selectable<FactoriesTable>): Factory {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    timezone: row.timezone,
    allowAutoProvision: toFlag(row.allow_auto_provision),
    hasProvisioningKey: row.provisioning_key_hash !== null,
    createdAt: toMsRequired(row.created_at),
    updatedAt: toMsRequired(row.updated_at),
  };
}

export class FactoryRepository {
  constructor(private readonly db: Kysely<MetaDatabase>) {}

  async list(): Promise<Factory[]> {
    const rows = await this.db.selectFrom('factories').selectAll().orderBy('name').orderBy('id').execute();
    return rows.map(toFactory);
  }

  async get(id: number): Promise<Factory | undefined> {
    const row = await this.db.selectFrom('factories').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toFactory(row);
  }

  async getBySlug(slug: string): Promise<Factory | undefined> {
    const row = await this.db.selectFrom('factories').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row && toFactory(row);
  }

  /** The provisioning key hash of a factory, for device auto-provisioning checks. */
  async provisioningKeyHash(id: number): Promise<string | null> {
    const row = await this.db
      .selectFrom('factories')
      .select(['provisioning_key_hash', 'allow_auto_provision'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toFlag(row.allow_auto_provision) ? row.provisioning_key_hash : null;
  }

  async create(input: NewFactory, now: number): Promise<Factory> {
    const result = await unique('factory_slug', () =>
      this.db
        .insertInto('factories')
        .values({
          slug: input.slug,
          name: input.name,
          timezone: input.timezone ?? 'UTC',
          allow_auto_provision: 0,
          provisioning_key_hash: null,
          created_at: now,
          updated_at: now,
        })
        .executeTakeFirstOrThrow(),
    );
    const created = await this.get(insertedId(result));
    if (!created) throw new Error('factory vanished after insert');
    return created;
  }

  async update(id: number, patch: FactoryPatch, now: number): Promise<Factory | undefined> {
    await this.db
      .updateTable('factories')
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.timezone !== undefined && { timezone: patch.timezone }),
        ...(patch.allowAutoProvision !== undefined && { allow_auto_provision: flag(patch.allowAutoProvision) }),
        ...(patch.provisioningKeyHash !== undefined && { provisioning_key_hash: patch.provisioningKeyHash }),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    return this.get(id);
  }

  /** The factory's alarm webhook (notification_settings); null when none is configured. */
  async notificationSettings(id: number): Promise<FactoryNotificationSettings | null> {
    const row = await this.db.selectFrom('factories').select('notification_settings').where('id', '=', id).executeTakeFirst();
    const value = row ? parseJson(row.notification_settings) : null;
    if (typeof value !== 'object' || value === null) return null;
    const settings = value as Record<string, unknown>;
    return {
      webhookUrl: typeof settings.webhook_url === 'string' && settings.webhook_url !== '' ? settings.webhook_url : null,
      webhookSecret: typeof settings.webhook_secret === 'string' && settings.webhook_secret !== '' ? settings.webhook_secret : null,
    };
  }

  async setNotificationSettings(id: number, settings: FactoryNotificationSettings | null, now: number): Promise<void> {
    await this.db
      .updateTable('factories')
      .set({
        notification_settings: settings === null ? null : JSON.stringify({ webhook_url: settings.webhookUrl, webhook_secret: settings.webhookSecret }),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  }
}
