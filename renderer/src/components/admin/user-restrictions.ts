/**
 * The seed's restrictions on changing accounts, mirrored so the page shows them as disabled
 * controls with the reason (the server refuses the same: CANNOT_MODIFY_SELF,
 * CANNOT_MODIFY_SUPER_ADMIN).
 */
import type { User } from '../../api/types';

/** Why `actor` may not change `target`, or null when the change is allowed. */
export function changeBlockedReason(actor: Pick<User, 'id' | 'role'> | null, target: Pick<User, 'id' | 'role' | 'is_active'>): string | null {
  if (!actor || actor.role !== 'super_admin') return 'Only super admins change users.';
  if (target.id === actor.id) return 'You cannot change or deactivate your own account.';
  if (target.role === 'super_admin') return 'Super admin accounts cannot be changed here.';
  if (!target.is_active) return 'This account is deactivated.';
  return null;
}
