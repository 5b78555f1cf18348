/**
 * The page an invitation e-mail links to (`/accept-invite?token=…`): choose a password (typed
 * twice, the server's minimum length said up front), then the account is active and the person
 * is signed in with the tokens the server answers. A link that expired or was already used
 * says so plainly and points to the administrator or to sign-in.
 */
import { AnchorButton, Button, Callout, FormGroup, InputGroup } from '@blueprintjs/core';
import { useState, type FormEvent } from 'react';
import { transport } from '../api/transport';
import { inviteFailureOf, newPasswordProblem, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, type InviteFailure, type InviteLink } from '../lib/invite-link';
import { acceptInvite } from '../stores/session-store';

export function AcceptInvitePage({ invite, onAccepted }: { invite: InviteLink; onAccepted: () => void }) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<InviteFailure | null>(invite.token === null ? inviteFailureOf('INVITE_INVALID') : null);

  const problem = newPasswordProblem(password, repeat);
  // Say what is wrong once the person has tried, or as soon as the repeat visibly differs.
  const showProblem = problem && (tried || (problem.field === 'repeat' && repeat.length >= password.length && repeat.length > 0)) ? problem : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    if (problem || invite.token === null) return;
    setBusy(true);
    setFailure(null);
    try {
      await acceptInvite(invite.token, password);
      onAccepted();
    } catch (e) {
      setFailure(inviteFailureOf(e));
      setBusy(false);
    }
  }

  return (
    <div className="fo-signin" data-testid="accept-invite">
      <form className="fo-signin-card" onSubmit={submit} aria-label="Set your password" noValidate>
        <h1>FactoryOps</h1>
        <div className="fo-muted" style={{ marginBottom: 16 }}>
          Invitation · {transport().serverLabel}
        </div>
        {failure && (
          <Callout intent="danger" compact title={failure.title} style={{ marginBottom: 12 }} data-testid="invite-error" data-code={failure.code}>
            {failure.message}
          </Callout>
        )}
        {failure?.final ? (
          <AnchorButton href="/" intent="primary" fill text="Go to sign-in" data-testid="invite-to-signin" />
        ) : (
          <>
            <p className="fo-muted" style={{ marginTop: 0 }}>
              Choose the password for your new account. A long passphrase is easier to remember and harder to guess than a short, complicated password.
            </p>
            <FormGroup
              label="New password"
              labelFor="fo-new-password"
              helperText={showProblem?.field === 'password' ? showProblem.message : `At least ${PASSWORD_MIN_LENGTH} characters.`}
              intent={showProblem?.field === 'password' ? 'danger' : 'none'}
            >
              <InputGroup
                id="fo-new-password"
                type="password"
                autoComplete="new-password"
                value={password}
                onValueChange={setPassword}
                maxLength={PASSWORD_MAX_LENGTH}
                intent={showProblem?.field === 'password' ? 'danger' : 'none'}
                autoFocus
              />
            </FormGroup>
            <FormGroup
              label="Repeat the password"
              labelFor="fo-repeat-password"
              helperText={showProblem?.field === 'repeat' ? showProblem.message : undefined}
              intent={showProblem?.field === 'repeat' ? 'danger' : 'none'}
            >
              <InputGroup
                id="fo-repeat-password"
                type="password"
                autoComplete="new-password"
                value={repeat}
                onValueChange={setRepeat}
                maxLength={PASSWORD_MAX_LENGTH}
                intent={showProblem?.field === 'repeat' ? 'danger' : 'none'}
              />
            </FormGroup>
            <Button type="submit" intent="primary" fill loading={busy} text="Set password and sign in" data-testid="invite-submit" />
            <div style={{ marginTop: 12, textAlign: 'center' }}>
              <a href="/" className="fo-muted">
                I already have a password: sign in
              </a>
            </div>
          </>
        )}
      </form>
    </div>
  );
}
