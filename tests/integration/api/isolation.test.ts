/**
 * Factory isolation: every device, parameter and user route, called by factory A with
 * factory B's ids, answers 404 (never 403) and changes nothing; no list ever shows the other
 * factory's rows. Checked in both directions, on SQLite and MariaDB metadata.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../server/auth/secrets.js';
import { META_DIALECTS } from '../../helpers/meta-targets.js';
import { errorCode, startTestServerOn, type Session, type TestServer } from '../../helpers/test-server.js';

interface Tenant {
  name: 'A' | 'B';
  factoryId: number;
  superAdmin: Session;
  /** An admin (not super admin) of the tenant. */
  admin: Session;
  deviceId: number;
  deviceKey: string;
  apiKey: string;
  parameterId: number;
  userId: number;
  superAdminId: number;
}

describe.each(META_DIALECTS)('factory isolation ($name metadata)', (dialect) => {
  let server: TestServer;
  let a: Tenant;
  let b: Tenant;

  async function setUpTenant(name: 'A' | 'B', factoryId: number, superAdmin: Session, superAdminId: number): Promise<Tenant> {
    const token = superAdmin.accessToken;
    // The same device key in both factories: keys are unique per factory only.
    const created = await server.api('POST', '/api/v1/devices', { token, body: { device_key: 'shared-key', name: `Device of ${name}` } });
    expect(created.status).toBe(201);
    const deviceId = created.json.data.id as number;
    const own = await server.api('POST', '/api/v1/devices', { token, body: { device_key: `only-${name.toLowerCase()}`, name: `Only ${name}` } });
    expect(own.status).toBe(201);
    await server.running.meta.parameters.discover(factoryId, deviceId, [{ key: 'voltage', dataType: 'float' }], server.clock.now());
    const [parameter] = await server.running.meta.parameters.listForDevice(factoryId, deviceId);
    if (!parameter) throw new Error('no parameter');
    const invited = await server.api('POST', '/api/v1/users/invite', { token, body: { email: `operator@${name.toLowerCase()}.example`, role: 'operator' } });
    expect(invited.status).toBe(201);
    const adminUser = await server.createUser(factoryId, `admin@${name.toLowerCase()}.example`, 'admin');
    const slug = (await server.running.meta.factories.get(factoryId))?.slug ?? '';
    const admin = await server.login({ factorySlug: slug, email: adminUser.email, password: adminUser.password });
    return {
      name,
      factoryId,
      superAdmin,
      admin,
      deviceId,
      deviceKey: 'shared-key',
      apiKey: created.json.data.api_key,
      parameterId: parameter.id,
      userId: invited.json.data.id,
      superAdminId,
    };
  }

  beforeAll(async () => {
    server = await startTestServerOn(dialect);
    const plantB = await server.createFactory('plant-b');
    a = await setUpTenant('A', server.factory.id, await server.login(), server.factory.adminId);
    b = await setUpTenant('B', plantB.id, await server.login({ factorySlug: plantB.slug, email: plantB.adminEmail, password: plantB.adminPassword }), plantB.adminId);
    // More of B's devices for the searches below.
    for (let i = 0; i < 3; i++) {
      expect((await server.api('POST', '/api/v1/devices', { token: b.superAdmin.accessToken, body: { device_key: `b-extra-${i}` } })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Every route that names an object by id, aimed at the victim's objects. */
  function crossFactoryRoutes(victim: Tenant, attacker: Tenant) {
    return [
      { method: 'GET', path: `/api/v1/devices/${victim.deviceId}` },
      { method: 'GET', path: `/api/v1/devices/${victim.deviceId}/kpis/live` },
      { method: 'GET', path: `/api/v1/devices/${victim.deviceId}/kpis/history?parameter=voltage&start=2020-01-01T00:00:00Z&end=2030-01-01T00:00:00Z` },
      { method: 'PATCH', path: `/api/v1/devices/${victim.deviceId}`, body: { name: 'hijacked', is_active: false } },
      { method: 'DELETE', path: `/api/v1/devices/${victim.deviceId}` },
      { method: 'POST', path: `/api/v1/devices/${victim.deviceId}/rotate-key` },
      { method: 'PATCH', path: `/api/v1/devices/${victim.deviceId}/parameters/${victim.parameterId}`, body: { unit: 'hijacked' } },
      // The attacker's own device with the victim's parameter id.
      { method: 'PATCH', path: `/api/v1/devices/${attacker.deviceId}/parameters/${victim.parameterId}`, body: { unit: 'hijacked' } },
      { method: 'PATCH', path: `/api/v1/users/${victim.userId}/permissions`, body: { role: 'admin' } },
      { method: 'DELETE', path: `/api/v1/users/${victim.userId}` },
      { method: 'PATCH', path: `/api/v1/users/${victim.superAdminId}/permissions`, body: { permissions: { can_create_rules: false } } },
      { method: 'DELETE', path: `/api/v1/users/${victim.superAdminId}` },
    ] as const;
  }

  async function snapshot(t: Tenant) {
    const device = await server.api('GET', `/api/v1/devices/${t.deviceId}`, { token: t.superAdmin.accessToken });
    const users = await server.api('GET', '/api/v1/users', { token: t.superAdmin.accessToken });
    const audit = await server.api('GET', '/api/v1/audit?per_page=100', { token: t.superAdmin.accessToken });
    return { device: device.json, users: users.json, auditTotal: audit.json.pagination.total as number, audit: audit.json };
  }

  for (const direction of ['A→B', 'B→A'] as const) {
    describe(`${direction}`, () => {
      it("answers 404 for every route with the other factory's ids, and changes nothing", async () => {
        const [attacker, victim] = direction === 'A→B' ? [a, b] : [b, a];
        const before = await snapshot(victim);
        const attackerAuditBefore = (await snapshot(attacker)).auditTotal;
        const failures: string[] = [];
        for (const route of crossFactoryRoutes(victim, attacker)) {
          const res = await server.api(route.method, route.path, {
            token: attacker.superAdmin.accessToken,
            ...('body' in route ? { body: route.body } : {}),
          });
          if (res.status !== 404 || !errorCode(res)?.endsWith('NOT_FOUND')) failures.push(`${route.method} ${route.path} → ${res.status} ${res.text}`);
        }
        expect(failures).toEqual([]);

        const after = await snapshot(victim);
        expect(after.device).toEqual(before.device);
        expect(after.users).toEqual(before.users);
        expect(after.auditTotal).toBe(before.auditTotal);
        // Nothing the attacker tried was a change: no audit entries on their side either.
        expect((await snapshot(attacker)).auditTotal).toBe(attackerAuditBefore);
        // The victim's device key still works, and was not rotated.
        expect(await server.running.meta.deviceCredentials.verify(victim.factoryId, victim.deviceId, sha256Hex(victim.apiKey))).toBe(true);
        expect((await server.running.meta.parameters.get(victim.factoryId, victim.deviceId, victim.parameterId))?.unit).toBeNull();
        // The victim can still sign in and work.
        expect((await server.api('GET', '/api/v1/auth/me', { token: victim.superAdmin.accessToken })).status).toBe(200);
      });

      it('gives a plain admin 404 (not 403) for the other factory’s devices', async () => {
        const [attacker, victim] = direction === 'A→B' ? [a, b] : [b, a];
        for (const route of crossFactoryRoutes(victim, attacker).filter((r) => r.path.includes('/devices/'))) {
          const res = await server.api(route.method, route.path, { token: attacker.admin.accessToken, ...('body' in route ? { body: route.body } : {}) });
          expect(res.status, `${route.method} ${route.path}`).toBe(404);
        }
      });

      it("never lists the other factory's rows", async () => {
        const [viewer, other] = direction === 'A→B' ? [a, b] : [b, a];
        const token = viewer.superAdmin.accessToken;
        const devices = await server.api('GET', '/api/v1/devices?per_page=100', { token });
        const deviceIds = devices.json.data.map((d: { id: number }) => d.id);
        expect(deviceIds).toContain(viewer.deviceId);
        expect(deviceIds).not.toContain(other.deviceId);
        expect(devices.text).not.toContain(`only-${other.name.toLowerCase()}`);
        expect(devices.text).not.toContain(`Device of ${other.name}`);
        const own = await server.running.meta.devices.list(viewer.factoryId, { page: 1, perPage: 100 });
        expect(devices.json.pagination.total).toBe(own.total);

        for (const query of [`search=only-${other.name.toLowerCase()}`, `search=Device%20of%20${other.name}`, 'search=b-extra', 'is_active=true', 'is_active=false']) {
          const res = await server.api('GET', `/api/v1/devices?${query}`, { token });
          for (const d of res.json.data as Array<{ id: number; name: string | null }>) {
            expect((await server.running.meta.devices.get(viewer.factoryId, d.id))?.id, `${query} listed ${d.id}`).toBe(d.id);
          }
        }

        const users = await server.api('GET', '/api/v1/users', { token });
        const emails = users.json.data.map((u: { email: string }) => u.email);
        expect(emails.some((e: string) => e.endsWith(`@${other.name.toLowerCase()}.example`))).toBe(false);
        expect(users.json.data.map((u: { id: number }) => u.id)).not.toContain(other.userId);

        const audit = await server.api('GET', '/api/v1/audit?per_page=100', { token });
        const otherPeople = [other.superAdmin.email.toLowerCase(), other.admin.email.toLowerCase()];
        expect(audit.json.data.length).toBeGreaterThan(0);
        for (const entry of audit.json.data as Array<{ actor: string }>) {
          expect(otherPeople).not.toContain(entry.actor);
        }

        const me = await server.api('GET', '/api/v1/auth/me', { token });
        expect(me.json.data.factory.id).toBe(viewer.factoryId);
        const factory = await server.api('GET', '/api/v1/factory', { token });
        expect(factory.json.data.id).toBe(viewer.factoryId);
        const summary = await server.api('GET', '/api/v1/dashboard/summary', { token });
        expect(summary.status).toBe(200);
        expect(summary.text).not.toContain(`Device of ${other.name}`);
        expect(summary.text).not.toContain(`only-${other.name.toLowerCase()}`);
      });
    });
  }

  it("does not accept one factory's refresh token as another's", async () => {
    const moved = b.superAdmin.refreshToken.replace(/^\d+\./, `${a.factoryId}.`);
    const res = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: moved } });
    expect(res.status).toBe(401);
  });

  it("does not accept one factory's invitation with another factory's id", async () => {
    const invited = await server.api('POST', '/api/v1/users/invite', { token: b.superAdmin.accessToken, body: { email: 'moved-invite@b.example' } });
    const moved = (invited.json.data.invite_token as string).replace(/^\d+\./, `${a.factoryId}.`);
    const res = await server.api('POST', '/api/v1/users/accept-invite', { body: { token: moved, password: 'passphrase-moved' } });
    expect(res.status).toBe(400);
    expect(await server.running.meta.users.findByEmail(a.factoryId, 'moved-invite@b.example')).toBeUndefined();
  });
});
