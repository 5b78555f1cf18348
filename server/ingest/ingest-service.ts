/**
 * Ties the ingest pieces together for the brokers and HTTP ingest: who a device is
 * (authenticator), what its messages mean (JSON or Sparkplug), where they go (pipeline).
 */
import type { SparkplugTopic, TelemetryTopic } from '../../engine/telemetry/topic.js';
import type { Logger } from '../observe/logger.js';
import type { IngestMetrics } from '../observe/metrics.js';
import type { DeviceAuthenticator, DeviceSession } from './device-auth.js';
import type { DeviceDirectory, KnownDevice } from './device-directory.js';
import type { BrokerHandlers } from './embedded-broker.js';
import type { JsonTelemetryIngest } from './json-telemetry.js';

export interface SparkplugHandler {
  handle(session: DeviceSession | null, topic: SparkplugTopic, payload: Buffer, qos: number, done: (error?: Error) => void): void;
}

export class IngestService {
  constructor(
    private readonly authenticator: DeviceAuthenticator,
    private readonly directory: DeviceDirectory,
    private readonly json: JsonTelemetryIngest,
    private readonly sparkplug: SparkplugHandler,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
  ) {}

  brokerHandlers(): BrokerHandlers {
    return {
      authenticate: (username, password) => this.authenticator.authenticate(username, password),
      telemetry: (session, topic, payload, qos, done) => this.telemetry(session, topic, payload, qos, done),
      sparkplug: (session, topic, payload, qos, done) => this.sparkplug.handle(session, topic, payload, qos, done),
      refused: (reason) => this.metrics.rejected.inc({ source: 'mqtt', reason }),
    };
  }

  /** JSON telemetry from MQTT (embedded broker with a session, or external broker without). */
  telemetry(session: DeviceSession | null, topic: TelemetryTopic, payload: Buffer, qos: number, done: (error?: Error) => void): void {
    // Hot path: a known device of a signed-in session is used without any await.
    const known = session?.device;
    if (known && known.isActive) {
      this.json.accept(known, payload, 'mqtt', done, qos === 0);
      return;
    }
    this.resolve(session, topic).then(
      (device) => {
        if (typeof device === 'string') {
          this.json.reject(null, 'mqtt', device, `telemetry for ${topic.factorySlug}/${topic.deviceKey} refused: ${device}`);
          done();
          return;
        }
        this.json.accept(device, payload, 'mqtt', done, qos === 0);
      },
      (error: unknown) => {
        this.logger.error({ event: 'ingest.resolve_failed', err: error }, 'could not resolve device');
        done(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private async resolve(session: DeviceSession | null, topic: TelemetryTopic): Promise<KnownDevice | string> {
    if (session) {
      const device = session.device ?? (session.viaProvisioningKey ? await this.authenticator.provision(session) : null);
      if (!device) return 'unknown_device';
      return device.isActive ? device : 'inactive_device';
    }
    // No session: external broker (it authenticated the device) or anonymous embedded mode.
    const factory = await this.directory.factoryBySlug(topic.factorySlug);
    if (!factory) return 'unknown_factory';
    const device = await this.directory.device(factory.id, topic.deviceKey);
    if (!device) return 'unknown_device';
    return device.isActive ? device : 'inactive_device';
  }
}
