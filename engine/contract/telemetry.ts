/** Live values, history, dashboard summary and HTTP ingest: request and response shapes. */
import Type from 'typebox';
import { Closed, Id, IsoTime, Nullable } from './common.js';

export const MetricValueSchema = Type.Union([Type.Number(), Type.String(), Type.Boolean()]);

export const LiveKpiResponse = Type.Object({
  data: Type.Array(
    Type.Object({
      parameter_key: Type.String(),
      display_name: Nullable(Type.String()),
      unit: Nullable(Type.String()),
      value: Nullable(MetricValueSchema),
      is_stale: Type.Boolean(),
      timestamp: Nullable(IsoTime),
    }),
  ),
});

export const HistoryQuery = Closed({
  parameter: Type.String({ minLength: 1, maxLength: 100 }),
  start: IsoTime,
  end: IsoTime,
  max_points: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 })),
  /** Accepted for seed clients; the store picks the bucket width from max_points. */
  interval: Type.Optional(Type.String({ maxLength: 10 })),
});

export const HistoryResponse = Type.Object({
  data: Type.Object({
    parameter: Type.String(),
    interval: Type.String(),
    bucket_ms: Type.Integer(),
    resolution: Type.String(),
    points: Type.Array(
      Type.Object({
        timestamp: IsoTime,
        value: MetricValueSchema,
        min: Nullable(Type.Number()),
        max: Nullable(Type.Number()),
        count: Type.Integer(),
      }),
    ),
  }),
});

export const DashboardSummary = Type.Object({
  total_devices: Type.Integer(),
  active_devices: Type.Integer(),
  offline_devices: Type.Integer(),
  active_alerts: Type.Integer(),
  critical_alerts: Type.Integer(),
  current_energy_kw: Type.Number(),
  energy_today_kwh: Type.Number(),
  energy_this_month_kwh: Type.Number(),
  health_score: Type.Number(),
});
export type DashboardSummary = Type.Static<typeof DashboardSummary>;
export const DashboardSummaryResponse = Type.Object({ data: DashboardSummary });

export const IngestRequest = Closed({
  device_key: Type.Optional(Type.String({ maxLength: 100 })),
  metrics: Type.Record(Type.String(), MetricValueSchema),
  timestamp: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Number()])),
});

export const IngestResponse = Type.Object({
  data: Type.Object({ device_id: Type.Integer(), accepted: Type.Integer(), timestamp: IsoTime }),
});

export const FactorySettingsView = Type.Object({
  id: Type.Integer(),
  slug: Type.String(),
  name: Type.String(),
  timezone: Type.String(),
  allow_auto_provision: Type.Boolean(),
  has_provisioning_key: Type.Boolean(),
  /** Where alarm webhooks go (null: no webhook channel); the secret itself is never shown. */
  webhook_url: Type.Union([Type.String(), Type.Null()]),
  has_webhook_secret: Type.Boolean(),
});
export const FactorySettingsResponse = Type.Object({ data: FactorySettingsView });
export const FactoryPatchRequest = Closed({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  allow_auto_provision: Type.Optional(Type.Boolean()),
  /** Alarm webhook target (http or https); null removes the webhook. */
  webhook_url: Type.Optional(Type.Union([Type.String({ minLength: 8, maxLength: 2048, pattern: '^https?://[^\\s]+$' }), Type.Null()])),
  /** HMAC-SHA256 key for X-FactoryOps-Signature; at least 16 characters. */
  webhook_secret: Type.Optional(Type.Union([Type.String({ minLength: 16, maxLength: 256 }), Type.Null()])),
});
export const ProvisioningKeyResponse = Type.Object({ data: Type.Object({ provisioning_key: Type.String() }) });
export const DeviceIdParams = Closed({ id: Id });
