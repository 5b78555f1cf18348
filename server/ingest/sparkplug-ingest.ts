/**
 * Sparkplug B ingest (DESIGN.md §4): `spBv1.0/{group}/{type}/{node}[/{device}]`, where the
 * group is the factory slug, the edge node is a device key with credentials, and a device
 * under it is the device key `{node}.{device}`, created on first sight. Metric names (with
 * their `/` folders) are the parameter keys.
 *
 * Per message: resolve the edge node, decode (sparkplug-decode.ts), let the sequence tracker
 * judge it, then apply it: BIRTHs record aliases and datatypes, BIRTH and DATA values go to
 * the pipeline, DEATHs mark devices offline. A gap, data before a BIRTH, or an alias the BIRTH
 * did not declare asks the node for a rebirth (NCMD `Node Control/Rebirth`).
 *
 * A node's messages are handled one after another in arrival order (the tracker and alias
 * tables depend on it), on a promise chain per node, so one node waiting on the database never
 * holds up another. `done` is called exactly once per message: when its values are durable,
 * or at once when it stores nothing or is refused (counted in metrics.rejected).
 */
import { isDeviceKey, isFactorySlug } from '../../engine/telemetry/identifiers.js';
import { SparkplugAliasRegistry, type AliasBirthReport } from '../../engine/telemetry/sparkplug-aliases.js';
import { mapSparkplugMetrics, type SkippedMetric } from '../../engine/telemetry/sparkplug-metrics.js';
import { DEFAULT_SEQUENCE_TRACKER_OPTIONS, SparkplugSequenceTracker } from '../../engine/telemetry/sparkplug-sequence.js';
import { rebirthCommandPayload } from '../../engine/telemetry/sparkplug.js';
import { sparkplugTopic, type SparkplugTopic } from '../../engine/telemetry/topic.js';
import type { Logger } from '../observe/logger.js';
import type { IngestMetrics } from '../observe/metrics.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import { DuplicateKeyError, type Device } from '../store/meta/models.js';
import type { DeviceSession } from './device-auth.js';
import type { DeviceDirectory, KnownDevice } from './device-directory.js';
import type { IngestPipeline } from './pipeline.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { DEFAULT_SPARKPLUG_DECODE_LIMITS, decodeSparkplugPayload, encodeSparkplugPayload, type SparkplugDecodeLimits } from './sparkplug-decode.js';

export interface SparkplugIngestOptions {
  pipeline: IngestPipeline;
  directory: DeviceDirectory;
  meta: MetaStore;
  metrics: IngestMetrics;
  logger: Logger;
  clock: () => number;
  /** Publishes a command to an edge node (NCMD rebirth requests). */
  publishCommand(topic: string, payload: Buffer): Promise<void>;
  /** An NDEATH or DDEATH took a device offline. */
  onDeviceOffline?(factoryId: number, deviceId: number): void;
  limits?: Partial<SparkplugDecodeLimits>;
  /** Least time between two rebirth requests to one edge node (default 5 s). */
  rebirthRetryMs?: number;
}

type Done = (error?: Error) => void;

/** Why a message is refused: a metrics label and a sentence for the log. */
interface Refusal {
  refused: string;
  message: string;
}

interface EdgeNode {
  factoryId: number;
  device: KnownDevice;
}

const SOURCE = 'sparkplug';
/** Skips that are part of normal operation, not worth a log line. */
const QUIET_SKIPS: ReadonlySet<string> = new Set(['CONTROL', 'NULL']);

export class SparkplugIngest {
  readonly #options: SparkplugIngestOptions;
  readonly #limits: SparkplugDecodeLimits;
  readonly #rebirthRetryMs: number;
  readonly #aliases = new SparkplugAliasRegistry();
  readonly #tracker: SparkplugSequenceTracker;
  readonly #complaints: RateLimitedLog;
  /** The tail of each edge node's chain of messages, by `group/node`. */
  readonly #queues = new Map<string, Promise<void>>();
  /** Rebirths asked for because of an undeclared alias (the tracker limits its own). */
  readonly #aliasRebirths = new Map<string, number>();
  /** Devices checked to be Sparkplug devices (no credentials of their own). */
  readonly #children = new Set<number>();

  constructor(options: SparkplugIngestOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_SPARKPLUG_DECODE_LIMITS, ...options.limits };
    this.#rebirthRetryMs = options.rebirthRetryMs ?? DEFAULT_SEQUENCE_TRACKER_OPTIONS.rebirthRetryMs;
    this.#tracker = new SparkplugSequenceTracker({ rebirthRetryMs: this.#rebirthRetryMs });
    this.#complaints = new RateLimitedLog(10_000, options.clock);
  }

  /** BrokerHandlers.sparkplug. Never throws; calls `done` exactly once. */
  handle(session: DeviceSession | null, topic: SparkplugTopic, payload: Buffer, qos: number, done: Done): void {
    let called = false;
    const once: Done = (error) => {
      if (called) return;
      called = true;
      done(error);
    };
    const key = `${topic.group}/${topic.edgeNode}`;
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const current = previous
      .then(() => this.#process(session, topic, payload, qos, once))
      .catch((error: unknown) => {
        this.#options.logger.error({ event: 'sparkplug.failed', group: topic.group, edgeNode: topic.edgeNode, messageType: topic.messageType, err: error }, 'Sparkplug message failed');
        this.#options.metrics.rejected.inc({ source: SOURCE, reason: 'internal_error' });
        once(error instanceof Error ? error : new Error(String(error)));
      });
    this.#queues.set(key, current);
    void current.then(() => {
      if (this.#queues.get(key) === current) this.#queues.delete(key);
    });
  }

  async #process(session: DeviceSession | null, topic: SparkplugTopic, bytes: Buffer, qos: number, done: Done): Promise<void> {
    const now = this.#options.clock();
    const node = await this.#edgeNode(session, topic, now);
    if ('refused' in node) return this.#refuse(topic, node, done);

    const isBirth = topic.messageType === 'NBIRTH' || topic.messageType === 'DBIRTH';
    // BIRTHs carry their own datatypes; DATA and DEATH metrics fall back to the BIRTH's.
    const decoded = decodeSparkplugPayload(bytes, isBirth ? undefined : this.#aliases.catalog(topic), this.#limits);
    if (!decoded.ok) return this.#refuse(topic, { refused: decoded.code, message: decoded.message }, done, node.factoryId);
    const payload = decoded.payload;

    const verdict = this.#tracker.observe(topic, payload, now);
    if (verdict.rebirth) this.#requestRebirth(topic, now, verdict.reason ?? 'sequence');
    if (!verdict.accept) {
      const refused = topic.messageType === 'NDEATH' ? 'stale_death' : 'out_of_sequence';
      return this.#refuse(topic, { refused, message: verdict.reason ?? refused }, done, node.factoryId);
    }

    switch (topic.messageType) {
      case 'NDEATH':
        this.#aliases.forget(topic);
        await this.#markOffline(node, [node.device.deviceKey, ...(verdict.offlineDevices ?? []).map((d) => childKey(node, d))]);
        return done();
      case 'DDEATH':
        this.#aliases.forget(topic);
        await this.#markOffline(node, [childKey(node, topic.device)]);
        return done();
      case 'NBIRTH':
        this.#aliasRebirths.delete(`${topic.group}/${topic.edgeNode}`);
        this.#reportBirth(topic, this.#aliases.recordBirth(topic, payload.metrics), node.factoryId);
        break;
      case 'DBIRTH':
        this.#reportBirth(topic, this.#aliases.recordBirth(topic, payload.metrics), node.factoryId);
        break;
      default:
        break;
    }

    const device = topic.device === undefined ? node.device : await this.#child(node, topic.device, now);
    if ('refused' in device) return this.#refuse(topic, device, done, node.factoryId);

    const mapping = mapSparkplugMetrics(payload, this.#aliases.catalog(topic), now);
    if (mapping.needsRebirth) this.#requestRebirthForAlias(topic, now);
    this.#reportSkipped(topic, mapping.skipped, node.factoryId);
    // Transient values are not to be historized, and storing is all this path does.
    const samples = mapping.samples.filter((sample) => sample.transient !== true);
    if (samples.length === 0) {
      if (mapping.skipped.some((skip) => !QUIET_SKIPS.has(skip.code)) && !isBirth) {
        this.#options.metrics.rejected.inc({ source: SOURCE, reason: 'no_valid_metrics' });
      }
      return done();
    }
    this.#options.pipeline.submit(
      { device, ts: now, metrics: samples.map((s) => ({ key: s.key, value: s.value })), metricTs: samples.map((s) => s.ts) },
      SOURCE,
      // QoS 0 has no PUBACK to hold back; an error would only close the node's connection.
      qos === 0 ? () => done() : done,
      qos === 0,
    );
  }

  /** The edge node's device: the session's, or by slug and key without one. */
  async #edgeNode(session: DeviceSession | null, topic: SparkplugTopic, now: number): Promise<EdgeNode | Refusal> {
    if (session) {
      // A provisioning-key session has no device until its first message.
      const device = session.device ?? (session.device = await this.#createDevice(session.factory.id, session.deviceKey, now, null));
      return device.isActive ? { factoryId: session.factory.id, device } : refusal('inactive_device', `edge node ${session.deviceKey} is deactivated`);
    }
    // Anonymous embedded broker or an external broker: only known factories and nodes.
    if (!isFactorySlug(topic.group)) return refusal('unknown_factory', 'group id is not a factory slug');
    if (!isDeviceKey(topic.edgeNode)) return refusal('invalid_device_id', 'edge node id is not a valid device key (letters, digits, . _ -)');
    const factory = await this.#options.directory.factoryBySlug(topic.group);
    if (!factory) return refusal('unknown_factory', 'no factory with this slug');
    const device = await this.#options.directory.device(factory.id, topic.edgeNode);
    if (!device) return refusal('unknown_device', 'no device with this edge node id');
    return device.isActive ? { factoryId: factory.id, device } : refusal('inactive_device', 'edge node is deactivated');
  }

  /** The device `{node}.{device}`, created on first sight under the node's factory. */
  async #child(node: EdgeNode, deviceId: string, now: number): Promise<KnownDevice | Refusal> {
    const key = childKey(node, deviceId);
    if (!isDeviceKey(key)) {
      const shown = JSON.stringify(deviceId.slice(0, 100));
      return refusal('invalid_device_id', `device id ${shown} does not make a valid device key {node}.{device}: letters, digits, . _ - and at most 100 characters`);
    }
    const { directory, meta } = this.#options;
    let device = directory.cachedDevice(node.factoryId, key);
    if (!device || !this.#children.has(device.id)) {
      device = await directory.device(node.factoryId, key);
      if (!device) {
        device = await this.#createDevice(node.factoryId, key, now, node.device.deviceKey);
      } else if ((await meta.deviceCredentials.activePrefix(node.factoryId, device.id)) !== null) {
        // A device with its own credentials belongs to itself, not to this edge node.
        return refusal('device_not_owned', `device ${key} has its own credentials; edge node ${node.device.deviceKey} may not publish for it`);
      }
      this.#children.add(device.id);
    }
    return device.isActive ? device : refusal('inactive_device', `device ${key} is deactivated`);
  }

  /** Creates a device (or finds the one a concurrent message just created). */
  async #createDevice(factoryId: number, deviceKey: string, now: number, edgeNode: string | null): Promise<KnownDevice> {
    const { directory, meta, logger } = this.#options;
    let row: Device | undefined;
    try {
      row = await meta.devices.create(factoryId, { deviceKey }, now);
      logger.info({ event: 'sparkplug.device_created', factoryId, deviceId: row.id, deviceKey, edgeNode }, 'Sparkplug device created');
      await meta.audit
        .record(factoryId, { userId: null, actor: 'sparkplug', action: 'device.auto_provision', targetType: 'device', targetId: row.id, details: { device_key: deviceKey, edge_node: edgeNode } }, now)
        .catch((error: unknown) => logger.warn({ event: 'sparkplug.audit_failed', factoryId, err: error }, 'could not record the device creation'));
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
      row = await meta.devices.getByKey(factoryId, deviceKey);
      if (!row) throw error;
    }
    return directory.remember({ factoryId, id: row.id, deviceKey: row.deviceKey, isActive: row.isActive, parameters: null });
  }

  async #markOffline(node: EdgeNode, deviceKeys: readonly string[]): Promise<void> {
    const { onDeviceOffline, directory } = this.#options;
    if (!onDeviceOffline) return;
    for (const key of deviceKeys) {
      if (!isDeviceKey(key)) continue;
      const device = directory.cachedDevice(node.factoryId, key) ?? (await directory.device(node.factoryId, key));
      if (device) onDeviceOffline(node.factoryId, device.id);
    }
  }

  #requestRebirth(topic: SparkplugTopic, now: number, reason: string): void {
    const { publishCommand, logger } = this.#options;
    const ncmd = sparkplugTopic(topic.group, 'NCMD', topic.edgeNode);
    logger.info({ event: 'sparkplug.rebirth_requested', group: topic.group, edgeNode: topic.edgeNode, reason }, 'asking a Sparkplug edge node to rebirth');
    let payload: Buffer;
    try {
      payload = encodeSparkplugPayload(rebirthCommandPayload(now));
    } catch (error) {
      logger.error({ event: 'sparkplug.rebirth_failed', err: error }, 'could not encode the rebirth command');
      return;
    }
    publishCommand(ncmd, payload).catch((error: unknown) =>
      logger.warn({ event: 'sparkplug.rebirth_failed', group: topic.group, edgeNode: topic.edgeNode, err: error }, 'could not publish the rebirth command'),
    );
  }

  #requestRebirthForAlias(topic: SparkplugTopic, now: number): void {
    const key = `${topic.group}/${topic.edgeNode}`;
    const last = this.#aliasRebirths.get(key);
    if (last !== undefined && now - last < this.#rebirthRetryMs) return;
    this.#aliasRebirths.set(key, now);
    this.#requestRebirth(topic, now, 'metric alias not declared by the last BIRTH');
  }

  #refuse(topic: SparkplugTopic, refusal: Refusal, done: Done, factoryId?: number): void {
    this.#options.metrics.rejected.inc({ source: SOURCE, reason: refusal.refused });
    this.#complain(topic, refusal.refused, factoryId, refusal.message, 'ingest.message_rejected');
    done();
  }

  #reportBirth(topic: SparkplugTopic, report: AliasBirthReport, factoryId: number): void {
    if (report.problems.length === 0) return;
    const detail = report.problems.slice(0, 5).map((p) => `${p.name}: ${p.reason}`).join('; ');
    this.#complain(topic, 'birth_problems', factoryId, `${topic.messageType} declarations refused: ${detail}`, 'sparkplug.birth_problems');
  }

  #reportSkipped(topic: SparkplugTopic, skipped: readonly SkippedMetric[], factoryId: number): void {
    const notable = skipped.filter((skip) => !QUIET_SKIPS.has(skip.code));
    if (notable.length === 0) return;
    const detail = notable.slice(0, 5).map((s) => `${s.name}: ${s.reason}`).join('; ');
    this.#complain(topic, 'metrics_skipped', factoryId, `${notable.length} metric(s) not stored: ${detail}`, 'sparkplug.metrics_skipped');
  }

  /** A warning naming the node, at most once per 10 s per node and reason. */
  #complain(topic: SparkplugTopic, reason: string, factoryId: number | undefined, message: string, event: string): void {
    this.#complaints.maybe(`${topic.group}/${topic.edgeNode}/${reason}`, (suppressed) =>
      this.#options.logger.warn(
        { event, source: SOURCE, reason, factoryId, group: topic.group, edgeNode: topic.edgeNode, device: topic.device, messageType: topic.messageType, suppressed },
        message,
      ),
    );
  }
}

function refusal(refused: string, message: string): Refusal {
  return { refused, message };
}

function childKey(node: EdgeNode, deviceId: string): string {
  return `${node.device.deviceKey}.${deviceId}`;
}
