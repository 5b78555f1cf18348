/**
 * The demo fleet against a real Aedes broker on an ephemeral port (never 1883): one client per
 * device with its own credentials and client id, JSON telemetry on the device's own topic,
 * refused sign-ins counted rather than fatal, reconnection after a broker restart, and a
 * clean disconnect of every client on stop().
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Aedes, type AuthenticateError } from 'aedes';
import { DEFAULT_PAYLOAD_LIMITS, parseTelemetryPayload } from '../../../engine/telemetry/index.js';
import { startDemoFleet, type DemoFleet, type DemoFleetDevice } from '../../../server/demo/fleet.js';

const SLUG = 'demo-plant';
const DEVICES: DemoFleetDevice[] = [
  { deviceKey: 'CMP-01', apiKey: 'key-cmp-01-secret', kind: 'compressor', name: 'Compressor 1 — Hall A' },
  { deviceKey: 'PMP-01', apiKey: 'key-pmp-01-secret', kind: 'pump', name: 'Pump 1 — Hall A' },
  { deviceKey: 'PRS-01', apiKey: 'key-prs-01-secret', kind: 'press', name: 'Press 1 — Hall B' },
];

interface Received {
  topic: string;
  payload: string;
  clientId: string;
}

interface SignIn {
  clientId: string;
  username: string | undefined;
  password: string | undefined;
  accepted: boolean;
}

interface TestBroker {
  aedes: Aedes;
  port: number;
  received: Received[];
  signIns: SignIn[];
  refusedPublishes: string[];
  disconnected: string[];
  close(): Promise<void>;
}

/** An in-process broker that knows the devices' keys and lets each publish only its own topics. */
async function startBroker(keys: ReadonlyMap<string, string>, port = 0): Promise<TestBroker> {
  const aedes = await Aedes.createBroker({ maxClientsIdLength: 128 });
  const received: Received[] = [];
  const signIns: SignIn[] = [];
  const refusedPublishes: string[] = [];
  const disconnected: string[] = [];
  const usernames = new Map<string, string>();

  aedes.authenticate = (client, username, password, done) => {
    const secret = password?.toString('utf8');
    const accepted = username !== undefined && secret !== undefined && keys.get(username) === secret;
    signIns.push({ clientId: client.id, username, password: secret, accepted });
    if (!accepted) {
      // CONNACK return code 4: bad user name or password.
      done(Object.assign(new Error('bad username or password'), { returnCode: 4 }) as AuthenticateError, false);
      return;
    }
    usernames.set(client.id, username);
    done(null, true);
  };
  aedes.authorizePublish = (client, packet, done) => {
    const [slug, deviceKey] = (client ? usernames.get(client.id) ?? '' : '').split('/');
    if (packet.topic.startsWith(`factories/${slug}/devices/${deviceKey}/`)) {
      done(null);
    } else {
      refusedPublishes.push(packet.topic);
      done(new Error('not your topic'));
    }
  };
  aedes.on('publish', (packet, client) => {
    if (client) received.push({ topic: packet.topic, payload: packet.payload.toString(), clientId: client.id });
  });
  aedes.on('clientDisconnect', (client) => {
    disconnected.push(client.id);
  });

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    aedes,
    port: address.port,
    received,
    signIns,
    refusedPublishes,
    disconnected,
    close() {
      closed ??= new Promise<void>((resolve) => {
        aedes.close(() => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        });
      });
      return closed;
    },
  };
}

function keysOf(devices: DemoFleetDevice[]): Map<string, string> {
  return new Map(devices.map((d) => [`${SLUG}/${d.deviceKey}`, d.apiKey]));
}

/** Polls until `condition` holds; fails after a generous bound instead of hanging. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function countFor(broker: TestBroker, deviceKey: string): number {
  const topic = `factories/${SLUG}/devices/${deviceKey}/telemetry`;
  return broker.received.filter((r) => r.topic === topic).length;
}

function recordingLogger() {
  const lines: { level: 'info' | 'warn'; obj: object; msg: string | undefined }[] = [];
  return {
    lines,
    info: (obj: object, msg?: string) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg?: string) => void lines.push({ level: 'warn', obj, msg }),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function fleetFor(
  broker: TestBroker,
  devices: DemoFleetDevice[],
  extra: { qos?: 0 | 1; logger?: ReturnType<typeof recordingLogger>; clock?: () => number } = {},
): Promise<DemoFleet> {
  const fleet = await startDemoFleet({
    mqttUrl: `mqtt://127.0.0.1:${broker.port}`,
    factorySlug: SLUG,
    devices,
    intervalMs: 100,
    seed: 1234,
    ...extra,
  });
  cleanups.push(() => fleet.stop());
  return fleet;
}

describe('startDemoFleet', () => {
  it('publishes each device’s telemetry on its own topic, signed in with its own credentials', async () => {
    const broker = await startBroker(keysOf(DEVICES));
    cleanups.push(() => broker.close());
    const logger = recordingLogger();
    const fleet = await fleetFor(broker, DEVICES, { qos: 1, logger });

    await waitFor(() => DEVICES.every((d) => countFor(broker, d.deviceKey) >= 10), '10 messages per device');

    // One client per device: its own client id, user name and key, MQTT 3.1.1.
    const accepted = broker.signIns.filter((s) => s.accepted);
    expect(accepted.map((s) => s.clientId).sort()).toEqual(DEVICES.map((d) => `demo-${SLUG}-${d.deviceKey}`).sort());
    for (const device of DEVICES) {
      const signIn = accepted.find((s) => s.clientId === `demo-${SLUG}-${device.deviceKey}`);
      expect(signIn?.username).toBe(`${SLUG}/${device.deviceKey}`);
      expect(signIn?.password).toBe(device.apiKey);
    }
    expect(broker.signIns.every((s) => s.accepted)).toBe(true);
    expect(broker.refusedPublishes).toEqual([]);

    for (const device of DEVICES) {
      const topic = `factories/${SLUG}/devices/${device.deviceKey}/telemetry`;
      const messages = broker.received.filter((r) => r.topic === topic);
      expect(new Set(messages.map((m) => m.clientId))).toEqual(new Set([`demo-${SLUG}-${device.deviceKey}`]));
      let previous = 0;
      for (const message of messages) {
        const body = JSON.parse(message.payload) as { metrics: Record<string, unknown>; timestamp: number };
        expect(Object.keys(body).sort()).toEqual(['metrics', 'timestamp']);
        expect(Number.isSafeInteger(body.timestamp)).toBe(true);
        expect(body.timestamp).toBeGreaterThanOrEqual(previous);
        previous = body.timestamp;
        expect(typeof body.metrics.running).toBe('boolean');
        expect(typeof body.metrics.power_kw).toBe('number');
        expect(typeof body.metrics.energy_kwh).toBe('number');
        // What the ingest pipeline will make of it.
        expect(parseTelemetryPayload(message.payload, DEFAULT_PAYLOAD_LIMITS, body.timestamp).ok).toBe(true);
      }
    }
    const pressMessage = broker.received.find((r) => r.topic.includes('/PRS-01/'));
    expect(['running', 'idle', 'setup']).toContain((JSON.parse(pressMessage?.payload ?? '{}') as { metrics: { state?: string } }).metrics.state);

    // The broker has them; the fleet counts a message once its PUBACK is back, a moment later.
    await waitFor(() => fleet.stats().published >= 30, '30 acknowledged publishes');
    const before = fleet.stats();
    expect(before.errors).toBe(0);
    expect(broker.aedes.connectedClients).toBe(3);

    await fleet.stop();
    await waitFor(() => broker.aedes.connectedClients === 0, 'every client to disconnect', 5_000);
    expect(broker.disconnected.sort()).toEqual(DEVICES.map((d) => `demo-${SLUG}-${d.deviceKey}`).sort());
    const countAtStop = broker.received.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(broker.received.length).toBe(countAtStop);
    await fleet.stop(); // idempotent

    const events = logger.lines.map((l) => (l.obj as { event?: string }).event);
    expect(events).toContain('demo.fleet_started');
    expect(events).toContain('demo.fleet_connected');
    expect(events).toContain('demo.fleet_stopped');
    expect(JSON.stringify(logger.lines)).not.toContain('secret');
  });

  it('counts a refused sign-in without crashing, while the other devices keep publishing', async () => {
    const broker = await startBroker(keysOf(DEVICES));
    cleanups.push(() => broker.close());
    const logger = recordingLogger();
    const devices: DemoFleetDevice[] = [
      ...DEVICES.slice(0, 2),
      { deviceKey: 'CHL-01', apiKey: 'wrong-secret', kind: 'chiller', name: 'Chiller 1 — Hall A' },
    ];
    // A clock two years ahead: the payload timestamps come from the injected clock.
    const skew = 2 * 365 * 86_400_000;
    const fleet = await fleetFor(broker, devices, { logger, clock: () => Date.now() + skew });

    await waitFor(
      () => countFor(broker, 'CMP-01') >= 5 && countFor(broker, 'PMP-01') >= 5 && fleet.stats().errors >= 1,
      'good devices publishing and the refusal counted',
    );
    expect(countFor(broker, 'CHL-01')).toBe(0);
    for (const message of broker.received) {
      expect((JSON.parse(message.payload) as { timestamp: number }).timestamp).toBeGreaterThan(Date.now() + skew / 2);
    }
    expect(broker.signIns.some((s) => s.username === `${SLUG}/CHL-01` && !s.accepted)).toBe(true);
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings.some((w) => (w.obj as { deviceKey?: string }).deviceKey === 'CHL-01')).toBe(true);
    expect(JSON.stringify(logger.lines)).not.toContain('secret');

    await fleet.stop();
    await waitFor(() => broker.aedes.connectedClients === 0, 'every client to disconnect', 5_000);
  });

  it('reconnects and resumes publishing after the broker restarts', async () => {
    const keys = keysOf(DEVICES);
    const first = await startBroker(keys);
    const port = first.port;
    cleanups.push(() => first.close());
    const logger = recordingLogger();
    const fleet = await fleetFor(first, DEVICES, { logger });
    await waitFor(() => DEVICES.every((d) => countFor(first, d.deviceKey) >= 3), 'publishing to the first broker');

    await first.close();
    const second = await startBroker(keys, port);
    cleanups.push(() => second.close());
    await waitFor(() => DEVICES.every((d) => countFor(second, d.deviceKey) >= 3), 'publishing to the restarted broker', 30_000);
    expect(second.signIns.filter((s) => s.accepted)).toHaveLength(3);
    const reconnected = logger.lines.filter((l) => (l.obj as { event?: string }).event === 'demo.device_reconnected');
    expect(reconnected.map((l) => (l.obj as { deviceKey?: string }).deviceKey).sort()).toEqual(DEVICES.map((d) => d.deviceKey).sort());

    await fleet.stop();
    await waitFor(() => second.aedes.connectedClients === 0, 'every client to disconnect', 5_000);
  });

  it('stops cleanly while the broker is unreachable', async () => {
    const broker = await startBroker(new Map());
    const port = broker.port;
    await broker.close();
    const fleet = await startDemoFleet({
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      factorySlug: SLUG,
      devices: DEVICES,
      intervalMs: 50,
      qos: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fleet.stats().published).toBe(0);
    await fleet.stop();
  });

  it('refuses invalid options before connecting anything', async () => {
    const base = { mqttUrl: 'mqtt://127.0.0.1:1', factorySlug: SLUG, devices: DEVICES };
    await expect(startDemoFleet({ ...base, factorySlug: 'Bad Slug' })).rejects.toThrow(RangeError);
    await expect(startDemoFleet({ ...base, devices: [DEVICES[0] as DemoFleetDevice, DEVICES[0] as DemoFleetDevice] })).rejects.toThrow(/duplicate/);
    await expect(startDemoFleet({ ...base, devices: [{ ...(DEVICES[0] as DemoFleetDevice), deviceKey: 'a/b' }] })).rejects.toThrow(/device key/);
    await expect(startDemoFleet({ ...base, mqttUrl: 'http://127.0.0.1:1' })).rejects.toThrow(/protocol/);
    await expect(startDemoFleet({ ...base, intervalMs: 0 })).rejects.toThrow(/intervalMs/);
  });
});
