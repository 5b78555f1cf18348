/**
 * Alarms over HTTP: the list (filters, pagination, names without N+1), the annunciator counts,
 * one alarm and its journal, operator actions (acknowledge, bulk acknowledge, shelve, unshelve,
 * resolve) and who may take them, alarm health, the resync feed, maintenance windows, another
 * factory's ids (always 404) and hostile requests (4xx, never 500).
 *
 * Setup: a real test server (SQLite or MariaDB metadata, real sign-in) and, until the alarm
 * service is wired into app.ts, a second HTTP server in this process that registers the alert
 * and maintenance routes on the same metadata store and token secret. Alarms are raised here
 * directly through the repositories, and a stand-in AlarmActions / health source backed by the
 * real repositories and the engine's health functions plays the alarm service.
 * TODO(after wiring): call `server.api`, raise alarms with real telemetry and drop
 * StandInAlarmActions / storeHealth so the same assertions run against the real service.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { alarmKey, findChattering, findStanding, floodPeriods, floodState, topFrequent } from '../../../engine/rules/index.js';
import type { ApiContext } from '../../../server/api/context.js';
import { createHttpServer } from '../../../server/api/http-server.js';
import { alertRoutes, type AlarmHealthReport } from '../../../server/api/routes/alerts.js';
import { maintenanceRoutes } from '../../../server/api/routes/maintenance.js';
import { AlarmActionError, type Actor, type AlarmActions } from '../../../server/alarms/ports.js';
import { AccessTokens } from '../../../server/auth/access-tokens.js';
import { createGuards } from '../../../server/auth/guards.js';
import { LoginThrottle } from '../../../server/auth/login-throttle.js';
import { SessionService } from '../../../server/auth/sessions.js';
import { loadOrCreateJwtSecret } from '../../../server/bootstrap/data-dir.js';
import { HealthChecks } from '../../../server/observe/health.js';
import { createMetrics } from '../../../server/observe/metrics.js';
import type { MetaStore } from '../../../server/store/meta/meta-store.js';
import type { Alert, AlertPatch, AlertState } from '../../../server/store/meta/repositories/alerts.js';
import { META_DIALECTS } from '../../helpers/meta-targets.js';
import { apiClient, errorCode, startTestServerOn, type ApiClient, type ApiResponse, type Json, type Session, type TestServer } from '../../helpers/test-server.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Stand-in for the alarm service's operator actions: the ISA-18.2 moves an operator makes,
 * journalled with the factory's sequence in one transaction, over the real repositories.
 */
class StandInAlarmActions implements AlarmActions {
  readonly reloads: number[] = [];
  constructor(
    private readonly meta: MetaStore,
    private readonly clock: () => number,
  ) {}

  private apply(factoryId: number, alertId: number, actor: Actor, action: string, comment: string | null, next: (alert: Alert, now: number) => (AlertPatch & { state: AlertState }) | null): Promise<Alert> {
    return this.meta.transaction(async (repos) => {
      const now = this.clock();
      const alert = await repos.alerts.get(factoryId, alertId);
      if (!alert) throw new AlarmActionError('ALERT_NOT_FOUND', `alert ${alertId} not found`);
      const patch = next(alert, now);
      if (!patch) throw new AlarmActionError('INVALID_TRANSITION', `cannot ${action} an alarm that is ${alert.state}`);
      const seq = await repos.alerts.nextSeq(factoryId);
      await repos.alerts.addJournal(factoryId, seq, { alertId, fromState: alert.state, toState: patch.state, action, userId: actor.userId, actor: actor.name, comment, createdAt: now });
      const updated = await repos.alerts.update(factoryId, alertId, { ...patch, lastSeq: seq });
      if (!updated) throw new Error('alert vanished');
      return updated;
    });
  }

  acknowledge(factoryId: number, alertId: number, actor: Actor, comment: string | null) {
    return this.apply(factoryId, alertId, actor, 'acknowledge', comment, (a, now) => {
      if (a.state === 'active_unacknowledged') return { state: 'active_acknowledged', acknowledgedAt: now, acknowledgedBy: actor.userId };
      if (a.state === 'cleared_unacknowledged') return { state: 'normal', acknowledgedAt: now, acknowledgedBy: actor.userId, resolvedAt: now };
      return null;
    });
  }

  shelve(factoryId: number, alertId: number, actor: Actor, minutes: number, reason: string) {
    return this.apply(factoryId, alertId, actor, 'shelve', reason, (a, now) =>
      a.state === 'normal' ? null : { state: 'shelved', shelvedUntil: now + minutes * MINUTE, shelveReason: reason, shelvedBy: actor.userId },
    );
  }

  unshelve(factoryId: number, alertId: number, actor: Actor) {
    return this.apply(factoryId, alertId, actor, 'unshelve', null, (a) => (a.state === 'shelved' ? { state: 'normal', shelvedUntil: null, shelveReason: null, shelvedBy: null } : null));
  }

  resolve(factoryId: number, alertId: number, actor: Actor, comment: string | null) {
    return this.apply(factoryId, alertId, actor, 'resolve', comment, (a, now) =>
      a.state === 'active_unacknowledged' || a.state === 'active_acknowledged' || a.state === 'cleared_unacknowledged' ? { state: 'normal', resolvedAt: now } : null,
    );
  }

  async reload(factoryId: number): Promise<void> {
    this.reloads.push(factoryId);
  }
}

/** Stand-in for the alarm service's health helper: the engine's functions over the journal's raise times. */
function storeHealth(meta: MetaStore) {
  return async (factoryId: number, from: number, to: number): Promise<AlarmHealthReport> => {
    const raised = await meta.alerts.raisedBetween(factoryId, from, to);
    const keyed = raised.map((r) => ({ key: alarmKey(r.ruleId, r.deviceId), at: r.at }));
    const open = await meta.alerts.listOpen(factoryId);
    return {
      raised: raised.length,
      flood: floodState(raised.map((r) => r.at), to),
      floodPeriods: floodPeriods(raised.map((r) => r.at)),
      chattering: findChattering(keyed),
      standing: findStanding(open.map((a) => ({ key: alarmKey(a.ruleId, a.deviceId), since: a.triggeredAt })), to),
      top: topFrequent(keyed),
    };
  };
}

async function startAlarmApi(server: TestServer, alarms: AlarmActions): Promise<{ api: ApiClient; close(): Promise<void> }> {
  const meta = server.running.meta;
  const clock = server.clock.now;
  const tokens = new AccessTokens(loadOrCreateJwtSecret(server.running.layout).secret, 900);
  const throttle = new LoginThrottle();
  const metrics = createMetrics();
  const ctx: ApiContext = {
    meta,
    tokens,
    sessions: new SessionService(meta, tokens, throttle, 3600, clock),
    throttle,
    guards: createGuards(meta, tokens, clock),
    metrics,
    health: new HealthChecks(),
    mailer: null,
    clock,
    publicUrl: server.url,
    version: 'test',
    offlineAfterMs: 60_000,
    deviceChanged: () => {},
  };
  const http = createHttpServer({ logger: pino({ level: 'silent' }), metrics, tls: null });
  await http.register(
    async (api) => {
      await alertRoutes(api, { ...ctx, alarms, alarmHealth: storeHealth(meta) });
      await maintenanceRoutes(api, { ...ctx, alarms });
    },
    { prefix: '/api/v1' },
  );
  await http.listen({ host: '127.0.0.1', port: 0 });
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { api: apiClient(`http://127.0.0.1:${port}`), close: () => http.close() };
}

interface Tenant {
  factoryId: number;
  superAdmin: Session;
  admin: Session;
  operator: Session;
  viewer: Session;
  p1: number;
  p2: number;
  r1: number;
  r2: number;
}

describe.each(META_DIALECTS)('alerts API ($name metadata)', (dialect) => {
  let server: TestServer;
  let alarmApi: { api: ApiClient; close(): Promise<void> };
  let api: ApiClient;
  let actions: StandInAlarmActions;
  let a: Tenant;
  let b: Tenant;
  let bAlert: Alert;

  const now = () => server.clock.now();
  const meta = () => server.running.meta;

  async function tenant(slug: string): Promise<Tenant> {
    const factory = await server.createFactory(slug);
    const superAdmin = await server.login({ factorySlug: slug, email: factory.adminEmail, password: factory.adminPassword });
    const session = async (role: 'admin' | 'operator' | 'viewer') => {
      const u = await server.createUser(factory.id, `${role}-user@${slug}.example`, role);
      return server.login({ factorySlug: slug, email: u.email, password: u.password });
    };
    const [admin, operator, viewer] = [await session('admin'), await session('operator'), await session('viewer')];
    const p1 = (await meta().devices.create(factory.id, { deviceKey: 'P1', name: `Press 1 of ${slug}` }, now())).id;
    const p2 = (await meta().devices.create(factory.id, { deviceKey: 'P2' }, now())).id;
    const rule = (name: string, scope: 'device' | 'global', deviceIds: number[]) =>
      meta().rules.create(
        factory.id,
        {
          name,
          description: null,
          scope,
          conditions: { parameter: 'voltage', operator: 'gt', value: 240 },
          cooldownMinutes: 15,
          isActive: true,
          scheduleType: 'always',
          scheduleConfig: null,
          severity: 'high',
          notificationChannels: null,
          onDelaySeconds: 0,
          deadband: 0,
          escalationMinutes: null,
          recipients: null,
          deviceIds,
        },
        null,
        now(),
      );
    const r1 = (await rule(`High voltage of ${slug}`, 'device', [p1, p2])).id;
    const r2 = (await rule(`Any fault of ${slug}`, 'global', [])).id;
    return { factoryId: factory.id, superAdmin, admin, operator, viewer, p1, p2, r1, r2 };
  }

  /** What the evaluator would do on a raise: the alarm row and its journal entry, one transaction. */
  function raise(t: Tenant, o: { rule?: number; device?: number; severity?: string; at?: number; state?: AlertState } = {}): Promise<Alert> {
    const at = o.at ?? now() - MINUTE;
    return meta().transaction(async (repos) => {
      const alert = await repos.alerts.create(
        t.factoryId,
        { ruleId: o.rule ?? t.r1, deviceId: o.device ?? t.p1, state: o.state ?? 'active_unacknowledged', triggeredAt: at, severity: o.severity ?? 'high', message: '[High voltage] voltage (245.2) gt 240', telemetrySnapshot: { voltage: 245.2 } },
        at,
      );
      const seq = await repos.alerts.nextSeq(t.factoryId);
      await repos.alerts.addJournal(t.factoryId, seq, { alertId: alert.id, fromState: 'normal', toState: alert.state, action: 'raise', userId: null, actor: 'system', comment: null, createdAt: at });
      const updated = await repos.alerts.update(t.factoryId, alert.id, { lastSeq: seq });
      if (!updated) throw new Error('alert vanished');
      return updated;
    });
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
    server = await startTestServerOn(dialect);
    actions = new StandInAlarmActions(server.running.meta, server.clock.now);
    alarmApi = await startAlarmApi(server, actions);
    api = alarmApi.api;
    a = await tenant('alarms-a');
    b = await tenant('alarms-b');
    bAlert = await raise(b, { severity: 'critical' });
  });
  afterAll(async () => {
    await alarmApi?.close();
    await server?.close();
  });

  describe('list', () => {
    let t: Tenant;
    let raised: Alert[];
    const severities = ['low', 'medium', 'high', 'critical'];
    const stateOf = (i: number): AlertState => (i === 3 ? 'shelved' : i % 7 === 0 ? 'normal' : i % 5 === 0 ? 'active_acknowledged' : 'active_unacknowledged');

    beforeAll(async () => {
      t = await tenant('alarms-list');
      raised = [];
      const base = now() - 2 * HOUR;
      for (let i = 0; i < 25; i++) {
        raised.push(await raise(t, { rule: i % 2 ? t.r1 : t.r2, device: i % 3 === 0 ? t.p2 : t.p1, severity: severities[i % 4], at: base + i * MINUTE, state: stateOf(i) }));
      }
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
      expect(first.data[0]).toEqual({
        id: newest.id,
        rule_id: t.r2,
        rule_name: 'Any fault of alarms-list',
        device_id: t.p2,
        device_name: null,
        device_key: 'P2',
        state: 'active_unacknowledged',
        triggered_at: new Date(newest.triggeredAt).toISOString(),
        cleared_at: null,
        acknowledged_at: null,
        acknowledged_by: null,
        resolved_at: null,
        severity: 'low',
        message: '[High voltage] voltage (245.2) gt 240',
        telemetry_snapshot: { voltage: 245.2 },
        notification_sent: false,
        shelved_until: null,
        shelve_reason: null,
        shelved_by: null,
        escalated_at: null,
        last_seq: newest.lastSeq,
      });
      const p1Row = first.data.find((x) => x.device_id === t.p1 && x.rule_id === t.r1);
      expect(p1Row).toMatchObject({ device_name: 'Press 1 of alarms-list', device_key: 'P1', rule_name: 'High voltage of alarms-list' });
      const last = await list('?per_page=10&page=3');
      expect(last.data.map((x) => x.id)).toEqual(raised.slice(0, 5).reverse().map((x) => x.id));
      expect((await list('?per_page=10&page=4')).data).toEqual([]);
    });

    it('reads names with one query for rules and one for devices, not one per alarm', async () => {
      const names = vi.spyOn(meta().rules, 'namesByIds');
      const devices = vi.spyOn(meta().devices, 'getMany');
      const oneDevice = vi.spyOn(meta().devices, 'get');
      const oneRule = vi.spyOn(meta().rules, 'get');
      try {
        const page = await list('?per_page=25');
        expect(page.data).toHaveLength(25);
        expect(names).toHaveBeenCalledTimes(1);
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
      expect(await got(`?device_id=${t.p2}`)).toEqual(ids(raised.filter((x) => x.deviceId === t.p2)));
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
      expect(await got(`?start=${new Date(from.triggeredAt).toISOString()}&end=${new Date(to.triggeredAt).toISOString()}`)).toEqual(ids(raised.slice(5, 10)));
      expect(await got(`?device_id=${t.p1}&rule_id=${t.r1}&severity=medium&state=open`)).toEqual(
        ids(raised.filter((x) => x.deviceId === t.p1 && x.ruleId === t.r1 && x.severity === 'medium' && x.state !== 'normal')),
      );
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
      const device = await api('GET', `/api/v1/alerts?device_id=${b.p1}`, { token });
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
      const hourAgo = now() - HOUR;
      await raise(t, { severity: 'critical', at: hourAgo });
      await raise(t, { severity: 'critical', at: hourAgo });
      await raise(t, { severity: 'high', at: hourAgo, state: 'active_acknowledged' });
      await raise(t, { severity: 'medium', at: hourAgo, state: 'cleared_unacknowledged' });
      await raise(t, { severity: 'low', at: hourAgo, state: 'shelved' });
      await raise(t, { severity: 'critical', at: hourAgo, state: 'normal' });
      const calm = await api('GET', '/api/v1/alerts/counts', { token: t.viewer.accessToken });
      expect(calm.status, calm.text).toBe(200);
      expect(calm.json.data).toEqual({
        open: 5,
        active: 4,
        unacknowledged: 3,
        shelved: 1,
        by_severity: { low: 0, medium: 1, high: 1, critical: 2 },
        unacknowledged_by_severity: { low: 0, medium: 1, high: 0, critical: 2 },
        highest_unacknowledged: 'critical',
        flood: { flooding: false, count: 0, max_alarms: 10, window_minutes: 10 },
        seq: 6,
      });

      // ISA-18.2: more than 10 alarms in 10 minutes.
      for (let i = 0; i < 11; i++) await raise(t, { severity: 'low', at: now() - 9 * MINUTE + i * 30_000 });
      const flood = await api('GET', '/api/v1/alerts/counts', { token: t.viewer.accessToken });
      expect(flood.json.data.flood).toEqual({ flooding: true, count: 11, max_alarms: 10, window_minutes: 10 });
      expect(flood.json.data.unacknowledged_by_severity.low).toBe(11);
      expect(flood.json.data.seq).toBe(17);
      // The other factories' alarms never count here.
      const mine = await api('GET', '/api/v1/alerts/counts', { token: a.viewer.accessToken });
      expect(mine.json.data.flood.count).toBe(0);
    });
  });

  describe('one alarm', () => {
    it('shows an alarm and its journal; another factory’s alarm is 404 on every route', async () => {
      const alert = await raise(a, { severity: 'medium' });
      const got = await api('GET', `/api/v1/alerts/${alert.id}`, { token: a.viewer.accessToken });
      expect(got.status).toBe(200);
      expect(got.json.data).toMatchObject({ id: alert.id, rule_name: 'High voltage of alarms-a', device_key: 'P1', state: 'active_unacknowledged' });
      const journal = await api('GET', `/api/v1/alerts/${alert.id}/journal`, { token: a.viewer.accessToken });
      expect(journal.json.data).toEqual([
        { id: expect.any(Number), alert_id: alert.id, seq: alert.lastSeq, action: 'raise', from_state: 'normal', to_state: 'active_unacknowledged', user_id: null, actor: 'system', comment: null, at: new Date(alert.triggeredAt).toISOString() },
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
      const alert = await raise(a);
      const res = await api('PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, { token: a.operator.accessToken, body: { comment: '  checking the transformer  ' } });
      expect(res.status, res.text).toBe(200);
      expect(res.json.data).toMatchObject({ id: alert.id, state: 'active_acknowledged', acknowledged_by: a.operator.userId, acknowledged_at: new Date(now()).toISOString(), rule_name: 'High voltage of alarms-a' });
      const journal = (await api('GET', `/api/v1/alerts/${alert.id}/journal`, { token: a.viewer.accessToken })).json.data;
      expect(journal.at(-1)).toMatchObject({ action: 'acknowledge', from_state: 'active_unacknowledged', to_state: 'active_acknowledged', user_id: a.operator.userId, actor: a.operator.email, comment: 'checking the transformer' });
      const entry = (await auditOf(a)).find((e) => e.action === 'alert.acknowledge' && e.target_id === String(alert.id));
      expect(entry).toMatchObject({ actor: a.operator.email, details: { comment: 'checking the transformer', from_state: 'active_unacknowledged', to_state: 'active_acknowledged' } });

      const again = await api('PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, { token: a.operator.accessToken });
      expect(again.status).toBe(409);
      expect(errorCode(again)).toBe('INVALID_TRANSITION');
    });

    it('takes no body, an empty one, or a comment — nothing else', async () => {
      const token = a.operator.accessToken;
      expect((await api('PATCH', `/api/v1/alerts/${(await raise(a)).id}/acknowledge`, { token })).status).toBe(200);
      expect((await api('PATCH', `/api/v1/alerts/${(await raise(a)).id}/acknowledge`, { token, body: {} })).status).toBe(200);
      expect((await api('PATCH', `/api/v1/alerts/${(await raise(a)).id}/acknowledge`, { token, body: { comment: null } })).status).toBe(200);
      const alert = await raise(a);
      expectValidation(await api('PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, { token, body: { note: 'x' } }), 'note', /unknown field/);
      expectValidation(await api('PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, { token, body: { comment: 'x'.repeat(501) } }), 'comment');
      expectValidation(await api('PATCH', `/api/v1/alerts/${alert.id}/acknowledge`, { token, body: { comment: 42 } }), 'comment');
      expect((await meta().alerts.get(a.factoryId, alert.id))?.state).toBe('active_unacknowledged');
    });

    it('refuses viewers (403) and anonymous callers (401) for every action, changing nothing', async () => {
      const alert = await raise(a);
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
      expect(await meta().alerts.get(a.factoryId, alert.id)).toEqual(alert);
      expect((await api('GET', '/api/v1/alerts', {})).status).toBe(401);
    });
  });

  describe('bulk acknowledge', () => {
    it('reports one outcome per distinct id, in order: acknowledged, invalid transition, not found', async () => {
      const fresh = await raise(a);
      const acked = await raise(a, { state: 'active_acknowledged' });
      const cleared = await raise(a, { state: 'cleared_unacknowledged' });
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
      expect(journal.at(-1)).toMatchObject({ action: 'acknowledge', comment: 'shift handover' });
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
      const alert = await raise(a);
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
      expect(await meta().alerts.get(a.factoryId, alert.id)).toEqual(alert);
    });

    it('shelves for the given minutes with the reason, unshelves once, and audits both', async () => {
      const alert = await raise(a);
      const token = a.operator.accessToken;
      const shelved = await api('PATCH', `/api/v1/alerts/${alert.id}/shelve`, { token, body: { minutes: 30, reason: ' sensor being replaced ' } });
      expect(shelved.status, shelved.text).toBe(200);
      expect(shelved.json.data).toMatchObject({ state: 'shelved', shelve_reason: 'sensor being replaced', shelved_by: a.operator.userId, shelved_until: new Date(now() + 30 * MINUTE).toISOString() });
      const unshelved = await api('PATCH', `/api/v1/alerts/${alert.id}/unshelve`, { token });
      expect(unshelved.status).toBe(200);
      expect(unshelved.json.data).toMatchObject({ state: 'normal', shelved_until: null, shelve_reason: null });
      const again = await api('PATCH', `/api/v1/alerts/${alert.id}/unshelve`, { token });
      expect(again.status).toBe(409);
      expect(errorCode(again)).toBe('INVALID_TRANSITION');
      const withBody = await api('PATCH', `/api/v1/alerts/${alert.id}/unshelve`, { token, body: { comment: 'x' } });
      expect(withBody.status).toBe(400);
      expect(withBody.json.error.message).toMatch(/takes no request body/);
      const actions = (await auditOf(a)).filter((e) => e.target_id === String(alert.id)).map((e) => e.action);
      expect(actions).toEqual(['alert.unshelve', 'alert.shelve']);
      const journal = (await api('GET', `/api/v1/alerts/${alert.id}/journal`, { token })).json.data.map((e: { action: string }) => e.action);
      expect(journal).toEqual(['raise', 'shelve', 'unshelve']);
    });

    it('resolves (seed) with an optional comment, once', async () => {
      const alert = await raise(a);
      const token = a.operator.accessToken;
      const res = await api('PATCH', `/api/v1/alerts/${alert.id}/resolve`, { token, body: { comment: 'fuse replaced' } });
      expect(res.status).toBe(200);
      expect(res.json.data).toMatchObject({ id: alert.id, state: 'normal', resolved_at: new Date(now()).toISOString() });
      const again = await api('PATCH', `/api/v1/alerts/${alert.id}/resolve`, { token });
      expect(again.status).toBe(409);
      expect((await auditOf(a)).find((e) => e.action === 'alert.resolve' && e.target_id === String(alert.id))?.details).toMatchObject({ comment: 'fuse replaced' });
    });
  });

  describe('health', () => {
    it('reports floods, chattering, standing and the most frequent alarms with their names', async () => {
      const t = await tenant('alarms-health');
      const end = now();
      // Chattering: the same alarm four times in one minute (flood window too: 12 raises in 10 minutes).
      for (let i = 0; i < 4; i++) await raise(t, { at: end - 2 * HOUR + i * 10_000, state: 'normal' });
      for (let i = 0; i < 8; i++) await raise(t, { rule: t.r2, device: t.p2, at: end - 2 * HOUR + MINUTE + i * MINUTE, state: 'normal' });
      // Standing: open for 30 hours.
      const standing = await raise(t, { rule: t.r2, device: t.p1, at: end - 30 * HOUR });
      const res = await api('GET', '/api/v1/alerts/health', { token: t.viewer.accessToken });
      expect(res.status, res.text).toBe(200);
      const data = res.json.data;
      expect(data).toMatchObject({ start: new Date(end - 24 * HOUR).toISOString(), end: new Date(end).toISOString(), raised: 12 });
      expect(data.flood).toMatchObject({ flooding: false, count: 0, max_alarms: 10, window_minutes: 10 });
      expect(data.flood.periods).toHaveLength(1);
      expect(data.flood.time_in_flood_percent).toBeGreaterThan(0);
      expect(data.chattering).toEqual([
        { rule_id: t.r1, rule_name: 'High voltage of alarms-health', device_id: t.p1, device_name: 'Press 1 of alarms-health', max_in_window: 4, total: 4, last_at: expect.any(String) },
      ]);
      expect(data.standing).toEqual([{ rule_id: t.r2, rule_name: 'Any fault of alarms-health', device_id: t.p1, device_name: 'Press 1 of alarms-health', since: new Date(standing.triggeredAt).toISOString(), duration_minutes: 1800 }]);
      expect(data.top[0]).toMatchObject({ rule_id: t.r2, device_id: t.p2, device_name: 'P2', count: 8 });
      expect(data.top[1]).toMatchObject({ rule_id: t.r1, device_id: t.p1, count: 4 });

      const window = await api('GET', `/api/v1/alerts/health?start=${new Date(end - 31 * HOUR).toISOString()}&end=${new Date(end).toISOString()}`, { token: t.viewer.accessToken });
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
      await raise(b);

      const all = await api('GET', '/api/v1/alerts/changes?since=0', { token: t.viewer.accessToken });
      expect(all.status, all.text).toBe(200);
      expect(all.json.data).toMatchObject({ since: 0, seq: 4, has_more: false });
      const deltas = all.json.data.deltas as Array<{ seq: number; action: string; actor: string; comment: string | null; alarm: Json }>;
      expect(deltas.map((d) => d.seq)).toEqual([1, 2, 3, 4]);
      expect(deltas[3]).toMatchObject({ action: 'acknowledge', from_state: 'active_unacknowledged', to_state: 'active_acknowledged', actor: t.operator.email, comment: 'seen', at: now() });
      expect(deltas[3]?.alarm).toMatchObject({ id: first.id, rule_id: t.r1, device_id: t.p1, state: 'active_acknowledged', acknowledged_by: t.operator.userId, triggered_at: first.triggeredAt });
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
      starts_at: new Date(now() + HOUR).toISOString(),
      ends_at: new Date(now() + 5 * HOUR).toISOString(),
      reason: 'Transformer maintenance',
      ...over,
    });

    it('lets admins plan and cancel a window (audited, reloads the alarm service); everyone sees it', async () => {
      const reloadsBefore = actions.reloads.length;
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
      const device = await api('POST', '/api/v1/maintenance', { token: a.admin.accessToken, body: window({ target_type: 'device', target_id: a.p1, mode: 'shelved', starts_at: new Date(now() - MINUTE).toISOString() }) });
      expect(device.json.data).toMatchObject({ target_name: 'Press 1 of alarms-a', mode: 'shelved', status: 'active' });
      expect(actions.reloads.slice(reloadsBefore)).toEqual([a.factoryId, a.factoryId]);

      const listed = await api('GET', '/api/v1/maintenance', { token: a.viewer.accessToken });
      expect(listed.status).toBe(200);
      expect(listed.json.data.map((w: { id: number }) => w.id)).toEqual(expect.arrayContaining([created.json.data.id, device.json.data.id]));

      const cancel = await api('DELETE', `/api/v1/maintenance/${created.json.data.id}`, { token: a.admin.accessToken });
      expect(cancel.status).toBe(204);
      expect((await api('DELETE', `/api/v1/maintenance/${created.json.data.id}`, { token: a.admin.accessToken })).status).toBe(404);
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
      const at = (ms: number) => new Date(now() + ms).toISOString();
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
        [window({ target_type: 'device', target_id: b.p1 }), 'DEVICE_NOT_FOUND'],
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
      const alert = await raise(a);
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
      expect((await meta().alerts.get(a.factoryId, alert.id))?.state).toBe('active_unacknowledged');
      expect((await api('GET', '/api/v1/alerts/counts', { token })).status).toBe(200);
    });
  });
});
