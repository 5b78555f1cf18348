/**
 * Creating a factory together with its first super admin, used by the first start of an
 * empty data directory and by `factoryops factory create`. One transaction: a factory is
 * never left without someone who can sign in to it.
 */
import { randomBytes } from 'node:crypto';
import { ALL_PERMISSIONS } from '../../engine/contract/roles.js';
import { hashPassword } from '../auth/passwords.js';
import { CliError } from '../cli/cli-error.js';
import { DuplicateKeyError, type Factory, type User } from '../store/meta/models.js';
import type { MetaStore } from '../store/meta/meta-store.js';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62})$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export interface NewFactoryWithAdmin {
  slug: string;
  name: string;
  timezone?: string;
  adminEmail: string;
  /** Omitted: a strong password is generated and returned once. */
  adminPassword?: string;
}

export interface CreatedFactory {
  factory: Factory;
  admin: User;
  /** Set only when the password was generated here. */
  generatedPassword: string | null;
}

export function generatePassword(): string {
  // 18 random bytes → 24 URL-safe characters (~144 bits).
  return randomBytes(18).toString('base64url');
}

export function validateNewFactory(input: NewFactoryWithAdmin): void {
  if (!SLUG.test(input.slug)) {
    throw new CliError(`slug "${input.slug}" is not valid: use 1–63 lower-case letters, digits and dashes, starting with a letter or digit`, 2);
  }
  if (input.name.trim().length === 0 || input.name.length > 255) throw new CliError('name must be 1–255 characters', 2);
  if (!EMAIL.test(input.adminEmail) || input.adminEmail.length > 254) {
    throw new CliError(`admin e-mail "${input.adminEmail}" is not an e-mail address`, 2);
  }
  if (input.adminPassword !== undefined && (input.adminPassword.length < 8 || input.adminPassword.length > 256)) {
    throw new CliError('admin password must be 8–256 characters', 2);
  }
  if (input.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: input.timezone });
    } catch {
      throw new CliError(`time zone "${input.timezone}" is not an IANA time zone name (e.g. Europe/Berlin)`, 2);
    }
  }
}

export async function createFactoryWithAdmin(meta: MetaStore, input: NewFactoryWithAdmin, actor: string, now: number): Promise<CreatedFactory> {
  validateNewFactory(input);
  const generatedPassword = input.adminPassword === undefined ? generatePassword() : null;
  const hashed = await hashPassword(input.adminPassword ?? generatedPassword ?? '');
  try {
    return await meta.transaction(async (repos) => {
      const factory = await repos.factories.create({ slug: input.slug, name: input.name.trim(), ...(input.timezone ? { timezone: input.timezone } : {}) }, now);
      const admin = await repos.users.create(
        factory.id,
        { email: input.adminEmail, role: 'super_admin', permissions: ALL_PERMISSIONS, hashedPassword: hashed },
        now,
      );
      await repos.audit.record(
        factory.id,
        { userId: null, actor, action: 'factory.create', targetType: 'factory', targetId: factory.id, details: { slug: factory.slug, name: factory.name, admin: admin.email } },
        now,
      );
      return { factory, admin, generatedPassword };
    });
  } catch (error) {
    if (error instanceof DuplicateKeyError && error.what === 'factory_slug') {
      throw new CliError(`a factory with slug "${input.slug}" already exists; choose another --slug`, 1);
    }
    throw error;
  }
}
