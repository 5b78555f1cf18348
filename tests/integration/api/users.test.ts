/**
 * User management over HTTP (super admins only): invite → accept → sign in, invitation
 * expiry and reuse, permission changes, the self / super-admin restrictions, deactivation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { META_DIALECTS } from '../../helpers/meta-targets.js';
import { errorCode, startTestServerOn, type Session, type TestServer } from '../../helpers/test-server.js';

const HOUR = 3600_000;

describe.each(META_DIALECTS)('users API ($name metadata)', (dialect) => {
  let server: TestServer;
  let admin: Session;

  beforeAll(async () => {
    server = await startTestServerOn(dialect);
    admin = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Fresh token for the first super admin (tests move the clock, access tokens expire). */
  async function superAdmin(): Promise<Session> {
    admin = await server.login();
    return admin;
  }

  async function invite(email: string, extra: Record<string, unknown> = {}) {
    const res = await server.api('POST', '/api/v1/users/invite', { token: (await superAdmin()).accessToken, body: { email, ...extra } });
    expect(res.status, res.text).toBe(201);
    return res.json.data as { id: number; email: string; invite_token: string; invite_link: string; invited_at: string; expires_at: string; invite_sent: boolean };
  }

  it('lists the users of the factory, without secrets', async () => {
    const res = await server.api('GET', '/api/v1/users', { token: admin.accessToken });
    expect(res.status).toBe(200);
    expect(res.json.data.map((u: { email: string }) => u.email)).toContain(server.factory.adminEmail);
    expect(res.text).not.toMatch(/hashed_password|argon2|invite_token/);
  });

  it('invites, the invitee accepts and then signs in with the chosen password', async () => {
    const invited = await invite('New.Person@Example.com', { role: 'operator', permissions: { can_create_rules: true } });
    expect(invited.email).toBe('new.person@example.com');
    expect(invited.invite_sent).toBe(false);
    expect(invited.invite_token).toMatch(new RegExp(`^${server.factory.id}\\.`));
    expect(invited.invite_link).toBe(`${server.url}/accept-invite?token=${encodeURIComponent(invited.invite_token)}`);
    expect(Date.parse(invited.expires_at) - Date.parse(invited.invited_at)).toBe(48 * HOUR);

    const listed = (await server.api('GET', '/api/v1/users', { token: admin.accessToken })).json.data.find((u: { id: number }) => u.id === invited.id);
    expect(listed).toMatchObject({ email: 'new.person@example.com', role: 'operator', invite_pending: true, is_active: true, last_login: null });
    expect(listed.permissions).toEqual({ can_create_rules: true, can_run_analytics: false, can_generate_reports: false });

    // Not signed up yet: no password works.
    const early = await server.api('POST', '/api/v1/auth/login', { body: { factory_slug: 'default', email: invited.email, password: 'anything-at-all' } });
    expect(early.status).toBe(401);

    const accepted = await server.api('POST', '/api/v1/users/accept-invite', { body: { token: invited.invite_token, password: 'a long enough passphrase' } });
    expect(accepted.status).toBe(200);
    expect(accepted.json).toMatchObject({ token_type: 'bearer', factory: { id: server.factory.id }, user: { id: invited.id, role: 'operator', invite_pending: false } });
    expect((await server.api('GET', '/api/v1/auth/me', { token: accepted.json.access_token })).json.data.user.email).toBe(invited.email);

    const session = await server.login({ email: 'NEW.PERSON@example.com', password: 'a long enough passphrase' });
    expect(session.userId).toBe(invited.id);

    // The token was used up.
    const reuse = await server.api('POST', '/api/v1/users/accept-invite', { body: { token: invited.invite_token, password: 'another passphrase!' } });
    expect(reuse.status).toBe(400);
    expect(errorCode(reuse)).toBe('INVITE_INVALID');
    expect((await server.api('POST', '/api/v1/auth/login', { body: { factory_slug: 'default', email: invited.email, password: 'another passphrase!' } })).status).toBe(401);
  });

  it('refuses a second account for the same e-mail, in any case', async () => {
    await invite('dup@example.com');
    const res = await server.api('POST', '/api/v1/users/invite', { token: admin.accessToken, body: { email: 'DUP@example.com' } });
    expect(res.status).toBe(409);
    expect(errorCode(res)).toBe('DUPLICATE_EMAIL');
  });

  it('lets the same e-mail exist in another factory', async () => {
    const other = await server.createFactory('users-plant-b');
    const otherAdmin = await server.login({ factorySlug: other.slug, email: other.adminEmail, password: other.adminPassword });
    const res = await server.api('POST', '/api/v1/users/invite', { token: otherAdmin.accessToken, body: { email: 'dup@example.com' } });
    expect(res.status).toBe(201);
  });

  it('refuses invitations that are malformed', async () => {
    const bad = [
      { email: 'not-an-email' },
      { email: 'x@example.com', role: 'owner' },
      { email: 'x@example.com', permissions: { can_fly: true } },
      { email: 'x@example.com', whatsapp_number: '12345' },
      { email: 'x@example.com', is_active: false },
      {},
    ];
    for (const body of bad) {
      const res = await server.api('POST', '/api/v1/users/invite', { token: admin.accessToken, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(errorCode(res)).toBe('VALIDATION_FAILED');
    }
  });

  it('expires an invitation after 48 hours', async () => {
    const late = await invite('late@example.com');
    const inTime = await invite('in-time@example.com');
    server.clock.advance(47 * HOUR);
    const ok = await server.api('POST', '/api/v1/users/accept-invite', { body: { token: inTime.invite_token, password: 'passphrase-in-time' } });
    expect(ok.status).toBe(200);
    server.clock.advance(1 * HOUR);
    const res = await server.api('POST', '/api/v1/users/accept-invite', { body: { token: late.invite_token, password: 'passphrase-too-late' } });
    expect(res.status).toBe(410);
    expect(errorCode(res)).toBe('INVITE_EXPIRED');
    expect((await server.api('POST', '/api/v1/auth/login', { body: { factory_slug: 'default', email: 'late@example.com', password: 'passphrase-too-late' } })).status).toBe(401);
  });

  it('refuses invitation tokens that are wrong, moved to another factory, or with a short password', async () => {
    const pending = await invite('pending@example.com');
    const moved = pending.invite_token.replace(/^\d+\./, '999.');
    for (const token of [moved, 'no-factory-prefix-token', `${server.factory.id}.${'x'.repeat(32)}`]) {
      const res = await server.api('POST', '/api/v1/users/accept-invite', { body: { token, password: 'passphrase-ok' } });
      expect(res.status, token).toBe(400);
      expect(errorCode(res)).toBe('INVITE_INVALID');
    }
    const short = await server.api('POST', '/api/v1/users/accept-invite', { body: { token: pending.invite_token, password: 'short' } });
    expect(short.status).toBe(400);
    expect(errorCode(short)).toBe('VALIDATION_FAILED');
    // Still usable after all that.
    expect((await server.api('POST', '/api/v1/users/accept-invite', { body: { token: pending.invite_token, password: 'passphrase-ok' } })).status).toBe(200);
  });

  it('changes role and permissions, merging the flags, and the change applies at once', async () => {
    const user = await server.createUser(server.factory.id, 'perm@example.com', 'viewer');
    const session = await server.login({ email: user.email, password: user.password });
    expect((await server.api('POST', '/api/v1/devices', { token: session.accessToken, body: { device_key: 'perm-1' } })).status).toBe(403);

    const token = (await superAdmin()).accessToken;
    const first = await server.api('PATCH', `/api/v1/users/${user.id}/permissions`, { token, body: { permissions: { can_run_analytics: true } } });
    expect(first.status).toBe(200);
    expect(first.json.data.permissions).toEqual({ can_create_rules: false, can_run_analytics: true, can_generate_reports: false });
    const second = await server.api('PATCH', `/api/v1/users/${user.id}/permissions`, { token, body: { role: 'admin', permissions: { can_generate_reports: true } } });
    expect(second.status).toBe(200);
    expect(second.json.data).toMatchObject({ role: 'admin', permissions: { can_create_rules: false, can_run_analytics: true, can_generate_reports: true } });

    // The same access token, now with the admin role from the user record.
    expect((await server.api('POST', '/api/v1/devices', { token: session.accessToken, body: { device_key: 'perm-1' } })).status).toBe(201);

    const empty = await server.api('PATCH', `/api/v1/users/${user.id}/permissions`, { token, body: {} });
    expect(empty.status).toBe(400);
    const unknown = await server.api('PATCH', `/api/v1/users/${user.id}/permissions`, { token, body: { permissions: { can_delete_factory: true } } });
    expect(unknown.status).toBe(400);
    const typed = await server.api('PATCH', `/api/v1/users/${user.id}/permissions`, { token, body: { permissions: { can_run_analytics: 'yes' } } });
    expect(typed.status).toBe(400);
  });

  it('does not let a super admin change or deactivate themselves or another super admin', async () => {
    const token = (await superAdmin()).accessToken;
    const self = server.factory.adminId;
    const selfPatch = await server.api('PATCH', `/api/v1/users/${self}/permissions`, { token, body: { role: 'viewer' } });
    expect(selfPatch.status).toBe(403);
    expect(errorCode(selfPatch)).toBe('CANNOT_MODIFY_SELF');
    const selfDelete = await server.api('DELETE', `/api/v1/users/${self}`, { token });
    expect(selfDelete.status).toBe(403);
    expect(errorCode(selfDelete)).toBe('CANNOT_MODIFY_SELF');

    const peer = await server.running.meta.users.create(
      server.factory.id,
      { email: 'peer-super@example.com', role: 'super_admin', permissions: { can_create_rules: true, can_run_analytics: true, can_generate_reports: true }, hashedPassword: null },
      server.clock.now(),
    );
    const peerPatch = await server.api('PATCH', `/api/v1/users/${peer.id}/permissions`, { token, body: { permissions: { can_create_rules: false } } });
    expect(peerPatch.status).toBe(403);
    expect(errorCode(peerPatch)).toBe('CANNOT_MODIFY_SUPER_ADMIN');
    const peerDelete = await server.api('DELETE', `/api/v1/users/${peer.id}`, { token });
    expect(peerDelete.status).toBe(403);
    expect(errorCode(peerDelete)).toBe('CANNOT_MODIFY_SUPER_ADMIN');

    const me = await server.api('GET', '/api/v1/auth/me', { token });
    expect(me.json.data.user).toMatchObject({ role: 'super_admin', is_active: true });
    const stored = await server.running.meta.users.get(server.factory.id, peer.id);
    expect(stored).toMatchObject({ role: 'super_admin', isActive: true, permissions: { can_create_rules: true } });
  });

  it('deactivates a user: sessions end at once, sign-in is refused, the list shows it', async () => {
    const user = await server.createUser(server.factory.id, 'deactivate-me@example.com', 'operator');
    const one = await server.login({ email: user.email, password: user.password });
    const two = await server.login({ email: user.email, password: user.password });
    const token = (await superAdmin()).accessToken;
    const res = await server.api('DELETE', `/api/v1/users/${user.id}`, { token });
    expect(res.status).toBe(204);

    expect((await server.api('GET', '/api/v1/devices', { token: one.accessToken })).status).toBe(401);
    for (const s of [one, two]) {
      expect((await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: s.refreshToken } })).status).toBe(401);
    }
    expect((await server.api('POST', '/api/v1/auth/login', { body: { factory_slug: 'default', email: user.email, password: user.password } })).status).toBe(401);
    const listed = (await server.api('GET', '/api/v1/users', { token })).json.data.find((u: { id: number }) => u.id === user.id);
    expect(listed.is_active).toBe(false);
  });

  it('does not let a deactivated invitee bring the account back by accepting the invitation', async () => {
    const invited = await invite('withdrawn@example.com');
    expect((await server.api('DELETE', `/api/v1/users/${invited.id}`, { token: admin.accessToken })).status).toBe(204);
    const res = await server.api('POST', '/api/v1/users/accept-invite', { body: { token: invited.invite_token, password: 'passphrase-withdrawn' } });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('INVITE_INVALID');
    expect((await server.running.meta.users.get(server.factory.id, invited.id))?.isActive).toBe(false);
  });

  it('answers 404 for a user id that does not exist', async () => {
    const token = (await superAdmin()).accessToken;
    for (const [method, path, body] of [
      ['PATCH', '/api/v1/users/999999/permissions', { role: 'viewer' }],
      ['DELETE', '/api/v1/users/999999', undefined],
    ] as const) {
      const res = await server.api(method, path, { token, ...(body ? { body } : {}) });
      expect(res.status).toBe(404);
      expect(errorCode(res)).toBe('USER_NOT_FOUND');
    }
  });

  it('refuses every user route to admins, operators and viewers (403) and to anonymous callers (401)', async () => {
    const target = await server.createUser(server.factory.id, 'target@example.com', 'viewer');
    const routes = [
      ['GET', '/api/v1/users', undefined],
      ['POST', '/api/v1/users/invite', { email: 'sneaky@example.com' }],
      ['PATCH', `/api/v1/users/${target.id}/permissions`, { role: 'admin' }],
      ['DELETE', `/api/v1/users/${target.id}`, undefined],
    ] as const;
    for (const role of ['admin', 'operator', 'viewer'] as const) {
      const u = await server.createUser(server.factory.id, `${role}-403@example.com`, role);
      const session = await server.login({ email: u.email, password: u.password });
      for (const [method, path, body] of routes) {
        const res = await server.api(method, path, { token: session.accessToken, ...(body ? { body } : {}) });
        expect(res.status, `${role} ${method} ${path}`).toBe(403);
        expect(errorCode(res)).toBe('FORBIDDEN');
      }
    }
    for (const [method, path, body] of routes) {
      const res = await server.api(method, path, body ? { body } : {});
      expect(res.status, `anonymous ${method} ${path}`).toBe(401);
    }
    const stored = await server.running.meta.users.get(server.factory.id, target.id);
    expect(stored).toMatchObject({ role: 'viewer', isActive: true });
    expect(await server.running.meta.users.findByEmail(server.factory.id, 'sneaky@example.com')).toBeUndefined();
  });
});
