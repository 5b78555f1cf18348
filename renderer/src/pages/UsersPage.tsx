/**
 * Users (super admins): the factory's accounts with role and permissions, invitations (the
 * link is shown to copy), deactivation. Yourself and other super admins are shown but cannot
 * be changed (the seed's restriction; the server refuses it too).
 *
 * Test ids: users-table, users-invite, users-show-inactive, user-row-{id} (data-email),
 * user-role-{id}, user-{can_create_rules|can_run_analytics|can_generate_reports}-{id},
 * user-deactivate-{id}; invite dialog: invite-email, invite-role, invite-{permission}, invite-phone,
 * invite-whatsapp, invite-submit, invite-error-{field}, invite-result, invite-link, invite-copy, invite-done.
 */
import { Button, Callout, NonIdealState, Spinner, Switch } from '@blueprintjs/core';
import { useCallback, useEffect, useState } from 'react';
import { describeFailure } from '../api/http';
import type { User } from '../api/types';
import { usersApi } from '../api/users-api';
import { InviteDialog } from '../components/admin/InviteDialog';
import { UserTable } from '../components/admin/UserTable';
import { useSession } from '../stores/session-store';
import '../components/rules/rule-builder.css';
import { labelTestId } from '../components/rules/label-test-id';

export function UsersPage() {
  const me = useSession((s) => s.user);
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [inviting, setInviting] = useState(false);
  const [showInactive, setShowInactive] = useState(false);

  const load = useCallback(() => {
    usersApi
      .list()
      .then((list) => {
        setUsers([...list].sort((a, b) => a.email.localeCompare(b.email)));
        setError(null);
      })
      .catch((e: unknown) => setError(describeFailure(e)));
  }, []);

  useEffect(() => {
    if (me?.role === 'super_admin') load();
  }, [me?.role, load]);

  if (me?.role !== 'super_admin') return <NonIdealState icon="lock" title="Super admins only" description="Ask a super admin to invite people or change permissions." />;

  const shown = (users ?? []).filter((u) => showInactive || u.is_active);
  const onChanged = (user: User | null) => {
    if (user) setUsers((list) => (list ?? []).map((u) => (u.id === user.id ? user : u)));
    else load();
  };

  return (
    <div>
      <div className="fo-page-title">
        <h2>Users</h2>
        <span className="fo-dim">{users ? `${users.filter((u) => u.is_active).length} active` : ''}</span>
        <span className="fo-spacer" />
        <Switch checked={showInactive} label="Show deactivated" onChange={(e) => setShowInactive(e.currentTarget.checked)} style={{ margin: 0 }} inputRef={labelTestId('users-show-inactive')} />
        <Button icon="refresh" variant="minimal" onClick={load} title="Read again" />
        <Button intent="primary" icon="new-person" text="Invite" onClick={() => setInviting(true)} data-testid="users-invite" />
      </div>
      {error && (
        <Callout intent="danger" style={{ marginBottom: 8 }}>
          {error}
        </Callout>
      )}
      <section className="fo-section">
        <div className="fo-scroll">{users ? <UserTable users={shown} me={me} onChanged={onChanged} /> : !error && <Spinner size={24} />}</div>
      </section>
      <p className="fo-dim">Your own account and super admin accounts cannot be changed here. Deactivating ends the person's sessions everywhere.</p>
      <InviteDialog isOpen={inviting} onClose={() => setInviting(false)} onInvited={load} />
    </div>
  );
}
