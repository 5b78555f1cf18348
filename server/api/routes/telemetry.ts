/**
 * Live and historical values of a device, the factory summary, and HTTP ingest
 * (`POST /telemetry/ingest` with the device's API key in X-API-Key).
 */
import { ErrorResponse } from '../../../engine/contract/common.js';
import {
  DashboardSummaryResponse,
  DeviceIdParams,
  HistoryQuery,
  HistoryResponse,
  IngestRequest,
  IngestResponse,
  LiveKpiResponse,
} from '../../../engine/contract/telemetry.js';
import { authOf } from '../../auth/guards.js';
import type { DeviceAuthenticator } from '../../ingest/device-auth.js';
import type { DeviceDirectory } from '../../ingest/device-directory.js';
import type { JsonTelemetryIngest } from '../../ingest/json-telemetry.js';
import type { SeriesStore } from '../../store/series/series-store.js';
import { ApiError } from '../api-error.js';
import type { ApiContext } from '../context.js';
import type { App } from '../http-server.js';
import { factorySummary } from '../summary.js';
import { iso } from '../views.js';

export interface TelemetryRouteDeps {
  series: SeriesStore;
  authenticator: DeviceAuthenticator;
  directory: DeviceDirectory;
  json: JsonTelemetryIngest;
}

const STALE_MS = 10 * 60_000;
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse };

/** A bucket width as people write it: 1m, 5m, 1h, 15s, 250ms. */
export function intervalLabel(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export async function telemetryRoutes(app: App, ctx: ApiContext & { telemetry: TelemetryRouteDeps }): Promise<void> {
  const { series, authenticator, directory, json } = ctx.telemetry;
  const { authenticate } = ctx.guards;

  async function device(factoryId: number, id: number) {
    const found = await ctx.meta.devices.get(factoryId, id);
    if (!found) throw new ApiError('DEVICE_NOT_FOUND', `device ${id} not found`);
    return found;
  }

  app.get('/devices/:id/kpis/live', { preHandler: authenticate, schema: { params: DeviceIdParams, response: { 200: LiveKpiResponse, ...errors } } }, async (request) => {
    const { factory } = authOf(request);
    const d = await device(factory.id, request.params.id);
    const parameters = (await ctx.meta.parameters.listForDevice(factory.id, d.id)).filter((p) => p.isKpiSelected);
    const latest = new Map((await series.latest(factory.id, d.id, parameters.map((p) => p.parameterKey))).map((l) => [l.parameter, l]));
    const now = ctx.clock();
    return {
      data: parameters.map((p) => {
        const value = latest.get(p.parameterKey);
        return {
          parameter_key: p.parameterKey,
          display_name: p.displayName,
          unit: p.unit,
          value: value?.value ?? null,
          is_stale: !value || now - value.ts > STALE_MS,
          timestamp: value ? iso(value.ts) : null,
        };
      }),
    };
  });

  app.get(
    '/devices/:id/kpis/history',
    { preHandler: authenticate, schema: { params: DeviceIdParams, querystring: HistoryQuery, response: { 200: HistoryResponse, ...errors } } },
    async (request) => {
      const { factory } = authOf(request);
      const d = await device(factory.id, request.params.id);
      const { parameter, start, end } = request.query;
      const from = Date.parse(start);
      const to = Date.parse(end);
      if (!(from < to)) throw new ApiError('VALIDATION_FAILED', 'start must be before end');
      const known = (await ctx.meta.parameters.listForDevice(factory.id, d.id)).some((p) => p.parameterKey === parameter);
      if (!known) throw new ApiError('PARAMETER_NOT_FOUND', `device ${d.id} has no parameter "${parameter.slice(0, 100)}"`);
      const range = await series.range(factory.id, d.id, parameter, from, to, request.query.max_points ?? 1000);
      return {
        data: {
          parameter,
          interval: intervalLabel(range.bucketMs),
          bucket_ms: range.bucketMs,
          resolution: range.resolution,
          points: range.buckets.map((b) => ({ timestamp: iso(b.ts), value: b.avg ?? b.last, min: b.min, max: b.max, count: b.count })),
        },
      };
    },
  );

  app.get('/dashboard/summary', { preHandler: authenticate, schema: { response: { 200: DashboardSummaryResponse, ...errors } } }, async (request) => {
    const { factory } = authOf(request);
    return { data: await factorySummary(ctx.meta, series, factory.id, ctx.clock(), ctx.offlineAfterMs) };
  });

  app.post('/telemetry/ingest', { schema: { body: IngestRequest, response: { 200: IngestResponse, ...errors } } }, async (request) => {
    const header = request.headers['x-api-key'];
    const bearer = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const apiKey = typeof header === 'string' ? header : bearer;
    if (!apiKey) throw new ApiError('DEVICE_KEY_INVALID', 'send the device API key in the X-API-Key header');
    const owner = await authenticator.authenticateApiKey(apiKey);
    if (!owner) throw new ApiError('DEVICE_KEY_INVALID', 'device API key is not valid');
    const record = await ctx.meta.devices.get(owner.factoryId, owner.deviceId);
    if (!record || !record.isActive) throw new ApiError('DEVICE_KEY_INVALID', 'this device is not active');
    if (request.body.device_key !== undefined && request.body.device_key !== record.deviceKey) {
      throw new ApiError('FORBIDDEN', 'the API key belongs to another device than device_key');
    }
    const known = await directory.device(owner.factoryId, record.deviceKey);
    if (!known) throw new ApiError('DEVICE_NOT_FOUND', 'device not found');
    const { device_key: _key, ...payload } = request.body;
    let result;
    try {
      result = await json.acceptAndWait(known, JSON.stringify(payload), 'http');
    } catch {
      throw new ApiError('SERVICE_UNAVAILABLE', 'could not store the values; retry');
    }
    if (!result.ok) throw new ApiError('VALIDATION_FAILED', result.message, { code: result.code });
    return { data: { device_id: record.id, accepted: result.metrics.length, timestamp: iso(result.ts) } };
  });
}
