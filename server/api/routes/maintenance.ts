/**
 * /api/v1/maintenance: planned maintenance windows — a rule or a device shelved or taken out of
 * service from starts_at to ends_at, returning to service by itself at the end.
 *
 * Who: every signed-in role sees the windows (the console shows what is suppressed and why);
 * creating and cancelling one needs the admin role. Suppressing a whole rule or device ahead of
 * time is a supervisor's decision (ISA-18.2 puts out-of-service under management of change);
 * operators deal with the alarm in front of them through PATCH /alerts/:id/shelve instead.
 * Shelving windows are short like an operator's shelve (ALERT_LIMITS.maxMaintenanceShelveHours);
 * longer work takes the target out of service (up to maxMaintenanceDays).
 */
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ALERT_LIMITS, MaintenanceCreateRequest, MaintenanceListResponse, MaintenanceResponse } from '../../../engine/contract/alerts.js';
import { Closed, ErrorResponse, IdParams } from '../../../engine/contract/common.js';
import type { AlarmActions } from '../../alarms/ports.js';
import { authOf } from '../../auth/guards.js';
import type { MaintenanceWindow } from '../../store/meta/repositories/maintenance.js';
import { ApiError } from '../api-error.js';
import type { ApiContext } from '../context.js';
import type { App } from '../http-server.js';
import { iso, isoOrNull } from '../views.js';
import { auditEntry, rejectInvalid, reloadAlarms, validationFailed } from './rules.js';

/** What the maintenance routes need beyond ApiContext (wired in app.ts). */
export interface MaintenanceRouteDeps {
  /** `reload(factoryId)` after every change, so the alarm service applies or lifts the window. */
  alarms: Pick<AlarmActions, 'reload'>;
}

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function status(w: MaintenanceWindow, now: number): 'planned' | 'active' | 'ended' | 'cancelled' {
  if (w.cancelledAt !== null) return 'cancelled';
  if (now < w.startsAt) return 'planned';
  return now < w.endsAt ? 'active' : 'ended';
}

export async function maintenanceRoutes(app: App, ctx: ApiContext & MaintenanceRouteDeps): Promise<void> {
  const { authenticate, requireRole } = ctx.guards;
  const read = [authenticate, rejectInvalid];
  const admin = [authenticate, requireRole('admin'), rejectInvalid];

  /** Windows as the API shows them, with their targets' names (one query per target type). */
  async function views(factoryId: number, windows: readonly MaintenanceWindow[]) {
    const ruleIds = windows.filter((w) => w.targetType === 'rule').map((w) => w.targetId);
    const deviceIds = windows.filter((w) => w.targetType === 'device').map((w) => w.targetId);
    const [ruleNames, devices] = await Promise.all([
      ruleIds.length > 0 ? ctx.meta.rules.namesByIds(factoryId, ruleIds) : new Map<number, string>(),
      deviceIds.length > 0 ? ctx.meta.devices.getMany(factoryId, deviceIds) : [],
    ]);
    const deviceNames = new Map(devices.map((d) => [d.id, d.name ?? d.deviceKey]));
    const now = ctx.clock();
    return windows.map((w) => ({
      id: w.id,
      target_type: w.targetType,
      target_id: w.targetId,
      target_name: (w.targetType === 'rule' ? ruleNames.get(w.targetId) : deviceNames.get(w.targetId)) ?? null,
      mode: w.mode,
      starts_at: iso(w.startsAt),
      ends_at: iso(w.endsAt),
      reason: w.reason,
      status: status(w, now),
      created_by: w.createdBy,
      created_at: iso(w.createdAt),
      cancelled_at: isoOrNull(w.cancelledAt),
    }));
  }

  function audit(request: FastifyRequest, action: string, windowId: number, details: unknown) {
    const auth = authOf(request);
    return ctx.meta.audit.record(auth.factory.id, auditEntry(auth, request, action, 'maintenance', windowId, details), ctx.clock());
  }

  app.get('/maintenance', { preHandler: read, attachValidation: true, schema: { querystring: Closed({}), response: { 200: MaintenanceListResponse, ...errors } } }, async (request) => {
    const { factory } = authOf(request);
    const windows = await ctx.meta.maintenance.listCurrent(factory.id, ctx.clock());
    return { data: await views(factory.id, windows) };
  });

  app.post(
    '/maintenance',
    { preHandler: admin, attachValidation: true, schema: { body: MaintenanceCreateRequest, response: { 201: MaintenanceResponse, ...errors } } },
    async (request, reply) => {
      const auth = authOf(request);
      const b = request.body;
      const now = ctx.clock();
      const startsAt = Date.parse(b.starts_at);
      const endsAt = Date.parse(b.ends_at);
      const reason = b.reason.trim();
      const longest = b.mode === 'shelved' ? ALERT_LIMITS.maxMaintenanceShelveHours * HOUR_MS : ALERT_LIMITS.maxMaintenanceDays * DAY_MS;
      if (reason === '') throw validationFailed([{ path: 'reason', message: 'must not be blank: say what the maintenance is' }]);
      if (endsAt <= startsAt) throw validationFailed([{ path: 'ends_at', message: 'must be after starts_at' }]);
      if (endsAt <= now) throw validationFailed([{ path: 'ends_at', message: 'must be in the future' }]);
      if (endsAt - Math.max(startsAt, now) > longest) {
        const limit = b.mode === 'shelved' ? `${ALERT_LIMITS.maxMaintenanceShelveHours} hours (take it out of service for longer work)` : `${ALERT_LIMITS.maxMaintenanceDays} days`;
        throw validationFailed([{ path: 'ends_at', message: `a ${b.mode} window may last at most ${limit}` }]);
      }
      if (startsAt - now > ALERT_LIMITS.maxMaintenanceLeadDays * DAY_MS) {
        throw validationFailed([{ path: 'starts_at', message: `may be at most ${ALERT_LIMITS.maxMaintenanceLeadDays} days ahead` }]);
      }
      // Another factory's rule or device: 404, as for one that does not exist.
      if (b.target_type === 'rule' ? !(await ctx.meta.rules.get(auth.factory.id, b.target_id)) : !(await ctx.meta.devices.get(auth.factory.id, b.target_id))) {
        throw new ApiError(b.target_type === 'rule' ? 'RULE_NOT_FOUND' : 'DEVICE_NOT_FOUND', `${b.target_type} ${b.target_id} not found`);
      }
      const created = await ctx.meta.maintenance.create(
        auth.factory.id,
        { targetType: b.target_type, targetId: b.target_id, mode: b.mode, startsAt, endsAt, reason, createdBy: auth.user.id },
        now,
      );
      await audit(request, 'maintenance.create', created.id, { target_type: created.targetType, target_id: created.targetId, mode: created.mode, starts_at: iso(startsAt), ends_at: iso(endsAt), reason });
      await reloadAlarms(ctx.alarms, request, auth.factory.id);
      const [view] = await views(auth.factory.id, [created]);
      if (!view) throw new Error('maintenance window view missing');
      return reply.code(201).send({ data: view });
    },
  );

  app.delete(
    '/maintenance/:id',
    { preHandler: admin, attachValidation: true, schema: { params: IdParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      const auth = authOf(request);
      const id = request.params.id;
      const window = await ctx.meta.maintenance.get(auth.factory.id, id);
      // A cancelled window counts as gone: cancelling twice is 404, not a second audit entry.
      if (!window || !(await ctx.meta.maintenance.cancel(auth.factory.id, id, ctx.clock()))) {
        throw new ApiError('MAINTENANCE_NOT_FOUND', `maintenance window ${id} not found (or already cancelled)`);
      }
      await audit(request, 'maintenance.cancel', id, { target_type: window.targetType, target_id: window.targetId, mode: window.mode });
      await reloadAlarms(ctx.alarms, request, auth.factory.id);
      return reply.code(204).send(null);
    },
  );
}
