/**
 * The ingest pipeline (DESIGN.md §4): validated messages are appended to the current batch;
 * every few milliseconds one transaction commits the batch to the SeriesStore, and only then
 * are QoS 1 acknowledgements released, live samples published and listeners (rule
 * evaluation) handed the batch. Parameter discovery and last_seen go to the MetaStore in
 * the background: nothing on this path waits on anything but the series commit.
 */
import { inferDataType, widenDataType, type TelemetryMetric } from '../../engine/telemetry/payload.js';
import type { Logger } from '../observe/logger.js';
import type { IngestMetrics } from '../observe/metrics.js';
import type { LiveBus, LiveSample } from '../store/bus/live-bus.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { SeriesPoint, SeriesStore } from '../store/series/series-store.js';
import type { DeviceDirectory, KnownDevice } from './device-directory.js';

export interface IngestMessage {
  device: KnownDevice;
  /** Timestamp of the reading, epoch ms (device's or server's). */
  ts: number;
  metrics: readonly TelemetryMetric[];
  /** Per-metric timestamps (Sparkplug); falls back to `ts`. */
  metricTs?: readonly number[];
}

/** Called once the message is durable (err undefined) or definitely not stored. */
export type DurableCallback = (error?: Error) => void;

export interface CommittedBatch {
  points: readonly SeriesPoint[];
  /** Devices in the batch with their newest timestamp. */
  devices: ReadonlyMap<number, { factoryId: number; lastTs: number }>;
}

export interface PipelineOptions {
  flushIntervalMs: number;
  /** A batch this large is committed at once instead of waiting for the timer. */
  maxBatchValues: number;
  /** Above this many uncommitted values QoS 0 messages are dropped (at-most-once allows it). */
  maxPendingValues: number;
  /**
   * A sender that needs no acknowledgement (QoS 0) is released at once while fewer values than
   * this wait for a commit, so its broker connection reads the next message without waiting
   * for the disk. Above it the release waits for the commit: the device is slowed down through
   * TCP (backpressure) long before anything is dropped at maxPendingValues.
   */
  releaseEarlyBelowValues: number;
  lastSeenFlushMs: number;
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  flushIntervalMs: 5,
  maxBatchValues: 5_000,
  maxPendingValues: 500_000,
  releaseEarlyBelowValues: 10_000,
  lastSeenFlushMs: 2_000,
};

interface Pending {
  points: SeriesPoint[];
  callbacks: DurableCallback[];
}

export class IngestPipeline {
  private batch: Pending = { points: [], callbacks: [] };
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private inFlightValues = 0;
  private readonly lastSeen = new Map<number, { factoryId: number; at: number }>();
  private readonly lastSeenTimer: NodeJS.Timeout;
  private readonly listeners = new Set<(batch: CommittedBatch) => void>();
  private readonly messageCounters = new Map<string, ReturnType<IngestMetrics['messages']['labels']>>();
  private closed = false;

  constructor(
    private readonly series: SeriesStore,
    private readonly meta: MetaStore,
    private readonly directory: DeviceDirectory,
    private readonly bus: LiveBus,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
    private readonly options: PipelineOptions = DEFAULT_PIPELINE_OPTIONS,
  ) {
    this.lastSeenTimer = setInterval(() => void this.flushLastSeen(), options.lastSeenFlushMs);
    this.lastSeenTimer.unref();
  }

  /** Hands each committed batch to `listener` (rule evaluation); returns an unsubscribe. */
  onCommitted(listener: (batch: CommittedBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Values accepted but not yet committed. */
  get pendingValues(): number {
    return this.batch.points.length + this.inFlightValues;
  }

  /**
   * Appends a message. Returns false when it was dropped (pipeline closed, or overloaded and
   * the sender does not need an acknowledgement); `onDurable` is then called with an error.
   * With `mayDrop` (QoS 0) `onDurable` may be called before the commit: see releaseEarlyBelowValues.
   */
  submit(message: IngestMessage, source: string, onDurable?: DurableCallback, mayDrop = false): boolean {
    if (this.closed) {
      onDurable?.(new Error('ingest pipeline is closed'));
      return false;
    }
    if (mayDrop && this.pendingValues >= this.options.maxPendingValues) {
      this.metrics.dropped.inc({ reason: 'overload' });
      onDurable?.(new Error('overloaded'));
      return false;
    }
    const { device } = message;
    this.discover(device, message.metrics);
    const points = this.batch.points;
    for (let i = 0; i < message.metrics.length; i++) {
      const metric = message.metrics[i] as TelemetryMetric;
      points.push({
        factoryId: device.factoryId,
        deviceId: device.id,
        parameter: metric.key,
        ts: message.metricTs?.[i] ?? message.ts,
        value: metric.value,
      });
    }
    if (onDurable) {
      if (mayDrop && this.pendingValues < this.options.releaseEarlyBelowValues) onDurable();
      else this.batch.callbacks.push(onDurable);
    }
    this.countMessage(source);
    if (points.length >= this.options.maxBatchValues) this.flushSoon(0);
    else this.flushSoon(this.options.flushIntervalMs);
    return true;
  }

  /** A labelled child per source: inc({ source }) hashes the labels on every message. */
  private countMessage(source: string): void {
    let counter = this.messageCounters.get(source);
    if (counter === undefined) {
      counter = this.metrics.messages.labels({ source });
      this.messageCounters.set(source, counter);
    }
    counter.inc();
  }

  /** Commits whatever is pending now; resolves when it (and earlier batches) are durable. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const pending = this.batch;
    if (pending.points.length === 0 && pending.callbacks.length === 0) return this.writing;
    this.batch = { points: [], callbacks: [] };
    this.inFlightValues += pending.points.length;
    // Handed to the store at once, without waiting for the batches before it: the store applies
    // writes in call order (SeriesStore.write), and a commit's round trip (the store's thread,
    // the disk) no longer holds the next batch back. Acknowledgements and side effects still
    // follow in batch order (commit() waits for the previous batch's).
    this.writing = this.commit(pending, this.writing);
    return this.writing;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.lastSeenTimer);
    await this.flush();
    await this.flushLastSeen();
  }

  private flushSoon(delayMs: number): void {
    if (delayMs === 0) {
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delayMs);
  }

  /** Commits one batch; `previous` (the batch before it, never rejecting) is released first. */
  private async commit(pending: Pending, previous: Promise<void>): Promise<void> {
    const started = process.hrtime.bigint();
    let failure: Error | null = null;
    try {
      await this.series.write(pending.points);
      this.metrics.commitSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    await previous;
    this.inFlightValues -= pending.points.length;
    if (failure !== null) {
      this.logger.error({ event: 'ingest.commit_failed', values: pending.points.length, err: failure }, 'series commit failed');
      for (const callback of pending.callbacks) callback(failure);
      return;
    }
    this.metrics.batchValues.observe(pending.points.length);
    this.metrics.values.inc(pending.points.length);
    // Durable: release the acknowledgements first, then the side effects.
    for (const callback of pending.callbacks) callback();
    this.afterCommit(pending.points);
  }

  private afterCommit(points: readonly SeriesPoint[]): void {
    const byDevice = new Map<number, { factoryId: number; lastTs: number; samples: LiveSample[] }>();
    let entry: { factoryId: number; lastTs: number; samples: LiveSample[] } | undefined;
    let entryDevice = NaN;
    for (const p of points) {
      // Points come a message at a time: usually the previous point's device.
      if (p.deviceId !== entryDevice) {
        entryDevice = p.deviceId;
        entry = byDevice.get(p.deviceId);
      }
      if (!entry) {
        entry = { factoryId: p.factoryId, lastTs: p.ts, samples: [] };
        byDevice.set(p.deviceId, entry);
      }
      if (p.ts > entry.lastTs) entry.lastTs = p.ts;
      entry.samples.push(p);
    }
    for (const [deviceId, device] of byDevice) {
      const seen = this.lastSeen.get(deviceId);
      if (!seen || seen.at < device.lastTs) this.lastSeen.set(deviceId, { factoryId: device.factoryId, at: device.lastTs });
      this.bus.publish({ type: 'samples', factoryId: device.factoryId, deviceId, samples: device.samples });
    }
    if (this.listeners.size > 0) {
      const batch: CommittedBatch = { points, devices: byDevice };
      for (const listener of this.listeners) {
        try {
          listener(batch);
        } catch (error) {
          this.logger.error({ event: 'ingest.listener_failed', err: error }, 'batch listener failed');
        }
      }
    }
  }

  /** New parameters are written to the MetaStore in the background (idempotent upsert). */
  private discover(device: KnownDevice, metrics: readonly TelemetryMetric[]): void {
    const known = device.parameters;
    if (!known) {
      // First message of this device since start: load what is known, then discover.
      void this.directory
        .parametersOf(device)
        .then(() => this.discover(device, metrics))
        .catch((error: unknown) => this.logger.warn({ event: 'ingest.parameters_load_failed', deviceId: device.id, err: error }, 'could not load parameters'));
      return;
    }
    let found: Array<{ key: string; dataType: ReturnType<typeof inferDataType> }> | null = null;
    for (const metric of metrics) {
      const observed = inferDataType(metric.value);
      const current = known.get(metric.key);
      if (current === undefined) {
        known.set(metric.key, observed);
        (found ??= []).push({ key: metric.key, dataType: observed });
      } else if (current !== observed) {
        // int → float when a fractional value arrives; other changes (a number turning into
        // text) keep the first type, and the series store refuses the odd values.
        const wider = widenDataType(current, observed);
        if (wider !== null && wider !== current) {
          known.set(metric.key, wider);
          void this.meta.parameters.setDataType(device.factoryId, device.id, metric.key, wider, Date.now()).catch((error: unknown) => {
            known.set(metric.key, current);
            this.logger.warn({ event: 'ingest.widen_failed', deviceId: device.id, err: error }, 'could not record a wider data type');
          });
        }
      }
    }
    if (!found) return;
    const discovered = found;
    void this.meta.parameters.discover(device.factoryId, device.id, discovered, Date.now()).then(
      () => this.logger.info({ event: 'ingest.parameters_discovered', factoryId: device.factoryId, deviceId: device.id, parameters: discovered.map((d) => d.key) }, 'new parameters'),
      (error: unknown) => {
        // Forget them so the next message tries again.
        for (const d of discovered) known.delete(d.key);
        this.logger.warn({ event: 'ingest.discovery_failed', deviceId: device.id, err: error }, 'parameter discovery failed');
      },
    );
  }

  private async flushLastSeen(): Promise<void> {
    if (this.lastSeen.size === 0) return;
    const byFactory = new Map<number, Array<{ deviceId: number; at: number }>>();
    for (const [deviceId, { factoryId, at }] of this.lastSeen) {
      const list = byFactory.get(factoryId) ?? [];
      list.push({ deviceId, at });
      byFactory.set(factoryId, list);
    }
    this.lastSeen.clear();
    for (const [factoryId, seen] of byFactory) {
      try {
        await this.meta.devices.touchLastSeen(factoryId, seen);
      } catch (error) {
        this.logger.warn({ event: 'ingest.last_seen_failed', factoryId, err: error }, 'could not record last_seen');
      }
    }
  }
}
