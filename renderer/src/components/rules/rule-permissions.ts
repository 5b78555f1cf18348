/** Who may change rules: the admin role and the can_create_rules permission (super admins hold every permission). */
import { hasPermission, roleAtLeast } from '../../../../engine/contract/roles.js';
import type { User } from '../../api/types';

export function canEditRules(user: User | null | undefined): boolean {
  return !!user && roleAtLeast(user.role, 'admin') && hasPermission(user.role, user.permissions, 'can_create_rules');
}
