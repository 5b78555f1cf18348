/**
 * A client that subscribes to a device gets its stored latest values once, at once, instead
 * of waiting for each parameter's next sample (a control room reconnecting after a network
 * blip must not show dashes); another factory's device gets nothing.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, createDevice, telemetry, telemetryTopicOf, waitFor, type CreatedDevice } from '../../helpers/ingest.js';
import { openStream } from '../../helpers/stream.js';
import { startTestServer, type Session, type TestServer } from '../../helpers/test-server.js';

describe('stream: latest values on subscribe', () => {
  let server: TestServer;
  let admin: Session;
  let device: CreatedDevice;
  let mqtt: MqttClient;

  beforeAll(async () => {
    server = await startTestServer();
    admin = await server.login();
    device = await createDevice(server.api, admin.accessToken, 'chiller-2');
    mqtt = await connectAs(server.running.mqttPort!, server.factory.slug, device);
    await new Promise<void>((resolve, reject) =>
      mqtt.publish(telemetryTopicOf(server.factory.slug, device.deviceKey), telemetry({ supply_temp: 7.2, mode: 'auto', running: true }), { qos: 1 }, (e) => (e ? reject(e) : resolve())),
    );
  });
  afterAll(async () => {
    mqtt?.end(true);
    await server?.close();
  });

  it('pushes the stored values of a newly subscribed device without a new sample', async () => {
    const stream = await openStream(server.url, admin.accessToken);
    const { messages } = stream;
    try {
      stream.send({ type: 'subscribe', devices: [device.id] });
      const samples = await waitFor(() => messages.find((m) => m.type === 'samples' && m.devices[device.id]), 'samples for the device');
      const values = samples.devices[device.id];
      expect(values.supply_temp.value).toBe(7.2);
      expect(values.mode.value).toBe('auto');
      expect(values.running.value).toBe(true);
      expect(typeof values.supply_temp.ts).toBe('number');
    } finally {
      stream.close();
    }
  });

  it('sends nothing for another factory’s device', async () => {
    const other = await server.createFactory('plant-b');
    const session = await server.login({ factorySlug: 'plant-b', email: other.adminEmail, password: other.adminPassword });
    const stream = await openStream(server.url, session.accessToken);
    const { messages } = stream;
    try {
      stream.send({ type: 'subscribe', devices: [device.id] });
      await waitFor(() => messages.find((m) => m.type === 'subscribed'), 'subscribed');
      // Two flush periods at 4 Hz.
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(messages.find((m) => m.type === 'error')?.code).toBe('DEVICE_NOT_FOUND');
      expect(messages.filter((m) => m.type === 'samples')).toHaveLength(0);
    } finally {
      stream.close();
    }
  });
});
