/**
 * The FactoryOps JSON telemetry format on `factories/{slug}/devices/{key}/telemetry` (and
 * HTTP ingest): validate, then hand to the pipeline. A bad message is counted, logged
 * (rate-limited, naming factory and device) and dropped; it never affects another device.
 */
import { DEFAULT_PAYLOAD_LIMITS, parseTelemetryPayload, type PayloadLimits, type PayloadResult } from '../../engine/telemetry/payload.js';
import type { Logger } from '../observe/logger.js';
import type { IngestMetrics } from '../observe/metrics.js';
import type { KnownDevice } from './device-directory.js';
import type { DurableCallback, IngestPipeline } from './pipeline.js';
import { RateLimitedLog } from './rate-limited-log.js';

export class JsonTelemetryIngest {
  private readonly complaints: RateLimitedLog;

  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
    private readonly clock: () => number,
    readonly limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
  ) {
    this.complaints = new RateLimitedLog(10_000, clock);
  }

  parse(payload: Buffer | string): PayloadResult {
    const byteLength = typeof payload === 'string' ? undefined : payload.length;
    if (byteLength !== undefined && byteLength > this.limits.maxBytes) {
      return { ok: false, code: 'PAYLOAD_TOO_LARGE', message: `payload is ${byteLength} bytes; the limit is ${this.limits.maxBytes}` };
    }
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    return parseTelemetryPayload(text, this.limits, this.clock(), byteLength);
  }

  /**
   * Validates and submits. `onDurable` fires once the values are committed, or at once for a
   * rejected message (it was received; re-sending the same garbage would not help).
   */
  accept(device: KnownDevice, payload: Buffer | string, source: 'mqtt' | 'http', onDurable: DurableCallback, mayDrop: boolean): PayloadResult {
    const result = this.parse(payload);
    if (!result.ok) {
      this.reject(device, source, result.code, result.message);
      onDurable();
      return result;
    }
    this.pipeline.submit({ device, ts: result.ts, metrics: result.metrics }, source, onDurable, mayDrop);
    return result;
  }

  /** HTTP ingest: resolves with the parse result once durable (or at once when rejected). */
  acceptAndWait(device: KnownDevice, payload: string, source: 'http'): Promise<PayloadResult> {
    const parsed = this.parse(payload);
    if (!parsed.ok) {
      this.reject(device, source, parsed.code, parsed.message);
      return Promise.resolve(parsed);
    }
    return new Promise((resolve, reject) => {
      this.pipeline.submit({ device, ts: parsed.ts, metrics: parsed.metrics }, source, (error) => (error ? reject(error) : resolve(parsed)), false);
    });
  }

  reject(device: { factoryId: number; id: number; deviceKey: string } | null, source: string, reason: string, message: string, factoryId?: number): void {
    this.metrics.rejected.inc({ source, reason });
    const fid = device?.factoryId ?? factoryId;
    this.complaints.maybe(`${fid}/${device?.deviceKey ?? '?'}/${reason}`, (suppressed) =>
      this.logger.warn(
        { event: 'ingest.message_rejected', source, reason, factoryId: fid, deviceId: device?.id, deviceKey: device?.deviceKey, suppressed },
        message,
      ),
    );
  }
}
