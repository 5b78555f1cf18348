/**
 * Alarms over HTTP: the list (filters, pagination, names without N+1), the annunciator counts,
 * one alarm and its journal, operator actions (acknowledge, bulk acknowledge, shelve, unshelve,
 * resolve) and who may take them, alarm health, the resync feed, maintenance windows, another
 * factory's ids (always 404) and hostile requests (4xx, never 500).
 *
 * Setup: a real test server (SQLite or MariaDB metadata, real sign-in, the real AlarmService
 * with its Piscina workers). Every alarm here is raised by real telemetry: devices publish over
 * MQTT at QoS 1 (acknowledged once committed), and the test waits on `alarms.idle()` until the
 * service has evaluated and written what was committed. Rules are made through the API.
 *
 * Time: the server's clock is a TestClock the test moves by hand, so an alarm's triggered_at is
 * the clock when its telemetry arrived. Periods (standing alarms, floods, maintenance windows)
 * are reached by moving the clock and running the service's periodic check (`tickNow()`).
 * Access tokens are issued for a week, so moving the clock by a day does not sign anyone out.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Alert, AlertState } from '../../../server/store/meta/repositories/alerts.js';
import { connectAs, telemetry, telemetryTopicOf } from '../../helpers/ingest.js';
import { META_DIALECTS } from '../../helpers/meta-targets.js';
import { errorCode, startTestServerOn, type ApiClient, type ApiResponse, type Json, type Session, type TestServer } from '../../helpers/test-server.js';

const SECOND = 1000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
type Severity = (typeof SEVERITIES)[number];

/** A device of a tenant with its own MQTT connection. */
interface Probe {
  id: number;
  key: string;
  name: string | null;
  client: MqttClient;
}

interface Tenant {
  slug: string;
  factoryId: number;
  superAdmin: Session;
  admin: Session;
  operator: Session;
  viewer: Session;
  p1: Probe;
  p2: Probe;
  /** "High voltage": voltage > 240 on P1 and P2, severity high. */
  r1: number;
  /** "Any fault": fault > 0 on every device, severity critical. */
  r2: number;
}

/** How to make a rule's condition true and false again. */
interface Trigger {
  name: string;
  parameter: string;
  high: number;
  low: number;
}

describe.each(META_DIALECTS)('alerts API ($name metadata)', (dialect) => {
  let server: TestServer;
  let api: ApiClient;
  let a: Tenant;
  let b: Tenant;
  let bAlert: Alert;
  const triggers = new Map<number, Trigger>();
  const clients: MqttClient[] = [];
  let freshRules = 0;

  const now = () => server.clock.now();
  const meta = () => server.running.meta;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

  async function device(t: Pick<Tenant, 'slug' | 'superAdmin'>, key: string, name: string | null): Promise<Probe> {
    const res = await server.api('POST', '/api/v1/devices', { token: t.superAdmin.accessToken, body: { device_key: key, ...(name !== null && { name }) } });
    expect(res.status, res.text).toBe(201);
    const client = await connectAs(server.running.mqttPort as number, t.slug, { deviceKey: key, apiKey: res.json.data.api_key });
    clients.push(client);
    return { id: res.json.data.id, key, name, client };
  }

  /** A rule made through the API (cooldown 0: every new episode raises at once). */
  async function addRule(
    t: Pick<Tenant, 'superAdmin'>,
    o: { name: string; severity: Severity; parameter: string; threshold?: number; devices?: Probe[] },
  ): Promise<number> {
    const threshold = o.threshold ?? 100;
    const res = await server.api('POST', '/api/v1/rules', {
      token: t.superAdmin.accessToken,
      body: {
        name: o.name,
        scope: o.devices ? 'device' : 'global',
        ...(o.devices && { device_ids: o.devices.map((d) => d.id) }),
        conditions: { parameter: o.parameter, operator: 'gt', value: threshold },
        severity: o.severity,
        cooldown_minutes: 0,
      },
    });
    expect(res.status, res.text).toBe(201);
    triggers.set(res.json.data.id, { name: o.name, parameter: o.parameter, high: threshold + 5.2, low: threshold - 10 });
    return res.json.data.id;
  }

  async function tenant(slug: string): Promise<Tenant> {
    const factory = await server.createFactory(slug);
    const superAdmin = await server.login({ factorySlug: slug, email: factory.adminEmail, password: factory.adminPassword });
    const session = async (role: 'admin' | 'operator' | 'viewer') => {
      const u = await server.createUser(factory.id, `${role}-user@${slug}.example`, role);
      return server.login({ factorySlug: slug, email: u.email, password: u.password });
    };
    const [admin, operator, viewer] = [await session('admin'), await session('operator'), await session('viewer')];
    const base = { slug, superAdmin };
    const p1 = await device(base, 'P1', `Press 1 of ${slug}`);
    const p2 = await device(base, 'P2', null);
    const r1 = await addRule(base, { name: `High voltage of ${slug}`, severity: 'high', parameter: 'voltage', threshold: 240, devices: [p1, p2] });
    const r2 = await addRule(base, { name: `Any fault of ${slug}`, severity: 'critical', parameter: 'fault', threshold: 0 });
    return { slug, factoryId: factory.id, superAdmin, admin, operator, viewer, p1, p2, r1, r2 };
  }

  /**
   * One telemetry message over MQTT, a second of clock after the previous one; resolves once
   * it is committed (PUBACK) and the alarm service has evaluated it and written the outcome.
   */
  async function send(t: Tenant, probe: Probe, metrics: Record<string, number>): Promise<void> {
    server.clock.advance(SECOND);
    await probe.client.publishAsync(telemetryTopicOf(t.slug, probe.key), telemetry(metrics), { qos: 1 });
    await server.running.alarms.idle();
  }

  function triggerOf(rule: number): Trigger {
    const trigger = triggers.get(rule);
    if (!trigger) throw new Error(`rule ${rule} was not made by this test`);
    return trigger;
  }

  /** Makes the rule's condition true on the device; returns the alarm that opened. */
  async function raise(t: Tenant, o: { rule?: number; device?: Probe } = {}): Promise<Alert> {
    const rule = o.rule ?? t.r1;
    const probe = o.device ?? t.p1;
    const trigger = triggerOf(rule);
    await send(t, probe, { [trigger.parameter]: trigger.high });
    const open = (await meta().alerts.listOpen(t.factoryId)).filter((x) => x.ruleId === rule && x.deviceId === probe.id);
    expect(open, `an alarm of rule ${rule} on ${probe.key}`).toEqual([expect.objectContaining({ state: 'active_unacknowledged', triggeredAt: now() })]);
    return open[0] as Alert;
  }

  /** Makes the rule's condition false again on the device. */
  async function calm(t: Tenant, rule: number, probe: Probe): Promise<void> {
    const trigger = triggerOf(rule);
    await send(t, probe, { [trigger.parameter]: trigger.low });
  }

  /** An alarm of a rule of its own (no earlier episode in the way), raised on P1 unless told. */
  async function freshAlarm(t: Tenant, o: { severity?: Severity; device?: Probe } = {}): Promise<Alert> {
    freshRules++;
    const rule = await addRule(t, { name: `Alarm ${freshRules} of ${t.slug}`, severity: o.severity ?? 'high', parameter: `x${freshRules}`, devices: [o.device ?? t.p1] });
    return raise(t, { rule, ...(o.device && { device: o.device }) });
  }

  async function operate(session: Session, alert: Alert, action: 'acknowledge' | 'shelve' | 'resolve' | 'unshelve', body?: unknown): Promise<ApiResponse> {
    const res = await api('PATCH', `/api/v1/alerts/${alert.id}/${action}`, { token: session.accessToken, ...(body !== undefined && { body }) });
    expect(res.status, res.text).toBe(200);
    return res;
  }

  async function current(t: Tenant, alert: Alert): Promise<Alert> {
    const row = await meta().alerts.get(t.factoryId, alert.id);
    if (!row) throw new Error(`alert ${alert.id} vanished`);
    return row;
  }

  async function auditOf(t: Tenant): Promise<Array<{ action: string; target_id: string | null; actor: string; details: Json }>> {
    return (await server.api('GET', '/api/v1/audit?per_page=100', { token: t.superAdmin.accessToken })).json.data;
  }

  function expectValidation(res: ApiResponse, path: string, message?: RegExp) {
    expect(res.status, res.text).toBe(400);
    expect(errorCode(res)).toBe('VALIDATION_FAILED');
    const hit = (res.json.error.details as Array<{ path: string; message: string }>).find((d) => d.path === path);
    expect(hit, `no detail at ${path}: ${res.text}`).toBeDefined();
    if (message) expect(hit?.message).toMatch(message);
  }

  beforeAll(async () => {
    server = await startTestServerOn(dialect, { config: { accessTokenTtlSeconds: 7 * 24 * 3600 } });
    api = server.api;
    a = await tenant('alarms-a');
    b = await tenant('alarms-b');
    bAlert = await raise(b, { rule: b.r2 });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await server?.close();
  });

  describe('list', () => {
    let t: Tenant;
    let raised: Alert[];
    const names = new Map<number, Probe>();
    const stateOf = (i: number): AlertState => (i === 3 ? 'shelved' : i % 7 === 0 ? 'normal' : i % 5 === 0 ? 'active_acknowledged' : 'active_unacknowledged');

    beforeAll(async () => {
      t = await tenant('alarms-list');
      const p3 = await device(t, 'P3', 'Press 3');
      const rules = [t.r1, t.r2];
      for (let k = 0; k < 7; k++) rules.push(await addRule(t, { name: `Sensor ${k}`, severity: SEVERITIES[k % 4] as Severity, parameter: `q${k}` }));
      // Every (rule, device) once (r1 watches P1 and P2 only), in a mixed order: 26 keys, 25 alarms.
      const keys = [t.p1, t.p2, p3].flatMap((d) => rules.filter((r) => r !== t.r1 || d !== p3).map((rule) => ({ rule, device: d })));
      for (const d of [t.p1, t.p2, p3]) names.set(d.id, d);
      raised = [];
      for (let i = 0; i < 25; i++) {
        server.clock.advance(MINUTE);
        const alert = await raise(t, keys[(i * 5) % keys.length] as (typeof keys)[number]);
        const state = stateOf(i);
        if (state === 'shelved') await operate(t.operator, alert, 'shelve', { minutes: 1440, reason: 'sensor swap' });
        if (state === 'normal') await operate(t.operator, alert, 'resolve');
        if (state === 'active_acknowledged') await operate(t.operator, alert, 'acknowledge');
        raised.push(alert);
      }
      raised = await Promise.all(raised.map((x) => current(t, x)));
      expect(raised.map((x) => x.state)).toEqual(Array.from({ length: 25 }, (_, i) => stateOf(i)));
    });

    const list = async (query: string, session?: Session) => {
      const res = await api('GET', `/api/v1/alerts${query}`, { token: (session ?? t.viewer).accessToken });
      expect(res.status, res.text).toBe(200);
      return res.json as { data: Array<Record<string, Json>>; pagination: Json };
    };

    it('lists newest first in the seed shape, with rule and device names, paginated', async () => {
      const first = await list('?per_page=10');
      expect(first.pagination).toEqual({ page: 1, per_page: 10, total: 25, pages: 3 });
      expect(first.data.map((x) => x.id)).toEqual(raised.slice(-10).reverse().map((x) => x.id));
      const newest = raised[24] as Alert;
      const trigger = triggerOf(newest.ruleId);
      const probe = names.get(newest.deviceId) as Probe;
      expect(first.data[0]).toEqual({
        id: newest.id,
        rule_id: newest.ruleId,
        rule_name: trigger.name,
        device_id: probe.id,
        device_name: probe.name,
        device_key: probe.key,
        state: stateOf(24),
        triggered_at: iso(newest.triggeredAt),
        cleared_at: null,
        acknowledged_at: null,
        acknowledged_by: null,
        resolved_at: null,
        severity: newest.severity,
        message: expect.stringMatching(new RegExp(`^\\[${trigger.name}\\] .*${trigger.parameter}.*${trigger.high}`)),
        telemetry_snapshot: { [trigger.parameter]: expect.objectContaining({ value: trigger.high }) },
        notification_sent: false,
        shelved_until: null,
        shelve_reason: null,
        shelved_by: null,
        escalated_at: null,
        last_seq: newest.lastSeq,
      });
      const p1Row = (await list('?per_page=25')).data.find((x) => x.device_id === t.p1.id && x.rule_id === t.r1);
      expect(p1Row).toMatchObject({ device_name: 'Press 1 of alarms-list', device_key: 'P1', rule_name: 'High voltage of alarms-list', severity: 'high' });
      const shelvedRow = (await list('?state=shelved')).data[0];
      expect(shelvedRow).toMatchObject({ id: raised[3]?.id, shelve_reason: 'sensor swap', shelved_by: t.operator.userId, shelved_until: iso((raised[3]?.shelvedUntil ?? 0) as number) });
      const last = await list('?per_page=10&page=3');
      expect(last.data.map((x) => x.id)).toEqual(raised.slice(0, 5).reverse().map((x) => x.id));
      expect((await list('?per_page=10&page=4')).data).toEqual([]);
    });

    it('reads names with one query for rules and one for devices, not one per alarm', async () => {
      const ruleNames = vi.spyOn(meta().rules, 'namesByIds');
      const devices = vi.spyOn(meta().devices, 'getMany');
      const oneDevice = vi.spyOn(meta().devices, 'get');
      const oneRule = vi.spyOn(meta().rules, 'get');
      try {
        const page = await list('?per_page=25');
        expect(page.data).toHaveLength(25);
        expect(ruleNames).toHaveBeenCalledTimes(1);
        expect(devices).toHaveBeenCalledTimes(1);
        expect(oneDevice).not.toHaveBeenCalled();
        expect(oneRule).not.toHaveBeenCalled();
      } finally {
        vi.restoreAllMocks();
      }
    });

    it('filters by device, rule, severity, one or several states, resolved and an inclusive time range', async () => {
      const ids = (rows: Alert[]) => rows.map((x) => x.id).sort((x, y) => x - y);
      const got = async (query: string) => (await list(`${query}&per_page=100`)).data.map((x) => x.id as number).sort((x, y) => x - y);
      expect(await got(`?device_id=${t.p2.id}`)).toEqual(ids(raised.filter((x) => x.deviceId === t.p2.id)));
      expect(await got(`?rule_id=${t.r1}`)).toEqual(ids(raised.filter((x) => x.ruleId === t.r1)));
      expect(await got('?severity=critical')).toEqual(ids(raised.filter((x) => x.severity === 'critical')));
      expect(await got('?state=shelved')).toEqual(ids(raised.filter((x) => x.state === 'shelved')));
      const ackOrShelved = ids(raised.filter((x) => x.state === 'shelved' || x.state === 'active_acknowledged'));
      expect(await got('?state=shelved&state=active_acknowledged')).toEqual(ackOrShelved);
      expect(await got('?state=shelved,active_acknowledged')).toEqual(ackOrShelved);
      expect(await got('?state=open')).toEqual(ids(raised.filter((x) => x.state !== 'normal')));
      expect(await got('?resolved=true')).toEqual(ids(raised.filter((x) => x.state === 'normal')));
      expect(await got('?resolved=false&state=shelved')).toEqual(ids(raised.filter((x) => x.state === 'shelved')));
      expect(await got('?resolved=true&state=shelved')).toEqual([]);
      const from = raised[5] as Alert;
      const to = raised[9] as Alert;
      expect(await got(`?start=${iso(from.triggeredAt)}&end=${iso(to.triggeredAt)}`)).toEqual(ids(raised.slice(5, 10)));
      const combined = raised.filter((x) => x.deviceId === t.p1.id && x.severity === 'low' && x.state !== 'normal');
      expect(combined.length).toBeGreaterThan(0);
      expect(await got(`?device_id=${t.p1.id}&rule_id=${combined[0]?.ruleId}&severity=low&state=open`)).toEqual(ids(combined.filter((x) => x.ruleId === combined[0]?.ruleId)));
      expect(await got(`?device_id=${t.p1.id}&severity=low&state=open`)).toEqual(ids(combined));
    });

    it('refuses unknown states and backwards ranges at their fields', async () => {
      const token = t.viewer.accessToken;
      expectValidation(await api('GET', '/api/v1/alerts?state=open,exploded', { token }), 'state[0]', /unknown state "exploded"/);
      expectValidation(await api('GET', '/api/v1/alerts?start=2026-02-02T00:00:00Z&end=2026-02-01T00:00:00Z', { token }), 'end');
      expectValidation(await api('GET', '/api/v1/alerts?start=yesterday', { token }), 'start');
      expectValidation(await api('GET', '/api/v1/alerts?severity=urgent', { token }), 'severity');
      expectValidation(await api('GET', '/api/v1/alerts?per_page=101', { token }), 'per_page');
      expectValidation(await api('GET', '/api/v1/alerts?colour=red', { token }), 'colour', /unknown field/);
    });

    it('answers 404 for another factory’s device or rule as a filter, and never lists its alarms', async () => {
      const token = t.superAdmin.accessToken;
      const device = await api('GET', `/api/v1/alerts?device_id=${b.p1.id}`, { token });
      expect(device.status).toBe(404);
      expect(errorCode(device)).toBe('DEVICE_NOT_FOUND');
      const rule = await api('GET', `/api/v1/alerts?rule_id=${b.r1}`, { token });
      expect(rule.status).toBe(404);
      expect(errorCode(rule)).toBe('RULE_NOT_FOUND');
      const all = await list('?per_page=100&state=open');
      expect(all.data.map((x) => x.id)).not.toContain(bAlert.id);
      expect(JSON.stringify(all)).not.toContain('alarms-b');
    });
  });

  describe('annunciator counts', () => {
    it('counts open alarms by severity and state, shelved ones apart, and shows an alarm flood', async () => {
      const t = await tenant('alarms-counts');
      const rule = (name: string, severity: Severity, parameter: string) => addRule(t, { name, severity, parameter, devices: [t.p1, t.p2] });
      const [critical, critical2, high, medium, low] = [
        await rule('Critical A', 'critical', 'ca'),
        await rule('Critical B', 'critical', 'cb'),
        await rule('High', 'high', 'h'),
        await rule('Medium', 'medium', 'm'),
        await rule('Low', 'low', 'l'),
      ] as [number, number, number, number, number];
      await raise(t, { rule: critical });
      await raise(t, { rule: critical, device: t.p2 });
      await operate(t.operator, await raise(t, { rule: high }), 'acknowledge');
      await raise(t, { rule: medium });
      await calm(t, medium, t.p1); // cleared, not yet acknowledged
      await operate(t.operator, await raise(t, { rule: low }), 'shelve', { minutes: 1440, reason: 'known' });
      await operate(t.operator, await raise(t, { rule: critical2 }), 'resolve');
      // 6 raises + acknowledge + clear + shelve + resolve = 10 journal entries; an hour later no flood.
      server.clock.advance(HOUR);
      const calmCounts = await api('GET', '/api/v1/alerts/counts', { token: t.viewer.accessToken });
      expect(calmCounts.status, calmCounts.text).toBe(200);
      expect(calmCounts.json.data).toEqual({
        open: 5,
        active: 4,
        unacknowledged: 3,
        shelved: 1,
        by_severity: { low: 0, medium: 1, high: 1, critical: 2 },
        unacknowledged_by_severity: { low: 0, medium: 1, high: 0, critical: 2 },
        highest_unacknowledged: 'critical',
        flood: { flooding: false, count: 0, max_alarms: 10, window_minutes: 10 },
        seq: 10,
      });

      // ISA-18.2: more than 10 alarms in 10 minutes.
      for (let i = 0; i < 11; i++) {
        const flood = await addRule(t, { name: `Flood ${i}`, severity: 'low', parameter: `f${i}`, devices: [t.p1] });
        await raise(t, { rule: flood });
        server.clock.advance(30 * SECOND);
      }
      const flood = await api('GET', '/api/v1/alerts/counts', { token: t.viewer.accessToken });
      expect(flood.json.data.flood).toEqual({ flooding: true, count: 11, max_alarms: 10, window_minutes: 10 });
      expect(flood.json.data.unacknowledged_by_severity.low).toBe(11);
      expect(flood.json.data.seq).toBe(21);
      // The other factories' alarms never count here.
      const mine = await api('GET', '/api/v1/alerts/counts', { token: a.viewer.accessToken });
      expect(mine.json.data.flood.count).toBe(0);
    });
  });

  describe('one alarm', () => {
    it('shows an alarm and its journal; another factory’s alarm is 404 on every route', async () => {
      const alert = await raise(a, { rule: a.r1, device: a.p1 });
      const got = await api('GET', `/api/v1/alerts/${alert.id}`, { token: a.viewer.accessToken });
      expect(got.status).toBe(200);
      expect(got.json.data).toMatchObject({ id: alert.id, rule_name: 'High voltage of alarms-a', device_key: 'P1', state: 'active_unacknowledged', severity: 'high', telemetry_snapshot: { voltage: { value: 245.2, ts: alert.triggeredAt } } });
      const journal = await api('GET', `/api/v1/alerts/${alert.id}/journal`, { token: a.viewer.accessToken });
      expect(journal.json.data).toEqual([
        { id: expect.any(Number), alert_id: alert.id, seq: alert.lastSeq, action: 'raised', from_state: null, to_state: 'active_unacknowledged', user_id: null, actor: 'system', comment: null, at: iso(alert.triggeredAt) },
      ]);

      const auditBefore = (await auditOf(b)).length;
      const routes: Array<[string, string, unknown?]> = [
        ['GET', `/api/v1/alerts/${bAlert.id}`],
        ['GET', `/api/v1/alerts/${bAlert.id}/journal`],
        ['PATCH', `/api/v1/alerts/${bAlert.id}/acknowledge`, { comment: 'mine now' }],
        ['PATCH', `/api/v1/alerts/${bAlert.id}/shelve`, { minutes: 60, reason: 'hidden' }],
        ['PATCH', `/api/v1/alerts/${bAlert.id}/unshelve`],
        ['PATCH', `/api/v1/alerts/${bAlert.id}/resolve`],
        ['GET', '/api/v1/alerts/99999999'],
        ['PATCH', '/api/v1/alerts/99999999/acknowledge'],
      ];
      for (const session of [a.superAdmin, a.operator]) {
        for (const [method, path, body] of routes) {
          const res = await api(method, path, { token: session.accessToken, ...(body !== undefined ? { body } : {}) });
          expect(res.status, `${method} ${path}: ${res.text}`).toBe(404);
          expect(errorCode(res)).toBe('ALERT_NOT_FOUND');
          expect(res.text).not.toContain('alarms-b');
        }
      }
      expect(await meta().alerts.get(b.factoryId, bAlert.id)).toEqual(bAlert);
      expect((await auditOf(b)).length).toBe(auditBefore);
    });
  });

  describe('acknowledge', () => {
    it('acknowledges (operator), journals the comment, audits, and refuses a second time with 409', async () => {
      const alert = await freshAlarm(a);
      const res = await api('PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, { token: a.operator.accessToken, body: { comment: '  checking the transformer  ' } });
      expect(res.status, res.text).toBe(200);
      expect(res.json.data).toMatchObject({ id: alert.id, state: 'active_acknowledged', acknowledged_by: a.operator.userId, acknowledged_at: iso(now()), rule_name: triggerOf(alert.ruleId).name });
      const journal = (await api('GET', `/api/v1/alerts/${alert.id}/journal`, { token: a.viewer.accessToken })).json.data;
      expect(journal.at(-1)).toMatchObject({ action: 'acknowledged', from_state: 'active_unacknowledged', to_state: 'active_acknowledged', user_id: a.operator.userId, actor: a.operator.email, comment: 'checking the transformer' });
      const entry = (await auditOf(a)).find((e) => e.action === 'alert.acknowledge' && e.target_id === String(alert.id));
      expect(entry).toMatchObject({ actor: a.operator.email, details: { comment: 'checking the transformer', from_state: 'active_unacknowledged', to_state: 'active_acknowledged' } });

      const again = await api('PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, { token: a.operator.accessToken });
      expect(again.status).toBe(409);
      expect(errorCode(again)).toBe('INVALID_TRANSITION');
    });

    it('takes no body, an empty one, or a comment — nothing else', async () => {
      const token = a.operator.accessToken;
      expect((await api('PATCH', `/api/v1/alerts/${(await freshAlarm(a)).id}/acknowledge`, { token })).status).toBe(200);
      expect((await api('PATCH', `/api/v1/alerts/${(await freshAlarm(a)).id}/acknowledge`, { token, body: {} })).status).toBe(200);
      expect((await api('PATCH', `/api/v1/alerts/${(await freshAlarm(a)).id}/acknowledge`, { token, body: { comment: null } })).status).toBe(200);
      const alert = await freshAlarm(a);
      expectValidation(await api('PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, { token, body: { note: 'x' } }), 'note', /unknown field/);
      expectValidation(await api('PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, { token, body: { comment: 'x'.repeat(501) } }), 'comment');
      expectValidation(await api('PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, { token, body: { comment: 42 } }), 'comment');
      expect((await current(a, alert)).state).toBe('active_unacknowledged');
    });

    it('refuses viewers (403) and anonymous callers (401) for every action, changing nothing', async () => {
      const alert = await freshAlarm(a);
      const actionRoutes: Array<[string, string, unknown?]> = [
        ['PATCH', `/api/v1/alerts/${alert.id}/acknowledge`],
        ['POST', '/api/v1/alerts/acknowledge', { ids: [alert.id] }],
        ['PATCH', `/api/v1/alerts/${alert.id}/shelve`, { minutes: 10, reason: 'because' }],
        ['PATCH', `/api/v1/alerts/${alert.id}/unshelve`],
        ['PATCH', `/api/v1/alerts/${alert.id}/resolve`],
      ];
      for (const [method, path, body] of actionRoutes) {
        const viewerRes = await api(method, path, { token: a.viewer.accessToken, ...(body !== undefined ? { body } : {}) });
        expect(viewerRes.status, `${method} ${path}`).toBe(403);
        expect(errorCode(viewerRes)).toBe('FORBIDDEN');
        expect((await api(method, path, body !== undefined ? { body } : {})).status).toBe(401);
      }
      expect(await current(a, alert)).toEqual(alert);
      expect((await api('GET', '/api/v1/alerts', {})).status).toBe(401);
    });
  });

  describe('bulk acknowledge', () => {
    it('reports one outcome per distinct id, in order: acknowledged, invalid transition, not found', async () => {
      const fresh = await freshAlarm(a);
      const acked = await freshAlarm(a);
      await operate(a.operator, acked, 'acknowledge');
      const cleared = await freshAlarm(a);
      await calm(a, cleared.ruleId, a.p1);
      expect((await current(a, cleared)).state).toBe('cleared_unacknowledged');
      const auditBefore = (await auditOf(a)).length;
      const res = await api('POST', '/api/v1/alerts/acknowledge', {
        token: a.operator.accessToken,
        body: { ids: [fresh.id, acked.id, bAlert.id, 99999999, fresh.id, cleared.id], comment: 'shift handover' },
      });
      expect(res.status, res.text).toBe(200);
      expect(res.json.data).toEqual({
        acknowledged: 2,
        failed: 3,
        results: [
          { id: fresh.id, ok: true, code: null, message: null, state: 'active_acknowledged' },
          { id: acked.id, ok: false, code: 'INVALID_TRANSITION', message: expect.any(String), state: 'active_acknowledged' },
          { id: bAlert.id, ok: false, code: 'ALERT_NOT_FOUND', message: `alert ${bAlert.id} not found`, state: null },
          { id: 99999999, ok: false, code: 'ALERT_NOT_FOUND', message: 'alert 99999999 not found', state: null },
          { id: cleared.id, ok: true, code: null, message: null, state: 'normal' },
        ],
      });
      expect(await meta().alerts.get(b.factoryId, bAlert.id)).toEqual(bAlert);
      const audit = await auditOf(a);
      expect(audit.length).toBe(auditBefore + 1);
      expect(audit[0]).toMatchObject({ action: 'alert.acknowledge_bulk', details: { acknowledged: [fresh.id, cleared.id], comment: 'shift handover' } });
      const journal = (await api('GET', `/api/v1/alerts/${fresh.id}/journal`, { token: a.viewer.accessToken })).json.data;
      expect(journal.at(-1)).toMatchObject({ action: 'acknowledged', comment: 'shift handover' });
    });

    it('takes 1 to 500 ids', async () => {
      const token = a.operator.accessToken;
      expectValidation(await api('POST', '/api/v1/alerts/acknowledge', { token, body: { ids: [] } }), 'ids');
      expectValidation(await api('POST', '/api/v1/alerts/acknowledge', { token, body: { ids: Array.from({ length: 501 }, (_, i) => i + 1) } }), 'ids');
      expectValidation(await api('POST', '/api/v1/alerts/acknowledge', { token, body: { ids: [1, 'two'] } }), 'ids[1]');
      expectValidation(await api('POST', '/api/v1/alerts/acknowledge', { token, body: {} }), 'ids', /required/);
      const many = await api('POST', '/api/v1/alerts/acknowledge', { token, body: { ids: Array.from({ length: 500 }, (_, i) => 90_000_000 + i) } });
      expect(many.status).toBe(200);
      expect(many.json.data).toMatchObject({ acknowledged: 0, failed: 500 });
    });
  });

  describe('shelve, unshelve, resolve', () => {
    it('validates minutes (1..1440) and a required reason (≤500) at their fields', async () => {
      const alert = await freshAlarm(a);
      const token = a.operator.accessToken;
      const path = `/api/v1/alerts/${alert.id}/shelve`;
      expectValidation(await api('PATCH', path, { token, body: { minutes: 0, reason: 'r' } }), 'minutes', />= 1/);
      expectValidation(await api('PATCH', path, { token, body: { minutes: 1441, reason: 'r' } }), 'minutes', /<= 1440/);
      expectValidation(await api('PATCH', path, { token, body: { minutes: 1.5, reason: 'r' } }), 'minutes', /integer/);
      expectValidation(await api('PATCH', path, { token, body: { minutes: '10', reason: 'r' } }), 'minutes');
      expectValidation(await api('PATCH', path, { token, body: { reason: 'r' } }), 'minutes', /required/);
      expectValidation(await api('PATCH', path, { token, body: { minutes: 10 } }), 'reason', /required/);
      expectValidation(await api('PATCH', path, { token, body: { minutes: 10, reason: '   ' } }), 'reason', /blank/);
      expectValidation(await api('PATCH', path, { token, body: { minutes: 10, reason: '' } }), 'reason');
      expectValidation(await api('PATCH', path, { token, body: { minutes: 10, reason: 'x'.repeat(501) } }), 'reason');
      expectValidation(await api('PATCH', path, { token, body: { minutes: 10, reason: 'bell\u0007' } }), 'reason');
      expectValidation(await api('PATCH', path, { token }), '');
      expect(await current(a, alert)).toEqual(alert);
    });

    it('shelves for the given minutes with the reason, unshelves once (a still-true alarm comes back), and audits both', async () => {
      const alert = await freshAlarm(a);
      const token = a.operator.accessToken;
      const shelved = await api('PATCH', `/api/v1/alerts/${alert.id}/shelve`, { token, body: { minutes: 30, reason: ' sensor being replaced ' } });
      expect(shelved.status, shelved.text).toBe(200);
      expect(shelved.json.data).toMatchObject({ state: 'shelved', shelve_reason: 'sensor being replaced', shelved_by: a.operator.userId, shelved_until: iso(now() + 30 * MINUTE) });
      const unshelved = await api('PATCH', `/api/v1/alerts/${alert.id}/unshelve`, { token });
      expect(unshelved.status).toBe(200);
      expect(unshelved.json.data).toMatchObject({ id: alert.id, state: 'normal', resolved_at: iso(now()) });
      // ISA-18.2: the condition still holds, so the alarm is annunciated again as a new one.
      const back = (await meta().alerts.listOpen(a.factoryId)).filter((x) => x.ruleId === alert.ruleId);
      expect(back).toEqual([expect.objectContaining({ deviceId: alert.deviceId, state: 'active_unacknowledged', triggeredAt: now() })]);
      expect(back[0]?.id).not.toBe(alert.id);
      const again = await api('PATCH', `/api/v1/alerts/${alert.id}/unshelve`, { token });
      expect(again.status).toBe(409);
      expect(errorCode(again)).toBe('INVALID_TRANSITION');
      const withBody = await api('PATCH', `/api/v1/alerts/${alert.id}/unshelve`, { token, body: { comment: 'x' } });
      expect(withBody.status).toBe(400);
      expect(withBody.json.error.message).toMatch(/takes no request body/);
      const actions = (await auditOf(a)).filter((e) => e.target_id === String(alert.id)).map((e) => e.action);
      expect(actions).toEqual(['alert.unshelve', 'alert.shelve']);
      const journal = (await api('GET', `/api/v1/alerts/${alert.id}/journal`, { token })).json.data.map((e: { action: string }) => e.action);
      expect(journal).toEqual(['raised', 'shelved', 'unshelved']);
    });

    it('lets a shelving run out by itself: the alarm closes, and comes back while its condition holds', async () => {
      const alert = await freshAlarm(a);
      await operate(a.operator, alert, 'shelve', { minutes: 5, reason: 'five minutes' });
      server.clock.advance(5 * MINUTE - SECOND);
      await server.running.alarms.tickNow();
      await server.running.alarms.idle();
      expect((await current(a, alert)).state).toBe('shelved');
      server.clock.advance(SECOND);
      await server.running.alarms.tickNow();
      await server.running.alarms.idle();
      const expired = await api('GET', `/api/v1/alerts/${alert.id}`, { token: a.viewer.accessToken });
      expect(expired.json.data).toMatchObject({ state: 'normal', resolved_at: iso(now()) });
      const journal = (await api('GET', `/api/v1/alerts/${alert.id}/journal`, { token: a.viewer.accessToken })).json.data;
      expect(journal.at(-1)).toMatchObject({ action: 'shelve_expired', from_state: 'shelved', to_state: 'normal', actor: 'system' });
      const back = (await meta().alerts.listOpen(a.factoryId)).filter((x) => x.ruleId === alert.ruleId);
      expect(back).toEqual([expect.objectContaining({ state: 'active_unacknowledged', triggeredAt: now() })]);
    });

    it('resolves (seed) with an optional comment, once', async () => {
      const alert = await freshAlarm(a);
      const token = a.operator.accessToken;
      const res = await api('PATCH', `/api/v1/alerts/${alert.id}/resolve`, { token, body: { comment: 'fuse replaced' } });
      expect(res.status).toBe(200);
      expect(res.json.data).toMatchObject({ id: alert.id, state: 'normal', resolved_at: iso(now()) });
      const again = await api('PATCH', `/api/v1/alerts/${alert.id}/resolve`, { token });
      expect(again.status).toBe(409);
      expect((await auditOf(a)).find((e) => e.action === 'alert.resolve' && e.target_id === String(alert.id))?.details).toMatchObject({ comment: 'fuse replaced' });
      // Resolved by hand while still true: no second alarm until the condition has been false.
      await send(a, a.p1, { [triggerOf(alert.ruleId).parameter]: 999 });
      expect((await meta().alerts.listOpen(a.factoryId)).filter((x) => x.ruleId === alert.ruleId)).toEqual([]);
    });
  });

  describe('health', () => {
    it('reports floods, chattering, standing and the most frequent alarms with their names', async () => {
      const t = await tenant('alarms-health');
      const operator = t.operator;
      /** One whole episode: raised, resolved by the operator, condition false again. */
      const episode = async (rule: number, probe: Probe) => {
        await operate(operator, await raise(t, { rule, device: probe }), 'resolve');
        await calm(t, rule, probe);
      };
      // Standing: raised now, still active 30 hours later.
      const standing = await raise(t, { rule: t.r2, device: t.p1 });
      server.clock.advance(28 * HOUR);
      // Chattering: the same alarm four times within a minute. Then the most frequent: another
      // eight times, about a minute apart. Twelve raises within ten minutes: one flood period.
      for (let i = 0; i < 4; i++) {
        await episode(t.r1, t.p1);
        server.clock.advance(10 * SECOND);
      }
      for (let i = 0; i < 8; i++) {
        await episode(t.r2, t.p2);
        server.clock.advance(50 * SECOND);
      }
      server.clock.advance(standing.triggeredAt + 30 * HOUR - now());
      await server.running.alarms.tickNow();
      await server.running.alarms.idle();
      const end = now();

      const res = await api('GET', '/api/v1/alerts/health', { token: t.viewer.accessToken });
      expect(res.status, res.text).toBe(200);
      const data = res.json.data;
      expect(data).toMatchObject({ start: iso(end - 24 * HOUR), end: iso(end), raised: 12 });
      expect(data.flood).toMatchObject({ flooding: false, count: 0, max_alarms: 10, window_minutes: 10 });
      expect(data.flood.periods).toHaveLength(1);
      expect(data.flood.time_in_flood_percent).toBeGreaterThan(0);
      expect(data.chattering).toEqual([
        { rule_id: t.r1, rule_name: 'High voltage of alarms-health', device_id: t.p1.id, device_name: 'Press 1 of alarms-health', max_in_window: 4, total: 4, last_at: expect.any(String) },
      ]);
      expect(data.standing).toEqual([
        { rule_id: t.r2, rule_name: 'Any fault of alarms-health', device_id: t.p1.id, device_name: 'Press 1 of alarms-health', since: iso(standing.triggeredAt), duration_minutes: 1800 },
      ]);
      expect(data.top[0]).toMatchObject({ rule_id: t.r2, device_id: t.p2.id, device_name: 'P2', count: 8 });
      expect(data.top[1]).toMatchObject({ rule_id: t.r1, device_id: t.p1.id, count: 4 });

      const window = await api('GET', `/api/v1/alerts/health?start=${iso(end - 31 * HOUR)}&end=${iso(end)}`, { token: t.viewer.accessToken });
      expect(window.json.data.raised).toBe(13);
    });

    it('refuses backwards, empty or too long periods', async () => {
      const token = a.viewer.accessToken;
      expectValidation(await api('GET', '/api/v1/alerts/health?start=2026-02-02T00:00:00Z&end=2026-02-01T00:00:00Z', { token }), 'end');
      expectValidation(await api('GET', '/api/v1/alerts/health?start=2026-02-01T00:00:00Z&end=2026-02-01T00:00:00Z', { token }), 'end');
      expectValidation(await api('GET', '/api/v1/alerts/health?start=2026-01-01T00:00:00Z&end=2026-03-01T00:00:00Z', { token }), 'start', /31 days/);
      expectValidation(await api('GET', '/api/v1/alerts/health?start=soon', { token }), 'start');
    });
  });

  describe('changes (HTTP resync)', () => {
    it('returns the journal after a sequence number, in order, capped, for this factory only', async () => {
      const t = await tenant('alarms-changes');
      const first = await raise(t);
      await raise(t, { device: t.p2 });
      await raise(t, { rule: t.r2 });
      const ack = await api('PATCH', `/api/v1/alerts/${first.id}/acknowledge`, { token: t.operator.accessToken, body: { comment: 'seen' } });
      expect(ack.status).toBe(200);
      const ackedAt = now();
      await freshAlarm(b);

      const all = await api('GET', '/api/v1/alerts/changes?since=0', { token: t.viewer.accessToken });
      expect(all.status, all.text).toBe(200);
      expect(all.json.data).toMatchObject({ since: 0, seq: 4, has_more: false });
      const deltas = all.json.data.deltas as Array<{ seq: number; action: string; actor: string; comment: string | null; alarm: Json }>;
      expect(deltas.map((d) => d.seq)).toEqual([1, 2, 3, 4]);
      expect(deltas.map((d) => d.action)).toEqual(['raised', 'raised', 'raised', 'acknowledged']);
      expect(deltas[3]).toMatchObject({ action: 'acknowledged', from_state: 'active_unacknowledged', to_state: 'active_acknowledged', actor: t.operator.email, comment: 'seen', at: ackedAt });
      expect(deltas[3]?.alarm).toMatchObject({ id: first.id, rule_id: t.r1, device_id: t.p1.id, state: 'active_acknowledged', acknowledged_by: t.operator.userId, triggered_at: first.triggeredAt });
      expect(deltas[0]?.alarm.state).toBe('active_acknowledged');

      const tail = await api('GET', '/api/v1/alerts/changes?since=2', { token: t.viewer.accessToken });
      expect(tail.json.data.deltas.map((d: { seq: number }) => d.seq)).toEqual([3, 4]);
      const capped = await api('GET', '/api/v1/alerts/changes?since=0&limit=2', { token: t.viewer.accessToken });
      expect(capped.json.data).toMatchObject({ seq: 4, has_more: true });
      expect(capped.json.data.deltas.map((d: { seq: number }) => d.seq)).toEqual([1, 2]);
      const none = await api('GET', '/api/v1/alerts/changes?since=4', { token: t.viewer.accessToken });
      expect(none.json.data).toEqual({ since: 4, seq: 4, has_more: false, deltas: [] });

      const token = t.viewer.accessToken;
      expectValidation(await api('GET', '/api/v1/alerts/changes', { token }), 'since', /required/);
      expectValidation(await api('GET', '/api/v1/alerts/changes?since=-1', { token }), 'since');
      expectValidation(await api('GET', '/api/v1/alerts/changes?since=0&limit=1001', { token }), 'limit');
    });
  });

  describe('maintenance windows', () => {
    const window = (over: Record<string, unknown> = {}) => ({
      target_type: 'rule',
      target_id: a.r1,
      mode: 'out_of_service',
      starts_at: iso(now() + HOUR),
      ends_at: iso(now() + 5 * HOUR),
      reason: 'Transformer maintenance',
      ...over,
    });

    it('lets admins plan and cancel a window (audited); the alarm service applies it when it starts and lifts it when cancelled; everyone sees it', async () => {
      const onP2 = await raise(a, { rule: a.r1, device: a.p2 });
      const mixer = await device(a, 'MX1', 'Mixer 1 of alarms-a');
      const mixerAlarm = await freshAlarm(a, { device: mixer });

      const created = await api('POST', '/api/v1/maintenance', { token: a.admin.accessToken, body: window() });
      expect(created.status, created.text).toBe(201);
      expect(created.json.data).toMatchObject({
        target_type: 'rule',
        target_id: a.r1,
        target_name: 'High voltage of alarms-a',
        mode: 'out_of_service',
        reason: 'Transformer maintenance',
        status: 'planned',
        created_by: a.admin.userId,
        cancelled_at: null,
      });
      const shelving = await api('POST', '/api/v1/maintenance', {
        token: a.admin.accessToken,
        body: window({ target_type: 'device', target_id: mixer.id, mode: 'shelved', starts_at: iso(now() - MINUTE) }),
      });
      expect(shelving.json.data).toMatchObject({ target_name: 'Mixer 1 of alarms-a', mode: 'shelved', status: 'active' });
      // The running window applies at once: the mixer's alarm is shelved until the window ends.
      await server.running.alarms.idle();
      expect(await current(a, mixerAlarm)).toMatchObject({ state: 'shelved', shelvedUntil: Date.parse(shelving.json.data.ends_at), shelveReason: 'Transformer maintenance' });
      // The planned one not yet.
      expect((await current(a, onP2)).state).toBe('active_unacknowledged');

      const listed = await api('GET', '/api/v1/maintenance', { token: a.viewer.accessToken });
      expect(listed.status).toBe(200);
      expect(listed.json.data.map((w: { id: number }) => w.id)).toEqual(expect.arrayContaining([created.json.data.id, shelving.json.data.id]));

      // The planned window starts: the rule's alarms close, and its condition raises nothing.
      server.clock.advance(HOUR + SECOND);
      await server.running.alarms.tickNow();
      await server.running.alarms.idle();
      expect(await current(a, onP2)).toMatchObject({ state: 'normal' });
      const journal = (await api('GET', `/api/v1/alerts/${onP2.id}/journal`, { token: a.viewer.accessToken })).json.data;
      expect(journal.at(-1)).toMatchObject({ action: 'out_of_service', to_state: 'normal', comment: 'Transformer maintenance' });
      await send(a, a.p2, { voltage: 250 });
      expect((await meta().alerts.listOpen(a.factoryId)).filter((x) => x.ruleId === a.r1)).toEqual([]);
      expect((await api('GET', '/api/v1/maintenance', { token: a.viewer.accessToken })).json.data.find((w: { id: number }) => w.id === created.json.data.id)?.status).toBe('active');

      // Cancelled: back in service, and the next telemetry raises again.
      const cancel = await api('DELETE', `/api/v1/maintenance/${created.json.data.id}`, { token: a.admin.accessToken });
      expect(cancel.status).toBe(204);
      expect((await api('DELETE', `/api/v1/maintenance/${created.json.data.id}`, { token: a.admin.accessToken })).status).toBe(404);
      await server.running.alarms.idle();
      const returned = await raise(a, { rule: a.r1, device: a.p2 });
      expect(returned.id).not.toBe(onP2.id);
      const after = await api('GET', '/api/v1/maintenance', { token: a.viewer.accessToken });
      expect(after.json.data.map((w: { id: number }) => w.id)).not.toContain(created.json.data.id);
      const actionsAudited = (await auditOf(a)).filter((e) => e.action.startsWith('maintenance.')).map((e) => e.action);
      expect(actionsAudited.slice(0, 3)).toEqual(['maintenance.cancel', 'maintenance.create', 'maintenance.create']);
    });

    it('is for admins: operators and viewers get 403', async () => {
      const mine = await api('POST', '/api/v1/maintenance', { token: a.admin.accessToken, body: window() });
      for (const session of [a.operator, a.viewer]) {
        expect((await api('POST', '/api/v1/maintenance', { token: session.accessToken, body: window() })).status).toBe(403);
        expect((await api('DELETE', `/api/v1/maintenance/${mine.json.data.id}`, { token: session.accessToken })).status).toBe(403);
      }
    });

    it('validates times, length and reason at their fields', async () => {
      const token = a.admin.accessToken;
      const at = (ms: number) => iso(now() + ms);
      expectValidation(await api('POST', '/api/v1/maintenance', { token, body: window({ ends_at: at(30 * MINUTE) }) }), 'ends_at', /after starts_at/);
      expectValidation(await api('POST', '/api/v1/maintenance', { token, body: window({ starts_at: at(-3 * HOUR), ends_at: at(-HOUR) }) }), 'ends_at', /future/);
      expectValidation(await api('POST', '/api/v1/maintenance', { token, body: window({ mode: 'shelved', ends_at: at(26 * HOUR) }) }), 'ends_at', /24 hours/);
      expectValidation(await api('POST', '/api/v1/maintenance', { token, body: window({ ends_at: at(92 * 24 * HOUR) }) }), 'ends_at', /90 days/);
      expectValidation(await api('POST', '/api/v1/maintenance', { token, body: window({ starts_at: at(400 * 24 * HOUR), ends_at: at(401 * 24 * HOUR) }) }), 'starts_at');
      expectValidation(await api('POST', '/api/v1/maintenance', { token, body: window({ reason: '  ' }) }), 'reason', /blank/);
      expectValidation(await api('POST', '/api/v1/maintenance', { token, body: window({ reason: undefined }) }), 'reason', /required/);
      expectValidation(await api('POST', '/api/v1/maintenance', { token, body: window({ target_type: 'line' }) }), 'target_type');
      expectValidation(await api('POST', '/api/v1/maintenance', { token, body: window({ mode: 'disabled' }) }), 'mode');
      expectValidation(await api('POST', '/api/v1/maintenance', { token, body: window({ starts_at: 'tomorrow' }) }), 'starts_at');
      const month = await api('POST', '/api/v1/maintenance', { token, body: window({ ends_at: at(30 * 24 * HOUR) }) });
      expect(month.status, month.text).toBe(201);
    });

    it('answers 404 for another factory’s rule, device or window', async () => {
      const token = a.admin.accessToken;
      const before = (await meta().maintenance.listCurrent(a.factoryId, now())).length;
      for (const [body, code] of [
        [window({ target_id: b.r1 }), 'RULE_NOT_FOUND'],
        [window({ target_type: 'device', target_id: b.p1.id }), 'DEVICE_NOT_FOUND'],
        [window({ target_id: 99999999 }), 'RULE_NOT_FOUND'],
      ] as const) {
        const res = await api('POST', '/api/v1/maintenance', { token, body });
        expect(res.status, res.text).toBe(404);
        expect(errorCode(res)).toBe(code);
      }
      expect((await meta().maintenance.listCurrent(a.factoryId, now())).length).toBe(before);
      const theirs = await api('POST', '/api/v1/maintenance', { token: b.admin.accessToken, body: window({ target_id: b.r1 }) });
      expect(theirs.status).toBe(201);
      const cancel = await api('DELETE', `/api/v1/maintenance/${theirs.json.data.id}`, { token });
      expect(cancel.status).toBe(404);
      expect(errorCode(cancel)).toBe('MAINTENANCE_NOT_FOUND');
      expect((await meta().maintenance.get(b.factoryId, theirs.json.data.id))?.cancelledAt).toBeNull();
      const listed = await api('GET', '/api/v1/maintenance', { token: a.viewer.accessToken });
      expect(listed.json.data.map((w: { id: number }) => w.id)).not.toContain(theirs.json.data.id);
    });
  });

  describe('hostile input', () => {
    it('answers 4xx with the error shape, never 500', async () => {
      const alert = await freshAlarm(a);
      const token = a.operator.accessToken;
      const admin = a.admin.accessToken;
      const cases: Array<[string, string, unknown, string?]> = [
        ['GET', '/api/v1/alerts/abc', undefined],
        ['GET', '/api/v1/alerts/0', undefined],
        ['GET', '/api/v1/alerts/1e3', undefined],
        ['GET', '/api/v1/alerts/99999999999', undefined],
        ['GET', '/api/v1/alerts/-1/journal', undefined],
        ['GET', `/api/v1/alerts?state=${'open,'.repeat(1000)}`, undefined],
        ['GET', `/api/v1/alerts?${Array.from({ length: 20 }, () => 'state=open').join('&')}`, undefined],
        ['GET', '/api/v1/alerts?device_id=1%20OR%201=1', undefined],
        ['GET', '/api/v1/alerts?page=0', undefined],
        ['GET', '/api/v1/alerts?end=2026-13-45T99:00:00Z', undefined],
        ['GET', '/api/v1/alerts/changes?since=abc', undefined],
        ['GET', '/api/v1/alerts/changes?since=1e400', undefined],
        ['GET', '/api/v1/alerts?page=1e400', undefined],
        ['GET', '/api/v1/alerts?device_id=1e400', undefined],
        ['GET', '/api/v1/alerts/1e400', undefined],
        ['GET', '/api/v1/alerts/counts?x=1', undefined],
        ['PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, '{"comment":'],
        ['PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, 'null'],
        ['PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, '[]'],
        ['PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, '"ack"'],
        ['PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, '{"__proto__":{"comment":"x"}}'],
        ['PATCH', `/api/v1/alerts/${alert.id}/shelve`, { minutes: 1e308, reason: 'r' }],
        ['PATCH', `/api/v1/alerts/${alert.id}/shelve`, '{"minutes":1e400,"reason":"r"}'],
        ['POST', '/api/v1/alerts/acknowledge', '{"ids":[1e400]}'],
        ['PATCH', `/api/v1/alerts/${alert.id}/shelve`, { minutes: -5, reason: 'r' }],
        ['PATCH', `/api/v1/alerts/${alert.id}/shelve`, { minutes: 10, reason: ['r'] }],
        ['PATCH', `/api/v1/alerts/${alert.id}/shelve`, { minutes: 10, reason: 'r', until: 1 }],
        ['POST', '/api/v1/alerts/acknowledge', { ids: alert.id }],
        ['POST', '/api/v1/alerts/acknowledge', { ids: [2 ** 31] }],
        ['POST', '/api/v1/alerts/acknowledge', { ids: [null] }],
        ['POST', '/api/v1/alerts/acknowledge', 'ids=1'],
        ['PATCH', '/api/v1/alerts/acknowledge', { ids: [alert.id] }],
        ['POST', '/api/v1/maintenance', { target_type: 'rule', target_id: a.r1 }, admin],
        ['POST', '/api/v1/maintenance', { target_type: 'rule', target_id: '1; DROP TABLE rules', mode: 'shelved', starts_at: 'x', ends_at: 'y', reason: 'r' }, admin],
        ['POST', '/api/v1/maintenance', [], admin],
        ['DELETE', '/api/v1/maintenance/abc', undefined, admin],
        ['DELETE', '/api/v1/maintenance/1', { force: true }, admin],
        ['GET', '/api/v1/maintenance?all=true', undefined],
      ];
      const failures: string[] = [];
      for (const [method, path, body, session] of cases) {
        const res = await api(method, path, { token: session ?? token, ...(body !== undefined ? { body } : {}) });
        if (res.status < 400 || res.status >= 500 || errorCode(res) === undefined) failures.push(`${method} ${path.slice(0, 80)} ${JSON.stringify(body)?.slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`);
      }
      expect(failures).toEqual([]);
      expect((await current(a, alert)).state).toBe('active_unacknowledged');
      expect((await api('GET', '/api/v1/alerts/counts', { token })).status).toBe(200);
    });
  });
});
