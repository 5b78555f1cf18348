/**
 * Row shapes of the metadata database, as Kysely sees them. Portable across SQLite and
 * MySQL/MariaDB: times are epoch milliseconds (BIGINT), booleans are 0/1 integers, JSON is
 * text. Repositories convert to domain objects; nothing outside store/meta sees these.
 */
import type { ColumnType, Generated } from 'kysely';

/** A BIGINT epoch-ms column: mysql2 may hand it back as a string, so read through toMs(). */
type Ms = ColumnType<number, number, number>;
type MsNullable = ColumnType<number | null, number | null | undefined, number | null>;
type Flag = ColumnType<number, number | undefined, number>;

export interface FactoriesTable {
  id: Generated<number>;
  slug: string;
  name: string;
  timezone: string;
  /** Devices signing in with the provisioning key are created on first message. */
  allow_auto_provision: Flag;
  provisioning_key_hash: string | null;
  /** JSON: {"webhook_url": "...", "webhook_secret": "..."} */
  notification_settings: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Ms;
  updated_at: Ms;
}

export interface UsersTable {
  id: Generated<number>;
  factory_id: number;
  email: string;
  whatsapp_number: string | null;
  phone_number: string | null;
  /** argon2id PHC string; null until an invited user sets a password. */
  hashed_password: string | null;
  role: string;
  /** JSON: {"can_create_rules":bool,"can_run_analytics":bool,"can_generate_reports":bool} */
  permissions: string;
  is_active: Flag;
  /** SHA-256 of the invite token; the token itself is only ever in the invite link. */
  invite_token_hash: string | null;
  invited_at: MsNullable;
  invite_expires_at: MsNullable;
  last_login: MsNullable;
  /** JSON array of channels the person wants alarms on; null = every channel they have an address for. */
  notify_channels: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Ms;
  updated_at: Ms;
}

export interface DevicesTable {
  id: Generated<number>;
  factory_id: number;
  device_key: string;
  name: string | null;
  manufacturer: string | null;
  model: string | null;
  region: string | null;
  is_active: Flag;
  last_seen: MsNullable;
  created_at: Ms;
  updated_at: Ms;
}

export interface DeviceCredentialsTable {
  id: Generated<number>;
  factory_id: number;
  device_id: number;
  /** SHA-256 hex of the API key (high-entropy secret: a fast hash is right here). */
  key_hash: string;
  /** First characters of the key, shown to people so they can tell keys apart. */
  key_prefix: string;
  created_at: Ms;
  revoked_at: MsNullable;
}

export interface DeviceParametersTable {
  id: Generated<number>;
  factory_id: number;
  device_id: number;
  parameter_key: string;
  display_name: string | null;
  unit: string | null;
  data_type: string;
  is_kpi_selected: Flag;
  discovered_at: Ms;
  updated_at: Ms;
}

export interface RulesTable {
  id: Generated<number>;
  factory_id: number;
  name: string;
  description: string | null;
  scope: string;
  conditions: string;
  cooldown_minutes: number;
  is_active: Flag;
  schedule_type: string;
  schedule_config: string | null;
  severity: string;
  notification_channels: string | null;
  created_by: number | null;
  created_at: Ms;
  updated_at: Ms;
  on_delay_seconds: Flag;
  deadband: ColumnType<number, number | undefined, number>;
  escalation_minutes: number | null;
  /** JSON: {"user_ids":[…],"emails":[…],"phones":[…]}; null = the factory's active users. */
  recipients: string | null;
  out_of_service: Flag;
  disabled_reason: string | null;
}

export interface RuleDevicesTable {
  rule_id: number;
  device_id: number;
  factory_id: number;
}

export interface AlarmStatesTable {
  factory_id: number;
  rule_id: number;
  device_id: number;
  /** Evaluation memory per (rule, device): pending on-delay, cooldown, open alarm. */
  condition_since: MsNullable;
  last_triggered: MsNullable;
  open_alert_id: number | null;
  updated_at: Ms;
  /** Serialised evaluation memory of engine/rules, restored exactly after a restart. */
  memory: string | null;
}

export interface AlertsTable {
  id: Generated<number>;
  factory_id: number;
  rule_id: number;
  device_id: number;
  state: string;
  triggered_at: Ms;
  cleared_at: MsNullable;
  acknowledged_at: MsNullable;
  acknowledged_by: number | null;
  resolved_at: MsNullable;
  severity: string;
  message: string | null;
  telemetry_snapshot: string | null;
  notification_sent: Flag;
  created_at: Ms;
  shelved_until: MsNullable;
  shelve_reason: string | null;
  shelved_by: number | null;
  escalated_at: MsNullable;
  last_seq: MsNullable;
}

export interface AlarmJournalTable {
  id: Generated<number>;
  factory_id: number;
  alert_id: number;
  seq: Ms;
  from_state: string | null;
  to_state: string;
  /** raise, acknowledge, clear, shelve, unshelve, resolve, out_of_service, … */
  action: string;
  user_id: number | null;
  /** A person's e-mail, or "system". */
  actor: string;
  comment: string | null;
  created_at: Ms;
}

export interface AlarmSequencesTable {
  factory_id: number;
  seq: Ms;
}

export interface MaintenanceWindowsTable {
  id: Generated<number>;
  factory_id: number;
  target_type: string;
  target_id: number;
  /** shelved | out_of_service */
  mode: string;
  starts_at: Ms;
  ends_at: Ms;
  reason: string;
  created_by: number | null;
  created_at: Ms;
  cancelled_at: MsNullable;
}

export interface NotificationOutboxTable {
  id: Generated<number>;
  factory_id: number;
  alert_id: number;
  /** raise | escalation */
  kind: string;
  /** email | whatsapp | sms | webhook */
  channel: string;
  recipient: string;
  subject: string;
  body: string;
  /** pending | sent | failed | skipped */
  status: string;
  attempts: Flag;
  next_attempt_at: Ms;
  last_error: string | null;
  created_at: Ms;
  sent_at: MsNullable;
}

export interface AnalyticsJobsTable {
  id: string;
  factory_id: number;
  created_by: number;
  job_type: string;
  mode: string;
  device_ids: string;
  date_range_start: Ms;
  date_range_end: Ms;
  status: string;
  result_url: string | null;
  error_message: string | null;
  started_at: MsNullable;
  completed_at: MsNullable;
  created_at: Ms;
}

export interface ReportsTable {
  id: string;
  factory_id: number;
  created_by: number;
  title: string | null;
  device_ids: string;
  date_range_start: Ms;
  date_range_end: Ms;
  format: string;
  include_analytics: Flag;
  analytics_job_id: string | null;
  status: string;
  file_url: string | null;
  file_size_bytes: number | null;
  error_message: string | null;
  expires_at: MsNullable;
  created_at: Ms;
}

export interface RefreshTokensTable {
  id: Generated<number>;
  factory_id: number;
  user_id: number;
  /** SHA-256 hex of the token. */
  token_hash: string;
  /** All tokens descended from one login share a family; reuse of a rotated token revokes it. */
  family_id: string;
  expires_at: Ms;
  created_at: Ms;
  /** Set when the token was exchanged (rotation) or revoked (logout, reuse). */
  used_at: MsNullable;
  revoked_at: MsNullable;
  user_agent: string | null;
  ip: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  factory_id: number;
  /** null for actions by the system or the CLI. */
  user_id: number | null;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: string | null;
  ip: string | null;
  request_id: string | null;
  created_at: Ms;
}

export interface MetaDatabase {
  factories: FactoriesTable;
  users: UsersTable;
  devices: DevicesTable;
  device_credentials: DeviceCredentialsTable;
  device_parameters: DeviceParametersTable;
  rules: RulesTable;
  rule_devices: RuleDevicesTable;
  alarm_states: AlarmStatesTable;
  alerts: AlertsTable;
  analytics_jobs: AnalyticsJobsTable;
  reports: ReportsTable;
  refresh_tokens: RefreshTokensTable;
  audit_log: AuditLogTable;
  alarm_journal: AlarmJournalTable;
  alarm_sequences: AlarmSequencesTable;
  maintenance_windows: MaintenanceWindowsTable;
  notification_outbox: NotificationOutboxTable;
}
