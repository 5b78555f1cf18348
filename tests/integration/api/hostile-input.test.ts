/**
 * Hostile and malformed requests: every answer is a 4xx with the error shape, never a 500,
 * and the server keeps working afterwards. Strings that look like SQL are stored and found
 * literally. Runs on SQLite and MariaDB metadata (lengths, charsets and quoting differ).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { META_DIALECTS } from '../../helpers/meta-targets.js';
import { errorCode, startTestServerOn, type ApiResponse, type Session, type TestServer } from '../../helpers/test-server.js';

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** An exact status when it matters; otherwise any 4xx. */
  status?: number;
  code?: string;
  anonymous?: boolean;
}

describe.each(META_DIALECTS)('hostile input ($name metadata)', (dialect) => {
  let server: TestServer;
  let admin: Session;
  let deviceId: number;
  let parameterId: number;
  let operatorId: number;

  beforeAll(async () => {
    server = await startTestServerOn(dialect);
    admin = await server.login();
    const created = await server.api('POST', '/api/v1/devices', { token: admin.accessToken, body: { device_key: 'target', name: 'Target' } });
    deviceId = created.json.data.id;
    await server.running.meta.parameters.discover(server.factory.id, deviceId, [{ key: 'voltage', dataType: 'float' }], server.clock.now());
    parameterId = (await server.running.meta.parameters.listForDevice(server.factory.id, deviceId))[0]?.id ?? 0;
    operatorId = (await server.createUser(server.factory.id, 'operator@example.com', 'operator')).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  function expectClientError(res: ApiResponse, c: Case) {
    const where = `${c.name}: ${c.method} ${c.path} → ${res.status} ${res.text.slice(0, 200)}`;
    expect(res.status, where).toBeGreaterThanOrEqual(400);
    expect(res.status, where).toBeLessThan(500);
    if (c.status !== undefined) expect(res.status, where).toBe(c.status);
    expect(errorCode(res), where).toBeDefined();
    if (c.code !== undefined) expect(errorCode(res), where).toBe(c.code);
    expect(res.headers.get('content-type'), where).toMatch(/application\/json/);
  }

  async function send(c: Case) {
    return server.api(c.method, c.path, {
      ...(c.anonymous ? {} : { token: admin.accessToken }),
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(c.headers ? { headers: c.headers } : {}),
    });
  }

  const bodyRoutes = (): Array<[string, string, Record<string, unknown>]> => [
    ['POST', '/api/v1/auth/login', { factory_slug: 'default', email: 'admin@factoryops.local', password: 'x' }],
    ['POST', '/api/v1/auth/refresh', { refresh_token: '1.abcdefghijklmnopqrstuvwxyz' }],
    ['POST', '/api/v1/auth/logout', {}],
    ['POST', '/api/v1/users/invite', { email: 'someone@example.com' }],
    ['POST', '/api/v1/users/accept-invite', { token: '1.abcdefghijklmnopqrstuvwxyz', password: 'long enough' }],
    ['PATCH', `/api/v1/users/${operatorId}/permissions`, { role: 'viewer' }],
    ['POST', '/api/v1/devices', { device_key: 'never-created' }],
    ['PATCH', `/api/v1/devices/${deviceId}`, { name: 'x' }],
    ['PATCH', `/api/v1/devices/${deviceId}/parameters/${parameterId}`, { unit: 'x' }],
  ];

  it('refuses malformed JSON, wrong content types and empty bodies on every body route', async () => {
    for (const [method, path] of bodyRoutes()) {
      const cases: Case[] = [
        { name: 'truncated JSON', method, path, body: '{"name":', status: 400, code: 'INVALID_JSON' },
        { name: 'trailing garbage', method, path, body: '{} x', status: 400, code: 'INVALID_JSON' },
        { name: 'single quotes', method, path, body: "{'name':'x'}", status: 400, code: 'INVALID_JSON' },
        { name: 'not an object', method, path, body: '[1,2,3]', status: 400 },
        { name: 'null', method, path, body: 'null', status: 400 },
        { name: 'a string', method, path, body: '"hello"', status: 400 },
        { name: 'text/plain', method, path, body: '{"name":"x"}', headers: { 'content-type': 'text/plain' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
        { name: 'form', method, path, body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 },
        { name: 'xml', method, path, body: '<name>x</name>', headers: { 'content-type': 'application/xml' }, status: 415 },
        { name: 'multipart', method, path, body: '--b\r\n\r\nx\r\n--b--', headers: { 'content-type': 'multipart/form-data; boundary=b' }, status: 415 },
        { name: 'no body', method, path, status: 400 },
        { name: 'empty JSON body', method, path, body: '', headers: { 'content-type': 'application/json' }, status: 400 },
      ];
      for (const c of cases) expectClientError(await send(c), c);
    }
  });

  it('refuses unknown fields and prototype-pollution keys, and pollutes nothing', async () => {
    for (const [method, path, valid] of bodyRoutes()) {
      const cases: Case[] = [
        { name: 'unknown field', method, path, body: { ...valid, is_admin: true }, status: 400, code: 'VALIDATION_FAILED' },
        { name: '__proto__', method, path, body: `{"__proto__":{"polluted":true},${JSON.stringify(valid).slice(1)}`, status: 400 },
        { name: 'nested __proto__', method, path, body: `{"x":{"__proto__":{"polluted":true}},${JSON.stringify(valid).slice(1)}`, status: 400 },
        { name: 'constructor.prototype', method, path, body: `{"constructor":{"prototype":{"polluted":true}},${JSON.stringify(valid).slice(1)}`, status: 400 },
        { name: 'constructor', method, path, body: { ...valid, constructor: 'x' }, status: 400 },
      ];
      for (const c of cases) expectClientError(await send(c), c);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses values of the wrong type instead of coercing them', async () => {
    const cases: Case[] = [
      { name: 'number as key', method: 'POST', path: '/api/v1/devices', body: { device_key: 123 } },
      { name: 'array as key', method: 'POST', path: '/api/v1/devices', body: { device_key: ['x'] } },
      { name: 'object as key', method: 'POST', path: '/api/v1/devices', body: { device_key: { $ne: null } } },
      { name: 'bool as name', method: 'POST', path: '/api/v1/devices', body: { device_key: 'typed-1', name: true } },
      { name: 'number as name', method: 'PATCH', path: `/api/v1/devices/${deviceId}`, body: { name: 42 } },
      { name: 'string as bool', method: 'PATCH', path: `/api/v1/devices/${deviceId}`, body: { is_active: 'false' } },
      { name: 'number as bool', method: 'PATCH', path: `/api/v1/devices/${deviceId}`, body: { is_active: 0 } },
      { name: 'null as bool', method: 'PATCH', path: `/api/v1/devices/${deviceId}`, body: { is_active: null } },
      { name: 'string as kpi flag', method: 'PATCH', path: `/api/v1/devices/${deviceId}/parameters/${parameterId}`, body: { is_kpi_selected: 'true' } },
      { name: 'object as email', method: 'POST', path: '/api/v1/auth/login', body: { factory_slug: 'default', email: { $gt: '' }, password: 'x' }, anonymous: true },
      { name: 'array as password', method: 'POST', path: '/api/v1/auth/login', body: { factory_slug: 'default', email: 'admin@factoryops.local', password: ['x'] }, anonymous: true },
      { name: 'number as slug', method: 'POST', path: '/api/v1/auth/login', body: { factory_slug: 1, email: 'admin@factoryops.local', password: 'x' }, anonymous: true },
      { name: 'string as all_sessions', method: 'POST', path: '/api/v1/auth/logout', body: { all_sessions: 'yes' }, anonymous: true },
      { name: 'number as role', method: 'PATCH', path: `/api/v1/users/${operatorId}/permissions`, body: { role: 1 } },
      { name: 'string as permission', method: 'PATCH', path: `/api/v1/users/${operatorId}/permissions`, body: { permissions: { can_create_rules: 'true' } } },
      { name: 'array as permissions', method: 'PATCH', path: `/api/v1/users/${operatorId}/permissions`, body: { permissions: [true] } },
    ];
    for (const c of cases) expectClientError(await send(c), { ...c, status: 400 });
    const device = await server.api('GET', `/api/v1/devices/${deviceId}`, { token: admin.accessToken });
    expect(device.json.data).toMatchObject({ name: 'Target', is_active: true });
    const user = await server.running.meta.users.get(server.factory.id, operatorId);
    expect(user).toMatchObject({ role: 'operator', permissions: { can_create_rules: false } });
  });

  it('refuses strings that are too long or contain control characters', async () => {
    const cases: Case[] = [
      { name: 'name 256', method: 'POST', path: '/api/v1/devices', body: { device_key: 'long-1', name: 'n'.repeat(256) } },
      { name: 'key 101', method: 'POST', path: '/api/v1/devices', body: { device_key: 'k'.repeat(101) } },
      { name: 'region 10k', method: 'PATCH', path: `/api/v1/devices/${deviceId}`, body: { region: 'r'.repeat(10_000) } },
      { name: 'unit 51', method: 'PATCH', path: `/api/v1/devices/${deviceId}/parameters/${parameterId}`, body: { unit: 'u'.repeat(51) } },
      { name: 'display name 256', method: 'PATCH', path: `/api/v1/devices/${deviceId}/parameters/${parameterId}`, body: { display_name: 'd'.repeat(256) } },
      { name: 'NUL in name', method: 'POST', path: '/api/v1/devices', body: { device_key: 'ctl-1', name: 'a\u0000b' } },
      { name: 'newline in name', method: 'PATCH', path: `/api/v1/devices/${deviceId}`, body: { name: 'line1\nline2' } },
      { name: 'email 300', method: 'POST', path: '/api/v1/users/invite', body: { email: `${'e'.repeat(290)}@example.com` } },
      { name: 'login email 300', method: 'POST', path: '/api/v1/auth/login', body: { factory_slug: 'default', email: 'e'.repeat(300), password: 'x' }, anonymous: true },
      { name: 'password 257', method: 'POST', path: '/api/v1/auth/login', body: { factory_slug: 'default', email: 'admin@factoryops.local', password: 'p'.repeat(257) }, anonymous: true },
      { name: 'slug 64', method: 'POST', path: '/api/v1/auth/login', body: { factory_slug: 's'.repeat(64), email: 'a@b.c', password: 'x' }, anonymous: true },
      { name: 'refresh 513', method: 'POST', path: '/api/v1/auth/refresh', body: { refresh_token: `1.${'r'.repeat(511)}` }, anonymous: true },
      { name: 'invite token 201', method: 'POST', path: '/api/v1/users/accept-invite', body: { token: `1.${'t'.repeat(199)}`, password: 'long enough' }, anonymous: true },
      { name: 'search 101', method: 'GET', path: `/api/v1/devices?search=${'s'.repeat(101)}` },
    ];
    for (const c of cases) expectClientError(await send(c), { ...c, status: 400, code: 'VALIDATION_FAILED' });
    // The longest allowed values are stored whole.
    const max = await server.api('POST', '/api/v1/devices', { token: admin.accessToken, body: { device_key: 'k'.repeat(100), name: 'n'.repeat(255), region: 'ü'.repeat(255) } });
    expect(max.status).toBe(201);
    expect(max.json.data.name).toHaveLength(255);
    expect((await server.api('GET', `/api/v1/devices/${max.json.data.id}`, { token: admin.accessToken })).json.data.region).toBe('ü'.repeat(255));
  });

  it('refuses a body over the size limit with 413', async () => {
    const huge = JSON.stringify({ device_key: 'huge', name: 'x'.repeat(2 * 1024 * 1024) });
    for (const c of [
      { name: 'huge device', method: 'POST', path: '/api/v1/devices', body: huge },
      { name: 'huge login', method: 'POST', path: '/api/v1/auth/login', body: huge, anonymous: true },
    ] satisfies Case[]) {
      expectClientError(await send(c), { ...c, status: 413, code: 'PAYLOAD_TOO_LARGE' });
    }
  });

  it('survives deeply nested JSON', async () => {
    const deep = `{"device_key":"deep","name":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    expectClientError(await send({ name: 'deep', method: 'POST', path: '/api/v1/devices', body: deep }), { name: 'deep', method: 'POST', path: '' });
  });

  it('refuses ids that are not positive 32-bit integers, and 404s the largest one', async () => {
    const ids = ['0', '-1', '1.5', 'abc', '1;DROP%20TABLE%20devices', '99999999999', '2147483648', '%00', "1'%20OR%20'1'='1"];
    for (const id of ids) {
      for (const [method, path, body] of [
        ['GET', `/api/v1/devices/${id}`, undefined],
        ['PATCH', `/api/v1/devices/${id}`, { name: 'x' }],
        ['DELETE', `/api/v1/devices/${id}`, undefined],
        ['POST', `/api/v1/devices/${id}/rotate-key`, undefined],
        ['PATCH', `/api/v1/devices/${deviceId}/parameters/${id}`, { unit: 'x' }],
        ['PATCH', `/api/v1/users/${id}/permissions`, { role: 'viewer' }],
        ['DELETE', `/api/v1/users/${id}`, undefined],
      ] as const) {
        const c: Case = { name: `id ${id}`, method, path, ...(body ? { body } : {}) };
        expectClientError(await send(c), { ...c, status: 400 });
      }
    }
    const largest = await server.api('GET', '/api/v1/devices/2147483647', { token: admin.accessToken });
    expect(largest.status).toBe(404);
    expect(errorCode(largest)).toBe('DEVICE_NOT_FOUND');
  });

  it('refuses a body on routes that take none', async () => {
    for (const c of [
      { name: 'rotate with fields', method: 'POST', path: `/api/v1/devices/${deviceId}/rotate-key`, body: { api_key: 'fk_mine' } },
      { name: 'delete with fields', method: 'DELETE', path: `/api/v1/devices/${deviceId}`, body: { hard: true } },
    ] satisfies Case[]) {
      expectClientError(await send(c), { ...c, status: 400 });
    }
    const device = await server.api('GET', `/api/v1/devices/${deviceId}`, { token: admin.accessToken });
    expect(device.json.data.is_active).toBe(true);
    // An empty JSON body (or none, with a JSON content type) is fine.
    const emptyObject = await server.api('POST', `/api/v1/devices/${deviceId}/rotate-key`, { token: admin.accessToken, body: {} });
    expect(emptyObject.status).toBe(200);
    const typedEmpty = await server.api('POST', `/api/v1/devices/${deviceId}/rotate-key`, { token: admin.accessToken, headers: { 'content-type': 'application/json' } });
    expect(typedEmpty.status).toBe(200);
  });

  it('answers unknown routes and methods with the error shape', async () => {
    for (const c of [
      { name: 'unknown path', method: 'GET', path: '/api/v1/nothing-here', status: 404, code: 'NOT_FOUND' },
      { name: 'PUT device', method: 'PUT', path: `/api/v1/devices/${deviceId}`, body: {}, status: 404 },
      { name: 'path traversal', method: 'GET', path: '/api/v1/devices/..%2f..%2fetc%2fpasswd', status: 400 },
      { name: 'encoded slash id', method: 'GET', path: '/api/v1/devices/1%2F2' },
    ] satisfies Case[]) {
      expectClientError(await send(c), c);
    }
  });

  it('stores SQL-looking and exotic strings literally and finds them only literally', async () => {
    const names = [
      "Robert'); DROP TABLE devices;--",
      "' OR '1'='1",
      '" OR ""="',
      '\\"; SELECT * FROM users; --',
      '%_% \\ % _',
      '💥 Pumpe Süd — 東京',
      '<script>alert(1)</script>',
    ];
    const ids: number[] = [];
    for (const [i, name] of names.entries()) {
      const res = await server.api('POST', '/api/v1/devices', { token: admin.accessToken, body: { device_key: `sql-${i}`, name, region: name } });
      expect(res.status, name).toBe(201);
      expect(res.json.data.name).toBe(name);
      ids.push(res.json.data.id);
    }
    for (const [i, name] of names.entries()) {
      const got = await server.api('GET', `/api/v1/devices/${ids[i]}`, { token: admin.accessToken });
      expect(got.json.data).toMatchObject({ name, region: name });
    }
    const total = (await server.api('GET', '/api/v1/devices', { token: admin.accessToken })).json.pagination.total as number;
    const search = async (term: string) =>
      (await server.api('GET', `/api/v1/devices?per_page=100&search=${encodeURIComponent(term)}`, { token: admin.accessToken })).json as {
        data: Array<{ device_key: string }>;
        pagination: { total: number };
      };
    expect((await search("' OR '1'='1")).data.map((d) => d.device_key)).toEqual(['sql-1']);
    expect((await search("x' OR 'x'='x")).pagination.total).toBe(0);
    expect((await search('DROP TABLE')).data.map((d) => d.device_key)).toEqual(['sql-0']);
    expect((await search('💥')).data.map((d) => d.device_key)).toEqual(['sql-5']);
    expect((await search('\\')).data.map((d) => d.device_key).sort()).toEqual(['sql-3', 'sql-4']);
    // Every table is still there.
    expect((await server.api('GET', '/api/v1/devices', { token: admin.accessToken })).json.pagination.total).toBe(total);
    expect((await server.api('GET', '/api/v1/users', { token: admin.accessToken })).status).toBe(200);

    const sqlLogin = await server.api('POST', '/api/v1/auth/login', { body: { factory_slug: 'default', email: "admin@factoryops.local' --", password: "' OR '1'='1" } });
    expect(sqlLogin.status).toBe(401);
  });

  it('is still healthy and working after all of that', async () => {
    const health = await server.api('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('healthy');
    const session = await server.login();
    expect((await server.api('GET', '/api/v1/devices', { token: session.accessToken })).status).toBe(200);
  });
});
