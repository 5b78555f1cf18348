/**
 * /api/v1/rules: list (filters is_active, device_id), get, create, patch (also the on/off
 * toggle and out of service), delete. Reads for every signed-in role; changes need the admin
 * role AND the can_create_rules permission (seed RBAC: "operator … cannot modify rules";
 * super admins hold every permission).
 *
 * The engine (engine/rules) validates conditions, deadband, on-delay, cooldown and schedule and
 * names each problem by its path; a 400 lists them all in `details` so the rule builder can show
 * each message at its field. A parameter the scoped devices do not report is only a warning
 * (the devices may not have sent it yet), returned beside the saved rule. Every change is
 * audited and makes the alarm service re-read the factory's rules.
 */
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ErrorResponse, IdParams } from '../../../engine/contract/common.js';
import type { ErrorCode } from '../../../engine/contract/errors.js';
import {
  RULE_LIMITS,
  RuleCreateRequest,
  RuleDeactivatedResponse,
  RuleListQuery,
  RuleListResponse,
  RulePatchRequest,
  RuleResponse,
  RuleSavedResponse,
  type RuleView,
  type RuleWarningView,
} from '../../../engine/contract/rules.js';
import { checkParameters, validateConditions, validateRuleDefinition, validateSchedule, type RuleIssue, type Schedule } from '../../../engine/rules/index.js';
import type { AlarmActions } from '../../alarms/ports.js';
import type { AuthContext, Guard } from '../../auth/guards.js';
import { authOf } from '../../auth/guards.js';
import type { Rule, RuleInput, RulePatch } from '../../store/meta/repositories/rules.js';
import { ApiError } from '../api-error.js';
import type { ApiContext } from '../context.js';
import type { App } from '../http-server.js';
import { iso } from '../views.js';

/** What the rule routes need beyond ApiContext (wired in app.ts). */
export interface RuleRouteDeps {
  /** The alarm service: `reload(factoryId)` after every change so evaluation uses the new rules. */
  alarms: Pick<AlarmActions, 'reload'>;
}

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
/** At most this many problems are listed in one 400 (a hostile body could produce thousands). */
const MAX_DETAILS = 50;

// ---------------------------------------------------------------------------------------------
// Field-level validation errors, shared by the alarm routes (alerts.ts, maintenance.ts).

/** `/device_ids/2` → `device_ids[2]`, `/notification_channels/email` → `notification_channels.email` (engine notation). */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else out = out === '' ? segment : `${out}.${segment}`;
  }
  return out;
}

function joinField(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

interface SchemaError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** One ajv error as `{path, message}` in the engine's notation, with messages a person can act on. */
export function schemaIssue(error: SchemaError): RuleIssue {
  const path = pointerToPath(error.instancePath ?? '');
  const params = error.params ?? {};
  switch (error.keyword) {
    case 'required':
      return { path: joinField(path, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { path: joinField(path, String(params.additionalProperty)), message: 'unknown field' };
    case 'pattern':
      return { path, message: 'contains characters or has a form that is not allowed' };
    default:
      return { path, message: error.message ?? 'is not valid' };
  }
}

/**
 * With `attachValidation: true` a schema failure reaches the route's guards instead of the
 * global handler: after authentication this guard answers it as a 400 whose `details` use the
 * same paths as the engine's rule errors.
 */
export const rejectInvalid: Guard = async (request) => {
  const failure = request.validationError;
  if (!failure) {
    rejectNonFinite(request.query, 'querystring');
    rejectNonFinite(request.params, 'params');
    return;
  }
  const list = Array.isArray(failure.validation) ? (failure.validation as SchemaError[]) : [];
  const first = list[0];
  const where = failure.validationContext === 'body' ? '' : `${failure.validationContext} `;
  const details = first ? [schemaIssue(first)] : [];
  const detail = details[0];
  const message = detail ? `${where}${detail.path === '' ? '' : `${detail.path}: `}${detail.message}` : failure.message;
  throw new ApiError('VALIDATION_FAILED', message, details);
};

/**
 * Ajv's type coercion turns the text "1e400" into Infinity and lets it pass as an integer
 * within any maximum; a query or path number must be finite before it reaches SQL.
 */
function rejectNonFinite(part: unknown, where: string): void {
  if (typeof part !== 'object' || part === null) return;
  for (const [key, value] of Object.entries(part)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
      throw new ApiError('VALIDATION_FAILED', `${where} ${key}: must be a finite number`, [{ path: key, message: 'must be a finite number' }]);
    }
  }
}

/** A route taking an optional JSON body: no body at all counts as `{}`. */
export const emptyBodyAsObject = async (request: FastifyRequest): Promise<void> => {
  if (request.body === undefined) request.body = {};
};

/** 400 VALIDATION_FAILED listing every issue (capped). */
export function validationFailed(issues: readonly RuleIssue[]): ApiError {
  // The engine joins a root path onto its field as `conditions.`: show it as `conditions`.
  const shown = issues.slice(0, MAX_DETAILS).map((i) => (i.path.endsWith('.') ? { ...i, path: i.path.slice(0, -1) } : i));
  const first = shown[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  const message = first ? `${first.path === '' ? '' : `${first.path}: `}${first.message}${more}` : 'the request is not valid';
  return new ApiError('VALIDATION_FAILED', message, shown);
}

/** 404 for ids the caller's factory does not have; the same answer whether they exist elsewhere or not at all. */
export function missingIds(code: ErrorCode, what: string, issues: RuleIssue[]): ApiError {
  const first = issues[0];
  return new ApiError(code, first ? `${first.path}: ${first.message}` : `${what} not found`, issues.slice(0, MAX_DETAILS));
}

export function auditEntry(auth: AuthContext, request: { ip: string; id: string }, action: string, targetType: string, targetId: number | null, details?: unknown) {
  return {
    userId: auth.user.id,
    actor: auth.user.email,
    action,
    targetType,
    targetId,
    ...(details === undefined ? {} : { details }),
    ip: request.ip,
    requestId: request.id,
  };
}

/**
 * Tells the alarm service about a change. The change is already committed, so a failure here
 * is logged (evaluation runs on the previous rules until the next reload), not answered as 500.
 */
export async function reloadAlarms(alarms: Pick<AlarmActions, 'reload'>, request: FastifyRequest, factoryId: number): Promise<void> {
  try {
    await alarms.reload(factoryId);
  } catch (error) {
    request.log.error({ event: 'alarms.reload_failed', factoryId, err: error, requestId: request.id }, 'alarm service did not reload the factory');
  }
}

// ---------------------------------------------------------------------------------------------

export function ruleView(rule: Rule): RuleView {
  return {
    id: rule.id,
    name: rule.name,
    description: rule.description,
    scope: rule.scope,
    device_ids: rule.deviceIds,
    device_count: rule.deviceIds.length,
    conditions: rule.conditions,
    severity: rule.severity,
    cooldown_minutes: rule.cooldownMinutes,
    is_active: rule.isActive,
    schedule_type: rule.scheduleType,
    schedule_config: rule.scheduleConfig,
    notification_channels: rule.notificationChannels,
    on_delay_seconds: rule.onDelaySeconds,
    deadband: rule.deadband,
    escalation_minutes: rule.escalationMinutes,
    recipients: rule.recipients,
    out_of_service: rule.outOfService,
    disabled_reason: rule.disabledReason,
    created_by: rule.createdBy,
    created_at: iso(rule.createdAt),
    updated_at: iso(rule.updatedAt),
  };
}

/** The schedule_config column for a validated schedule (null for "always"). */
function scheduleConfigOf(schedule: Schedule): unknown {
  switch (schedule.type) {
    case 'always':
      return null;
    case 'time_window':
      return { start_time: schedule.start_time, end_time: schedule.end_time, ...(schedule.days ? { days: schedule.days } : {}) };
    case 'date_range':
      return { start_date: schedule.start_date, end_date: schedule.end_date };
  }
}

/**
 * Whether `value` as JSON would be longer than `limit` characters (roughly). Walks iteratively
 * and stops at the limit: a hostile body may nest deeper than JSON.stringify's recursion allows.
 */
function jsonLongerThan(value: unknown, limit: number): boolean {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') size += v.length + 2;
    else if (Array.isArray(v)) {
      size += 2 + v.length;
      for (const item of v) stack.push(item);
    } else if (typeof v === 'object' && v !== null) {
      size += 2;
      for (const [key, item] of Object.entries(v)) {
        size += key.length + 4;
        stack.push(item);
      }
    } else size += 8;
    if (size > limit) return true;
  }
  return false;
}

/** A rule as it will be after the change: every field present. */
type RuleDraft = Omit<RuleInput, 'conditions'> & { conditions: unknown; outOfService: boolean; disabledReason: string | null };

type RuleBody = Partial<Record<keyof typeof RulePatchRequest.properties, unknown>>;

export async function ruleRoutes(app: App, ctx: ApiContext & RuleRouteDeps): Promise<void> {
  const { authenticate, requireRole, requirePermission } = ctx.guards;
  const read = [authenticate, rejectInvalid];
  const write = [authenticate, requireRole('admin'), requirePermission('can_create_rules'), rejectInvalid];

  async function findRule(factoryId: number, id: number): Promise<Rule> {
    const rule = await ctx.meta.rules.get(factoryId, id);
    if (!rule) throw new ApiError('RULE_NOT_FOUND', `rule ${id} not found`);
    return rule;
  }

  /**
   * Checks the rule as it will be (`draft`), looking only at what `body` touches so that an
   * old rule stored before a stricter check can still be switched off. Returns the clean values
   * the engine produced for the fields it checked.
   */
  async function validate(factoryId: number, body: RuleBody, draft: RuleDraft, creating: boolean): Promise<{ conditions?: unknown; scheduleConfig?: unknown }> {
    const issues: RuleIssue[] = [];
    const clean: { conditions?: unknown; scheduleConfig?: unknown } = {};
    for (const field of ['conditions', 'schedule_config'] as const) {
      if (body[field] !== undefined && jsonLongerThan(body[field], RULE_LIMITS.maxJsonBytes)) {
        throw validationFailed([{ path: field, message: `is larger than ${RULE_LIMITS.maxJsonBytes} characters of JSON` }]);
      }
    }

    const engineFields = ['conditions', 'deadband', 'on_delay_seconds', 'cooldown_minutes'] as const;
    if (creating || engineFields.some((f) => body[f] !== undefined)) {
      const definition = validateRuleDefinition({
        conditions: draft.conditions,
        deadband: draft.deadband,
        on_delay_seconds: draft.onDelaySeconds,
        cooldown_minutes: draft.cooldownMinutes,
      });
      if (definition.ok) clean.conditions = definition.value.conditions;
      else issues.push(...definition.errors);
    }

    if (creating || body.schedule_type !== undefined || body.schedule_config !== undefined) {
      const schedule = validateSchedule(draft.scheduleType, draft.scheduleConfig);
      if (schedule.ok) clean.scheduleConfig = scheduleConfigOf(schedule.value);
      else issues.push(...schedule.errors);
    }

    if (creating || body.scope !== undefined || body.device_ids !== undefined) {
      if (draft.scope === 'device' && draft.deviceIds.length === 0) {
        issues.push({ path: 'device_ids', message: 'must list at least one device for scope "device" (or use scope "global")' });
      }
      if (draft.scope === 'global' && body.device_ids !== undefined && draft.deviceIds.length > 0) {
        issues.push({ path: 'device_ids', message: 'must be empty for scope "global": a global rule applies to every device' });
      }
    }

    if (draft.outOfService && (draft.disabledReason === null || draft.disabledReason.trim() === '')) {
      issues.push({ path: 'disabled_reason', message: 'is required to take a rule out of service' });
    }
    if (issues.length > 0) throw validationFailed(issues);

    // References: ids this factory does not have are 404, never a hint that they exist elsewhere.
    if (draft.scope === 'device' && body.device_ids !== undefined) {
      const found = new Set((await ctx.meta.devices.getMany(factoryId, draft.deviceIds)).map((d) => d.id));
      const missing = draft.deviceIds.flatMap((id, i) => (found.has(id) ? [] : [{ path: `device_ids[${i}]`, message: `device ${id} not found` }]));
      if (missing.length > 0) throw missingIds('DEVICE_NOT_FOUND', 'device', missing);
    }
    const userIds = recipientUserIds(draft.recipients);
    if (body.recipients !== undefined && userIds.length > 0) {
      const users = new Set((await ctx.meta.users.list(factoryId)).map((u) => u.id));
      const missing = userIds.flatMap((id, i) => (users.has(id) ? [] : [{ path: `recipients.user_ids[${i}]`, message: `user ${id} not found` }]));
      if (missing.length > 0) throw missingIds('USER_NOT_FOUND', 'user', missing);
    }
    return clean;
  }

  /** Parameter warnings for the rule as saved (none when its stored conditions do not validate). */
  async function warningsFor(rule: Rule): Promise<RuleWarningView[]> {
    const tree = validateConditions(rule.conditions, { deadband: rule.deadband });
    if (!tree.ok) return [];
    if (rule.scope === 'global') return checkParameters(tree.value, await ctx.meta.parameters.distinctKeys(rule.factoryId));
    const [devices, keys] = await Promise.all([
      ctx.meta.devices.getMany(rule.factoryId, rule.deviceIds),
      ctx.meta.parameters.keysByDevice(rule.factoryId, rule.deviceIds),
    ]);
    const known = new Map<string, string[]>();
    for (const device of devices.sort((a, b) => a.deviceKey.localeCompare(b.deviceKey))) known.set(device.deviceKey, keys.get(device.id) ?? []);
    return checkParameters(tree.value, known);
  }

  function audit(auth: AuthContext, request: FastifyRequest, action: string, ruleId: number, details?: unknown) {
    return ctx.meta.audit.record(auth.factory.id, auditEntry(auth, request, action, 'rule', ruleId, details), ctx.clock());
  }

  app.get(
    '/rules',
    { preHandler: read, attachValidation: true, schema: { querystring: RuleListQuery, response: { 200: RuleListResponse, ...errors } } },
    async (request) => {
      const { factory } = authOf(request);
      const { is_active: isActive, device_id: deviceId } = request.query;
      if (deviceId !== undefined && !(await ctx.meta.devices.get(factory.id, deviceId))) {
        throw new ApiError('DEVICE_NOT_FOUND', `device ${deviceId} not found`);
      }
      const rules = await ctx.meta.rules.list(factory.id, isActive === undefined ? {} : { isActive });
      // Rules that apply to the device: its own and every global rule.
      const applying = deviceId === undefined ? rules : rules.filter((r) => r.scope === 'global' || r.deviceIds.includes(deviceId));
      return { data: applying.map(ruleView) };
    },
  );

  app.get(
    '/rules/:id',
    { preHandler: read, attachValidation: true, schema: { params: IdParams, response: { 200: RuleResponse, ...errors } } },
    async (request) => {
      const { factory } = authOf(request);
      return { data: ruleView(await findRule(factory.id, request.params.id)) };
    },
  );

  app.post(
    '/rules',
    { preHandler: write, attachValidation: true, schema: { body: RuleCreateRequest, response: { 201: RuleSavedResponse, ...errors } } },
    async (request, reply) => {
      const auth = authOf(request);
      const b = request.body;
      const scope = b.scope ?? 'device';
      const draft: RuleDraft = {
        name: b.name.trim(),
        description: b.description ?? null,
        scope,
        conditions: b.conditions,
        cooldownMinutes: b.cooldown_minutes ?? 15,
        isActive: b.is_active ?? true,
        scheduleType: b.schedule_type ?? 'always',
        scheduleConfig: b.schedule_config ?? null,
        severity: b.severity ?? 'medium',
        notificationChannels: b.notification_channels ?? null,
        onDelaySeconds: b.on_delay_seconds ?? 0,
        deadband: b.deadband ?? 0,
        escalationMinutes: b.escalation_minutes ?? null,
        recipients: b.recipients ?? null,
        deviceIds: [...new Set(b.device_ids ?? [])],
        outOfService: false,
        disabledReason: null,
      };
      if (draft.name === '') throw validationFailed([{ path: 'name', message: 'must not be blank' }]);
      const clean = await validate(auth.factory.id, { ...b, device_ids: b.device_ids ?? [] }, draft, true);
      const { outOfService: _o, disabledReason: _d, ...input } = draft;
      const rule = await ctx.meta.transaction((repos) =>
        repos.rules.create(auth.factory.id, { ...input, conditions: clean.conditions, scheduleConfig: clean.scheduleConfig ?? null }, auth.user.id, ctx.clock()),
      );
      await audit(auth, request, 'rule.create', rule.id, { name: rule.name, severity: rule.severity, scope: rule.scope, device_ids: rule.deviceIds, is_active: rule.isActive });
      await reloadAlarms(ctx.alarms, request, auth.factory.id);
      return reply.code(201).send({ data: ruleView(rule), warnings: await warningsFor(rule) });
    },
  );

  app.patch(
    '/rules/:id',
    { preHandler: write, attachValidation: true, schema: { params: IdParams, body: RulePatchRequest, response: { 200: RuleSavedResponse, ...errors } } },
    async (request) => {
      const auth = authOf(request);
      const before = await findRule(auth.factory.id, request.params.id);
      const b = request.body;
      if (Object.keys(b).length === 0) throw validationFailed([{ path: '', message: 'send at least one field to change' }]);
      if (b.name !== undefined && b.name.trim() === '') throw validationFailed([{ path: 'name', message: 'must not be blank' }]);
      const scope = b.scope ?? before.scope;
      const scheduleType = b.schedule_type ?? before.scheduleType;
      const draft: RuleDraft = {
        name: b.name?.trim() ?? before.name,
        description: b.description !== undefined ? b.description : before.description,
        scope,
        conditions: b.conditions !== undefined ? b.conditions : before.conditions,
        cooldownMinutes: b.cooldown_minutes ?? before.cooldownMinutes,
        isActive: b.is_active ?? before.isActive,
        scheduleType,
        // Switching to "always" without a config drops the old one; other switches must send theirs.
        scheduleConfig: b.schedule_config !== undefined ? b.schedule_config : b.schedule_type === 'always' ? null : before.scheduleConfig,
        severity: b.severity ?? before.severity,
        notificationChannels: b.notification_channels !== undefined ? b.notification_channels : before.notificationChannels,
        onDelaySeconds: b.on_delay_seconds ?? before.onDelaySeconds,
        deadband: b.deadband ?? before.deadband,
        escalationMinutes: b.escalation_minutes !== undefined ? b.escalation_minutes : before.escalationMinutes,
        recipients: b.recipients !== undefined ? b.recipients : before.recipients,
        deviceIds: scope === 'global' ? (b.device_ids ? [...new Set(b.device_ids)] : []) : b.device_ids ? [...new Set(b.device_ids)] : before.deviceIds,
        outOfService: b.out_of_service ?? before.outOfService,
        disabledReason: b.disabled_reason !== undefined ? b.disabled_reason : b.out_of_service === false ? null : before.disabledReason,
      };
      const clean = await validate(auth.factory.id, b, draft, false);

      const patch: RulePatch = {
        ...(b.name !== undefined && { name: draft.name }),
        ...(b.description !== undefined && { description: draft.description }),
        ...(b.scope !== undefined && { scope: draft.scope }),
        ...((b.device_ids !== undefined || b.scope !== undefined) && { deviceIds: draft.deviceIds }),
        ...(clean.conditions !== undefined && b.conditions !== undefined && { conditions: clean.conditions }),
        ...(b.cooldown_minutes !== undefined && { cooldownMinutes: draft.cooldownMinutes }),
        ...(b.is_active !== undefined && { isActive: draft.isActive }),
        ...(b.schedule_type !== undefined && { scheduleType: draft.scheduleType }),
        ...(clean.scheduleConfig !== undefined && { scheduleConfig: clean.scheduleConfig }),
        ...(b.severity !== undefined && { severity: draft.severity }),
        ...(b.notification_channels !== undefined && { notificationChannels: draft.notificationChannels }),
        ...(b.on_delay_seconds !== undefined && { onDelaySeconds: draft.onDelaySeconds }),
        ...(b.deadband !== undefined && { deadband: draft.deadband }),
        ...(b.escalation_minutes !== undefined && { escalationMinutes: draft.escalationMinutes }),
        ...(b.recipients !== undefined && { recipients: draft.recipients }),
        ...(b.out_of_service !== undefined && { outOfService: draft.outOfService }),
        ...((b.disabled_reason !== undefined || b.out_of_service === false) && { disabledReason: draft.disabledReason }),
      };
      const updated = await ctx.meta.transaction((repos) => repos.rules.update(auth.factory.id, before.id, patch, ctx.clock()));
      if (!updated) throw new ApiError('RULE_NOT_FOUND', `rule ${before.id} not found`);

      const fields = Object.keys(b);
      const toggled = fields.length === 1 && b.is_active !== undefined;
      const action = toggled ? (b.is_active ? 'rule.activate' : 'rule.deactivate') : 'rule.update';
      await audit(auth, request, action, updated.id, { fields, before: changedValues(ruleView(before), fields), after: changedValues(ruleView(updated), fields) });
      await reloadAlarms(ctx.alarms, request, auth.factory.id);
      return { data: ruleView(updated), warnings: await warningsFor(updated) };
    },
  );

  app.delete(
    '/rules/:id',
    {
      preHandler: write,
      attachValidation: true,
      schema: { params: IdParams, response: { 200: RuleDeactivatedResponse, 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const rule = await findRule(auth.factory.id, request.params.id);
      const now = ctx.clock();
      const outcome = await ctx.meta.transaction(async (repos) => {
        const result = await repos.rules.remove(auth.factory.id, rule.id, now);
        if (result === 'deleted') {
          // A deleted rule's planned maintenance has nothing left to act on.
          for (const w of await repos.maintenance.listCurrent(auth.factory.id, now)) {
            if (w.targetType === 'rule' && w.targetId === rule.id) await repos.maintenance.cancel(auth.factory.id, w.id, now);
          }
        }
        return result;
      });
      if (outcome === 'not_found') throw new ApiError('RULE_NOT_FOUND', `rule ${rule.id} not found`);
      await audit(auth, request, outcome === 'deleted' ? 'rule.delete' : 'rule.deactivate', rule.id, { name: rule.name, outcome });
      await reloadAlarms(ctx.alarms, request, auth.factory.id);
      if (outcome === 'deleted') return reply.code(204).send(null);
      const kept = await findRule(auth.factory.id, rule.id);
      return reply.code(200).send({
        data: ruleView(kept),
        note: 'the rule has alarm history, so it was deactivated (kept for the record) instead of deleted',
      });
    },
  );
}

function recipientUserIds(recipients: unknown): number[] {
  if (typeof recipients !== 'object' || recipients === null) return [];
  const ids = (recipients as { user_ids?: unknown }).user_ids;
  return Array.isArray(ids) ? ids.filter((id): id is number => typeof id === 'number') : [];
}

/** The named fields of a rule view (audit before/after). */
function changedValues(view: RuleView, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (Object.hasOwn(view, f)) out[f] = (view as Record<string, unknown>)[f];
  return out;
}
