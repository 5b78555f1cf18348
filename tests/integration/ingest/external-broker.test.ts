/**
 * External broker mode (`--mqtt-url`) against the real Eclipse Mosquitto on 127.0.0.1:1883
 * (.ci/services.sh starts it; an unreachable broker fails this suite, it is not skipped).
 * Devices publish to Mosquitto with its own client, `mosquitto_pub`; the server is a
 * subscriber with a shared subscription and a persistent session.
 *
 * Several test runs may share that Mosquitto: every run uses its own share group, client id,
 * factory slug and device keys, so no run sees (or acknowledges away) another run's messages;
 * the persistent session is removed at the end.
 *
 * Proves: values published to the external broker are stored under the right factory and
 * device; garbage and unknown devices are counted and dropped without disturbing a good device;
 * QoS 1 messages published while the server is down wait in its broker session and are
 * stored after a restart (the session survives because the client id is stable).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter, createDevice, telemetry, telemetryTopicOf, waitFor, type CreatedDevice } from '../../helpers/ingest.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';

const BROKER_HOST = '127.0.0.1';
const BROKER_PORT = 1883;
const BROKER_URL = `mqtt://${BROKER_HOST}:${BROKER_PORT}`;
const REJECTED = 'factoryops_telemetry_rejected_total';

function brokerReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: BROKER_HOST, port: BROKER_PORT });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** mosquitto_pub to the external broker; rejects on a non-zero exit. */
function publish(topic: string, message: string, qos: 0 | 1 = 1): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('mosquitto_pub', ['-h', BROKER_HOST, '-p', String(BROKER_PORT), '-V', 'mqttv311', '-q', String(qos), '-t', topic, '-m', message], { timeout: 20_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`mosquitto_pub: ${error.message} ${stderr}`)) : resolve(),
    );
  });
}

/** Ends the broker session of `clientId` (MQTT 5 clean start, session expiry 0). */
async function removeSession(clientId: string): Promise<void> {
  const client = await mqtt.connectAsync(BROKER_URL, { clientId, protocolVersion: 5, clean: true, properties: { sessionExpiryInterval: 0 }, reconnectPeriod: 0 });
  await client.endAsync();
}

describe('external broker mode (real Mosquitto)', () => {
  const run = randomBytes(4).toString('hex');
  const shareGroup = `fo-test-${run}`;
  const clientId = `fo-test-server-${run}`;
  const slug = `ext-${run}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'fo-ext-broker-'));
  let server: TestServer | null = null;
  let factoryId: number;
  let pump: CreatedDevice;
  let fan: CreatedDevice;
  /** Timestamps an hour back, one second apart: every message its own (series, ts). */
  let tick = 0;
  const at = () => Date.now() - 3_600_000 + ++tick * 1_000;

  const start = () => startTestServer({ dataDir, config: { mqttUrl: BROKER_URL, mqttShareGroup: shareGroup, mqttClientId: clientId } });

  async function latest(deviceId: number): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const v of await server!.running.series.latest(factoryId, deviceId)) out[v.parameter] = v.value;
    return out;
  }

  beforeAll(async () => {
    if (!(await brokerReachable())) throw new Error(`no MQTT broker on ${BROKER_HOST}:${BROKER_PORT}: start Mosquitto (.ci/services.sh)`);
    server = await start();
    const factory = await server.createFactory(slug);
    const session = await server.login({ factorySlug: slug, email: factory.adminEmail, password: factory.adminPassword });
    factoryId = factory.id;
    pump = await createDevice(server.api, session.accessToken, `pump-${run}`);
    fan = await createDevice(server.api, session.accessToken, `fan-${run}`);
  });
  afterAll(async () => {
    await server?.close();
    await removeSession(clientId).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores values published to the broker under the right factory and device (QoS 0 and 1)', async () => {
    await publish(telemetryTopicOf(slug, pump.deviceKey), telemetry({ flow: 12.5 }, at()), 1);
    await publish(telemetryTopicOf(slug, fan.deviceKey), telemetry({ speed: 900 }, at()), 0);
    await waitFor(async () => (await latest(pump.id)).flow === 12.5, 'the QoS 1 value');
    await waitFor(async () => (await latest(fan.id)).speed === 900, 'the QoS 0 value');
  });

  it('counts and drops garbage and unknown devices while a good device keeps landing', async () => {
    const before = {
      json: await counter(server!.api, REJECTED, { source: 'mqtt', reason: 'INVALID_JSON' }),
      unknown: await counter(server!.api, REJECTED, { source: 'mqtt', reason: 'unknown_device' }),
    };
    await Promise.all([
      publish(telemetryTopicOf(slug, pump.deviceKey), 'this is not json'),
      publish(telemetryTopicOf(slug, `ghost-${run}`), telemetry({ flow: 1 }, at())),
      publish(telemetryTopicOf(slug, fan.deviceKey), telemetry({ speed: 950 }, at())),
    ]);
    await waitFor(async () => (await latest(fan.id)).speed === 950, 'the good value');
    await waitFor(async () => (await counter(server!.api, REJECTED, { source: 'mqtt', reason: 'INVALID_JSON' })) === before.json + 1, 'the garbage counted');
    await waitFor(async () => (await counter(server!.api, REJECTED, { source: 'mqtt', reason: 'unknown_device' })) === before.unknown + 1, 'the unknown device counted');
  });

  it('stores QoS 1 messages published while the server was down, after it restarts (persistent session)', async () => {
    await server!.close();
    server = null;
    const sent: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const ts = at();
      sent.push(ts);
      await publish(telemetryTopicOf(slug, pump.deviceKey), telemetry({ seq: i }, ts), 1);
    }
    server = await start();
    await waitFor(async () => (await latest(pump.id)).seq === 20, 'the messages queued while down', 20_000);
    const range = await server.running.series.range(factoryId, pump.id, 'seq', sent[0]!, sent[sent.length - 1]! + 1, 1000);
    expect(range.buckets.map((b) => b.last)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
