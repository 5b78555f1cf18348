/**
 * Alarms (the seed's "alerts", §5.5) and maintenance windows: request and response shapes.
 *
 * An alarm follows the ISA-18.2 life cycle (engine/rules/alarm-state.ts); `state` is one of
 * ALERT_STATES. Operators acknowledge, shelve (timed, with a reason), unshelve and resolve;
 * every transition is journalled with a per-factory sequence number `seq`, the same number
 * the WebSocket stream's alarm deltas carry, so `GET /alerts/changes?since=` resyncs a client.
 */
import Type from 'typebox';
import { Closed, Id, IsoTime, Nullable, NullableIsoTime, PageQuery, Pagination, Text } from './common.js';
import { MultilineText, RuleSeveritySchema } from './rules.js';
import type { StreamAlarm, StreamAlarmDelta } from './stream.js';

/** Same list as engine/rules ALARM_STATES; a test keeps them equal. */
export const ALERT_STATES = [
  'normal',
  'active_unacknowledged',
  'active_acknowledged',
  'cleared_unacknowledged',
  'shelved',
  'out_of_service',
] as const;
export type AlertStateName = (typeof ALERT_STATES)[number];

export const ALERT_LIMITS = {
  maxBulkAcknowledge: 500,
  minShelveMinutes: 1,
  maxShelveMinutes: 1440,
  maxCommentLength: 500,
  /** Journal entries one `GET /alerts/changes` returns at most. */
  maxChanges: 1000,
  defaultChanges: 500,
  /** Longest period `GET /alerts/health` looks at. */
  maxHealthDays: 31,
  /** Maintenance windows: shelving is short-term (as an operator's shelve), out of service may last longer. */
  maxMaintenanceShelveHours: 24,
  maxMaintenanceDays: 90,
  maxMaintenanceLeadDays: 366,
} as const;

export const AlertView = Type.Object({
  id: Type.Integer(),
  rule_id: Type.Integer(),
  rule_name: Nullable(Type.String()),
  device_id: Type.Integer(),
  device_name: Nullable(Type.String()),
  device_key: Nullable(Type.String()),
  state: Type.String(),
  triggered_at: IsoTime,
  cleared_at: NullableIsoTime,
  acknowledged_at: NullableIsoTime,
  acknowledged_by: Nullable(Type.Integer()),
  resolved_at: NullableIsoTime,
  severity: Type.String(),
  message: Nullable(Type.String()),
  telemetry_snapshot: Type.Unknown(),
  notification_sent: Type.Boolean(),
  shelved_until: NullableIsoTime,
  shelve_reason: Nullable(Type.String()),
  shelved_by: Nullable(Type.Integer()),
  escalated_at: NullableIsoTime,
  /** Sequence number of the alarm's latest transition. */
  last_seq: Nullable(Type.Integer()),
});
export type AlertView = Type.Static<typeof AlertView>;

export const AlertListQuery = Closed({
  ...PageQuery,
  device_id: Type.Optional(Id),
  rule_id: Type.Optional(Id),
  severity: Type.Optional(RuleSeveritySchema),
  /**
   * One or several states: `state=shelved&state=active_unacknowledged` or
   * `state=shelved,active_unacknowledged`; `open` stands for every state but normal.
   */
  state: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 10 })),
  /** Seed filter: true = closed alarms (resolved_at set), false = open ones. */
  resolved: Type.Optional(Type.Boolean()),
  /** triggered_at >= start */
  start: Type.Optional(IsoTime),
  /** triggered_at <= end */
  end: Type.Optional(IsoTime),
});

export const AlertListResponse = Type.Object({ data: Type.Array(AlertView), pagination: Pagination });
export const AlertResponse = Type.Object({ data: AlertView });

const SeverityCounts = Type.Object({
  low: Type.Integer(),
  medium: Type.Integer(),
  high: Type.Integer(),
  critical: Type.Integer(),
});

/** The annunciator banner: what needs attention now, and whether the site is in an alarm flood. */
export const AlertCountsResponse = Type.Object({
  data: Type.Object({
    /** Every alarm not normal, shelved ones included. */
    open: Type.Integer(),
    /** Annunciated alarms (open, not shelved). */
    active: Type.Integer(),
    unacknowledged: Type.Integer(),
    shelved: Type.Integer(),
    /** Annunciated alarms by severity (shelved ones left out). */
    by_severity: SeverityCounts,
    unacknowledged_by_severity: SeverityCounts,
    /** The banner colour: the most severe unacknowledged alarm, null when none. */
    highest_unacknowledged: Nullable(RuleSeveritySchema),
    /** ISA-18.2 flood: more than max_alarms raised within window_minutes (per factory). */
    flood: Type.Object({
      flooding: Type.Boolean(),
      count: Type.Integer(),
      max_alarms: Type.Integer(),
      window_minutes: Type.Number(),
    }),
    /** The factory's latest alarm sequence number (compare with the stream's). */
    seq: Type.Integer(),
  }),
});

export const AlarmJournalEntryView = Type.Object({
  id: Type.Integer(),
  alert_id: Type.Integer(),
  seq: Type.Integer(),
  action: Type.String(),
  from_state: Nullable(Type.String()),
  to_state: Type.String(),
  user_id: Nullable(Type.Integer()),
  /** A person's e-mail, or "system". */
  actor: Type.String(),
  comment: Nullable(Type.String()),
  at: IsoTime,
});
export const AlarmJournalResponse = Type.Object({ data: Type.Array(AlarmJournalEntryView) });

const Comment = MultilineText(ALERT_LIMITS.maxCommentLength);

export const AcknowledgeRequest = Closed({ comment: Type.Optional(Nullable(Comment)) });
export const ResolveRequest = Closed({ comment: Type.Optional(Nullable(Comment)) });

export const ShelveRequest = Closed({
  minutes: Type.Integer({ minimum: ALERT_LIMITS.minShelveMinutes, maximum: ALERT_LIMITS.maxShelveMinutes }),
  /** Required (ISA-18.2: shelving is always explained); blank is refused. */
  reason: Text(ALERT_LIMITS.maxCommentLength),
});

export const BulkAcknowledgeRequest = Closed({
  ids: Type.Array(Id, { minItems: 1, maxItems: ALERT_LIMITS.maxBulkAcknowledge }),
  comment: Type.Optional(Nullable(Comment)),
});

/** One outcome per distinct id, in the order sent. Another factory's id is ALERT_NOT_FOUND. */
export const BulkAcknowledgeResponse = Type.Object({
  data: Type.Object({
    acknowledged: Type.Integer(),
    failed: Type.Integer(),
    results: Type.Array(
      Type.Object({
        id: Type.Integer(),
        ok: Type.Boolean(),
        /** ALERT_NOT_FOUND or INVALID_TRANSITION when not ok. */
        code: Nullable(Type.String()),
        message: Nullable(Type.String()),
        /** The alarm's state afterwards (null when not found). */
        state: Nullable(Type.String()),
      }),
    ),
  }),
});

export const AlarmHealthQuery = Closed({
  /** Default: 24 hours before `end`. */
  start: Type.Optional(IsoTime),
  /** Default: now. */
  end: Type.Optional(IsoTime),
});

const AlarmRef = {
  rule_id: Type.Integer(),
  rule_name: Nullable(Type.String()),
  device_id: Type.Integer(),
  device_name: Nullable(Type.String()),
};

/** Alarm system health after ISA-18.2 §16 / EEMUA 191 over [start, end]. */
export const AlarmHealthResponse = Type.Object({
  data: Type.Object({
    start: IsoTime,
    end: IsoTime,
    /** Alarms raised in the period. */
    raised: Type.Integer(),
    flood: Type.Object({
      /** At `end`. */
      flooding: Type.Boolean(),
      count: Type.Integer(),
      max_alarms: Type.Integer(),
      window_minutes: Type.Number(),
      periods: Type.Array(Type.Object({ start: IsoTime, end: IsoTime, peak: Type.Integer() })),
      /** Share of the period spent in flood, 0–100. */
      time_in_flood_percent: Type.Number(),
    }),
    chattering: Type.Array(Type.Object({ ...AlarmRef, max_in_window: Type.Integer(), total: Type.Integer(), last_at: IsoTime })),
    standing: Type.Array(Type.Object({ ...AlarmRef, since: IsoTime, duration_minutes: Type.Number() })),
    /** The ten most frequent alarms ("bad actors"). */
    top: Type.Array(Type.Object({ ...AlarmRef, count: Type.Integer(), last_at: IsoTime })),
  }),
});

export const AlarmChangesQuery = Closed({
  /** The last sequence number the client has seen (0 for none). */
  since: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: ALERT_LIMITS.maxChanges, default: ALERT_LIMITS.defaultChanges })),
});

/** The stream's StreamAlarm (epoch ms, as on the WebSocket), so one client reducer handles both. */
export const StreamAlarmSchema = Type.Object({
  id: Type.Integer(),
  rule_id: Type.Integer(),
  device_id: Type.Integer(),
  state: Type.String(),
  severity: Type.String(),
  message: Nullable(Type.String()),
  triggered_at: Type.Number(),
  cleared_at: Nullable(Type.Number()),
  acknowledged_at: Nullable(Type.Number()),
  acknowledged_by: Nullable(Type.Integer()),
  shelved_until: Nullable(Type.Number()),
  shelve_reason: Nullable(Type.String()),
});

export const StreamAlarmDeltaSchema = Type.Object({
  seq: Type.Integer(),
  action: Type.String(),
  from_state: Nullable(Type.String()),
  to_state: Type.String(),
  actor: Type.String(),
  comment: Nullable(Type.String()),
  at: Type.Number(),
  /** The alarm as it is now (a resync cannot show it as it was at each step). */
  alarm: StreamAlarmSchema,
});
// Keep the schemas and the stream's interfaces in step.
const _alarmMatches: StreamAlarm = {} as Type.Static<typeof StreamAlarmSchema>;
const _deltaMatches: StreamAlarmDelta = {} as Type.Static<typeof StreamAlarmDeltaSchema>;

/**
 * Journal entries after `since`, oldest first. `has_more`: call again with the last delta's
 * seq. When `seq` < `since` the journal was reset (a restored database): reload with GET /alerts.
 */
export const AlarmChangesResponse = Type.Object({
  data: Type.Object({
    since: Type.Integer(),
    seq: Type.Integer(),
    has_more: Type.Boolean(),
    deltas: Type.Array(StreamAlarmDeltaSchema),
  }),
});

export const MaintenanceTargetSchema = Type.Union([Type.Literal('rule'), Type.Literal('device')]);
export const MaintenanceModeSchema = Type.Union([Type.Literal('shelved'), Type.Literal('out_of_service')]);

/**
 * Planned maintenance: a rule or a device shelved or taken out of service from starts_at to
 * ends_at; it returns to service by itself at the end. A shelving window lasts at most
 * ALERT_LIMITS.maxMaintenanceShelveHours, an out-of-service one at most maxMaintenanceDays.
 */
export const MaintenanceCreateRequest = Closed({
  target_type: MaintenanceTargetSchema,
  target_id: Id,
  mode: MaintenanceModeSchema,
  starts_at: IsoTime,
  ends_at: IsoTime,
  reason: Text(ALERT_LIMITS.maxCommentLength),
});

export const MaintenanceView = Type.Object({
  id: Type.Integer(),
  target_type: MaintenanceTargetSchema,
  target_id: Type.Integer(),
  /** The rule's name or the device's name (its key when it has none). */
  target_name: Nullable(Type.String()),
  mode: MaintenanceModeSchema,
  starts_at: IsoTime,
  ends_at: IsoTime,
  reason: Type.String(),
  /** planned (not started), active, ended or cancelled. */
  status: Type.Union([Type.Literal('planned'), Type.Literal('active'), Type.Literal('ended'), Type.Literal('cancelled')]),
  created_by: Nullable(Type.Integer()),
  created_at: IsoTime,
  cancelled_at: NullableIsoTime,
});

export const MaintenanceListResponse = Type.Object({ data: Type.Array(MaintenanceView) });
export const MaintenanceResponse = Type.Object({ data: MaintenanceView });
