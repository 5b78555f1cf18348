/**
 * Users of the factory: role and permission flags change on the spot (PATCH
 * /users/:id/permissions), deactivation asks first. Rows the seed forbids changing (yourself,
 * super admins, deactivated accounts) show their controls disabled with the reason.
 */
import { Alert, Button, Checkbox, HTMLSelect, HTMLTable } from '@blueprintjs/core';
import { useState } from 'react';
import { PERMISSION_KEYS, ROLES, type PermissionKey, type Role } from '../../../../engine/contract/roles.js';
import { describeFailure } from '../../api/http';
import type { User } from '../../api/types';
import { usersApi } from '../../api/users-api';
import { formatDateTime, parseIso } from '../../lib/format';
import { toastError, toastOk } from '../../lib/toaster';
import { changeBlockedReason } from './user-restrictions';
import { PERMISSION_LABEL, ROLE_LABEL } from './user-labels';
import { labelTestId } from '../rules/label-test-id';

function statusOf(u: User): { text: string; className: string } {
  if (!u.is_active) return { text: 'Deactivated', className: 'fo-status fo-inactive' };
  if (u.invite_pending) return { text: 'Invited', className: 'fo-status fo-never_seen' };
  return { text: 'Active', className: 'fo-status fo-online' };
}

export function UserTable({ users, me, onChanged }: { users: readonly User[]; me: User | null; onChanged(user: User | null): void }) {
  const [busy, setBusy] = useState<number | null>(null);
  const [deactivating, setDeactivating] = useState<User | null>(null);

  const change = async (u: User, body: { role?: Role; permissions?: Partial<Record<PermissionKey, boolean>> }) => {
    setBusy(u.id);
    try {
      onChanged(await usersApi.updatePermissions(u.id, body));
    } catch (error) {
      toastError(`${u.email}: ${describeFailure(error)}`);
    } finally {
      setBusy(null);
    }
  };

  const deactivate = async (u: User) => {
    setBusy(u.id);
    try {
      await usersApi.deactivate(u.id);
      toastOk(`${u.email} is deactivated and signed out everywhere.`);
      onChanged(null);
    } catch (error) {
      toastError(`${u.email}: ${describeFailure(error)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <HTMLTable compact className="fo-table" data-testid="users-table">
        <thead>
          <tr>
            <th>E-mail</th>
            <th>Role</th>
            {PERMISSION_KEYS.map((k) => (
              <th key={k}>{PERMISSION_LABEL[k]}</th>
            ))}
            <th>Status</th>
            <th>Last sign-in</th>
            <th>Phones</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => {
            const blocked = changeBlockedReason(me, u);
            const disabled = blocked !== null || busy === u.id;
            const status = statusOf(u);
            return (
              <tr key={u.id} data-testid={`user-row-${u.id}`} data-email={u.email} className={u.is_active ? undefined : 'fo-dim'} title={blocked ?? undefined}>
                <td>
                  <strong>{u.email}</strong>
                  {me?.id === u.id && <span className="fo-dim"> (you)</span>}
                </td>
                <td>
                  <HTMLSelect value={u.role} disabled={disabled} onChange={(e) => void change(u, { role: e.currentTarget.value as Role })} data-testid={`user-role-${u.id}`} title={blocked ?? undefined}>
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {ROLE_LABEL[r]}
                      </option>
                    ))}
                  </HTMLSelect>
                </td>
                {PERMISSION_KEYS.map((k) => (
                  <td key={k}>
                    <Checkbox
                      // Super admins hold every permission whatever their flags say.
                      checked={u.role === 'super_admin' || u.permissions[k]}
                      disabled={disabled}
                      onChange={(e) => void change(u, { permissions: { [k]: e.currentTarget.checked } })}
                      style={{ margin: 0 }}
                      inputRef={labelTestId(`user-${k}-${u.id}`)}
                      title={blocked ?? PERMISSION_LABEL[k]}
                    />
                  </td>
                ))}
                <td>
                  <span className={status.className}>{status.text}</span>
                </td>
                <td className="fo-num fo-dim">{formatDateTime(parseIso(u.last_login))}</td>
                <td className="fo-dim">{[u.phone_number, u.whatsapp_number && `WA ${u.whatsapp_number}`].filter(Boolean).join(' · ') || '—'}</td>
                <td style={{ textAlign: 'right' }}>
                  <Button
                    size="small"
                    intent="danger"
                    variant="minimal"
                    icon="disable"
                    text="Deactivate"
                    disabled={disabled}
                    title={blocked ?? 'Deactivate and sign out everywhere'}
                    onClick={() => setDeactivating(u)}
                    data-testid={`user-deactivate-${u.id}`}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </HTMLTable>
      <Alert
        isOpen={deactivating !== null}
        intent="danger"
        icon="disable"
        confirmButtonText="Deactivate"
        cancelButtonText="Cancel"
        onCancel={() => setDeactivating(null)}
        onConfirm={() => {
          const u = deactivating;
          setDeactivating(null);
          if (u) void deactivate(u);
        }}
      >
        <span data-testid="user-deactivate-confirm-text">
          Deactivate {deactivating?.email}? Their sessions end at once on every workstation; the account and its history stay.
        </span>
      </Alert>
    </>
  );
}
