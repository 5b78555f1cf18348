/**
 * Invite a person: e-mail, role, phone numbers and permissions. The answer carries the link
 * to set a password; it is shown with a copy button, since a site without SMTP has no other
 * way to hand it over (and the server says whether its e-mail went out).
 */
import { Button, Callout, Checkbox, Dialog, DialogBody, DialogFooter, FormGroup, HTMLSelect, InputGroup } from '@blueprintjs/core';
import { useState } from 'react';
import { PERMISSION_KEYS, ROLES, type PermissionKey, type Permissions, type Role } from '../../../../engine/contract/roles.js';
import { ApiFailure, describeFailure } from '../../api/http';
import { usersApi, type Invitation } from '../../api/users-api';
import { PERMISSION_LABEL, ROLE_LABEL } from './user-labels';
import { labelTestId } from '../rules/label-test-id';

/** `/email` (ajv's JSON pointer) or `email` → `email`. */
function fieldOf(path: string): string {
  return path.replace(/^\//, '').replace(/\//g, '.');
}

export function InviteDialog({ isOpen, onClose, onInvited }: { isOpen: boolean; onClose(): void; onInvited(): void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [phone, setPhone] = useState('');
  const [whatsapp, setWhatsapp] = useState('');
  const [permissions, setPermissions] = useState<Permissions>({ can_create_rules: false, can_run_analytics: false, can_generate_reports: false });
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [invitation, setInvitation] = useState<Invitation | null>(null);
  const [copied, setCopied] = useState(false);

  const reset = () => {
    setEmail('');
    setPhone('');
    setWhatsapp('');
    setErrors({});
    setGeneral(null);
    setInvitation(null);
    setCopied(false);
  };
  const close = () => {
    reset();
    onClose();
  };

  const submit = async () => {
    setBusy(true);
    setErrors({});
    setGeneral(null);
    try {
      const sent = await usersApi.invite({
        email: email.trim(),
        role,
        permissions,
        ...(phone.trim() ? { phone_number: phone.trim() } : {}),
        ...(whatsapp.trim() ? { whatsapp_number: whatsapp.trim() } : {}),
      });
      setInvitation(sent);
      onInvited();
    } catch (error) {
      if (error instanceof ApiFailure && error.fieldIssues.length > 0) {
        setErrors(Object.fromEntries(error.fieldIssues.map((i) => [fieldOf(i.path), i.message])));
        if (error.fieldIssues.some((i) => fieldOf(i.path) === '')) setGeneral(error.message);
      } else if (error instanceof ApiFailure && error.code === 'DUPLICATE_EMAIL') {
        setErrors({ email: error.message });
      } else setGeneral(describeFailure(error));
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    if (!invitation) return;
    try {
      await navigator.clipboard.writeText(invitation.invite_link);
      setCopied(true);
    } catch {
      // clipboard refused (no permission, plain http): the link stays selectable on screen
    }
  };

  const field = (key: string) => (errors[key] ? { intent: 'danger' as const, helperText: <span data-testid={`invite-error-${key}`}>{errors[key]}</span> } : {});
  const togglePermission = (key: PermissionKey, on: boolean) => setPermissions((p) => ({ ...p, [key]: on }));

  return (
    <Dialog isOpen={isOpen} onClose={close} title="Invite a user" style={{ width: 480 }}>
      <DialogBody>
        {invitation ? (
          <div data-testid="invite-result">
            <Callout intent="success" style={{ marginBottom: 8 }}>
              {invitation.email} is invited. {invitation.invite_sent ? 'An e-mail with the link was sent.' : 'No e-mail was sent (no mail server set up, or it failed): hand over the link yourself.'} The link is valid
              until {new Date(invitation.expires_at).toLocaleString()}.
            </Callout>
            <FormGroup label="Invitation link">
              <InputGroup readOnly value={invitation.invite_link} onFocus={(e) => e.currentTarget.select()} data-testid="invite-link" rightElement={<Button icon={copied ? 'tick' : 'duplicate'} variant="minimal" onClick={() => void copy()} data-testid="invite-copy" title="Copy" />} />
            </FormGroup>
          </div>
        ) : (
          <>
            {general && (
              <Callout intent="danger" style={{ marginBottom: 8 }} data-testid="invite-errors">
                {general}
              </Callout>
            )}
            <FormGroup label="E-mail" {...field('email')}>
              <InputGroup value={email} onValueChange={setEmail} autoFocus placeholder="name@plant.example" data-testid="invite-email" />
            </FormGroup>
            <FormGroup label="Role" {...field('role')}>
              <HTMLSelect value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} data-testid="invite-role">
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {ROLE_LABEL[r]}
                  </option>
                ))}
              </HTMLSelect>
            </FormGroup>
            <FormGroup label="Permissions" {...field('permissions')}>
              {PERMISSION_KEYS.map((k) => (
                <Checkbox key={k} label={PERMISSION_LABEL[k]} checked={permissions[k]} onChange={(e) => togglePermission(k, e.currentTarget.checked)} inputRef={labelTestId(`invite-${k}`)} />
              ))}
            </FormGroup>
            <div className="fo-inline-fields">
              <FormGroup label="Phone (SMS)" {...field('phone_number')}>
                <InputGroup value={phone} onValueChange={setPhone} placeholder="+4930123456" data-testid="invite-phone" />
              </FormGroup>
              <FormGroup label="WhatsApp" {...field('whatsapp_number')}>
                <InputGroup value={whatsapp} onValueChange={setWhatsapp} placeholder="+4930123456" data-testid="invite-whatsapp" />
              </FormGroup>
            </div>
          </>
        )}
      </DialogBody>
      <DialogFooter
        actions={
          invitation ? (
            <>
              <Button text="Invite another" onClick={reset} data-testid="invite-another" />
              <Button intent="primary" text="Done" onClick={close} data-testid="invite-done" />
            </>
          ) : (
            <>
              <Button text="Cancel" onClick={close} />
              <Button intent="primary" text="Send invitation" loading={busy} onClick={() => void submit()} data-testid="invite-submit" />
            </>
          )
        }
      />
    </Dialog>
  );
}
