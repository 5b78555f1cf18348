import type { Kysely, Selectable } from 'kysely';
import { isRole, normalizePermissions, type Permissions, type Role } from '../../../../engine/contract/roles.js';
import type { User, UserWithSecret } from '../models.js';
import type { MetaDatabase, UsersTable } from '../tables.js';
import { flag, insertedId, parseJson, toFlag, toMs, toMsRequired, unique } from './convert.js';

export interface NewUser {
  email: string;
  role: Role;
  permissions: Permissions;
  hashedPassword?: string | null;
  whatsappNumber?: string | null;
  phoneNumber?: string | null;
  inviteTokenHash?: string | null;
  invitedAt?: number | null;
  inviteExpiresAt?: number | null;
  isActive?: boolean;
}

/** An active user as the notification planner sees them. */
export interface NotifiableUser {
  id: number;
  email: string;
  whatsappNumber: string | null;
  phoneNumber: string | null;
  /** The channels the person asked for; null = no stated preference. */
  notifyChannels: string[] | null;
}

export interface UserPatch {
  role?: Role;
  permissions?: Permissions;
  isActive?: boolean;
  whatsappNumber?: string | null;
  phoneNumber?: string | null;
}

function toUserWithSecret(row: Selectable<UsersTable>): UserWithSecret {
  return {
    id: row.id,
    factoryId: row.factory_id,
    email: row.email,
    whatsappNumber: row.whatsapp_number,
    phoneNumber: row.phone_number,
    // An unknown stored role degrades to the least powerful one rather than failing open.
    role: isRole(row.role) ? row.role : 'viewer',
    permissions: normalizePermissions(parseJson(row.permissions)),
    isActive: toFlag(row.is_active),
    hasPassword: row.hashed_password !== null,
    hashedPassword: row.hashed_password,
    invitedAt: toMs(row.invited_at),
    inviteExpiresAt: toMs(row.invite_expires_at),
    lastLogin: toMs(row.last_login),
    createdAt: toMsRequired(row.created_at),
    updatedAt: toMsRequired(row.updated_at),
  };
}

function toUser(row: Selectable<UsersTable>): User {
  const { hashedPassword: _secret, ...user } = toUserWithSecret(row);
  return user;
}

/** Emails compare case-insensitively: stored and looked up in lower case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class UserRepository {
  constructor(private readonly db: Kysely<MetaDatabase>) {}

  async list(factoryId: number): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().where('factory_id', '=', factoryId).orderBy('id').execute();
    return rows.map(toUser);
  }

  async get(factoryId: number, userId: number): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('factory_id', '=', factoryId)
      .where('id', '=', userId)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async findByEmail(factoryId: number, email: string): Promise<UserWithSecret | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('factory_id', '=', factoryId)
      .where('email', '=', normalizeEmail(email))
      .executeTakeFirst();
    return row && toUserWithSecret(row);
  }

  async findByInviteTokenHash(factoryId: number, tokenHash: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('factory_id', '=', factoryId)
      .where('invite_token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async create(factoryId: number, input: NewUser, now: number): Promise<User> {
    const result = await unique('email', () =>
      this.db
        .insertInto('users')
        .values({
          factory_id: factoryId,
          email: normalizeEmail(input.email),
          role: input.role,
          permissions: JSON.stringify(input.permissions),
          hashed_password: input.hashedPassword ?? null,
          whatsapp_number: input.whatsappNumber ?? null,
          phone_number: input.phoneNumber ?? null,
          invite_token_hash: input.inviteTokenHash ?? null,
          invited_at: input.invitedAt ?? null,
          invite_expires_at: input.inviteExpiresAt ?? null,
          is_active: flag(input.isActive ?? true),
          created_at: now,
          updated_at: now,
        })
        .executeTakeFirstOrThrow(),
    );
    const created = await this.get(factoryId, insertedId(result));
    if (!created) throw new Error('user vanished after insert');
    return created;
  }

  async update(factoryId: number, userId: number, patch: UserPatch, now: number): Promise<User | undefined> {
    await this.db
      .updateTable('users')
      .set({
        ...(patch.role !== undefined && { role: patch.role }),
        ...(patch.permissions !== undefined && { permissions: JSON.stringify(patch.permissions) }),
        ...(patch.isActive !== undefined && { is_active: flag(patch.isActive) }),
        ...(patch.whatsappNumber !== undefined && { whatsapp_number: patch.whatsappNumber }),
        ...(patch.phoneNumber !== undefined && { phone_number: patch.phoneNumber }),
        updated_at: now,
      })
      .where('factory_id', '=', factoryId)
      .where('id', '=', userId)
      .execute();
    return this.get(factoryId, userId);
  }

  async recordLogin(factoryId: number, userId: number, now: number): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ last_login: now })
      .where('factory_id', '=', factoryId)
      .where('id', '=', userId)
      .execute();
  }

  /**
   * Completes an invitation: sets the password and clears the token in one conditional
   * update, so a token can be used once even when two requests race.
   */
  async acceptInvite(factoryId: number, userId: number, tokenHash: string, hashedPassword: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({
        hashed_password: hashedPassword,
        invite_token_hash: null,
        invite_expires_at: null,
        is_active: 1,
        updated_at: now,
      })
      .where('factory_id', '=', factoryId)
      .where('id', '=', userId)
      .where('invite_token_hash', '=', tokenHash)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Active users of a factory with their alarm addresses and channel preference
   * (notify_channels: null = no stated preference). For the notification planner.
   */
  async listNotifiable(factoryId: number): Promise<NotifiableUser[]> {
    const rows = await this.db
      .selectFrom('users')
      .select(['id', 'email', 'whatsapp_number', 'phone_number', 'notify_channels'])
      .where('factory_id', '=', factoryId)
      .where('is_active', '=', 1)
      .orderBy('id')
      .execute();
    return rows.map((r) => {
      const channels = parseJson(r.notify_channels);
      return {
        id: r.id,
        email: r.email,
        whatsappNumber: r.whatsapp_number,
        phoneNumber: r.phone_number,
        notifyChannels: Array.isArray(channels) ? channels.filter((c): c is string => typeof c === 'string') : null,
      };
    });
  }

  /** Sets the channels a person wants alarms on; null clears the preference. */
  async setNotifyChannels(factoryId: number, userId: number, channels: readonly string[] | null, now: number): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ notify_channels: channels === null ? null : JSON.stringify(channels), updated_at: now })
      .where('factory_id', '=', factoryId)
      .where('id', '=', userId)
      .execute();
  }
}
