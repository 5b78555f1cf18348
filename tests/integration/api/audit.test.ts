/**
 * The audit log: every change a person makes through the API is recorded with who (user id
 * and e-mail), what (action, target, details), when (the server clock), from where (address)
 * and which request; refused requests record nothing; secrets never appear in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { META_DIALECTS } from '../../helpers/meta-targets.js';
import { errorCode, startTestServerOn, type ApiResponse, type Session, type TestServer } from '../../helpers/test-server.js';

interface AuditView {
  id: number;
  user_id: number | null;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: unknown;
  ip: string | null;
  request_id: string | null;
  created_at: string;
}

describe.each(META_DIALECTS)('audit log ($name metadata)', (dialect) => {
  let server: TestServer;
  let admin: Session;

  beforeAll(async () => {
    server = await startTestServerOn(dialect);
    admin = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  async function entries(): Promise<AuditView[]> {
    const res = await server.api('GET', '/api/v1/audit?per_page=100', { token: admin.accessToken });
    expect(res.status).toBe(200);
    return res.json.data;
  }

  /** The one entry written by the request that produced `res`. */
  async function entryFor(res: ApiResponse, action: string): Promise<AuditView> {
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const found = (await entries()).filter((e) => e.request_id === requestId);
    expect(found.map((e) => e.action)).toEqual([action]);
    return found[0] as AuditView;
  }

  function expectWhoWhenWhere(entry: AuditView, session: { userId: number; email: string }) {
    expect(entry.user_id).toBe(session.userId);
    expect(entry.actor).toBe(session.email);
    expect(entry.ip).toBe('127.0.0.1');
    expect(entry.created_at).toBe(new Date(server.clock.now()).toISOString());
  }

  it('records sign-in', async () => {
    server.clock.advance(1000);
    const res = await server.api('POST', '/api/v1/auth/login', { body: { factory_slug: 'default', email: server.factory.adminEmail, password: server.factory.adminPassword } });
    const entry = await entryFor(res, 'auth.login');
    expectWhoWhenWhere(entry, { userId: server.factory.adminId, email: server.factory.adminEmail });
    expect(entry).toMatchObject({ target_type: 'user', target_id: String(server.factory.adminId) });
  });

  it('records each device change with its details, and never the API key', async () => {
    const token = admin.accessToken;
    server.clock.advance(1000);
    const created = await server.api('POST', '/api/v1/devices', { token, body: { device_key: 'audited', name: 'Audited' } });
    const id = created.json.data.id as number;
    const apiKey = created.json.data.api_key as string;
    const createEntry = await entryFor(created, 'device.create');
    expectWhoWhenWhere(createEntry, admin);
    expect(createEntry).toMatchObject({ target_type: 'device', target_id: String(id), details: { device_key: 'audited', name: 'Audited' } });

    server.clock.advance(1000);
    const patched = await server.api('PATCH', `/api/v1/devices/${id}`, { token, body: { name: 'Renamed', region: 'Hall 2' } });
    const patchEntry = await entryFor(patched, 'device.update');
    expectWhoWhenWhere(patchEntry, admin);
    expect(patchEntry.details).toEqual({ changes: { name: 'Renamed', region: 'Hall 2' } });

    await server.running.meta.parameters.discover(server.factory.id, id, [{ key: 'voltage', dataType: 'float' }], server.clock.now());
    const [param] = await server.running.meta.parameters.listForDevice(server.factory.id, id);
    const paramRes = await server.api('PATCH', `/api/v1/devices/${id}/parameters/${param?.id}`, { token, body: { unit: 'V' } });
    expect((await entryFor(paramRes, 'parameter.update')).details).toEqual({ parameter_id: param?.id, changes: { unit: 'V' } });

    const rotated = await server.api('POST', `/api/v1/devices/${id}/rotate-key`, { token });
    await entryFor(rotated, 'device.rotate_key');
    const deleted = await server.api('DELETE', `/api/v1/devices/${id}`, { token });
    await entryFor(deleted, 'device.delete');

    const text = JSON.stringify(await entries());
    expect(text).not.toContain(apiKey);
    expect(text).not.toContain(rotated.json.data.api_key);
  });

  it('records invitations, acceptance, permission changes and deactivation, and no secrets', async () => {
    const token = (admin = await server.login()).accessToken;
    const invited = await server.api('POST', '/api/v1/users/invite', { token, body: { email: 'audit-user@example.com', role: 'viewer' } });
    const inviteEntry = await entryFor(invited, 'user.invite');
    expectWhoWhenWhere(inviteEntry, admin);
    expect(inviteEntry).toMatchObject({ target_type: 'user', target_id: String(invited.json.data.id), details: { email: 'audit-user@example.com', role: 'viewer' } });

    const accepted = await server.api('POST', '/api/v1/users/accept-invite', { body: { token: invited.json.data.invite_token, password: 'audited passphrase' } });
    const acceptEntry = await entryFor(accepted, 'user.accept_invite');
    expect(acceptEntry).toMatchObject({ user_id: invited.json.data.id, actor: 'audit-user@example.com', ip: '127.0.0.1' });

    const changed = await server.api('PATCH', `/api/v1/users/${invited.json.data.id}/permissions`, { token, body: { role: 'operator', permissions: { can_run_analytics: true } } });
    const changeEntry = await entryFor(changed, 'user.update_permissions');
    expectWhoWhenWhere(changeEntry, admin);
    expect(changeEntry.details).toMatchObject({
      before: { role: 'viewer', permissions: { can_run_analytics: false } },
      after: { role: 'operator', permissions: { can_run_analytics: true } },
    });

    const deactivated = await server.api('DELETE', `/api/v1/users/${invited.json.data.id}`, { token });
    expectWhoWhenWhere(await entryFor(deactivated, 'user.deactivate'), admin);

    const text = JSON.stringify(await entries());
    expect(text).not.toContain(invited.json.data.invite_token);
    expect(text).not.toContain('audited passphrase');
    expect(text).not.toContain(server.factory.adminPassword);
    expect(text).not.toContain(accepted.json.refresh_token);
  });

  it('records sign-out, and sign-out everywhere', async () => {
    const session = await server.login();
    const out = await server.api('POST', '/api/v1/auth/logout', { body: { refresh_token: session.refreshToken } });
    expect(out.status).toBe(204);
    expectWhoWhenWhere(await entryFor(out, 'auth.logout'), session);
    const all = await server.api('POST', '/api/v1/auth/logout', { token: session.accessToken, body: { all_sessions: true } });
    expectWhoWhenWhere(await entryFor(all, 'auth.logout_all'), session);
    admin = await server.login();
  });

  it('records nothing for refused requests', async () => {
    const before = (await server.api('GET', '/api/v1/audit', { token: admin.accessToken })).json.pagination.total as number;
    const viewer = await server.createUser(server.factory.id, 'audit-viewer@example.com', 'viewer');
    const viewerToken = (await server.login({ email: viewer.email, password: viewer.password })).accessToken;
    const afterViewerLogin = before + 1;
    await server.api('POST', '/api/v1/devices', { token: viewerToken, body: { device_key: 'refused' } });
    await server.api('PATCH', '/api/v1/devices/2147483647', { token: admin.accessToken, body: { name: 'x' } });
    await server.api('POST', '/api/v1/devices', { token: admin.accessToken, body: { device_key: 'bad key' } });
    await server.api('DELETE', `/api/v1/users/${server.factory.adminId}`, { token: admin.accessToken });
    await server.api('POST', '/api/v1/auth/login', { body: { factory_slug: 'default', email: server.factory.adminEmail, password: 'wrong-password' } });
    const after = (await server.api('GET', '/api/v1/audit', { token: admin.accessToken })).json.pagination.total as number;
    expect(after).toBe(afterViewerLogin);
  });

  it('pages newest first, and is for admins and super admins only', async () => {
    const page1 = await server.api('GET', '/api/v1/audit?per_page=2', { token: admin.accessToken });
    expect(page1.status).toBe(200);
    expect(page1.json.data).toHaveLength(2);
    expect(page1.json.data[0].id).toBeGreaterThan(page1.json.data[1].id);
    const total = page1.json.pagination.total as number;
    expect(page1.json.pagination).toEqual({ page: 1, per_page: 2, total, pages: Math.ceil(total / 2) });
    const page2 = await server.api('GET', '/api/v1/audit?per_page=2&page=2', { token: admin.accessToken });
    expect(page2.json.data[0].id).toBeLessThan(page1.json.data[1].id);

    const adminUser = await server.createUser(server.factory.id, 'audit-admin@example.com', 'admin');
    const adminToken = (await server.login({ email: adminUser.email, password: adminUser.password })).accessToken;
    expect((await server.api('GET', '/api/v1/audit', { token: adminToken })).status).toBe(200);
    for (const role of ['operator', 'viewer'] as const) {
      const u = await server.createUser(server.factory.id, `audit-${role}-2@example.com`, role);
      const res = await server.api('GET', '/api/v1/audit', { token: (await server.login({ email: u.email, password: u.password })).accessToken });
      expect(res.status).toBe(403);
      expect(errorCode(res)).toBe('FORBIDDEN');
    }
    expect((await server.api('GET', '/api/v1/audit')).status).toBe(401);
    expect((await server.api('GET', '/api/v1/audit?per_page=1000', { token: admin.accessToken })).status).toBe(400);
  });
});
