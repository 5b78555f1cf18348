/**
 * Domain records the metadata store hands out. camelCase, real booleans, epoch-ms numbers;
 * the API layer turns them into wire shapes.
 */
import type { Permissions, Role } from '../../../engine/contract/roles.js';

export interface Factory {
  id: number;
  slug: string;
  name: string;
  timezone: string;
  allowAutoProvision: boolean;
  hasProvisioningKey: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface User {
  id: number;
  factoryId: number;
  email: string;
  whatsappNumber: string | null;
  phoneNumber: string | null;
  role: Role;
  permissions: Permissions;
  isActive: boolean;
  /** False while an invitation is outstanding. */
  hasPassword: boolean;
  invitedAt: number | null;
  inviteExpiresAt: number | null;
  lastLogin: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface UserWithSecret extends User {
  hashedPassword: string | null;
}

export interface Device {
  id: number;
  factoryId: number;
  deviceKey: string;
  name: string | null;
  manufacturer: string | null;
  model: string | null;
  region: string | null;
  isActive: boolean;
  lastSeen: number | null;
  createdAt: number;
  updatedAt: number;
}

export type ParameterDataType = 'float' | 'int' | 'string' | 'bool';

export interface DeviceParameter {
  id: number;
  factoryId: number;
  deviceId: number;
  parameterKey: string;
  displayName: string | null;
  unit: string | null;
  dataType: ParameterDataType;
  isKpiSelected: boolean;
  discoveredAt: number;
  updatedAt: number;
}

export interface RefreshTokenRecord {
  id: number;
  factoryId: number;
  userId: number;
  familyId: string;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
}

export interface AuditEntry {
  id: number;
  factoryId: number;
  userId: number | null;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details: unknown;
  ip: string | null;
  requestId: string | null;
  createdAt: number;
}

export interface Page<T> {
  rows: T[];
  total: number;
}

/** Raised by a repository when a unique key (slug, email, device key) is already taken. */
export class DuplicateKeyError extends Error {
  constructor(readonly what: 'factory_slug' | 'email' | 'device_key') {
    super(`${what} already exists`);
    this.name = 'DuplicateKeyError';
  }
}

/**
 * Raised when a write would attach a row to a device or user that is not in the given
 * factory. Callers look the parent up (factory-scoped) first, so this is a programming error.
 */
export class NotInFactoryError extends Error {
  constructor(
    readonly what: 'device' | 'user',
    readonly factoryId: number,
    readonly id: number,
  ) {
    super(`${what} ${id} does not exist in factory ${factoryId}`);
    this.name = 'NotInFactoryError';
  }
}
