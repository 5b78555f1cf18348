/**
 * Device API keys, stored as SHA-256 hashes. A device may hold several keys while a rotation
 * is rolled out to the field; rotation through the API revokes the old ones at once.
 */
import type { Kysely } from 'kysely';
import type { MetaDatabase } from '../tables.js';
import { assertInFactory } from './convert.js';

export interface DeviceKeyOwner {
  factoryId: number;
  deviceId: number;
}

export class DeviceCredentialRepository {
  constructor(private readonly db: Kysely<MetaDatabase>) {}

  /** Throws NotInFactoryError when the device is not one of this factory's. */
  async add(factoryId: number, deviceId: number, keyHash: string, keyPrefix: string, now: number): Promise<void> {
    await assertInFactory(this.db, 'device', factoryId, deviceId);
    await this.db
      .insertInto('device_credentials')
      .values({ factory_id: factoryId, device_id: deviceId, key_hash: keyHash, key_prefix: keyPrefix, created_at: now, revoked_at: null })
      .execute();
  }

  async revokeAll(factoryId: number, deviceId: number, now: number): Promise<void> {
    await this.db
      .updateTable('device_credentials')
      .set({ revoked_at: now })
      .where('factory_id', '=', factoryId)
      .where('device_id', '=', deviceId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** True when the key hash is a live credential of exactly this device. */
  async verify(factoryId: number, deviceId: number, keyHash: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('device_credentials')
      .select('id')
      .where('factory_id', '=', factoryId)
      .where('device_id', '=', deviceId)
      .where('key_hash', '=', keyHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  async activePrefix(factoryId: number, deviceId: number): Promise<string | null> {
    const row = await this.db
      .selectFrom('device_credentials')
      .select('key_prefix')
      .where('factory_id', '=', factoryId)
      .where('device_id', '=', deviceId)
      .where('revoked_at', 'is', null)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row?.key_prefix ?? null;
  }

  /**
   * Credential lookup: the one read that finds the factory from a secret (HTTP ingest with
   * only an API key). The hash of a 256-bit random key is itself the identity.
   */
  async findOwner(keyHash: string): Promise<DeviceKeyOwner | undefined> {
    const row = await this.db
      .selectFrom('device_credentials')
      .select(['factory_id', 'device_id'])
      .where('key_hash', '=', keyHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && { factoryId: row.factory_id, deviceId: row.device_id };
  }
}
