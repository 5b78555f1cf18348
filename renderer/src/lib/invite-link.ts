/**
 * The invitation link the server e-mails: `${publicUrl}/accept-invite?token=…`
 * (server/api/routes/users.ts). A real path, not a hash route, because it is typed into or
 * clicked from a mail client; the server's SPA fallback serves index.html there.
 */
import { NewPassword } from '../../../engine/contract/auth.js';
import { ApiFailure, describeFailure } from '../api/http.js';

export const ACCEPT_INVITE_PATH = '/accept-invite';

// The server's rule for a new password, read from its schema (engine/contract/auth.ts) so the
// form says the same thing first. TypeBox keeps the options on the schema object.
const passwordRule = NewPassword as { minLength?: unknown; maxLength?: unknown };
export const PASSWORD_MIN_LENGTH = typeof passwordRule.minLength === 'number' ? passwordRule.minLength : 1;
export const PASSWORD_MAX_LENGTH = typeof passwordRule.maxLength === 'number' ? passwordRule.maxLength : 4096;

export interface InviteLink {
  /** The token from the link; null when the link was cut short (mail clients wrap long lines). */
  token: string | null;
}

/** The invitation in this page's address, or null when this is not the invitation page. */
export function inviteLinkOf(pathname: string, search: string): InviteLink | null {
  if (pathname.replace(/\/+$/, '') !== ACCEPT_INVITE_PATH) return null;
  const token = new URLSearchParams(search).get('token')?.trim() ?? '';
  return { token: token.length > 0 ? token : null };
}

/** What is wrong with the two passwords typed, or null when the server would accept them. */
export function newPasswordProblem(password: string, repeat: string): { field: 'password' | 'repeat'; message: string } | null {
  if (password.length < PASSWORD_MIN_LENGTH) return { field: 'password', message: `Use at least ${PASSWORD_MIN_LENGTH} characters.` };
  if (password.length > PASSWORD_MAX_LENGTH) return { field: 'password', message: `Use at most ${PASSWORD_MAX_LENGTH} characters.` };
  if (password !== repeat) return { field: 'repeat', message: 'The two passwords are not the same.' };
  return null;
}

export interface InviteFailure {
  code: string;
  title: string;
  message: string;
  /** The link cannot work any more: the form gives way to the way forward (sign-in). */
  final: boolean;
}

const LINK_DEAD: Record<string, Omit<InviteFailure, 'code'>> = {
  INVITE_EXPIRED: { title: 'This invitation has expired', message: 'Ask your administrator to invite you again; the new e-mail has a fresh link.', final: true },
  INVITE_INVALID: {
    title: 'This invitation link cannot be used',
    message: 'It was already used, was withdrawn, or is incomplete. If you have already set your password, sign in; otherwise ask your administrator for a new invitation.',
    final: true,
  },
};

/** How the page explains a failed accept (an ApiFailure, or an error code found before asking). */
export function inviteFailureOf(error: unknown): InviteFailure {
  const code = typeof error === 'string' ? error : error instanceof ApiFailure ? error.code : 'ERROR';
  const dead = LINK_DEAD[code];
  if (dead) return { code, ...dead };
  if (error instanceof ApiFailure) {
    if (code === 'VALIDATION_FAILED') {
      const issue = error.fieldIssues.find((i) => i.path.includes('password'));
      if (issue) return { code, title: 'The password was refused', message: issue.message, final: false };
      // Only the token is left to be malformed: a link cut short by a mail client.
      return { code, ...(LINK_DEAD.INVITE_INVALID as Omit<InviteFailure, 'code'>) };
    }
    if (code === 'TOO_MANY_REQUESTS') return { code, title: 'Too many attempts', message: 'Wait a few minutes and try again.', final: false };
    return { code, title: error.isNetwork ? 'The server cannot be reached' : 'The password could not be set', message: describeFailure(error), final: false };
  }
  return { code, title: 'The password could not be set', message: describeFailure(error), final: false };
}
