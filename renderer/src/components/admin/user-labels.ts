/** Names people read for roles and permission flags. */
import type { PermissionKey, Role } from '../../../../engine/contract/roles.js';

export const ROLE_LABEL: Record<Role, string> = {
  super_admin: 'Super admin',
  admin: 'Admin',
  operator: 'Operator',
  viewer: 'Viewer',
};

export const PERMISSION_LABEL: Record<PermissionKey, string> = {
  can_create_rules: 'Create rules',
  can_run_analytics: 'Run analytics',
  can_generate_reports: 'Generate reports',
};
