/**
 * Sign-in over real HTTP: login shapes, refresh rotation with reuse detection, logout, /me,
 * and access tokens that were tampered with. Runs on SQLite and MariaDB metadata.
 */
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { META_DIALECTS } from '../../helpers/meta-targets.js';
import { errorCode, startTestServerOn, type CreatedTestFactory, type TestServer } from '../../helpers/test-server.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe.each(META_DIALECTS)('auth API ($name metadata)', (dialect) => {
  let server: TestServer;
  let plantB: CreatedTestFactory;
  let jwtSecret: Uint8Array;

  beforeAll(async () => {
    server = await startTestServerOn(dialect);
    plantB = await server.createFactory('plant-b', { name: 'Plant B' });
    jwtSecret = Buffer.from(readFileSync(server.running.layout.jwtSecretFile, 'utf8').trim(), 'hex');
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A token signed with the server's own secret, with whatever claims a test needs. */
  function forge(claims: { sub: string; factory_id: unknown; role: unknown }, options: { secret?: Uint8Array; iss?: string; aud?: string; expSeconds?: number } = {}) {
    const iat = Math.floor(server.clock.now() / 1000);
    return new SignJWT({ factory_id: claims.factory_id, role: claims.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(options.iss ?? 'factoryops')
      .setAudience(options.aud ?? 'factoryops-api')
      .setIssuedAt(iat)
      .setExpirationTime(iat + (options.expSeconds ?? 900))
      .sign(options.secret ?? jwtSecret);
  }

  describe('factories and login', () => {
    it('lists every factory for the sign-in screen, by GET and by POST', async () => {
      for (const method of ['GET', 'POST']) {
        const res = await server.api(method, '/api/v1/auth/factories');
        expect(res.status).toBe(200);
        const slugs = res.json.data.map((f: { slug: string }) => f.slug).sort();
        expect(slugs).toEqual(['default', 'plant-b']);
        for (const f of res.json.data) expect(Object.keys(f).sort()).toEqual(['id', 'name', 'slug']);
      }
    });

    it('answers a good login with tokens, the factory and the user, and no secrets', async () => {
      const res = await server.api('POST', '/api/v1/auth/login', {
        body: { factory_slug: 'default', email: server.factory.adminEmail, password: server.factory.adminPassword },
      });
      expect(res.status).toBe(200);
      const body = res.json;
      expect(body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(body.refresh_token).toMatch(new RegExp(`^${server.factory.id}\\.[\\w-]{20,}$`));
      expect(body.token_type).toBe('bearer');
      expect(body.expires_in).toBe(900);
      expect(body.factory).toEqual({ id: server.factory.id, name: 'Default Factory', slug: 'default' });
      expect(body.user).toMatchObject({
        id: server.factory.adminId,
        email: server.factory.adminEmail,
        role: 'super_admin',
        permissions: { can_create_rules: true, can_run_analytics: true, can_generate_reports: true },
        is_active: true,
        invite_pending: false,
      });
      expect(body.user.last_login).toMatch(ISO);
      expect(res.text).not.toContain(server.factory.adminPassword);
      expect(res.text).not.toMatch(/argon2|hashed_password|hashedPassword/);
    });

    it('treats the e-mail case-insensitively', async () => {
      const session = await server.login({ email: server.factory.adminEmail.toUpperCase() });
      expect(session.userId).toBe(server.factory.adminId);
    });

    it('gives the same 401 for a wrong password and an unknown e-mail', async () => {
      const wrong = await server.api('POST', '/api/v1/auth/login', {
        body: { factory_slug: 'default', email: server.factory.adminEmail, password: 'not-the-password' },
      });
      const unknown = await server.api('POST', '/api/v1/auth/login', {
        body: { factory_slug: 'default', email: 'nobody@factoryops.local', password: 'not-the-password' },
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(errorCode(wrong)).toBe('INVALID_CREDENTIALS');
      expect(unknown.json).toEqual(wrong.json);
    });

    it('answers 404 for a factory that does not exist', async () => {
      const res = await server.api('POST', '/api/v1/auth/login', {
        body: { factory_slug: 'no-such-plant', email: server.factory.adminEmail, password: server.factory.adminPassword },
      });
      expect(res.status).toBe(404);
      expect(errorCode(res)).toBe('FACTORY_NOT_FOUND');
    });

    it("refuses one factory's credentials at another factory", async () => {
      const res = await server.api('POST', '/api/v1/auth/login', {
        body: { factory_slug: plantB.slug, email: server.factory.adminEmail, password: server.factory.adminPassword },
      });
      expect(res.status).toBe(401);
      expect(errorCode(res)).toBe('INVALID_CREDENTIALS');
      const own = await server.login({ factorySlug: plantB.slug, email: plantB.adminEmail, password: plantB.adminPassword });
      expect(own.factoryId).toBe(plantB.id);
    });

    it('refuses a deactivated user even with the right password', async () => {
      const user = await server.createUser(server.factory.id, 'gone@factoryops.local', 'operator');
      const admin = await server.login();
      expect((await server.api('DELETE', `/api/v1/users/${user.id}`, { token: admin.accessToken })).status).toBe(204);
      const res = await server.api('POST', '/api/v1/auth/login', {
        body: { factory_slug: 'default', email: user.email, password: user.password },
      });
      expect(res.status).toBe(401);
      expect(errorCode(res)).toBe('INVALID_CREDENTIALS');
    });

    it('refuses a login body that is incomplete or has extra fields', async () => {
      const cases = [
        {},
        { factory_slug: 'default', email: server.factory.adminEmail },
        { factory_slug: 'default', email: server.factory.adminEmail, password: server.factory.adminPassword, remember: true },
        { factory_slug: 'default', email: server.factory.adminEmail, password: '' },
      ];
      for (const body of cases) {
        const res = await server.api('POST', '/api/v1/auth/login', { body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(errorCode(res)).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('/auth/me', () => {
    it('returns the signed-in user and factory', async () => {
      const session = await server.login();
      const res = await server.api('GET', '/api/v1/auth/me', { token: session.accessToken });
      expect(res.status).toBe(200);
      expect(res.json.data.user).toMatchObject({ id: server.factory.adminId, email: server.factory.adminEmail, role: 'super_admin' });
      expect(res.json.data.factory).toEqual({ id: server.factory.id, name: 'Default Factory', slug: 'default' });
    });

    it('answers 401 without a token or with a non-bearer Authorization', async () => {
      const none = await server.api('GET', '/api/v1/auth/me');
      expect(none.status).toBe(401);
      expect(errorCode(none)).toBe('UNAUTHENTICATED');
      const basic = await server.api('GET', '/api/v1/auth/me', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
      expect(basic.status).toBe(401);
      expect(errorCode(basic)).toBe('UNAUTHENTICATED');
    });
  });

  describe('refresh tokens', () => {
    it('rotates: each refresh gives a new pair and the new access token works', async () => {
      const session = await server.login();
      const res = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: session.refreshToken } });
      expect(res.status).toBe(200);
      expect(res.json.refresh_token).not.toBe(session.refreshToken);
      expect(res.json.token_type).toBe('bearer');
      expect(res.json.user.id).toBe(server.factory.adminId);
      const me = await server.api('GET', '/api/v1/auth/me', { token: res.json.access_token });
      expect(me.status).toBe(200);
      const again = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: res.json.refresh_token } });
      expect(again.status).toBe(200);
    });

    it('revokes the whole family when a rotated token is presented again', async () => {
      const session = await server.login();
      const first = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: session.refreshToken } });
      expect(first.status).toBe(200);
      const replay = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: session.refreshToken } });
      expect(replay.status).toBe(401);
      expect(errorCode(replay)).toBe('REFRESH_TOKEN_INVALID');
      // The legitimate holder's newer token died with the family.
      const successor = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: first.json.refresh_token } });
      expect(successor.status).toBe(401);
      expect(errorCode(successor)).toBe('REFRESH_TOKEN_INVALID');
      // Another session of the same person is untouched.
      const other = await server.login();
      expect((await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: other.refreshToken } })).status).toBe(200);

      const audit = await server.api('GET', '/api/v1/audit?per_page=100', { token: other.accessToken });
      expect(audit.json.data.some((e: { action: string }) => e.action === 'auth.refresh_reuse_detected')).toBe(true);
    });

    it('refuses garbage, a token moved to another factory, and a too-short token', async () => {
      const session = await server.login();
      const moved = session.refreshToken.replace(/^\d+\./, `${plantB.id}.`);
      for (const token of ['x'.repeat(40), `${server.factory.id}.${'A'.repeat(43)}`, moved, '99999999999.abcdefghijklmnopqrstuvwxyz']) {
        const res = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: token } });
        expect(res.status, token).toBe(401);
        expect(errorCode(res)).toBe('REFRESH_TOKEN_INVALID');
      }
      const short = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: 'abc' } });
      expect(short.status).toBe(400);
      // The real token still works: none of that touched it.
      expect((await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: session.refreshToken } })).status).toBe(200);
    });

    it('expires with its lifetime', async () => {
      const session = await server.login();
      server.clock.advance(14 * 24 * 3600_000 + 1000);
      const res = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: session.refreshToken } });
      expect(res.status).toBe(401);
      expect(errorCode(res)).toBe('REFRESH_TOKEN_INVALID');
    });

    it('stops working for a user who was deactivated', async () => {
      const user = await server.createUser(server.factory.id, 'leaver@factoryops.local', 'viewer');
      const session = await server.login({ email: user.email, password: user.password });
      const admin = await server.login();
      expect((await server.api('DELETE', `/api/v1/users/${user.id}`, { token: admin.accessToken })).status).toBe(204);
      const res = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: session.refreshToken } });
      expect(res.status).toBe(401);
    });
  });

  describe('logout', () => {
    it('ends the session of the refresh token', async () => {
      const session = await server.login();
      const out = await server.api('POST', '/api/v1/auth/logout', { body: { refresh_token: session.refreshToken } });
      expect(out.status).toBe(204);
      expect(out.text).toBe('');
      const res = await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: session.refreshToken } });
      expect(res.status).toBe(401);
    });

    it('ignores an unknown refresh token', async () => {
      const res = await server.api('POST', '/api/v1/auth/logout', { body: { refresh_token: `${server.factory.id}.${'Z'.repeat(43)}` } });
      expect(res.status).toBe(204);
    });

    it('with all_sessions ends every session of the person, and needs the access token for it', async () => {
      const a = await server.login();
      const b = await server.login();
      const anonymous = await server.api('POST', '/api/v1/auth/logout', { body: { all_sessions: true } });
      expect(anonymous.status).toBe(401);
      expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
      const res = await server.api('POST', '/api/v1/auth/logout', { token: a.accessToken, body: { all_sessions: true } });
      expect(res.status).toBe(204);
      for (const s of [a, b]) {
        expect((await server.api('POST', '/api/v1/auth/refresh', { body: { refresh_token: s.refreshToken } })).status).toBe(401);
      }
    });
  });

  describe('tampered access tokens', () => {
    async function expectRefused(token: string, code = 'TOKEN_INVALID') {
      for (const path of ['/api/v1/auth/me', '/api/v1/devices', '/api/v1/users']) {
        const res = await server.api('GET', path, { token });
        expect(res.status, `${path} ${token.slice(0, 20)}`).toBe(401);
        expect(errorCode(res)).toBe(code);
      }
    }

    it('refuses a token with one signature character changed', async () => {
      const { accessToken } = await server.login();
      const [header, payload, signature] = accessToken.split('.') as [string, string, string];
      const i = 10;
      const flipped = signature.slice(0, i) + (signature[i] === 'A' ? 'B' : 'A') + signature.slice(i + 1);
      await expectRefused(`${header}.${payload}.${flipped}`);
    });

    it('refuses a payload edited to another user or role, keeping the old signature', async () => {
      const { accessToken } = await server.login();
      const [header, payload, signature] = accessToken.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      await expectRefused(`${header}.${b64url({ ...claims, sub: String(plantB.adminId), factory_id: plantB.id })}.${signature}`);
      await expectRefused(`${header}.${b64url({ ...claims, role: 'super_admin', exp: (claims.exp as number) + 86400 })}.${signature}`);
    });

    it('refuses alg "none"', async () => {
      const { accessToken } = await server.login();
      const payload = accessToken.split('.')[1] ?? '';
      await expectRefused(`${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`);
      await expectRefused(`${b64url({ alg: 'none' })}.${payload}`.concat('.'));
    });

    it('refuses a token signed with another secret', async () => {
      const token = await forge({ sub: String(server.factory.adminId), factory_id: server.factory.id, role: 'super_admin' }, { secret: new Uint8Array(64).fill(7) });
      await expectRefused(token);
    });

    it('refuses a token for another issuer or audience', async () => {
      const claims = { sub: String(server.factory.adminId), factory_id: server.factory.id, role: 'super_admin' };
      await expectRefused(await forge(claims, { iss: 'someone-else' }));
      await expectRefused(await forge(claims, { aud: 'another-api' }));
    });

    it('refuses an expired token with TOKEN_EXPIRED, and accepts it again never', async () => {
      const { accessToken } = await server.login();
      expect((await server.api('GET', '/api/v1/auth/me', { token: accessToken })).status).toBe(200);
      server.clock.advance(901_000);
      await expectRefused(accessToken, 'TOKEN_EXPIRED');
    });

    it('refuses well-signed claims for a user that does not exist or is in another factory', async () => {
      await expectRefused(await forge({ sub: '999999', factory_id: server.factory.id, role: 'super_admin' }));
      // Factory A's admin id with factory B: the lookup is scoped, so there is no such user.
      await expectRefused(await forge({ sub: String(server.factory.adminId), factory_id: plantB.id, role: 'super_admin' }));
      await expectRefused(await forge({ sub: String(server.factory.adminId), factory_id: 999999, role: 'super_admin' }));
      await expectRefused(await forge({ sub: 'abc', factory_id: server.factory.id, role: 'super_admin' }));
      await expectRefused(await forge({ sub: String(server.factory.adminId), factory_id: String(server.factory.id), role: 'super_admin' }));
      await expectRefused(await forge({ sub: String(server.factory.adminId), factory_id: server.factory.id, role: 'root' }));
    });

    it('takes the role from the user record, not from the token', async () => {
      const viewer = await server.createUser(server.factory.id, 'viewer-claims@factoryops.local', 'viewer');
      const token = await forge({ sub: String(viewer.id), factory_id: server.factory.id, role: 'super_admin' });
      const res = await server.api('GET', '/api/v1/users', { token });
      expect(res.status).toBe(403);
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect((await server.api('POST', '/api/v1/devices', { token, body: { device_key: 'claims-1' } })).status).toBe(403);
    });

    it('refuses nonsense in the Authorization header', async () => {
      for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer <script>', `Bearer ${'a'.repeat(8000)}`]) {
        const res = await server.api('GET', '/api/v1/auth/me', { headers: { authorization } });
        expect(res.status).toBe(401);
        expect(errorCode(res)).toMatch(/^(UNAUTHENTICATED|TOKEN_INVALID)$/);
      }
    });
  });
});
