/**
 * /api/v1/alerts: the alarm list (filters, pagination, rule and device names), the
 * annunciator counts, one alarm and its journal, operator actions (acknowledge — also in bulk —,
 * shelve, unshelve, resolve), alarm-system health, and the HTTP resync of the stream's alarm
 * deltas. Reads for every signed-in role; actions need the operator role or higher.
 *
 * Every action goes through the alarm service (AlarmActions), which journals the transition
 * (the alarm's own record); the route also writes the site's audit log. Another factory's alarm
 * is 404 ALERT_NOT_FOUND, exactly like one that does not exist.
 */
import type { FastifyRequest } from 'fastify';
import {
  ALERT_LIMITS,
  ALERT_STATES,
  AcknowledgeRequest,
  AlarmChangesQuery,
  AlarmChangesResponse,
  AlarmHealthQuery,
  AlarmHealthResponse,
  AlarmJournalResponse,
  AlertCountsResponse,
  AlertListQuery,
  AlertListResponse,
  AlertResponse,
  BulkAcknowledgeRequest,
  BulkAcknowledgeResponse,
  ResolveRequest,
  ShelveRequest,
  type AlertView,
} from '../../../engine/contract/alerts.js';
import { Closed, ErrorResponse, IdParams } from '../../../engine/contract/common.js';
import { RULE_SEVERITIES, type RuleSeverity } from '../../../engine/contract/rules.js';
import type { StreamAlarm } from '../../../engine/contract/stream.js';
import {
  floodState,
  ISA_FLOOD_LIMIT,
  type ChatteringAlarm,
  type FloodPeriod,
  type FloodState,
  type FrequentAlarm,
  type RateLimit,
  type StandingAlarm,
} from '../../../engine/rules/index.js';
import { AlarmActionError, type Actor, type AlarmActions } from '../../alarms/ports.js';
import type { AuthContext } from '../../auth/guards.js';
import { authOf } from '../../auth/guards.js';
import type { Device } from '../../store/meta/models.js';
import { OPEN_ALERT_STATES, type Alert, type AlertState } from '../../store/meta/repositories/alerts.js';
import { ApiError } from '../api-error.js';
import type { ApiContext } from '../context.js';
import type { App } from '../http-server.js';
import { iso, isoOrNull } from '../views.js';
import { auditEntry, emptyBodyAsObject, rejectInvalid, validationFailed } from './rules.js';

/**
 * Alarm-system health over [from, to), as the alarm service's health helper computes it with
 * engine/rules (alarm-health.ts). Alarms are identified by engine `alarmKey(ruleId, deviceId)`.
 */
export interface AlarmHealthReport {
  /** Alarms raised in the period. */
  raised: number;
  /** Flood state at `to` (ISA-18.2: more than 10 raises in 10 minutes). */
  flood: FloodState;
  floodPeriods: FloodPeriod[];
  chattering: ChatteringAlarm[];
  /** Open alarms older than STANDING_AFTER_MS at `to`. */
  standing: StandingAlarm[];
  /** The ten most frequent alarms. */
  top: FrequentAlarm[];
}

export type AlarmHealthSource = (factoryId: number, from: number, to: number) => Promise<AlarmHealthReport>;

/** What the alarm routes need beyond ApiContext (wired in app.ts). */
export interface AlertRouteDeps {
  alarms: AlarmActions;
  /** Named apart from ApiContext.health (the server's own health checks). */
  alarmHealth: AlarmHealthSource;
  /** The site's flood limit for the annunciator counts (default ISA-18.2: more than 10 in 10 minutes). */
  floodLimit?: RateLimit;
}

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
const HOUR_MS = 3_600_000;
const ALL_STATES: readonly string[] = ALERT_STATES;

/** Names shown beside alarms: one query for the rules, one for the devices, never one per alarm. */
interface Labels {
  rules: Map<number, string>;
  devices: Map<number, Device>;
}

export function alertView(alert: Alert, labels: Labels): AlertView {
  const device = labels.devices.get(alert.deviceId);
  return {
    id: alert.id,
    rule_id: alert.ruleId,
    rule_name: labels.rules.get(alert.ruleId) ?? null,
    device_id: alert.deviceId,
    device_name: device?.name ?? null,
    device_key: device?.deviceKey ?? null,
    state: alert.state,
    triggered_at: iso(alert.triggeredAt),
    cleared_at: isoOrNull(alert.clearedAt),
    acknowledged_at: isoOrNull(alert.acknowledgedAt),
    acknowledged_by: alert.acknowledgedBy,
    resolved_at: isoOrNull(alert.resolvedAt),
    severity: alert.severity,
    message: alert.message,
    telemetry_snapshot: alert.telemetrySnapshot,
    notification_sent: alert.notificationSent,
    shelved_until: isoOrNull(alert.shelvedUntil),
    shelve_reason: alert.shelveReason,
    shelved_by: alert.shelvedBy,
    escalated_at: isoOrNull(alert.escalatedAt),
    last_seq: alert.lastSeq,
  };
}

function streamAlarm(alert: Alert): StreamAlarm {
  return {
    id: alert.id,
    rule_id: alert.ruleId,
    device_id: alert.deviceId,
    state: alert.state,
    severity: alert.severity,
    message: alert.message,
    triggered_at: alert.triggeredAt,
    cleared_at: alert.clearedAt,
    acknowledged_at: alert.acknowledgedAt,
    acknowledged_by: alert.acknowledgedBy,
    shelved_until: alert.shelvedUntil,
    shelve_reason: alert.shelveReason,
  };
}

/** `ruleId:deviceId` (engine alarmKey) back into ids; null for a key of another form. */
function parseAlarmKey(key: string): { ruleId: number; deviceId: number } | null {
  const match = /^(\d+):(\d+)$/.exec(key);
  return match ? { ruleId: Number(match[1]), deviceId: Number(match[2]) } : null;
}

function emptySeverityCounts(): Record<RuleSeverity, number> {
  return { low: 0, medium: 0, high: 0, critical: 0 };
}

function isSeverity(value: string): value is RuleSeverity {
  return (RULE_SEVERITIES as readonly string[]).includes(value);
}

/** A comment as journalled: trimmed, blank = none. */
function commentOf(value: string | null | undefined): string | null {
  const text = value?.trim() ?? '';
  return text === '' ? null : text;
}

/** The `state` filter: repeated and/or comma-separated names; `open` = every state but normal. */
function parseStates(values: readonly string[] | undefined): AlertState[] | undefined {
  if (values === undefined) return undefined;
  const out = new Set<AlertState>();
  values.forEach((value, i) => {
    for (const raw of value.split(',')) {
      const name = raw.trim();
      if (name === '') continue;
      if (name === 'open') for (const s of OPEN_ALERT_STATES) out.add(s);
      else if (ALL_STATES.includes(name)) out.add(name as AlertState);
      else throw validationFailed([{ path: `state[${i}]`, message: `unknown state "${name.slice(0, 40)}"; expected open or one of ${ALERT_STATES.join(', ')}` }]);
    }
  });
  return out.size === 0 ? undefined : [...out];
}

export async function alertRoutes(app: App, ctx: ApiContext & AlertRouteDeps): Promise<void> {
  const { authenticate, requireRole } = ctx.guards;
  const floodLimit = ctx.floodLimit ?? ISA_FLOOD_LIMIT;
  const read = [authenticate, rejectInvalid];
  const operate = [authenticate, requireRole('operator'), rejectInvalid];

  async function labelsFor(factoryId: number, refs: ReadonlyArray<{ ruleId: number; deviceId: number }>): Promise<Labels> {
    if (refs.length === 0) return { rules: new Map(), devices: new Map() };
    const [rules, devices] = await Promise.all([
      ctx.meta.rules.namesByIds(factoryId, refs.map((r) => r.ruleId)),
      ctx.meta.devices.getMany(factoryId, refs.map((r) => r.deviceId)),
    ]);
    return { rules, devices: new Map(devices.map((d) => [d.id, d])) };
  }

  async function viewOne(alert: Alert): Promise<AlertView> {
    return alertView(alert, await labelsFor(alert.factoryId, [alert]));
  }

  async function findAlert(factoryId: number, id: number): Promise<Alert> {
    const alert = await ctx.meta.alerts.get(factoryId, id);
    if (!alert) throw new ApiError('ALERT_NOT_FOUND', `alert ${id} not found`);
    return alert;
  }

  const actorOf = (auth: AuthContext): Actor => ({ userId: auth.user.id, name: auth.user.email });

  /** AlarmActionError → the API's codes; anything else is a server fault. */
  function actionFailed(error: unknown): never {
    if (error instanceof AlarmActionError) {
      throw new ApiError(error.code === 'ALERT_NOT_FOUND' ? 'ALERT_NOT_FOUND' : 'INVALID_TRANSITION', error.message);
    }
    throw error;
  }

  /**
   * One operator action on one alarm: factory-scoped lookup first (404 for another factory's
   * alarm, whatever the service would say), the action, then the site audit log.
   */
  async function act(request: FastifyRequest, id: number, action: string, run: (factoryId: number, actor: Actor) => Promise<Alert>, details: Record<string, unknown> = {}) {
    const auth = authOf(request);
    const before = await findAlert(auth.factory.id, id);
    const after = await run(auth.factory.id, actorOf(auth)).catch(actionFailed);
    await ctx.meta.audit.record(
      auth.factory.id,
      auditEntry(auth, request, action, 'alert', id, { ...details, from_state: before.state, to_state: after.state }),
      ctx.clock(),
    );
    return { data: await viewOne(after) };
  }

  app.get(
    '/alerts',
    { preHandler: read, attachValidation: true, schema: { querystring: AlertListQuery, response: { 200: AlertListResponse, ...errors } } },
    async (request) => {
      const { factory } = authOf(request);
      const q = request.query;
      const page = q.page ?? 1;
      const perPage = q.per_page ?? 20;
      let states = parseStates(q.state);
      if (q.resolved !== undefined) {
        // Seed filter: resolved = the alarm record is closed (state normal), unresolved = still open.
        const wanted: readonly AlertState[] = q.resolved ? ['normal'] : OPEN_ALERT_STATES;
        states = (states ?? [...ALL_STATES] as AlertState[]).filter((s) => wanted.includes(s));
        if (states.length === 0) return { data: [], pagination: { page, per_page: perPage, total: 0, pages: 0 } };
      }
      const from = q.start === undefined ? undefined : Date.parse(q.start);
      const to = q.end === undefined ? undefined : Date.parse(q.end);
      if (from !== undefined && to !== undefined && from > to) throw validationFailed([{ path: 'end', message: 'must not be before start' }]);
      // Another factory's device or rule: 404, as for one that does not exist.
      if (q.device_id !== undefined && !(await ctx.meta.devices.get(factory.id, q.device_id))) {
        throw new ApiError('DEVICE_NOT_FOUND', `device ${q.device_id} not found`);
      }
      if (q.rule_id !== undefined && !(await ctx.meta.rules.get(factory.id, q.rule_id))) {
        throw new ApiError('RULE_NOT_FOUND', `rule ${q.rule_id} not found`);
      }
      const result = await ctx.meta.alerts.list(factory.id, {
        page,
        perPage,
        ...(q.device_id !== undefined && { deviceId: q.device_id }),
        ...(q.rule_id !== undefined && { ruleId: q.rule_id }),
        ...(q.severity !== undefined && { severity: q.severity }),
        ...(states !== undefined && { states }),
        ...(from !== undefined && { from }),
        // The repository's end is exclusive; the seed's `end` is inclusive.
        ...(to !== undefined && { to: to + 1 }),
      });
      const labels = await labelsFor(factory.id, result.rows);
      return {
        data: result.rows.map((a) => alertView(a, labels)),
        pagination: { page, per_page: perPage, total: result.total, pages: Math.ceil(result.total / perPage) },
      };
    },
  );

  app.get('/alerts/counts', { preHandler: read, attachValidation: true, schema: { querystring: Closed({}), response: { 200: AlertCountsResponse, ...errors } } }, async (request) => {
    const { factory } = authOf(request);
    const now = ctx.clock();
    const [rows, raised, seq] = await Promise.all([
      ctx.meta.alerts.openStateCounts(factory.id),
      ctx.meta.alerts.raisedBetween(factory.id, now - floodLimit.windowMs, now + 1),
      ctx.meta.alerts.currentSeq(factory.id),
    ]);
    const bySeverity = emptySeverityCounts();
    const unackBySeverity = emptySeverityCounts();
    let open = 0;
    let active = 0;
    let unacknowledged = 0;
    let shelved = 0;
    for (const r of rows) {
      open += r.count;
      if (r.state === 'shelved') {
        shelved += r.count;
        continue;
      }
      active += r.count;
      if (isSeverity(r.severity)) bySeverity[r.severity] += r.count;
      if (r.state === 'active_unacknowledged' || r.state === 'cleared_unacknowledged') {
        unacknowledged += r.count;
        if (isSeverity(r.severity)) unackBySeverity[r.severity] += r.count;
      }
    }
    const highest = [...RULE_SEVERITIES].reverse().find((s) => unackBySeverity[s] > 0) ?? null;
    const flood = floodState(raised.map((r) => r.at), now, floodLimit);
    return {
      data: {
        open,
        active,
        unacknowledged,
        shelved,
        by_severity: bySeverity,
        unacknowledged_by_severity: unackBySeverity,
        highest_unacknowledged: highest,
        flood: { flooding: flood.flooding, count: flood.count, max_alarms: flood.limit.maxAlarms, window_minutes: flood.limit.windowMs / 60_000 },
        seq,
      },
    };
  });

  app.get(
    '/alerts/health',
    { preHandler: read, attachValidation: true, schema: { querystring: AlarmHealthQuery, response: { 200: AlarmHealthResponse, ...errors } } },
    async (request) => {
      const { factory } = authOf(request);
      const end = request.query.end === undefined ? ctx.clock() : Date.parse(request.query.end);
      const start = request.query.start === undefined ? end - 24 * HOUR_MS : Date.parse(request.query.start);
      if (start >= end) throw validationFailed([{ path: 'end', message: 'must be after start' }]);
      if (end - start > ALERT_LIMITS.maxHealthDays * 24 * HOUR_MS) {
        throw validationFailed([{ path: 'start', message: `the period may span at most ${ALERT_LIMITS.maxHealthDays} days` }]);
      }
      const report = await ctx.alarmHealth(factory.id, start, end);
      const refs = [...report.chattering, ...report.standing, ...report.top].flatMap((a) => parseAlarmKey(a.key) ?? []);
      const labels = await labelsFor(factory.id, refs);
      const ref = (key: string) => {
        const ids = parseAlarmKey(key) ?? { ruleId: 0, deviceId: 0 };
        const device = labels.devices.get(ids.deviceId);
        return {
          rule_id: ids.ruleId,
          rule_name: labels.rules.get(ids.ruleId) ?? null,
          device_id: ids.deviceId,
          device_name: device ? (device.name ?? device.deviceKey) : null,
        };
      };
      // Time in flood, counting only the part of each period inside [start, end].
      let floodMs = 0;
      for (const p of report.floodPeriods) floodMs += Math.max(0, Math.min(p.end, end) - Math.max(p.start, start));
      return {
        data: {
          start: iso(start),
          end: iso(end),
          raised: report.raised,
          flood: {
            flooding: report.flood.flooding,
            count: report.flood.count,
            max_alarms: report.flood.limit.maxAlarms,
            window_minutes: report.flood.limit.windowMs / 60_000,
            periods: report.floodPeriods.map((p) => ({ start: iso(p.start), end: iso(p.end), peak: p.peak })),
            time_in_flood_percent: Math.round((floodMs / (end - start)) * 10_000) / 100,
          },
          chattering: report.chattering.map((c) => ({ ...ref(c.key), max_in_window: c.maxInWindow, total: c.total, last_at: iso(c.lastAt) })),
          standing: report.standing.map((s) => ({ ...ref(s.key), since: iso(s.since), duration_minutes: Math.round(s.durationMs / 600) / 100 })),
          top: report.top.map((t) => ({ ...ref(t.key), count: t.count, last_at: iso(t.lastAt) })),
        },
      };
    },
  );

  app.get(
    '/alerts/changes',
    { preHandler: read, attachValidation: true, schema: { querystring: AlarmChangesQuery, response: { 200: AlarmChangesResponse, ...errors } } },
    async (request) => {
      const { factory } = authOf(request);
      const since = request.query.since;
      const limit = request.query.limit ?? ALERT_LIMITS.defaultChanges;
      const [entries, seq] = await Promise.all([ctx.meta.alerts.journalSince(factory.id, since, limit + 1), ctx.meta.alerts.currentSeq(factory.id)]);
      const page = entries.slice(0, limit);
      const alerts = new Map((await ctx.meta.alerts.getMany(factory.id, page.map((e) => e.alertId))).map((a) => [a.id, a]));
      const deltas = page.flatMap((e) => {
        const alert = alerts.get(e.alertId);
        if (!alert) return [];
        return [{ seq: e.seq, action: e.action, from_state: e.fromState, to_state: e.toState, actor: e.actor, comment: e.comment, at: e.createdAt, alarm: streamAlarm(alert) }];
      });
      return { data: { since, seq, has_more: entries.length > limit, deltas } };
    },
  );

  app.post(
    '/alerts/acknowledge',
    { preHandler: operate, attachValidation: true, schema: { body: BulkAcknowledgeRequest, response: { 200: BulkAcknowledgeResponse, ...errors } } },
    async (request) => {
      const auth = authOf(request);
      const ids = [...new Set(request.body.ids)];
      const comment = commentOf(request.body.comment);
      const actor = actorOf(auth);
      // One query tells which ids are this factory's; the others are "not found", never "elsewhere".
      const mine = new Set((await ctx.meta.alerts.getMany(auth.factory.id, ids)).map((a) => a.id));
      const results: Array<{ id: number; ok: boolean; code: string | null; message: string | null; state: string | null }> = [];
      // One at a time: each acknowledgement is its own journalled transition.
      for (const id of ids) {
        if (!mine.has(id)) {
          results.push({ id, ok: false, code: 'ALERT_NOT_FOUND', message: `alert ${id} not found`, state: null });
          continue;
        }
        try {
          const after = await ctx.alarms.acknowledge(auth.factory.id, id, actor, comment);
          results.push({ id, ok: true, code: null, message: null, state: after.state });
        } catch (error) {
          if (!(error instanceof AlarmActionError)) {
            request.log.error({ event: 'alerts.bulk_acknowledge_failed', factoryId: auth.factory.id, alertId: id, err: error, requestId: request.id }, 'acknowledge failed');
            results.push({ id, ok: false, code: 'INTERNAL', message: 'internal error; the request id is in the x-request-id header', state: null });
            continue;
          }
          const current = error.code === 'ALERT_NOT_FOUND' ? undefined : await ctx.meta.alerts.get(auth.factory.id, id);
          results.push({ id, ok: false, code: error.code, message: error.message, state: current?.state ?? null });
        }
      }
      const acknowledged = results.filter((r) => r.ok).map((r) => r.id);
      const failed = results.filter((r) => !r.ok).map((r) => ({ id: r.id, code: r.code }));
      await ctx.meta.audit.record(
        auth.factory.id,
        auditEntry(auth, request, 'alert.acknowledge_bulk', 'alert', null, { acknowledged, failed, ...(comment !== null && { comment }) }),
        ctx.clock(),
      );
      return { data: { acknowledged: acknowledged.length, failed: failed.length, results } };
    },
  );

  app.get(
    '/alerts/:id',
    { preHandler: read, attachValidation: true, schema: { params: IdParams, response: { 200: AlertResponse, ...errors } } },
    async (request) => {
      const { factory } = authOf(request);
      return { data: await viewOne(await findAlert(factory.id, request.params.id)) };
    },
  );

  app.get(
    '/alerts/:id/journal',
    { preHandler: read, attachValidation: true, schema: { params: IdParams, response: { 200: AlarmJournalResponse, ...errors } } },
    async (request) => {
      const { factory } = authOf(request);
      const alert = await findAlert(factory.id, request.params.id);
      const entries = await ctx.meta.alerts.journal(factory.id, alert.id);
      return {
        data: entries.map((e) => ({
          id: e.id,
          alert_id: e.alertId,
          seq: e.seq,
          action: e.action,
          from_state: e.fromState,
          to_state: e.toState,
          user_id: e.userId,
          actor: e.actor,
          comment: e.comment,
          at: iso(e.createdAt),
        })),
      };
    },
  );

  app.patch(
    '/alerts/:id/acknowledge',
    {
      preValidation: emptyBodyAsObject,
      preHandler: operate,
      attachValidation: true,
      schema: { params: IdParams, body: AcknowledgeRequest, response: { 200: AlertResponse, ...errors } },
    },
    async (request) => {
      const comment = commentOf(request.body.comment);
      return act(request, request.params.id, 'alert.acknowledge', (factoryId, actor) => ctx.alarms.acknowledge(factoryId, request.params.id, actor, comment), {
        ...(comment !== null && { comment }),
      });
    },
  );

  app.patch(
    '/alerts/:id/shelve',
    { preHandler: operate, attachValidation: true, schema: { params: IdParams, body: ShelveRequest, response: { 200: AlertResponse, ...errors } } },
    async (request) => {
      const { minutes } = request.body;
      const reason = request.body.reason.trim();
      if (reason === '') throw validationFailed([{ path: 'reason', message: 'must not be blank: say why the alarm is shelved' }]);
      return act(request, request.params.id, 'alert.shelve', (factoryId, actor) => ctx.alarms.shelve(factoryId, request.params.id, actor, minutes, reason), {
        minutes,
        reason,
      });
    },
  );

  app.patch(
    '/alerts/:id/unshelve',
    { preHandler: operate, attachValidation: true, schema: { params: IdParams, response: { 200: AlertResponse, ...errors } } },
    async (request) => act(request, request.params.id, 'alert.unshelve', (factoryId, actor) => ctx.alarms.unshelve(factoryId, request.params.id, actor)),
  );

  app.patch(
    '/alerts/:id/resolve',
    {
      preValidation: emptyBodyAsObject,
      preHandler: operate,
      attachValidation: true,
      schema: { params: IdParams, body: ResolveRequest, response: { 200: AlertResponse, ...errors } },
    },
    async (request) => {
      const comment = commentOf(request.body.comment);
      return act(request, request.params.id, 'alert.resolve', (factoryId, actor) => ctx.alarms.resolve(factoryId, request.params.id, actor, comment), {
        ...(comment !== null && { comment }),
      });
    },
  );
}
