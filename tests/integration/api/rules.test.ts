/**
 * Rules over HTTP: create with engine validation (every problem at its path) and parameter
 * warnings, who may change rules, filters, patch and the on/off toggle, delete (or deactivate
 * when the rule has alarm history), another factory's ids, hostile bodies; and that the
 * running alarm service follows every change at once.
 *
 * Setup: a real test server (SQLite or MariaDB metadata, real sign-in, the real AlarmService
 * with its Piscina workers). Alarms come from real telemetry: devices publish over MQTT (QoS 1,
 * acknowledged once committed) and the test waits on `alarms.idle()` until the service has
 * evaluated and written what was committed. That a change reached the alarm service is shown
 * by behaviour: the next telemetry is judged by the changed rule.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ALERT_STATES } from '../../../engine/contract/alerts.js';
import { RULE_LIMITS } from '../../../engine/contract/rules.js';
import { ALARM_STATES, MAX_COOLDOWN_MINUTES, MAX_ON_DELAY_SECONDS } from '../../../engine/rules/index.js';
import { connectAs, telemetry, telemetryTopicOf } from '../../helpers/ingest.js';
import { META_DIALECTS } from '../../helpers/meta-targets.js';
import { errorCode, startTestServerOn, type ApiClient, type ApiResponse, type Json, type Session, type TestServer } from '../../helpers/test-server.js';

/** The seed's POST /rules example. */
function seedRule(deviceIds: number[]): Record<string, unknown> {
  return {
    name: 'Overvoltage Protection',
    description: 'Alert on high voltage',
    scope: 'device',
    device_ids: deviceIds,
    conditions: {
      operator: 'OR',
      conditions: [
        { parameter: 'voltage', operator: 'gt', value: 240 },
        { parameter: 'voltage', operator: 'lt', value: 200 },
      ],
    },
    severity: 'high',
    cooldown_minutes: 10,
    schedule_type: 'time_window',
    schedule_config: { start_time: '06:00', end_time: '22:00', days: [1, 2, 3, 4, 5] },
    notification_channels: { email: true, whatsapp: false },
  };
}

const voltageOver = (value: number) => ({ operator: 'AND', conditions: [{ parameter: 'voltage', operator: 'gt', value }] });

describe.each(META_DIALECTS)('rules API ($name metadata)', (dialect) => {
  let server: TestServer;
  let api: ApiClient;
  let superAdmin: Session;
  let ruleAdmin: Session;
  let plainAdmin: Session;
  let operatorWithPermission: Session;
  let viewer: Session;
  let m1: number;
  let m2: number;
  let m3: number;
  let other: { factoryId: number; session: Session; deviceId: number; ruleId: number };
  /** MQTT clients of the devices that send telemetry here, by device id. */
  const publishers = new Map<number, { key: string; client: MqttClient }>();

  async function device(token: string, key: string, name: string | null, publishes = false): Promise<number> {
    const res = await server.api('POST', '/api/v1/devices', { token, body: { device_key: key, ...(name ? { name } : {}) } });
    expect(res.status, res.text).toBe(201);
    const id = res.json.data.id as number;
    if (publishes) {
      const client = await connectAs(server.running.mqttPort as number, server.factory.slug, { deviceKey: key, apiKey: res.json.data.api_key });
      publishers.set(id, { key, client });
    }
    return id;
  }

  /**
   * One telemetry message from a device over MQTT (QoS 1: acknowledged once committed), a
   * second of (test) clock after the last one, then waits until the alarm service has
   * evaluated it and written the outcome.
   */
  async function send(deviceId: number, metrics: Record<string, number>): Promise<void> {
    const publisher = publishers.get(deviceId);
    if (!publisher) throw new Error(`device ${deviceId} has no MQTT client`);
    server.clock.advance(1000);
    await publisher.client.publishAsync(telemetryTopicOf(server.factory.slug, publisher.key), telemetry(metrics), { qos: 1 });
    await server.running.alarms.idle();
  }

  /** The alarms of one rule, newest first, as the API lists them. */
  async function alarmsOf(ruleId: number): Promise<Array<{ id: number; device_id: number; state: string }>> {
    const res = await api('GET', `/api/v1/alerts?rule_id=${ruleId}&per_page=100`, { token: viewer.accessToken });
    expect(res.status, res.text).toBe(200);
    return res.json.data;
  }

  async function user(role: 'admin' | 'operator' | 'viewer', email: string, canCreateRules: boolean): Promise<Session> {
    const created = await server.createUser(server.factory.id, email, role);
    if (canCreateRules) {
      const res = await server.api('PATCH', `/api/v1/users/${created.id}/permissions`, { token: superAdmin.accessToken, body: { permissions: { can_create_rules: true } } });
      expect(res.status, res.text).toBe(200);
    }
    return server.login({ email, password: created.password });
  }

  async function create(body: Record<string, unknown>, session: Session = ruleAdmin) {
    const res = await api('POST', '/api/v1/rules', { token: session.accessToken, body });
    expect(res.status, res.text).toBe(201);
    return res.json as { data: Record<string, Json> & { id: number }; warnings: Json[] };
  }

  async function ruleCount(factoryId = server.factory.id): Promise<number> {
    return (await server.running.meta.rules.list(factoryId)).length;
  }

  async function auditActions(): Promise<string[]> {
    const res = await server.api('GET', '/api/v1/audit?per_page=100', { token: superAdmin.accessToken });
    return (res.json.data as Array<{ action: string }>).map((e) => e.action);
  }

  function expectValidation(res: ApiResponse, path: string, message?: RegExp) {
    expect(res.status, res.text).toBe(400);
    expect(errorCode(res)).toBe('VALIDATION_FAILED');
    const details = res.json.error.details as Array<{ path: string; message: string }>;
    const hit = details.find((d) => d.path === path);
    expect(hit, `no detail at ${path}: ${res.text}`).toBeDefined();
    if (message) expect(hit?.message).toMatch(message);
  }

  beforeAll(async () => {
    server = await startTestServerOn(dialect);
    api = server.api;
    superAdmin = await server.login();
    ruleAdmin = await user('admin', 'rules@example.com', true);
    plainAdmin = await user('admin', 'plain-admin@example.com', false);
    operatorWithPermission = await user('operator', 'operator@example.com', true);
    viewer = await user('viewer', 'viewer@example.com', false);
    m1 = await device(superAdmin.accessToken, 'M1', 'Compressor 1', true);
    m2 = await device(superAdmin.accessToken, 'M2', 'Compressor 2', true);
    m3 = await device(superAdmin.accessToken, 'M3', null);
    const now = server.clock.now();
    await server.running.meta.parameters.discover(server.factory.id, m1, [{ key: 'voltage', dataType: 'float' }, { key: 'current', dataType: 'float' }], now);
    await server.running.meta.parameters.discover(server.factory.id, m2, [{ key: 'voltage', dataType: 'float' }], now);
    await server.running.meta.parameters.discover(server.factory.id, m3, [{ key: 'temperature', dataType: 'float' }], now);

    const plant = await server.createFactory('rules-plant-b');
    const session = await server.login({ factorySlug: plant.slug, email: plant.adminEmail, password: plant.adminPassword });
    const deviceId = await device(session.accessToken, 'B1', 'Secret press of plant B');
    const rule = await api('POST', '/api/v1/rules', { token: session.accessToken, body: { name: 'Plant B secret rule', device_ids: [deviceId], conditions: voltageOver(1) } });
    expect(rule.status, rule.text).toBe(201);
    other = { factoryId: plant.id, session, deviceId, ruleId: rule.json.data.id };
  });
  afterAll(async () => {
    await Promise.all([...publishers.values()].map((p) => p.client.endAsync(true)));
    await server?.close();
  });

  it('keeps the contract bounds equal to the engine’s', () => {
    expect(RULE_LIMITS.maxCooldownMinutes).toBe(MAX_COOLDOWN_MINUTES);
    expect(RULE_LIMITS.maxOnDelaySeconds).toBe(MAX_ON_DELAY_SECONDS);
    expect([...ALERT_STATES]).toEqual([...ALARM_STATES]);
  });

  describe('create', () => {
    it('creates the seed example with our defaults and audits it', async () => {
      const { data, warnings } = await create(seedRule([m1, m2]));
      expect(data).toMatchObject({
        name: 'Overvoltage Protection',
        description: 'Alert on high voltage',
        scope: 'device',
        device_ids: [m1, m2],
        device_count: 2,
        severity: 'high',
        cooldown_minutes: 10,
        is_active: true,
        schedule_type: 'time_window',
        schedule_config: { start_time: '06:00', end_time: '22:00', days: [1, 2, 3, 4, 5] },
        notification_channels: { email: true, whatsapp: false },
        on_delay_seconds: 0,
        deadband: 0,
        escalation_minutes: null,
        recipients: null,
        out_of_service: false,
        disabled_reason: null,
        created_by: ruleAdmin.userId,
      });
      expect(data.conditions).toEqual(seedRule([])['conditions']);
      expect(data.created_at).toMatch(/Z$/);
      expect(warnings).toEqual([]);
      expect(await auditActions()).toContain('rule.create');

      const got = await api('GET', `/api/v1/rules/${data.id}`, { token: viewer.accessToken });
      expect(got.status).toBe(200);
      expect(got.json.data).toEqual(data);
    });

    it('fills the table defaults for a minimal rule and stores the engine’s clean tree', async () => {
      const { data } = await create({ name: '  Minimal  ', device_ids: [m1, m1], conditions: { parameter: 'voltage', operator: 'gte', value: 1 } });
      expect(data).toMatchObject({
        name: 'Minimal',
        description: null,
        scope: 'device',
        device_ids: [m1],
        severity: 'medium',
        cooldown_minutes: 15,
        schedule_type: 'always',
        schedule_config: null,
        notification_channels: null,
      });
      expect(data.conditions).toEqual({ parameter: 'voltage', operator: 'gte', value: 1 });
    });

    it('takes the options of the alarm engine: on-delay, deadband, escalation, recipients', async () => {
      const { data } = await create({
        name: 'Options',
        scope: 'global',
        conditions: { operator: 'OR', conditions: [{ parameter: 'voltage', operator: 'outside', value: [200, 240], deadband: 2 }] },
        on_delay_seconds: 30,
        deadband: 1.5,
        escalation_minutes: 20,
        recipients: { user_ids: [operatorWithPermission.userId], emails: ['shift@example.com'], phones: ['+91 98765-43210'] },
        notification_channels: { email: true, sms: true, webhook: true },
      });
      expect(data).toMatchObject({ scope: 'global', device_ids: [], device_count: 0, on_delay_seconds: 30, deadband: 1.5, escalation_minutes: 20 });
      expect(data.recipients).toEqual({ user_ids: [operatorWithPermission.userId], emails: ['shift@example.com'], phones: ['+91 98765-43210'] });
    });
  });

  describe('parameter warnings', () => {
    it('warns (201, not 400) about parameters the scoped devices do not report, naming the devices', async () => {
      const { data, warnings } = await create({
        name: 'Warned',
        device_ids: [m1, m2],
        conditions: {
          operator: 'AND',
          conditions: [
            { parameter: 'voltage', operator: 'gt', value: 1 },
            { parameter: 'current', operator: 'gt', value: 1 },
            { parameter: 'voltag', operator: 'lt', value: 5 },
          ],
        },
      });
      expect(data.id).toBeGreaterThan(0);
      expect(warnings).toEqual([
        { path: 'conditions[1].parameter', parameter: 'current', devices: ['M2'], message: '"current" is not reported by M2' },
        expect.objectContaining({ path: 'conditions[2].parameter', parameter: 'voltag', devices: ['M1', 'M2'], suggestion: 'voltage' }),
      ]);
    });

    it('checks a global rule against every parameter of the factory', async () => {
      const { warnings } = await create({
        name: 'Global warned',
        scope: 'global',
        conditions: { operator: 'OR', conditions: [{ parameter: 'temperature', operator: 'gt', value: 90 }, { parameter: 'pressure', operator: 'gt', value: 9 }] },
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ path: 'conditions[1].parameter', parameter: 'pressure', devices: [] });
    });

    it('never sees another factory’s parameters', async () => {
      await server.running.meta.parameters.discover(other.factoryId, other.deviceId, [{ key: 'secret_flow', dataType: 'float' }], server.clock.now());
      const { warnings } = await create({ name: 'No peeking', scope: 'global', conditions: { parameter: 'secret_flw', operator: 'gt', value: 1 } });
      expect(warnings).toHaveLength(1);
      expect(warnings[0].suggestion).toBeUndefined();
      expect(JSON.stringify(warnings)).not.toContain('secret_flow');
    });
  });

  describe('validation', () => {
    it('lists every problem of the condition tree at its path', async () => {
      const before = await ruleCount();
      const res = await api('POST', '/api/v1/rules', {
        token: ruleAdmin.accessToken,
        body: {
          name: 'Broken',
          device_ids: [m1],
          conditions: {
            operator: 'AND',
            conditions: [
              { parameter: 'voltage', operator: 'gt', value: 'high' },
              { operator: 'OR', conditions: [{ parameter: 'current', operator: 'between', value: [10, 5] }] },
              { parameter: 'voltage', operator: 'greater', value: 1 },
              { parameter: 'voltage', operator: 'gt', value: 1, min: 2 },
            ],
          },
        },
      });
      expectValidation(res, 'conditions.conditions[0].value', /must be a number/);
      expectValidation(res, 'conditions.conditions[1].conditions[0].value', /must not exceed/);
      expectValidation(res, 'conditions.conditions[2].operator', /unknown operator/);
      expectValidation(res, 'conditions.conditions[3].min', /unknown field/);
      expect(res.json.error.message).toMatch(/^conditions\.conditions\[0\]\.value: .* \(and 3 more\)$/);
      expect(await ruleCount()).toBe(before);
    });

    it('validates the schedule, the rule options and the device scope with the same paths', async () => {
      const token = ruleAdmin.accessToken;
      const base = { name: 'Checked', device_ids: [m1], conditions: voltageOver(1) };
      expectValidation(
        await api('POST', '/api/v1/rules', { token, body: { ...base, schedule_type: 'time_window', schedule_config: { start_time: '25:00', end_time: '18:00', days: [0] } } }),
        'schedule_config.start_time',
        /HH:MM/,
      );
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, schedule_type: 'date_range' } }), 'schedule_config', /required/);
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, schedule_config: { start_time: '08:00' } } }), 'schedule_config', /must be empty/);
      expectValidation(
        await api('POST', '/api/v1/rules', { token, body: { ...base, deadband: 5, conditions: { parameter: 'voltage', operator: 'outside', value: [200, 205] } } }),
        'conditions.value',
        /too narrow/,
      );
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, device_ids: [] } }), 'device_ids', /at least one device/);
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, scope: 'global' } }), 'device_ids', /must be empty/);
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { name: 'No tree', device_ids: [m1] } }), 'conditions', /required/);
    });

    it('reports schema problems in the same notation, one at a time', async () => {
      const token = ruleAdmin.accessToken;
      const base = { name: 'Schema', device_ids: [m1], conditions: voltageOver(1) };
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, cooldown_minutes: RULE_LIMITS.maxCooldownMinutes + 1 } }), 'cooldown_minutes', /<=/);
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, colour: 'red' } }), 'colour', /unknown field/);
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { device_ids: [m1], conditions: voltageOver(1) } }), 'name', /is required/);
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, device_ids: [m1, 'two'] } }), 'device_ids[1]');
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, notification_channels: { email: 'yes' } } }), 'notification_channels.email');
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, notification_channels: { pager: true } } }), 'notification_channels.pager', /unknown field/);
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, recipients: { emails: ['not-an-address'] } } }), 'recipients.emails[0]');
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, severity: 'urgent' } }), 'severity');
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, name: '   ' } }), 'name', /blank/);
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { ...base, name: 'bad\u0000name' } }), 'name', /not allowed/);
    });

    it('caps the size of the condition tree and of the schedule config', async () => {
      const token = ruleAdmin.accessToken;
      const many = { operator: 'OR', conditions: Array.from({ length: 60 }, (_, i) => ({ parameter: 'voltage', operator: 'gt', value: i })) };
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { name: 'Too many', device_ids: [m1], conditions: many } }), 'conditions', /at most 50/);
      const huge = { operator: 'AND', conditions: [{ parameter: 'mode', operator: 'eq', value: 'x'.repeat(40_000) }] };
      expectValidation(await api('POST', '/api/v1/rules', { token, body: { name: 'Too big', device_ids: [m1], conditions: huge } }), 'conditions', /larger than/);
      const days = Array.from({ length: 20_000 }, () => 1);
      const res = await api('POST', '/api/v1/rules', { token, body: { name: 'Days', device_ids: [m1], conditions: voltageOver(1), schedule_type: 'time_window', schedule_config: { start_time: '08:00', end_time: '09:00', days } } });
      expectValidation(res, 'schedule_config', /larger than/);
    });
  });

  describe('permissions', () => {
    const body = () => ({ name: 'Permission probe', device_ids: [m1], conditions: voltageOver(1) });

    it('lets every signed-in role read, nobody anonymous', async () => {
      for (const session of [viewer, operatorWithPermission, plainAdmin, ruleAdmin, superAdmin]) {
        expect((await api('GET', '/api/v1/rules', { token: session.accessToken })).status).toBe(200);
      }
      expect((await api('GET', '/api/v1/rules')).status).toBe(401);
      expect((await api('POST', '/api/v1/rules', { body: body() })).status).toBe(401);
    });

    it('needs can_create_rules and the admin role to change rules (viewer and operator 403)', async () => {
      const before = await ruleCount();
      const viewerRes = await api('POST', '/api/v1/rules', { token: viewer.accessToken, body: body() });
      expect(viewerRes.status).toBe(403);
      // The seed RBAC: operators "cannot modify rules", even with the flag.
      const operatorRes = await api('POST', '/api/v1/rules', { token: operatorWithPermission.accessToken, body: body() });
      expect(operatorRes.status).toBe(403);
      expect(errorCode(operatorRes)).toBe('FORBIDDEN');
      const plain = await api('POST', '/api/v1/rules', { token: plainAdmin.accessToken, body: body() });
      expect(plain.status).toBe(403);
      expect(errorCode(plain)).toBe('PERMISSION_DENIED');
      expect(await ruleCount()).toBe(before);

      const { data } = await create(body(), ruleAdmin);
      // Super admins hold every permission.
      await create(body(), superAdmin);
      for (const session of [viewer, operatorWithPermission, plainAdmin]) {
        expect((await api('PATCH', `/api/v1/rules/${data.id}`, { token: session.accessToken, body: { is_active: false } })).status).toBe(403);
        expect((await api('DELETE', `/api/v1/rules/${data.id}`, { token: session.accessToken })).status).toBe(403);
      }
      expect((await api('GET', `/api/v1/rules/${data.id}`, { token: viewer.accessToken })).json.data.is_active).toBe(true);
    });
  });

  describe('list filters', () => {
    it('filters by is_active and by device (its own rules plus the global ones)', async () => {
      const onM3 = await create({ name: 'Only M3', device_ids: [m3], conditions: { parameter: 'temperature', operator: 'gt', value: 80 } });
      const off = await create({ name: 'Off on M3', device_ids: [m3], is_active: false, conditions: { parameter: 'temperature', operator: 'gt', value: 99 } });
      const global = await create({ name: 'Everywhere', scope: 'global', conditions: { parameter: 'temperature', operator: 'gt', value: 120 } });

      const all = await api('GET', '/api/v1/rules', { token: viewer.accessToken });
      expect(all.json.data.length).toBe(await ruleCount());
      const forM3 = (await api('GET', `/api/v1/rules?device_id=${m3}`, { token: viewer.accessToken })).json.data as Array<{ id: number; scope: string; device_ids: number[] }>;
      expect(forM3.map((r) => r.id)).toEqual(expect.arrayContaining([onM3.data.id, off.data.id, global.data.id]));
      expect(forM3.every((r) => r.scope === 'global' || r.device_ids.includes(m3))).toBe(true);
      const activeOnM3 = (await api('GET', `/api/v1/rules?device_id=${m3}&is_active=true`, { token: viewer.accessToken })).json.data as Array<{ id: number; is_active: boolean }>;
      expect(activeOnM3.map((r) => r.id)).not.toContain(off.data.id);
      expect(activeOnM3.every((r) => r.is_active)).toBe(true);
      const inactive = (await api('GET', '/api/v1/rules?is_active=false', { token: viewer.accessToken })).json.data as Array<{ id: number }>;
      expect(inactive.map((r) => r.id)).toContain(off.data.id);
    });

    it('answers 404 for a device filter naming another factory’s device, and never lists its rules', async () => {
      const res = await api('GET', `/api/v1/rules?device_id=${other.deviceId}`, { token: superAdmin.accessToken });
      expect(res.status).toBe(404);
      expect(errorCode(res)).toBe('DEVICE_NOT_FOUND');
      const unknown = await api('GET', '/api/v1/rules?device_id=999999', { token: superAdmin.accessToken });
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.message).toBe(res.json.error.message.replace(String(other.deviceId), '999999'));
      const all = await api('GET', '/api/v1/rules', { token: superAdmin.accessToken });
      expect(all.text).not.toContain('Plant B secret rule');
      expect((all.json.data as Array<{ id: number }>).map((r) => r.id)).not.toContain(other.ruleId);
    });
  });

  describe('another factory’s ids', () => {
    it('answers 404 for its rule on every route and changes nothing', async () => {
      const token = superAdmin.accessToken;
      const routes: Array<[string, string, unknown?]> = [
        ['GET', `/api/v1/rules/${other.ruleId}`],
        ['PATCH', `/api/v1/rules/${other.ruleId}`, { is_active: false }],
        ['PATCH', `/api/v1/rules/${other.ruleId}`, { name: 'hijacked', conditions: voltageOver(2) }],
        ['DELETE', `/api/v1/rules/${other.ruleId}`],
      ];
      for (const [method, path, body] of routes) {
        const res = await api(method, path, { token, ...(body !== undefined ? { body } : {}) });
        expect(res.status, `${method} ${path}: ${res.text}`).toBe(404);
        expect(errorCode(res)).toBe('RULE_NOT_FOUND');
      }
      const rule = await server.running.meta.rules.get(other.factoryId, other.ruleId);
      expect(rule).toMatchObject({ name: 'Plant B secret rule', isActive: true });
    });

    it('answers 404 DEVICE_NOT_FOUND for its device ids in a rule, at their paths, like unknown ids', async () => {
      const before = await ruleCount();
      const foreign = await api('POST', '/api/v1/rules', { token: ruleAdmin.accessToken, body: { name: 'Steal', device_ids: [m1, other.deviceId], conditions: voltageOver(1) } });
      expect(foreign.status).toBe(404);
      expect(errorCode(foreign)).toBe('DEVICE_NOT_FOUND');
      expect(foreign.json.error.details).toEqual([{ path: 'device_ids[1]', message: `device ${other.deviceId} not found` }]);
      expect(foreign.text).not.toContain('Secret press');
      const unknown = await api('POST', '/api/v1/rules', { token: ruleAdmin.accessToken, body: { name: 'Ghost', device_ids: [m1, 999999], conditions: voltageOver(1) } });
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.details).toEqual([{ path: 'device_ids[1]', message: 'device 999999 not found' }]);
      expect(await ruleCount()).toBe(before);

      const { data } = await create({ name: 'Mine', device_ids: [m1], conditions: voltageOver(1) });
      const patched = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { device_ids: [other.deviceId] } });
      expect(patched.status).toBe(404);
      expect((await server.running.meta.rules.get(server.factory.id, data.id))?.deviceIds).toEqual([m1]);
    });

    it('answers 404 USER_NOT_FOUND for its users as recipients', async () => {
      const res = await api('POST', '/api/v1/rules', {
        token: ruleAdmin.accessToken,
        body: { name: 'Tell them', device_ids: [m1], conditions: voltageOver(1), recipients: { user_ids: [ruleAdmin.userId, other.session.userId] } },
      });
      expect(res.status).toBe(404);
      expect(errorCode(res)).toBe('USER_NOT_FOUND');
      expect(res.json.error.details).toEqual([{ path: 'recipients.user_ids[1]', message: `user ${other.session.userId} not found` }]);
    });
  });

  describe('patch', () => {
    it('changes fields, answers with warnings and audits before/after', async () => {
      const { data } = await create({ name: 'To change', device_ids: [m1], conditions: voltageOver(240) });
      const res = await api('PATCH', `/api/v1/rules/${data.id}`, {
        token: ruleAdmin.accessToken,
        body: { name: 'Changed', severity: 'critical', device_ids: [m2], conditions: { parameter: 'current', operator: 'gt', value: 10 } },
      });
      expect(res.status, res.text).toBe(200);
      expect(res.json.data).toMatchObject({ id: data.id, name: 'Changed', severity: 'critical', device_ids: [m2], conditions: { parameter: 'current', operator: 'gt', value: 10 } });
      expect(res.json.warnings).toEqual([expect.objectContaining({ parameter: 'current', devices: ['M2'] })]);
      const audit = await server.api('GET', '/api/v1/audit?per_page=5', { token: superAdmin.accessToken });
      const entry = (audit.json.data as Array<{ action: string; target_id: string; details: Json }>).find((e) => e.action === 'rule.update' && e.target_id === String(data.id));
      expect(entry?.details.before).toMatchObject({ name: 'To change', severity: 'medium' });
      expect(entry?.details.after).toMatchObject({ name: 'Changed', severity: 'critical' });
    });

    it('toggles is_active on its own (audited as activate / deactivate)', async () => {
      const { data } = await create({ name: 'Toggle', device_ids: [m1], conditions: voltageOver(1) });
      const off = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { is_active: false } });
      expect(off.status).toBe(200);
      expect(off.json.data.is_active).toBe(false);
      const on = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { is_active: true } });
      expect(on.json.data.is_active).toBe(true);
      const actions = await auditActions();
      expect(actions).toContain('rule.deactivate');
      expect(actions).toContain('rule.activate');
    });

    it('lets an old rule whose stored tree no longer validates still be switched off', async () => {
      const { data } = await create({ name: 'Legacy', device_ids: [m1], conditions: voltageOver(1) });
      await server.running.meta.rules.update(server.factory.id, data.id, { conditions: { operator: 'XOR', conditions: [] } }, server.clock.now());
      const off = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { is_active: false } });
      expect(off.status, off.text).toBe(200);
      expect(off.json.warnings).toEqual([]);
      const touched = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { deadband: 1 } });
      expectValidation(touched, 'conditions.operator');
    });

    it('switches schedule and scope consistently', async () => {
      const { data } = await create(seedRule([m1]));
      const always = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { schedule_type: 'always' } });
      expect(always.status, always.text).toBe(200);
      expect(always.json.data).toMatchObject({ schedule_type: 'always', schedule_config: null });
      const range = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { schedule_type: 'date_range' } });
      expectValidation(range, 'schedule_config', /required/);
      const dated = await api('PATCH', `/api/v1/rules/${data.id}`, {
        token: ruleAdmin.accessToken,
        body: { schedule_type: 'date_range', schedule_config: { start_date: '2026-01-01', end_date: '2026-03-31' } },
      });
      expect(dated.json.data.schedule_config).toEqual({ start_date: '2026-01-01', end_date: '2026-03-31' });

      const global = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { scope: 'global' } });
      expect(global.json.data).toMatchObject({ scope: 'global', device_ids: [], device_count: 0 });
      expectValidation(await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { scope: 'device' } }), 'device_ids', /at least one/);
      const back = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { scope: 'device', device_ids: [m2, m1] } });
      expect(back.json.data.device_ids).toEqual([m1, m2]);
    });

    it('takes a rule out of service only with a reason, and back', async () => {
      const { data } = await create({ name: 'OOS', device_ids: [m1], conditions: voltageOver(1) });
      expectValidation(await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { out_of_service: true } }), 'disabled_reason', /required/);
      const out = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { out_of_service: true, disabled_reason: 'sensor replaced' } });
      expect(out.json.data).toMatchObject({ out_of_service: true, disabled_reason: 'sensor replaced' });
      const back = await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: { out_of_service: false } });
      expect(back.json.data).toMatchObject({ out_of_service: false, disabled_reason: null });
    });

    it('refuses an empty patch and unknown ids', async () => {
      const { data } = await create({ name: 'Empty patch', device_ids: [m1], conditions: voltageOver(1) });
      expectValidation(await api('PATCH', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken, body: {} }), '');
      expect((await api('PATCH', '/api/v1/rules/999999', { token: ruleAdmin.accessToken, body: { is_active: false } })).status).toBe(404);
    });
  });

  describe('delete', () => {
    it('deletes a rule without alarm history (204), cancels its planned maintenance, and the alarm service drops it', async () => {
      const { data } = await create({ name: 'Short-lived', device_ids: [m1], conditions: { parameter: 'short_lived', operator: 'gt', value: 1 }, cooldown_minutes: 0 });
      // Evaluated (false) while it exists: the alarm service holds it.
      await send(m1, { short_lived: 0.5 });
      const now = server.clock.now();
      const window = await server.running.meta.maintenance.create(
        server.factory.id,
        { targetType: 'rule', targetId: data.id, mode: 'out_of_service', startsAt: now + 3_600_000, endsAt: now + 7_200_000, reason: 'planned', createdBy: null },
        now,
      );
      const res = await api('DELETE', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await api('GET', `/api/v1/rules/${data.id}`, { token: viewer.accessToken })).status).toBe(404);
      expect((await server.running.meta.maintenance.get(server.factory.id, window.id))?.cancelledAt).not.toBeNull();
      expect(await auditActions()).toContain('rule.delete');
      // The next telemetry that the rule would have alarmed on raises nothing.
      await send(m1, { short_lived: 5 });
      expect((await server.running.meta.alerts.list(server.factory.id, { page: 1, perPage: 10, ruleId: data.id })).total).toBe(0);
      expect((await api('DELETE', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken })).status).toBe(404);
    });

    it('keeps a rule with alarm history, deactivated, and says so (200 with a note)', async () => {
      const { data } = await create({ name: 'Has history', device_ids: [m1], conditions: { parameter: 'history', operator: 'gt', value: 1 }, cooldown_minutes: 0 });
      await send(m1, { history: 5 });
      const [alarm] = await alarmsOf(data.id);
      expect(alarm).toMatchObject({ device_id: m1, state: 'active_unacknowledged' });
      const res = await api('DELETE', `/api/v1/rules/${data.id}`, { token: ruleAdmin.accessToken });
      expect(res.status, res.text).toBe(200);
      expect(res.json.data).toMatchObject({ id: data.id, is_active: false });
      expect(res.json.note).toMatch(/alarm history/);
      expect((await api('GET', `/api/v1/rules/${data.id}`, { token: viewer.accessToken })).json.data.is_active).toBe(false);
      // The deactivated rule's open alarm is closed, and its condition raises nothing more.
      await server.running.alarms.idle();
      await send(m1, { history: 9 });
      expect(await alarmsOf(data.id)).toEqual([expect.objectContaining({ id: alarm?.id, state: 'normal' })]);
      const journal = await api('GET', `/api/v1/alerts/${alarm?.id}/journal`, { token: viewer.accessToken });
      expect(journal.json.data.at(-1)).toMatchObject({ action: 'out_of_service', to_state: 'normal', actor: 'system' });
    });
  });

  describe('the running alarm service', () => {
    it('judges the next telemetry by the rule as created, changed, moved, switched off and on', async () => {
      const probe = (value: number) => ({ parameter: 'probe', operator: 'gt', value });
      const { data } = await create({ name: 'Follow me', device_ids: [m1], conditions: probe(100), cooldown_minutes: 0 });
      const ruleId = data.id;

      // Created: the next telemetry above 100 raises.
      await send(m1, { probe: 150 });
      const [first, ...more] = await alarmsOf(ruleId);
      expect(more).toEqual([]);
      expect(first).toMatchObject({ device_id: m1, state: 'active_unacknowledged' });

      // Threshold raised to 200: 160 no longer holds (under the old rule it would stay active).
      const raised = await api('PATCH', `/api/v1/rules/${ruleId}`, { token: ruleAdmin.accessToken, body: { conditions: probe(200) } });
      expect(raised.status, raised.text).toBe(200);
      await send(m1, { probe: 160 });
      expect(await alarmsOf(ruleId)).toEqual([expect.objectContaining({ id: first?.id, state: 'cleared_unacknowledged' })]);

      // Moved to M2: M1's alarm leaves with the scope, M1 raises nothing more, M2 raises.
      const moved = await api('PATCH', `/api/v1/rules/${ruleId}`, { token: ruleAdmin.accessToken, body: { device_ids: [m2] } });
      expect(moved.status, moved.text).toBe(200);
      await send(m1, { probe: 500 });
      expect(await alarmsOf(ruleId)).toEqual([expect.objectContaining({ id: first?.id, device_id: m1, state: 'normal' })]);
      await send(m2, { probe: 500 });
      const onM2 = (await alarmsOf(ruleId)).filter((a) => a.device_id === m2);
      expect(onM2).toEqual([expect.objectContaining({ state: 'active_unacknowledged' })]);

      // Switched off: M2's alarm closes and nothing raises; switched on: it counts afresh.
      const off = await api('PATCH', `/api/v1/rules/${ruleId}`, { token: ruleAdmin.accessToken, body: { is_active: false } });
      expect(off.status, off.text).toBe(200);
      await send(m2, { probe: 600 });
      expect((await alarmsOf(ruleId)).map((a) => a.state)).toEqual(['normal', 'normal']);
      const on = await api('PATCH', `/api/v1/rules/${ruleId}`, { token: ruleAdmin.accessToken, body: { is_active: true } });
      expect(on.status, on.text).toBe(200);
      await send(m2, { probe: 700 });
      const after = await alarmsOf(ruleId);
      expect(after).toHaveLength(3);
      expect(after[0]).toMatchObject({ device_id: m2, state: 'active_unacknowledged' });
      expect(after[0]?.id).not.toBe(onM2[0]?.id);
    });

    it('forgets a rule deleted behind its back (another server, by hand) after one failed write, not in a retry loop', async () => {
      const { data } = await create({ name: 'Deleted elsewhere', device_ids: [m1], conditions: { parameter: 'elsewhere', operator: 'gt', value: 1 }, cooldown_minutes: 0 });
      await send(m1, { elsewhere: 0 });
      // As another server of the site would: the row goes, this server's alarm service is not told.
      expect(await server.running.meta.rules.remove(server.factory.id, data.id, server.clock.now())).toBe('deleted');
      const transactions = vi.spyOn(server.running.meta, 'transaction');
      try {
        await send(m1, { elsewhere: 5 });
        await send(m1, { elsewhere: 6 });
        // Without the reload every evaluation would raise again and fail again, thousands a second.
        expect(transactions.mock.calls.length).toBeLessThan(10);
      } finally {
        transactions.mockRestore();
      }
      expect((await server.running.meta.alerts.list(server.factory.id, { page: 1, perPage: 10, ruleId: data.id })).total).toBe(0);
    });
  });

  describe('hostile input', () => {
    it('answers 4xx with the error shape, never 500, and stores nothing', async () => {
      const token = ruleAdmin.accessToken;
      const before = await ruleCount();
      // Sent as text: deeper than JSON.stringify (here or on the server) can recurse.
      const depth = 20_000;
      const deep = `{"name":"Deep","device_ids":[${m1}],"conditions":${'{"operator":"AND","conditions":['.repeat(depth)}{"parameter":"v","operator":"gt","value":1}${']}'.repeat(depth)}}`;
      const deepSchedule = `{"name":"Deep","device_ids":[${m1}],"conditions":{"parameter":"v","operator":"gt","value":1},"schedule_type":"time_window","schedule_config":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
      const wide = { operator: 'OR', conditions: Array.from({ length: 20_000 }, () => 1) };
      const base = { name: 'Hostile', device_ids: [m1] };
      const cases: Array<[string, string, unknown, Record<string, string>?]> = [
        ['POST', '/api/v1/rules', deep],
        ['POST', '/api/v1/rules', deepSchedule],
        ['POST', '/api/v1/rules', { ...base, conditions: wide }],
        ['POST', '/api/v1/rules', { ...base, conditions: 'voltage > 240' }],
        ['POST', '/api/v1/rules', { ...base, conditions: null }],
        ['POST', '/api/v1/rules', { ...base, conditions: [voltageOver(1)] }],
        ['POST', '/api/v1/rules', { ...base, conditions: { operator: 'AND', conditions: [{ parameter: '__proto__', operator: 'gt', value: 1 }] } }],
        ['POST', '/api/v1/rules', `{"name":"Big","device_ids":[${m1}],"conditions":{"parameter":"v","operator":"gt","value":1e400}}`],
        ['POST', '/api/v1/rules', `{"name":"Big","device_ids":[${m1}],"conditions":{"parameter":"v","operator":"gt","value":1},"cooldown_minutes":1e400}`],
        ['POST', '/api/v1/rules', `{"name":"Big","device_ids":[${m1}],"conditions":{"parameter":"v","operator":"gt","value":1},"deadband":-1e400}`],
        ['POST', '/api/v1/rules', '{"name":"Hostile","device_ids":[1],"conditions":{"__proto__":{"operator":"AND"}}}'],
        ['POST', '/api/v1/rules', '{"name":"x","conditions":{"operator":"AND","conditions":[{"parameter":"v","operator":"gt","value":NaN}]}}'],
        ['POST', '/api/v1/rules', { ...base, conditions: voltageOver(1), schedule_type: 'time_window', schedule_config: [1, 2] }],
        ['POST', '/api/v1/rules', { ...base, conditions: voltageOver(1), schedule_type: 'cron', schedule_config: '* * * * *' }],
        ['POST', '/api/v1/rules', { ...base, conditions: voltageOver(1), device_ids: [2 ** 31] }],
        ['POST', '/api/v1/rules', { ...base, conditions: voltageOver(1), device_ids: [-1] }],
        ['POST', '/api/v1/rules', { ...base, conditions: voltageOver(1), device_ids: Array.from({ length: 1001 }, (_, i) => i + 1) }],
        ['POST', '/api/v1/rules', { ...base, conditions: voltageOver(1), deadband: -1 }],
        ['POST', '/api/v1/rules', { ...base, conditions: voltageOver(1), name: 'x'.repeat(256) }],
        ['POST', '/api/v1/rules', { ...base, conditions: voltageOver(1), description: 'x'.repeat(2001) }],
        ['POST', '/api/v1/rules', { ...base, conditions: voltageOver(1), is_active: 'true' }],
        ['POST', '/api/v1/rules', [base]],
        ['POST', '/api/v1/rules', 'null'],
        ['POST', '/api/v1/rules', '{"name":'],
        ['POST', '/api/v1/rules', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }],
        ['GET', '/api/v1/rules/abc', undefined],
        ['GET', '/api/v1/rules/0', undefined],
        ['GET', '/api/v1/rules/99999999999', undefined],
        ['GET', '/api/v1/rules/1e400', undefined],
        ['GET', '/api/v1/rules?device_id=1e400', undefined],
        ['GET', '/api/v1/rules?is_active=maybe', undefined],
        ['GET', '/api/v1/rules?device_id=1%27%20OR%201=1', undefined],
        ['GET', '/api/v1/rules?sort=name', undefined],
        ['PATCH', '/api/v1/rules/1', { id: 5 }],
        ['PATCH', '/api/v1/rules/1', { created_by: 1 }],
        ['DELETE', '/api/v1/rules/1', { force: true }],
      ];
      const failures: string[] = [];
      for (const [method, path, body, headers] of cases) {
        const res = await api(method, path, { token, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
        if (res.status < 400 || res.status >= 500 || errorCode(res) === undefined) failures.push(`${method} ${path} ${JSON.stringify(body)?.slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`);
      }
      expect(failures).toEqual([]);
      expect(await ruleCount()).toBe(before);
      // Still serving.
      expect((await api('GET', '/api/v1/rules', { token })).status).toBe(200);
    });

    it('stores text that looks like SQL or markup literally', async () => {
      const name = `x'); DROP TABLE rules; -- <script>alert(1)</script>`;
      const { data } = await create({ name, description: 'line 1\nline 2\t"quoted"', device_ids: [m1], conditions: voltageOver(1) });
      expect(data.name).toBe(name);
      expect(data.description).toBe('line 1\nline 2\t"quoted"');
      expect((await api('GET', `/api/v1/rules/${data.id}`, { token: viewer.accessToken })).json.data.name).toBe(name);
    });
  });
});
