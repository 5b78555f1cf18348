// The demo device fleet (`factoryops serve --demo`): one MQTT client per simulated machine, as
// real devices would connect, each signing in with its own credentials and publishing its
// telemetry on its own topic (DESIGN.md §4). A broker outage or a refused sign-in is logged and
// counted, and mqtt.js keeps reconnecting; nothing here throws once the fleet has started.

import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { isDeviceKey, telemetryTopic } from '../../engine/telemetry/index.js';
import { createMachine, MACHINE_KINDS, step, type Machine, type MachineKind } from './machines.js';
import { deviceRandom } from './random.js';

export interface DemoFleetDevice {
  deviceKey: string;
  /** The device's MQTT password. Never logged. */
  apiKey: string;
  kind: MachineKind;
  name: string;
}

export interface DemoFleetLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface DemoFleetOptions {
  /** mqtt://host:port or mqtts://host:port. */
  mqttUrl: string;
  factorySlug: string;
  devices: DemoFleetDevice[];
  /** Publish period per device, ms. Default 1000. */
  intervalMs?: number;
  qos?: 0 | 1;
  /** Seed for the machine models. Default: derived from the start time (and logged). */
  seed?: number;
  logger?: DemoFleetLogger;
  /** For mqtts:// with the site's self-signed certificate. Passed to TLS when set. */
  rejectUnauthorized?: boolean;
  /** Epoch-ms clock for the machine models and payload timestamps. Default Date.now. */
  clock?: () => number;
}

export interface DemoFleetStats {
  /** Messages written (QoS 0) or acknowledged (QoS 1). */
  published: number;
  /** Connection, sign-in and publish errors. */
  errors: number;
}

export interface DemoFleet {
  stop(): Promise<void>;
  stats(): DemoFleetStats;
}

const DEFAULT_INTERVAL_MS = 1_000;
/** Shortest accepted period: anything faster is a mistake, not a demo. */
const MIN_INTERVAL_MS = 10;
const RECONNECT_PERIOD_MS = 2_000;
const CONNECT_TIMEOUT_MS = 10_000;
const KEEPALIVE_S = 30;
/** How long stop() waits for in-flight QoS 1 acknowledgements before dropping the socket. */
const STOP_GRACE_MS = 2_000;

const MQTT_PROTOCOLS: ReadonlySet<string> = new Set(['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ssl:', 'ws:', 'wss:']);

const silentLogger: DemoFleetLogger = { info() {}, warn() {} };

interface RunningDevice {
  readonly deviceKey: string;
  readonly machine: Machine;
  readonly topic: string;
  readonly client: MqttClient;
  startTimer: NodeJS.Timeout | undefined;
  interval: NodeJS.Timeout | undefined;
  lastStepAt: number | undefined;
  /** The last error message logged for this device; repeats are counted, not logged. */
  lastLoggedError: string | undefined;
  everConnected: boolean;
}

/**
 * Starts one MQTT client per device. Resolves once every client is created and scheduled (not
 * when connected: if the broker is not up yet, the clients keep retrying). Rejects only on
 * invalid options.
 */
export async function startDemoFleet(options: DemoFleetOptions): Promise<DemoFleet> {
  const logger = options.logger ?? silentLogger;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const qos = options.qos ?? 0;
  const clock = options.clock ?? Date.now;
  const seed = (options.seed ?? clock()) >>> 0;
  validate(options, intervalMs, qos);

  const counters: DemoFleetStats = { published: 0, errors: 0 };
  let stopping = false;
  let connectedOnce = 0;
  const running: RunningDevice[] = [];

  const warnOnce = (device: RunningDevice, event: string, error: Error): void => {
    if (stopping || device.lastLoggedError === error.message) return;
    device.lastLoggedError = error.message;
    logger.warn({ event, deviceKey: device.deviceKey, err: error.message }, 'demo device error');
  };

  const startDevice = (spec: DemoFleetDevice, index: number): void => {
    const clientOptions: IClientOptions = {
      protocolVersion: 4, // MQTT 3.1.1: what the embedded Aedes broker speaks
      clientId: `demo-${options.factorySlug}-${spec.deviceKey}`,
      username: `${options.factorySlug}/${spec.deviceKey}`,
      password: spec.apiKey,
      clean: true,
      keepalive: KEEPALIVE_S,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // A device without a buffer: readings taken while offline are dropped, not queued.
      queueQoSZero: false,
      ...(options.rejectUnauthorized !== undefined && { rejectUnauthorized: options.rejectUnauthorized }),
    };
    const device: RunningDevice = {
      deviceKey: spec.deviceKey,
      machine: createMachine(spec.kind, spec.deviceKey, deviceRandom(seed, spec.deviceKey)),
      topic: telemetryTopic(options.factorySlug, spec.deviceKey),
      client: connect(options.mqttUrl, clientOptions),
      startTimer: undefined,
      interval: undefined,
      lastStepAt: undefined,
      lastLoggedError: undefined,
      everConnected: false,
    };
    running.push(device);

    device.client.on('connect', () => {
      device.lastLoggedError = undefined;
      if (device.everConnected) {
        logger.info({ event: 'demo.device_reconnected', deviceKey: device.deviceKey }, 'demo device reconnected');
        return;
      }
      device.everConnected = true;
      // One line when the whole fleet is up, rather than one per device.
      connectedOnce += 1;
      if (connectedOnce === options.devices.length) {
        logger.info({ event: 'demo.fleet_connected', factorySlug: options.factorySlug, devices: connectedOnce }, 'demo fleet connected');
      }
    });
    // Without an 'error' listener an EventEmitter error would crash the process.
    device.client.on('error', (error) => {
      if (stopping) return;
      counters.errors += 1;
      warnOnce(device, 'demo.device_error', error);
    });

    const publishReading = (): void => {
      const now = clock();
      const dtMs = device.lastStepAt === undefined ? 0 : now - device.lastStepAt;
      device.lastStepAt = now;
      // The machine keeps running while the link is down; only the readings are lost.
      const metrics = step(device.machine, now, dtMs);
      if (stopping || !device.client.connected) return;
      const payload = JSON.stringify({ metrics, timestamp: now });
      device.client.publish(device.topic, payload, { qos }, (error) => {
        if (stopping) return;
        if (error) {
          counters.errors += 1;
          warnOnce(device, 'demo.publish_failed', error);
        } else {
          counters.published += 1;
        }
      });
    };

    // Spread the devices over one period so they do not all publish in the same millisecond.
    const offset = Math.floor((index * intervalMs) / Math.max(1, options.devices.length));
    device.startTimer = setTimeout(() => {
      device.startTimer = undefined;
      if (stopping) return;
      publishReading();
      device.interval = setInterval(publishReading, intervalMs);
    }, offset);
  };

  try {
    options.devices.forEach(startDevice);
  } catch (error) {
    // mqtt.js refused an option synchronously: close what was opened before reporting it.
    stopping = true;
    for (const device of running) clearTimeout(device.startTimer);
    await Promise.all(running.map((device) => closeClient(device.client)));
    throw error;
  }

  logger.info(
    { event: 'demo.fleet_started', factorySlug: options.factorySlug, devices: running.length, intervalMs, qos, seed },
    'demo fleet started',
  );

  let stopped: Promise<void> | undefined;
  return {
    stats: () => ({ ...counters }),
    stop() {
      stopped ??= (async () => {
        stopping = true;
        for (const device of running) {
          clearTimeout(device.startTimer);
          clearInterval(device.interval);
        }
        await Promise.all(running.map((device) => closeClient(device.client)));
        logger.info({ event: 'demo.fleet_stopped', factorySlug: options.factorySlug, ...counters }, 'demo fleet stopped');
      })();
      return stopped;
    },
  };
}

function validate(options: DemoFleetOptions, intervalMs: number, qos: number): void {
  if (!Number.isFinite(intervalMs) || intervalMs < MIN_INTERVAL_MS) {
    throw new RangeError(`intervalMs must be a number ≥ ${MIN_INTERVAL_MS}`);
  }
  if (qos !== 0 && qos !== 1) throw new RangeError('qos must be 0 or 1');
  const seen = new Set<string>();
  for (const device of options.devices) {
    // telemetryTopic() checks the slug and key as well; checking here gives the clearer message.
    if (!isDeviceKey(device.deviceKey)) throw new RangeError(`invalid device key: ${JSON.stringify(device.deviceKey)}`);
    if (seen.has(device.deviceKey)) throw new RangeError(`duplicate device key: ${device.deviceKey}`);
    seen.add(device.deviceKey);
    if (!(MACHINE_KINDS as readonly string[]).includes(device.kind)) {
      throw new RangeError(`unknown machine kind for ${device.deviceKey}: ${JSON.stringify(device.kind)}`);
    }
  }
  telemetryTopic(options.factorySlug, 'probe'); // throws RangeError on an invalid slug
  let url: URL;
  try {
    url = new URL(options.mqttUrl);
  } catch {
    throw new RangeError('mqttUrl is not a URL');
  }
  if (!MQTT_PROTOCOLS.has(url.protocol)) throw new RangeError(`unsupported mqttUrl protocol: ${url.protocol}`);
}

/**
 * Ends a client with a DISCONNECT when connected. mqtt.js's end() waits for unacknowledged
 * QoS 1 messages, which never come from a broker that has gone quiet, so after a grace period
 * the socket is dropped instead. A client that is offline is closed at once.
 */
function closeClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.stream?.destroy();
      resolve();
    }, STOP_GRACE_MS);
    client.end(!client.connected, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
