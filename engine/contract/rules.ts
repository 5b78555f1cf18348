/**
 * Alarm rules: request and response shapes (the seed's §5.4 plus on-delay, deadband,
 * escalation, recipients and out of service).
 *
 * The condition tree and the schedule config are typed `unknown` here on purpose: engine/rules
 * (validateRuleDefinition, validateSchedule) checks them and names every problem by its path
 * (`conditions.conditions[1].value`), which a JSON schema could not do as well. Their size is
 * capped by the route (RULE_LIMITS.maxJsonBytes).
 *
 * Validation errors of rule bodies are `{"error":{"code":"VALIDATION_FAILED","details":[{path,
 * message}]}}` with paths in the engine's notation: `name`, `device_ids[2]`,
 * `notification_channels.email`, `schedule_config.start_time`, `conditions.conditions[0].value`.
 */
import Type from 'typebox';
import { Closed, Id, IsoTime, Nullable, Text } from './common.js';

/** Bounds shared with engine/rules (MAX_COOLDOWN_MINUTES, MAX_ON_DELAY_SECONDS); a test keeps them equal. */
export const RULE_LIMITS = {
  maxCooldownMinutes: 10_080,
  maxOnDelaySeconds: 86_400,
  maxEscalationMinutes: 10_080,
  maxDeadband: 1e9,
  maxDevices: 1000,
  maxDescriptionLength: 2000,
  /** Serialised size of `conditions` or `schedule_config` (characters of JSON, roughly). */
  maxJsonBytes: 32 * 1024,
  maxRecipients: 100,
} as const;

export const RULE_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type RuleSeverity = (typeof RULE_SEVERITIES)[number];
export const RuleSeveritySchema = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')]);
const _severitiesMatch: readonly Type.Static<typeof RuleSeveritySchema>[] = RULE_SEVERITIES;

export const RuleScopeSchema = Type.Union([Type.Literal('device'), Type.Literal('global')]);
export const ScheduleTypeSchema = Type.Union([Type.Literal('always'), Type.Literal('time_window'), Type.Literal('date_range')]);

/** Free text that may span lines (tab, CR, LF allowed; other control characters not). */
export const MultilineText = (maxLength: number) =>
  Type.String({ maxLength, pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$' });

export const NotificationChannelsSchema = Closed({
  email: Type.Optional(Type.Boolean()),
  whatsapp: Type.Optional(Type.Boolean()),
  sms: Type.Optional(Type.Boolean()),
  webhook: Type.Optional(Type.Boolean()),
});

/** Phone numbers as people write them: "+91 98765-43210", "0049 30 1234567". */
const Phone = Type.String({ minLength: 6, maxLength: 32, pattern: '^\\+?[0-9][0-9 ()./-]{4,30}$' });

/** Who is told instead of the factory's active users (null/absent = everyone with an address). */
export const RuleRecipientsSchema = Closed({
  user_ids: Type.Optional(Type.Array(Id, { maxItems: RULE_LIMITS.maxRecipients })),
  emails: Type.Optional(Type.Array(Type.String({ format: 'email', maxLength: 254 }), { maxItems: RULE_LIMITS.maxRecipients })),
  phones: Type.Optional(Type.Array(Phone, { maxItems: RULE_LIMITS.maxRecipients })),
});

/** The fields a client may set; all optional (PATCH) — the create request adds what is required. */
const ruleFields = {
  name: Type.Optional(Text(255)),
  description: Type.Optional(Nullable(MultilineText(RULE_LIMITS.maxDescriptionLength))),
  scope: Type.Optional(RuleScopeSchema),
  /** Devices of a `device`-scoped rule (at least one); must be empty or absent for `global`. */
  device_ids: Type.Optional(Type.Array(Id, { maxItems: RULE_LIMITS.maxDevices })),
  /** Condition tree, see engine/rules/conditions.ts for the grammar. */
  conditions: Type.Optional(Type.Unknown()),
  severity: Type.Optional(RuleSeveritySchema),
  cooldown_minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: RULE_LIMITS.maxCooldownMinutes })),
  is_active: Type.Optional(Type.Boolean()),
  schedule_type: Type.Optional(ScheduleTypeSchema),
  /** null for "always"; see engine/rules/schedule.ts for the other types. */
  schedule_config: Type.Optional(Type.Unknown()),
  notification_channels: Type.Optional(Nullable(NotificationChannelsSchema)),
  on_delay_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: RULE_LIMITS.maxOnDelaySeconds })),
  deadband: Type.Optional(Type.Number({ minimum: 0, maximum: RULE_LIMITS.maxDeadband })),
  /** Minutes an alarm may stay unacknowledged before the escalation notice; null = never. */
  escalation_minutes: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: RULE_LIMITS.maxEscalationMinutes }))),
  recipients: Type.Optional(Nullable(RuleRecipientsSchema)),
};

export const RuleCreateRequest = Closed({
  ...ruleFields,
  name: Text(255),
  conditions: Type.Unknown(),
});

/**
 * Any subset of the create fields; `{"is_active": false}` alone is the on/off toggle.
 * `out_of_service: true` needs `disabled_reason` (ISA-18.2: suppression is always explained).
 */
export const RulePatchRequest = Closed({
  ...ruleFields,
  out_of_service: Type.Optional(Type.Boolean()),
  disabled_reason: Type.Optional(Nullable(Text(500))),
});

export const RuleListQuery = Closed({
  is_active: Type.Optional(Type.Boolean()),
  /** Rules that apply to this device: its device-scoped rules and every global rule. */
  device_id: Type.Optional(Id),
});

export const RuleView = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Nullable(Type.String()),
  scope: RuleScopeSchema,
  device_ids: Type.Array(Type.Integer()),
  device_count: Type.Integer(),
  conditions: Type.Unknown(),
  severity: RuleSeveritySchema,
  cooldown_minutes: Type.Integer(),
  is_active: Type.Boolean(),
  schedule_type: ScheduleTypeSchema,
  schedule_config: Type.Unknown(),
  notification_channels: Type.Unknown(),
  on_delay_seconds: Type.Integer(),
  deadband: Type.Number(),
  escalation_minutes: Nullable(Type.Integer()),
  recipients: Type.Unknown(),
  out_of_service: Type.Boolean(),
  disabled_reason: Nullable(Type.String()),
  created_by: Nullable(Type.Integer()),
  created_at: IsoTime,
  updated_at: IsoTime,
});

/**
 * A parameter the rule names that a scoped device does not (yet) report: not an error, since a
 * rule may be written before its devices first send the parameter.
 */
export const RuleWarningView = Type.Object({
  path: Type.String(),
  message: Type.String(),
  parameter: Type.String(),
  /** Device keys lacking the parameter; empty when none of the scoped devices has it. */
  devices: Type.Array(Type.String()),
  suggestion: Type.Optional(Type.String()),
});

export const RuleListResponse = Type.Object({ data: Type.Array(RuleView) });
export const RuleResponse = Type.Object({ data: RuleView });
/** Create and update answer with the rule and its parameter warnings ([] when none). */
export const RuleSavedResponse = Type.Object({ data: RuleView, warnings: Type.Array(RuleWarningView) });
/** DELETE of a rule with alarm history: kept (deactivated) for the record, with a note saying so. */
export const RuleDeactivatedResponse = Type.Object({ data: RuleView, note: Type.String() });

export type RuleCreateRequest = Type.Static<typeof RuleCreateRequest>;
export type RulePatchRequest = Type.Static<typeof RulePatchRequest>;
export type RuleView = Type.Static<typeof RuleView>;
export type RuleWarningView = Type.Static<typeof RuleWarningView>;
