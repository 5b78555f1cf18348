/**
 * Devices over HTTP: create (API key shown once, only its hash stored), get with parameters,
 * list with pagination / search / is_active, patch, soft delete, key rotation, parameter
 * metadata, and who may do what.
 */
import { readFileSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../server/auth/secrets.js';
import { META_DIALECTS } from '../../helpers/meta-targets.js';
import { errorCode, startTestServerOn, type Json, type Session, type TestServer } from '../../helpers/test-server.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe.each(META_DIALECTS)('devices API ($name metadata)', (dialect) => {
  let server: TestServer & { metadataFile: string | null };
  let admin: Session;

  beforeAll(async () => {
    server = await startTestServerOn(dialect);
    admin = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  async function create(body: Record<string, unknown>) {
    const res = await server.api('POST', '/api/v1/devices', { token: admin.accessToken, body });
    expect(res.status, res.text).toBe(201);
    return res.json.data as Record<string, Json> & { id: number; api_key: string };
  }

  describe('create and read', () => {
    it('creates a device and shows its API key exactly once', async () => {
      const created = await create({ device_key: 'M01', name: 'Compressor 1', manufacturer: 'Siemens', model: 'XYZ-500', region: 'Zone A' });
      expect(created).toMatchObject({
        device_key: 'M01',
        name: 'Compressor 1',
        manufacturer: 'Siemens',
        model: 'XYZ-500',
        region: 'Zone A',
        is_active: true,
        last_seen: null,
        status: 'never_seen',
      });
      expect(created.created_at).toMatch(ISO);
      expect(created.api_key).toMatch(/^fk_[A-Za-z0-9_-]{43}$/);
      expect(created.api_key_prefix).toBe(created.api_key.slice(0, 10));

      const got = await server.api('GET', `/api/v1/devices/${created.id}`, { token: admin.accessToken });
      expect(got.status).toBe(200);
      expect(got.json.data).not.toHaveProperty('api_key');
      expect(got.text).not.toContain(created.api_key);
      expect(got.json.data.parameters).toEqual([]);
      const list = await server.api('GET', '/api/v1/devices?per_page=100', { token: admin.accessToken });
      expect(list.text).not.toContain(created.api_key);
    });

    it('stores only the hash of the API key', async () => {
      const created = await create({ device_key: 'hash-check' });
      const creds = server.running.meta.deviceCredentials;
      expect(await creds.verify(server.factory.id, created.id, sha256Hex(created.api_key))).toBe(true);
      expect(await creds.findOwner(sha256Hex(created.api_key))).toEqual({ factoryId: server.factory.id, deviceId: created.id });
      expect(await creds.findOwner(created.api_key)).toBeUndefined();
      if (server.metadataFile) {
        // Nothing on disk (database or its write-ahead log) holds the key itself.
        for (const file of [server.metadataFile, `${server.metadataFile}-wal`]) {
          if (existsSync(file)) expect(readFileSync(file).includes(Buffer.from(created.api_key))).toBe(false);
        }
      }
    });

    it('refuses a duplicate device key in the same factory, allows it in another', async () => {
      await create({ device_key: 'dup-key' });
      const again = await server.api('POST', '/api/v1/devices', { token: admin.accessToken, body: { device_key: 'dup-key' } });
      expect(again.status).toBe(409);
      expect(errorCode(again)).toBe('DUPLICATE_DEVICE_KEY');
      const other = await server.createFactory('devices-plant-b');
      const otherAdmin = await server.login({ factorySlug: other.slug, email: other.adminEmail, password: other.adminPassword });
      const there = await server.api('POST', '/api/v1/devices', { token: otherAdmin.accessToken, body: { device_key: 'dup-key' } });
      expect(there.status).toBe(201);
    });

    it('refuses device keys that cannot be an MQTT topic segment', async () => {
      for (const device_key of ['', 'has space', 'a/b', 'plus+', 'hash#', '-leading', '.hidden', 'x'.repeat(101), 'ümlaut']) {
        const res = await server.api('POST', '/api/v1/devices', { token: admin.accessToken, body: { device_key } });
        expect(res.status, device_key).toBe(400);
        expect(errorCode(res)).toBe('VALIDATION_FAILED');
      }
      expect((await server.api('POST', '/api/v1/devices', { token: admin.accessToken, body: { device_key: 'x'.repeat(100) } })).status).toBe(201);
    });

    it('returns a device with its parameters, sorted by key', async () => {
      const created = await create({ device_key: 'with-params' });
      await server.running.meta.parameters.discover(
        server.factory.id,
        created.id,
        [
          { key: 'voltage', dataType: 'float' },
          { key: 'current', dataType: 'float' },
          { key: 'state', dataType: 'string' },
        ],
        server.clock.now(),
      );
      const res = await server.api('GET', `/api/v1/devices/${created.id}`, { token: admin.accessToken });
      expect(res.status).toBe(200);
      expect(res.json.data.parameters.map((p: { parameter_key: string }) => p.parameter_key)).toEqual(['current', 'state', 'voltage']);
      expect(res.json.data.parameters[2]).toMatchObject({ parameter_key: 'voltage', display_name: null, unit: null, data_type: 'float', is_kpi_selected: true });
    });

    it('answers 404 DEVICE_NOT_FOUND for an id nobody has', async () => {
      const res = await server.api('GET', '/api/v1/devices/2147483647', { token: admin.accessToken });
      expect(res.status).toBe(404);
      expect(errorCode(res)).toBe('DEVICE_NOT_FOUND');
    });
  });

  describe('list', () => {
    let fleetIds: number[];
    beforeAll(async () => {
      // A separate factory so the counts are exact.
      const fleet = await server.createFactory('fleet');
      admin = await server.login({ factorySlug: fleet.slug, email: fleet.adminEmail, password: fleet.adminPassword });
      fleetIds = [];
      for (let i = 1; i <= 25; i++) {
        const n = String(i).padStart(2, '0');
        const d = await create({ device_key: `PUMP-${n}`, name: i % 5 === 0 ? `Halle Süd ${n}` : `Pump ${n}` });
        fleetIds.push(d.id);
      }
      await create({ device_key: 'rate_50', name: '50% valve' });
      for (const id of fleetIds.slice(0, 3)) {
        expect((await server.api('PATCH', `/api/v1/devices/${id}`, { token: admin.accessToken, body: { is_active: false } })).status).toBe(200);
      }
    });
    afterAll(async () => {
      admin = await server.login();
    });

    it('pages with totals and page counts, and no row twice', async () => {
      const seen = new Set<number>();
      for (const page of [1, 2, 3]) {
        const res = await server.api('GET', `/api/v1/devices?page=${page}&per_page=10`, { token: admin.accessToken });
        expect(res.status).toBe(200);
        expect(res.json.pagination).toEqual({ page, per_page: 10, total: 26, pages: 3 });
        expect(res.json.data).toHaveLength(page < 3 ? 10 : 6);
        for (const d of res.json.data) seen.add(d.id);
      }
      expect(seen.size).toBe(26);
      const beyond = await server.api('GET', '/api/v1/devices?page=4&per_page=10', { token: admin.accessToken });
      expect(beyond.json.data).toEqual([]);
      expect(beyond.json.pagination).toEqual({ page: 4, per_page: 10, total: 26, pages: 3 });
      const defaults = await server.api('GET', '/api/v1/devices', { token: admin.accessToken });
      expect(defaults.json.pagination).toEqual({ page: 1, per_page: 20, total: 26, pages: 2 });
      expect(defaults.json.data[0]).not.toHaveProperty('api_key');
    });

    it('searches key and name, case-insensitively, with wildcards taken literally', async () => {
      const search = async (term: string) => {
        const res = await server.api('GET', `/api/v1/devices?per_page=100&search=${encodeURIComponent(term)}`, { token: admin.accessToken });
        expect(res.status).toBe(200);
        return res.json as { data: Array<{ device_key: string }>; pagination: { total: number; pages: number } };
      };
      expect((await search('pump-0')).pagination.total).toBe(9);
      expect((await search('SÜD')).data.map((d) => d.device_key)).toEqual(['PUMP-05', 'PUMP-10', 'PUMP-15', 'PUMP-20', 'PUMP-25']);
      expect((await search('50%')).data.map((d) => d.device_key)).toEqual(['rate_50']);
      expect((await search('%')).data.map((d) => d.device_key)).toEqual(['rate_50']);
      expect((await search('_')).data.map((d) => d.device_key)).toEqual(['rate_50']);
      const none = await search('no such thing');
      expect(none.data).toEqual([]);
      expect(none.pagination).toMatchObject({ total: 0, pages: 0 });
      expect((await search('   ')).pagination.total).toBe(26);
    });

    it('filters by is_active', async () => {
      const inactive = await server.api('GET', '/api/v1/devices?is_active=false&per_page=100', { token: admin.accessToken });
      expect(inactive.json.data.map((d: { id: number }) => d.id).sort((a: number, b: number) => a - b)).toEqual(fleetIds.slice(0, 3));
      expect(inactive.json.pagination.total).toBe(3);
      const active = await server.api('GET', '/api/v1/devices?is_active=true&per_page=100', { token: admin.accessToken });
      expect(active.json.pagination.total).toBe(23);
      expect(active.json.data.every((d: { is_active: boolean }) => d.is_active)).toBe(true);
      const both = await server.api('GET', '/api/v1/devices?is_active=true&search=pump-0&per_page=100', { token: admin.accessToken });
      expect(both.json.pagination.total).toBe(6);
    });

    it('refuses bad paging and filter values', async () => {
      for (const query of ['page=0', 'page=-1', 'per_page=0', 'per_page=101', 'page=abc', 'is_active=maybe', 'sort=name', `search=${'s'.repeat(101)}`]) {
        const res = await server.api('GET', `/api/v1/devices?${query}`, { token: admin.accessToken });
        expect(res.status, query).toBe(400);
        expect(errorCode(res)).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('change', () => {
    it('patches fields, clears them with null, and returns the device with parameters', async () => {
      const created = await create({ device_key: 'patch-me', name: 'Before', region: 'Zone A', model: 'M1' });
      server.clock.advance(1000);
      const res = await server.api('PATCH', `/api/v1/devices/${created.id}`, {
        token: (admin = await server.login()).accessToken,
        body: { name: 'After', region: null, manufacturer: 'ABB' },
      });
      expect(res.status).toBe(200);
      expect(res.json.data).toMatchObject({ id: created.id, device_key: 'patch-me', name: 'After', region: null, manufacturer: 'ABB', model: 'M1', is_active: true, parameters: [] });
      expect(Date.parse(res.json.data.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
      const got = await server.api('GET', `/api/v1/devices/${created.id}`, { token: admin.accessToken });
      expect(got.json.data).toMatchObject({ name: 'After', region: null, manufacturer: 'ABB' });
    });

    it('does not let the device key or id be patched', async () => {
      const created = await create({ device_key: 'fixed-key' });
      for (const body of [{ device_key: 'other' }, { id: 1 }, { api_key: 'fk_x' }, { factory_id: 2 }]) {
        const res = await server.api('PATCH', `/api/v1/devices/${created.id}`, { token: admin.accessToken, body });
        expect(res.status, JSON.stringify(body)).toBe(400);
      }
      expect((await server.api('GET', `/api/v1/devices/${created.id}`, { token: admin.accessToken })).json.data.device_key).toBe('fixed-key');
    });

    it('soft-deletes: the device stays readable, inactive', async () => {
      const created = await create({ device_key: 'delete-me' });
      const res = await server.api('DELETE', `/api/v1/devices/${created.id}`, { token: admin.accessToken });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const got = await server.api('GET', `/api/v1/devices/${created.id}`, { token: admin.accessToken });
      expect(got.status).toBe(200);
      expect(got.json.data.is_active).toBe(false);
      const inactive = await server.api('GET', '/api/v1/devices?is_active=false&search=delete-me', { token: admin.accessToken });
      expect(inactive.json.data.map((d: { id: number }) => d.id)).toEqual([created.id]);
      // Deleting again is harmless.
      expect((await server.api('DELETE', `/api/v1/devices/${created.id}`, { token: admin.accessToken })).status).toBe(204);
    });

    it('rotates the API key: the new one works, the old one is dead', async () => {
      const created = await create({ device_key: 'rotate-me' });
      const res = await server.api('POST', `/api/v1/devices/${created.id}/rotate-key`, { token: admin.accessToken });
      expect(res.status).toBe(200);
      const fresh = res.json.data.api_key as string;
      expect(fresh).toMatch(/^fk_/);
      expect(fresh).not.toBe(created.api_key);
      expect(res.json.data.api_key_prefix).toBe(fresh.slice(0, 10));
      const creds = server.running.meta.deviceCredentials;
      expect(await creds.verify(server.factory.id, created.id, sha256Hex(created.api_key))).toBe(false);
      expect(await creds.verify(server.factory.id, created.id, sha256Hex(fresh))).toBe(true);
      const got = await server.api('GET', `/api/v1/devices/${created.id}`, { token: admin.accessToken });
      expect(got.json.data.api_key_prefix).toBe(fresh.slice(0, 10));
      expect(got.text).not.toContain(fresh);
    });

    it('patches parameter metadata, and only on the device it belongs to', async () => {
      const a = await create({ device_key: 'param-a' });
      const b = await create({ device_key: 'param-b' });
      const meta = server.running.meta.parameters;
      await meta.discover(server.factory.id, a.id, [{ key: 'voltage', dataType: 'float' }], server.clock.now());
      await meta.discover(server.factory.id, b.id, [{ key: 'voltage', dataType: 'float' }], server.clock.now());
      const [pa] = await meta.listForDevice(server.factory.id, a.id);
      const [pb] = await meta.listForDevice(server.factory.id, b.id);
      if (!pa || !pb) throw new Error('parameters were not discovered');

      const res = await server.api('PATCH', `/api/v1/devices/${a.id}/parameters/${pa.id}`, {
        token: admin.accessToken,
        body: { display_name: 'Voltage (Line 1)', unit: 'V', is_kpi_selected: false },
      });
      expect(res.status).toBe(200);
      expect(res.json.data).toMatchObject({ id: pa.id, parameter_key: 'voltage', display_name: 'Voltage (Line 1)', unit: 'V', is_kpi_selected: false, data_type: 'float' });
      const cleared = await server.api('PATCH', `/api/v1/devices/${a.id}/parameters/${pa.id}`, { token: admin.accessToken, body: { unit: '' } });
      expect(cleared.json.data.unit).toBe('');

      const wrongDevice = await server.api('PATCH', `/api/v1/devices/${a.id}/parameters/${pb.id}`, { token: admin.accessToken, body: { unit: 'kV' } });
      expect(wrongDevice.status).toBe(404);
      expect(errorCode(wrongDevice)).toBe('PARAMETER_NOT_FOUND');
      expect((await meta.get(server.factory.id, b.id, pb.id))?.unit).toBeNull();
      const missing = await server.api('PATCH', `/api/v1/devices/${a.id}/parameters/999999`, { token: admin.accessToken, body: { unit: 'kV' } });
      expect(missing.status).toBe(404);
      for (const body of [{ parameter_key: 'x' }, { unit: 'u'.repeat(51) }, { is_kpi_selected: 'no' }, { data_type: 'int' }]) {
        const bad = await server.api('PATCH', `/api/v1/devices/${a.id}/parameters/${pa.id}`, { token: admin.accessToken, body });
        expect(bad.status, JSON.stringify(body)).toBe(400);
      }
    });
  });

  describe('roles', () => {
    it('lets operators and viewers read but not change devices', async () => {
      const device = await create({ device_key: 'role-check' });
      await server.running.meta.parameters.discover(server.factory.id, device.id, [{ key: 'temp', dataType: 'float' }], server.clock.now());
      const [param] = await server.running.meta.parameters.listForDevice(server.factory.id, device.id);
      for (const role of ['operator', 'viewer'] as const) {
        const u = await server.createUser(server.factory.id, `${role}-devices@example.com`, role);
        const { accessToken: token } = await server.login({ email: u.email, password: u.password });
        expect((await server.api('GET', '/api/v1/devices', { token })).status).toBe(200);
        expect((await server.api('GET', `/api/v1/devices/${device.id}`, { token })).status).toBe(200);
        const writes = [
          ['POST', '/api/v1/devices', { device_key: `${role}-made` }],
          ['PATCH', `/api/v1/devices/${device.id}`, { name: 'x' }],
          ['DELETE', `/api/v1/devices/${device.id}`, undefined],
          ['POST', `/api/v1/devices/${device.id}/rotate-key`, undefined],
          ['PATCH', `/api/v1/devices/${device.id}/parameters/${param?.id}`, { unit: 'x' }],
        ] as const;
        for (const [method, path, body] of writes) {
          const res = await server.api(method, path, { token, ...(body ? { body } : {}) });
          expect(res.status, `${role} ${method} ${path}`).toBe(403);
          expect(errorCode(res)).toBe('FORBIDDEN');
        }
      }
      const after = await server.api('GET', `/api/v1/devices/${device.id}`, { token: admin.accessToken });
      expect(after.json.data).toMatchObject({ name: null, is_active: true, api_key_prefix: device.api_key.slice(0, 10) });
      expect(after.json.data.parameters[0].unit).toBeNull();
    });

    it('refuses anonymous callers on every device route', async () => {
      // Valid bodies: a request is validated before the caller is identified.
      for (const [method, path, body] of [
        ['GET', '/api/v1/devices', undefined],
        ['GET', '/api/v1/devices/1', undefined],
        ['POST', '/api/v1/devices', { device_key: 'anonymous-1' }],
        ['PATCH', '/api/v1/devices/1', { name: 'x' }],
        ['DELETE', '/api/v1/devices/1', undefined],
        ['POST', '/api/v1/devices/1/rotate-key', undefined],
        ['PATCH', '/api/v1/devices/1/parameters/1', { unit: 'x' }],
      ] as const) {
        const res = await server.api(method, path, body ? { body } : {});
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(errorCode(res)).toBe('UNAUTHENTICATED');
      }
    });
  });
});
