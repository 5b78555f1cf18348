/**
 * An MQTT subscriber that stops reading (a historian or dashboard tool on a trusted network,
 * signed in anonymously with a wildcard subscription, hung) must not hold up devices whose
 * messages it does not receive, must not bring the server down, and is disconnected once its
 * unread backlog passes the broker's limit.
 *
 * With Aedes's default (mqemitter concurrency 100), 100 deliveries waiting on that one full
 * socket queued every other publish in the broker, so every device's PUBACK waited for the
 * drain timeout (30 s); draining the queue afterwards recursed once per queued message, a
 * stack overflow at a few thousand (mcollina/mqemitter#204).
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, counter, createDevice, telemetryTopicOf, waitFor, type CreatedDevice } from '../../helpers/ingest.js';
import { startTestServer, type Session, type TestServer } from '../../helpers/test-server.js';

describe('a subscriber that stops reading', () => {
  let server: TestServer;
  let admin: Session;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    // A small backlog limit, so a few flooding devices pass it quickly.
    server = await startTestServer({ config: { allowAnonymous: true, mqttMaxBacklogBytes: 256 * 1024 } });
    admin = await server.login();
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await server.close();
  });

  it('neither delays other devices nor brings the server down, and is disconnected', async () => {
    const port = server.running.mqttPort as number;
    const floods: Array<{ device: CreatedDevice; client: MqttClient }> = [];
    for (let i = 0; i < 6; i++) {
      const device = await createDevice(server.api, admin.accessToken, `flood-${i}`);
      const client = await connectAs(port, 'default', device);
      clients.push(client);
      floods.push({ device, client });
    }
    const pump = await createDevice(server.api, admin.accessToken, 'pump');
    const pumpClient = await connectAs(port, 'default', pump);
    clients.push(pumpClient);

    const listener = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0, clientId: 'hung-historian' });
    clients.push(listener);
    await new Promise<void>((resolve, reject) => {
      listener.once('connect', () => resolve());
      listener.once('error', reject);
    });
    listener.on('error', () => {});
    for (const { device } of floods) await listener.subscribeAsync(`factories/default/devices/${device.deviceKey}/#`, { qos: 0 });
    // It stops reading: what the broker sends it piles up in the socket buffers.
    (listener as unknown as { stream: Socket }).stream.pause();

    const shed = async () => (await counter(server.api, 'factoryops_telemetry_rejected_total', { reason: 'slow_subscriber' })) >= 1;
    const filler = 'x'.repeat(1_000);
    const pumpTopic = telemetryTopicOf('default', pump.deviceKey);
    let pumpAcked = 0;
    for (let round = 0; round < 400 && !(await shed()); round++) {
      for (const { device, client } of floods) {
        const topic = telemetryTopicOf('default', device.deviceKey);
        for (let k = 0; k < 50; k++) client.publish(topic, JSON.stringify({ metrics: { note: filler, n: round * 50 + k } }), { qos: 0 });
      }
      // Meanwhile a device the listener does not follow is acknowledged as usual: well within
      // the 30 s the broker waits for a stalled socket before closing it.
      await Promise.race([
        pumpClient.publishAsync(pumpTopic, JSON.stringify({ metrics: { kw: round } }), { qos: 1 }),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`pump publish ${round} not acknowledged within 10 s`)), 10_000)),
      ]);
      pumpAcked++;
    }
    // The listener was disconnected for its backlog, and counted.
    await waitFor(shed, 'hung subscriber disconnected', 20_000);
    await waitFor(async () => (await counter(server.api, 'factoryops_telemetry_values_stored_total')) >= pumpAcked, 'pump values stored', 10_000);
    // Everyone else carries on.
    await pumpClient.publishAsync(pumpTopic, JSON.stringify({ metrics: { kw: -1 } }), { qos: 1 });
    const health = await server.api('GET', '/health');
    expect(health.status).toBe(200);
  });
});
