/** Roles and permission flags: the one definition shared by server, renderer and shell. */

/** Ordered from most to least powerful. */
export const ROLES = ['super_admin', 'admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSION_KEYS = ['can_create_rules', 'can_run_analytics', 'can_generate_reports'] as const;
export type PermissionKey = (typeof PERMISSION_KEYS)[number];
export type Permissions = Record<PermissionKey, boolean>;

export const NO_PERMISSIONS: Permissions = {
  can_create_rules: false,
  can_run_analytics: false,
  can_generate_reports: false,
};

export const ALL_PERMISSIONS: Permissions = {
  can_create_rules: true,
  can_run_analytics: true,
  can_generate_reports: true,
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `role` is `minimum` or more powerful. */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) <= ROLES.indexOf(minimum);
}

/** super_admin holds every permission regardless of its flags (seed rule). */
export function hasPermission(role: Role, permissions: Permissions, key: PermissionKey): boolean {
  return role === 'super_admin' || permissions[key] === true;
}

/** Reads stored permission JSON defensively: unknown keys dropped, missing keys false. */
export function normalizePermissions(value: unknown): Permissions {
  const source = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return {
    can_create_rules: source.can_create_rules === true,
    can_run_analytics: source.can_run_analytics === true,
    can_generate_reports: source.can_generate_reports === true,
  };
}
