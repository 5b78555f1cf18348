/**
 * The invitation page's pure parts: which address is an invitation, the password rule taken
 * from the contract the server validates with, and how each server answer is explained.
 */
import { describe, expect, it } from 'vitest';
import Value from 'typebox/value';
import { AcceptInviteRequest } from '../../../engine/contract/auth.js';
import { ApiFailure } from '../../../renderer/src/api/http.js';
import { inviteFailureOf, inviteLinkOf, newPasswordProblem, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../../renderer/src/lib/invite-link.js';

describe('inviteLinkOf', () => {
  it('reads the token of /accept-invite and ignores every other page', () => {
    expect(inviteLinkOf('/accept-invite', '?token=12.abcDEF_-x')).toEqual({ token: '12.abcDEF_-x' });
    expect(inviteLinkOf('/accept-invite/', '?token=12.a%2Bb')).toEqual({ token: '12.a+b' });
    expect(inviteLinkOf('/', '?token=12.abc')).toBeNull();
    expect(inviteLinkOf('/accept-invite-x', '?token=12.abc')).toBeNull();
  });

  it('marks a link cut short (no token) instead of pretending it is not an invitation', () => {
    expect(inviteLinkOf('/accept-invite', '')).toEqual({ token: null });
    expect(inviteLinkOf('/accept-invite', '?token=%20')).toEqual({ token: null });
  });
});

describe('newPasswordProblem', () => {
  it('uses the same length rule as the server’s schema', () => {
    const request = (password: string) => Value.Check(AcceptInviteRequest, { token: '12.abcdefghij', password });
    const shortest = 'p'.repeat(PASSWORD_MIN_LENGTH);
    expect(PASSWORD_MIN_LENGTH).toBe(8);
    expect(request(shortest)).toBe(true);
    expect(request(shortest.slice(1))).toBe(false);
    expect(request('p'.repeat(PASSWORD_MAX_LENGTH + 1))).toBe(false);
    expect(newPasswordProblem(shortest, shortest)).toBeNull();
    expect(newPasswordProblem(shortest.slice(1), shortest.slice(1))).toEqual({ field: 'password', message: 'Use at least 8 characters.' });
    expect(newPasswordProblem('p'.repeat(PASSWORD_MAX_LENGTH + 1), '')?.field).toBe('password');
  });

  it('asks for the same password twice', () => {
    expect(newPasswordProblem('correct horse battery', 'correct horse battery.')).toEqual({ field: 'repeat', message: 'The two passwords are not the same.' });
  });
});

describe('inviteFailureOf', () => {
  it('explains an expired or used link and offers the way forward', () => {
    const expired = inviteFailureOf(new ApiFailure(410, 'INVITE_EXPIRED', 'this invitation expired'));
    expect(expired).toMatchObject({ code: 'INVITE_EXPIRED', title: 'This invitation has expired', final: true });
    expect(expired.message).toMatch(/administrator/);
    expect(inviteFailureOf(new ApiFailure(400, 'INVITE_INVALID', 'not valid'))).toMatchObject({ title: 'This invitation link cannot be used', final: true });
    expect(inviteFailureOf('INVITE_INVALID').final).toBe(true);
  });

  it('shows a refused password at the form, and a malformed token as a dead link', () => {
    const password = inviteFailureOf(new ApiFailure(400, 'VALIDATION_FAILED', 'invalid', [{ path: '/password', message: 'must NOT have fewer than 8 characters' }]));
    expect(password).toMatchObject({ title: 'The password was refused', message: 'must NOT have fewer than 8 characters', final: false });
    expect(inviteFailureOf(new ApiFailure(400, 'VALIDATION_FAILED', 'invalid', [{ path: '/token', message: 'too short' }])).final).toBe(true);
  });

  it('keeps the form for failures worth another try', () => {
    expect(inviteFailureOf(new ApiFailure(0, 'NETWORK', 'Cannot reach the server at plant-1.'))).toMatchObject({ title: 'The server cannot be reached', message: 'Cannot reach the server at plant-1.', final: false });
    expect(inviteFailureOf(new ApiFailure(429, 'TOO_MANY_REQUESTS', 'slow down')).final).toBe(false);
    expect(inviteFailureOf(new Error('boom'))).toMatchObject({ code: 'ERROR', message: 'boom', final: false });
  });
});
