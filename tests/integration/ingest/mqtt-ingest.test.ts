/**
 * Telemetry ingest end to end: a real server in-process (embedded Aedes broker, SQLite series
 * and metadata files, HTTP API) and real mqtt.js device clients speaking MQTT 3.1.1.
 *
 * Proves: device sign-in and topic authorisation at the broker, QoS 1 acknowledged only after
 * the values are committed, payload validation (dropped and counted, never affecting another
 * device), parameter discovery with data types, last_seen and online/offline, auto-provisioning,
 * HTTP ingest, live KPIs, history reduced to buckets, and the dashboard summary — with two
 * factories that use the same device key never seeing each other's values.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closed,
  connectAs,
  connectDevice,
  connectRefused,
  counter,
  createDevice,
  telemetry,
  telemetryTopicOf,
  waitFor,
  type CreatedDevice,
} from '../../helpers/ingest.js';
import { errorCode, startTestServer, type Session, type TestServer } from '../../helpers/test-server.js';

const REJECTED = 'factoryops_telemetry_rejected_total';
const MINUTE = 60_000;
/** Small enough to test cheaply, large enough for 1001 short metrics (the count limit is 1000). */
const MAX_PAYLOAD_BYTES = 16 * 1024;

interface HistoryPoint {
  timestamp: string;
  value: number | string | boolean;
  min: number | null;
  max: number | null;
  count: number;
}

describe('MQTT telemetry ingest (embedded broker)', () => {
  let server: TestServer;
  let admin: Session;
  let port: number;
  /** Aligned to 10 minutes and two hours back: far enough from the frozen server clock for any test's series. */
  let base: number;
  const clients: MqttClient[] = [];

  async function device(key: string, session = admin): Promise<CreatedDevice> {
    return createDevice(server.api, session.accessToken, key);
  }

  async function connect(slug: string, d: CreatedDevice): Promise<MqttClient> {
    const client = await connectAs(port, slug, d);
    clients.push(client);
    return client;
  }

  async function history(session: Session, deviceId: number, parameter: string, from: number, to: number, maxPoints = 1000) {
    const query = new URLSearchParams({ parameter, start: new Date(from).toISOString(), end: new Date(to).toISOString(), max_points: String(maxPoints) });
    return server.api('GET', `/api/v1/devices/${deviceId}/kpis/history?${query.toString()}`, { token: session.accessToken });
  }

  async function points(session: Session, deviceId: number, parameter: string, from: number, to: number, maxPoints = 1000): Promise<HistoryPoint[]> {
    const res = await history(session, deviceId, parameter, from, to, maxPoints);
    expect(res.status, res.text).toBe(200);
    return res.json.data.points as HistoryPoint[];
  }

  async function parametersOf(session: Session, deviceId: number): Promise<Array<{ parameter_key: string; data_type: string; id: number }>> {
    const res = await server.api('GET', `/api/v1/devices/${deviceId}`, { token: session.accessToken });
    expect(res.status, res.text).toBe(200);
    return res.json.data.parameters;
  }

  /** Waits until every key is a discovered parameter of the device (discovery runs in the background). */
  async function discovered(session: Session, deviceId: number, keys: string[]) {
    return waitFor(async () => {
      const params = await parametersOf(session, deviceId);
      return keys.every((k) => params.some((p) => p.parameter_key === k)) && params;
    }, `parameters ${keys.join(', ')} of device ${deviceId}`);
  }

  async function rejected(reason: string, source = 'mqtt'): Promise<number> {
    return counter(server.api, REJECTED, { source, reason });
  }

  beforeAll(async () => {
    server = await startTestServer({ config: { maxPayloadBytes: MAX_PAYLOAD_BYTES } });
    admin = await server.login();
    port = server.running.mqttPort as number;
    base = Math.floor((server.clock.now() - 2 * 3_600_000) / (10 * MINUTE)) * 10 * MINUTE;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('signing in', () => {
    it('refuses a connection without credentials (no --allow-anonymous) and counts it', async () => {
      const before = await rejected('auth_bad_username');
      const refusal = await connectRefused(port, { clientId: 'anonymous-1' });
      // CONNACK 4 "bad user name or password" [MQTT-3.2.2-5]
      expect(refusal.code, String(refusal)).toBe(4);
      expect(await rejected('auth_bad_username')).toBe(before + 1);
    });

    it('refuses a wrong password with CONNACK 4, and an unknown device with CONNACK 5', async () => {
      const d = await device('signin-1');
      expect((await connectRefused(port, { username: 'default/signin-1', password: 'not-the-key-at-all' })).code).toBe(4);
      expect((await connectRefused(port, { username: 'default/signin-1', password: `${d.apiKey}x` })).code).toBe(4);
      expect((await connectRefused(port, { username: 'default/nobody-here', password: d.apiKey })).code).toBe(5);
      expect((await connectRefused(port, { username: 'no-such-factory/signin-1', password: d.apiKey })).code).toBe(5);
      // The right key signs in.
      const client = await connect('default', d);
      expect(client.connected).toBe(true);
    });

    it('refuses a deactivated device, and drops a connected device whose key is rotated', async () => {
      const d = await device('rotating-1');
      const client = await connect('default', d);
      const rotated = await server.api('POST', `/api/v1/devices/${d.id}/rotate-key`, { token: admin.accessToken });
      expect(rotated.status).toBe(200);
      await waitFor(() => !client.connected, 'the connection of the rotated device to close');
      expect((await connectRefused(port, { username: 'default/rotating-1', password: d.apiKey })).code).toBe(4);
      const fresh = await connect('default', { ...d, apiKey: rotated.json.data.api_key });
      expect(fresh.connected).toBe(true);

      const off = await server.api('PATCH', `/api/v1/devices/${d.id}`, { token: admin.accessToken, body: { is_active: false } });
      expect(off.status).toBe(200);
      await waitFor(() => !fresh.connected, 'the connection of the deactivated device to close');
      expect((await connectRefused(port, { username: 'default/rotating-1', password: rotated.json.data.api_key })).code).toBe(5);
    });
  });

  describe('topics a device may publish to', () => {
    it("closes the connection of a device publishing on another device's topic, counts it, and stores nothing", async () => {
      const victim = await device('victim-1');
      const intruder = await device('intruder-1');
      const victimClient = await connect('default', victim);
      await victimClient.publishAsync(telemetryTopicOf('default', 'victim-1'), telemetry({ level: 1 }, base), { qos: 1 });
      await discovered(admin, victim.id, ['level']);

      const before = await rejected('topic_not_allowed');
      const intruderClient = await connect('default', intruder);
      const gone = closed(intruderClient);
      intruderClient.publish(telemetryTopicOf('default', 'victim-1'), telemetry({ level: 666, injected: 1 }, base + 1000), { qos: 1 });
      await gone;
      expect(await rejected('topic_not_allowed')).toBe(before + 1);

      // The victim's series holds only its own value, and no parameter was smuggled in.
      expect((await points(admin, victim.id, 'level', base, base + MINUTE)).map((p) => p.value)).toEqual([1]);
      expect((await parametersOf(admin, victim.id)).map((p) => p.parameter_key)).toEqual(['level']);
      // The victim's own connection is untouched.
      expect(victimClient.connected).toBe(true);
    });

    it('closes the connection on a topic outside factories/{slug}/devices/{key}/… (QoS 0 as well)', async () => {
      const d = await device('wanderer-1');
      const before = await rejected('topic_not_allowed');
      for (const topic of ['plant/line-1/temperature', 'factories/default/devices', 'factories/default/devices/wanderer-1']) {
        const client = await connect('default', d);
        const gone = closed(client);
        client.publish(topic, telemetry({ t: 1 }), { qos: 0 });
        await gone;
      }
      expect(await rejected('topic_not_allowed')).toBe(before + 3);
    });

    it('refuses subscriptions to topics the device does not own (SUBACK 0x80) and keeps the connection', async () => {
      const d = await device('listener-1');
      const client = await connect('default', d);
      const suback = new Promise<number[]>((resolve) =>
        client.on('packetreceive', (packet) => {
          if (packet.cmd === 'suback') resolve(packet.granted as number[]);
        }),
      );
      // mqtt.js reports any refused filter as an error; the SUBACK itself says which.
      client.subscribe(['factories/default/devices/victim-1/#', 'factories/#', 'factories/default/devices/listener-1/commands'], { qos: 0 }, () => {});
      expect(await suback).toEqual([128, 128, 0]);
      expect(client.connected).toBe(true);
    });
  });

  describe('acknowledgement and storage', () => {
    it('resolves a QoS 1 publish only once the value is readable through the API', async () => {
      const d = await device('qos1-1');
      const client = await connect('default', d);
      const topic = telemetryTopicOf('default', 'qos1-1');
      await client.publishAsync(topic, telemetry({ level: -1 }, base), { qos: 1 });
      await discovered(admin, d.id, ['level']);
      for (let i = 0; i < 25; i++) {
        const ts = base + (i + 1) * 1000;
        await client.publishAsync(topic, telemetry({ level: i }, ts), { qos: 1 });
        // Right after PUBACK, without any wait: committed and visible to history.
        const stored = await points(admin, d.id, 'level', ts, ts + 1);
        expect(stored).toEqual([{ timestamp: new Date(ts).toISOString(), value: i, min: i, max: i, count: 1 }]);
      }
      const all = await points(admin, d.id, 'level', base, base + MINUTE);
      expect(all.map((p) => p.value)).toEqual([-1, ...Array.from({ length: 25 }, (_, i) => i)]);
    });

    it('stores QoS 0 messages too', async () => {
      const d = await device('qos0-1');
      const client = await connect('default', d);
      for (let i = 0; i < 10; i++) client.publish(telemetryTopicOf('default', 'qos0-1'), telemetry({ level: i }, base + i * 1000), { qos: 0 });
      await discovered(admin, d.id, ['level']);
      const stored = await waitFor(async () => {
        const p = await points(admin, d.id, 'level', base, base + MINUTE);
        return p.length === 10 && p;
      }, 'ten QoS 0 values');
      expect(stored.map((p) => p.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('stamps a message without timestamp with the server time', async () => {
      const d = await device('no-clock-1');
      const client = await connect('default', d);
      await client.publishAsync(telemetryTopicOf('default', 'no-clock-1'), telemetry({ level: 7 }), { qos: 1 });
      await discovered(admin, d.id, ['level']);
      const live = await server.api('GET', `/api/v1/devices/${d.id}/kpis/live`, { token: admin.accessToken });
      expect(live.json.data).toEqual([
        { parameter_key: 'level', display_name: null, unit: null, value: 7, is_stale: false, timestamp: new Date(server.clock.now()).toISOString() },
      ]);
    });
  });

  describe('validation', () => {
    /** One garbage payload per rule, with the reason it is counted under. */
    function garbage(now: number): Array<{ reason: string; payload: string | Buffer }> {
      const tooMany: Record<string, number> = {};
      for (let i = 0; i < 1001; i++) tooMany[`m${i}`] = i;
      return [
        { reason: 'INVALID_JSON', payload: '{"metrics": {"level": 1' },
        { reason: 'INVALID_JSON', payload: Buffer.from([0xff, 0xfe, 0x00, 0x01]) },
        { reason: 'INVALID_SHAPE', payload: '[1, 2, 3]' },
        { reason: 'INVALID_SHAPE', payload: '{"metric": {"level": 1}}' },
        { reason: 'NO_METRICS', payload: '{"metrics": {}}' },
        { reason: 'TOO_MANY_METRICS', payload: JSON.stringify({ metrics: tooMany }) },
        { reason: 'INVALID_METRIC_KEY', payload: '{"metrics": {"level; DROP TABLE": 1}}' },
        { reason: 'INVALID_METRIC_KEY', payload: '{"metrics": {"$SYS/x": 1}}' },
        { reason: 'INVALID_METRIC_KEY', payload: JSON.stringify({ metrics: { ['k'.repeat(101)]: 1 } }) },
        { reason: 'INVALID_METRIC_VALUE', payload: '{"metrics": {"level": 1e999}}' },
        { reason: 'INVALID_METRIC_VALUE', payload: '{"metrics": {"level": null}}' },
        { reason: 'INVALID_METRIC_VALUE', payload: '{"metrics": {"level": {"nested": 1}}}' },
        { reason: 'TIMESTAMP_IN_FUTURE', payload: telemetry({ level: 1 }, now + 2 * 3_600_000) },
        { reason: 'INVALID_TIMESTAMP', payload: telemetry({ level: 1 }, Math.floor(now / 1000)) },
        { reason: 'INVALID_TIMESTAMP', payload: telemetry({ level: 1 }, 'yesterday') },
        { reason: 'PAYLOAD_TOO_LARGE', payload: telemetry({ level: 1, note: 'x'.repeat(MAX_PAYLOAD_BYTES) }) },
      ];
    }

    it("drops and counts each kind of bad message while another device's values keep landing", async () => {
      const noisy = await device('noisy-1');
      const steady = await device('steady-1');
      const noisyClient = await connect('default', noisy);
      const steadyClient = await connect('default', steady);
      const bad = garbage(server.clock.now());
      const reasons = [...new Set(bad.map((b) => b.reason))];
      const before = new Map(await Promise.all(reasons.map(async (r) => [r, await rejected(r)] as const)));

      // Interleaved: the steady device publishes 40 values while the noisy one sends its garbage, several times over.
      const steadyDone = (async () => {
        for (let i = 0; i < 40; i++) await steadyClient.publishAsync(telemetryTopicOf('default', 'steady-1'), telemetry({ flow: i }, base + i * 1000), { qos: 1 });
      })();
      const noisyDone = (async () => {
        for (let round = 0; round < 3; round++) {
          // QoS 1: a rejected message is still acknowledged (resending the same garbage would not help).
          await Promise.all(bad.map((b) => noisyClient.publishAsync(telemetryTopicOf('default', 'noisy-1'), b.payload, { qos: 1 })));
        }
      })();
      await Promise.all([steadyDone, noisyDone]);

      for (const reason of reasons) {
        const expected = bad.filter((b) => b.reason === reason).length * 3;
        expect(await rejected(reason), reason).toBe((before.get(reason) ?? 0) + expected);
      }
      // Every steady value is stored; the noisy device stored nothing and still has its connection.
      await discovered(admin, steady.id, ['flow']);
      const flow = await points(admin, steady.id, 'flow', base, base + MINUTE);
      expect(flow.map((p) => p.value)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(await parametersOf(admin, noisy.id)).toEqual([]);
      expect(noisyClient.connected).toBe(true);

      // A good message afterwards is taken as usual.
      await noisyClient.publishAsync(telemetryTopicOf('default', 'noisy-1'), telemetry({ level: 3 }, base), { qos: 1 });
      await discovered(admin, noisy.id, ['level']);
      expect((await points(admin, noisy.id, 'level', base, base + 1000)).map((p) => p.value)).toEqual([3]);
    });

    it('rejects a whole message when one metric is bad (nothing of it is stored)', async () => {
      const d = await device('atomic-1');
      const client = await connect('default', d);
      await client.publishAsync(telemetryTopicOf('default', 'atomic-1'), '{"metrics": {"good": 1, "bad": 1e999}, "timestamp": ' + String(base) + '}', { qos: 1 });
      await client.publishAsync(telemetryTopicOf('default', 'atomic-1'), telemetry({ other: 2 }, base), { qos: 1 });
      const params = await discovered(admin, d.id, ['other']);
      expect(params.map((p) => p.parameter_key)).toEqual(['other']);
    });
  });

  describe('parameter discovery', () => {
    it('discovers parameters on first sight with their data type', async () => {
      const d = await device('discover-1');
      const client = await connect('default', d);
      await client.publishAsync(
        telemetryTopicOf('default', 'discover-1'),
        telemetry({ temperature: 21.5, cycles: 3, running: true, mode: 'auto', 'line 1/speed.rpm': 1450.25 }, base),
        { qos: 1 },
      );
      const params = await discovered(admin, d.id, ['temperature', 'cycles', 'running', 'mode', 'line 1/speed.rpm']);
      expect(Object.fromEntries(params.map((p) => [p.parameter_key, p.data_type]))).toEqual({
        temperature: 'float',
        cycles: 'int',
        running: 'bool',
        mode: 'string',
        'line 1/speed.rpm': 'float',
      });

      // A later message adds a new parameter and keeps the known ones.
      await client.publishAsync(telemetryTopicOf('default', 'discover-1'), telemetry({ temperature: 22, vibration: 0.02 }, base + 1000), { qos: 1 });
      const more = await discovered(admin, d.id, ['vibration']);
      expect(more.map((p) => p.parameter_key).sort()).toEqual(['cycles', 'line 1/speed.rpm', 'mode', 'running', 'temperature', 'vibration']);

      // Values of each type come back as sent.
      const live = await server.api('GET', `/api/v1/devices/${d.id}/kpis/live`, { token: admin.accessToken });
      const byKey = Object.fromEntries((live.json.data as Array<{ parameter_key: string; value: unknown }>).map((v) => [v.parameter_key, v.value]));
      expect(byKey).toEqual({ temperature: 22, cycles: 3, running: true, mode: 'auto', 'line 1/speed.rpm': 1450.25, vibration: 0.02 });
    });

    it('widens an int parameter to float when a fractional value arrives (JSON 20.0 reads as 20)', async () => {
      const d = await device('widen-1');
      const client = await connect('default', d);
      await client.publishAsync(telemetryTopicOf('default', 'widen-1'), '{"metrics": {"pressure": 20.0}, "timestamp": ' + String(base) + '}', { qos: 1 });
      const first = await discovered(admin, d.id, ['pressure']);
      expect(first.find((p) => p.parameter_key === 'pressure')?.data_type).toBe('int');
      await client.publishAsync(telemetryTopicOf('default', 'widen-1'), telemetry({ pressure: 20.5 }, base + 1000), { qos: 1 });
      await waitFor(async () => (await parametersOf(admin, d.id)).find((p) => p.parameter_key === 'pressure')?.data_type === 'float', 'pressure to become float');
    });

    it('keeps last_seen (the newest reading) and reports the device online', async () => {
      const d = await device('seen-1');
      const before = await server.api('GET', `/api/v1/devices/${d.id}`, { token: admin.accessToken });
      expect(before.json.data).toMatchObject({ status: 'never_seen', last_seen: null });
      const client = await connect('default', d);
      const now = server.clock.now();
      await client.publishAsync(telemetryTopicOf('default', 'seen-1'), telemetry({ level: 1 }, now - 5000), { qos: 1 });
      await client.publishAsync(telemetryTopicOf('default', 'seen-1'), telemetry({ level: 2 }, now - 1000), { qos: 1 });
      // Late data does not move last_seen back.
      await client.publishAsync(telemetryTopicOf('default', 'seen-1'), telemetry({ level: 0 }, now - 60_000), { qos: 1 });
      const seen = await waitFor(async () => {
        const res = await server.api('GET', `/api/v1/devices/${d.id}`, { token: admin.accessToken });
        return res.json.data.last_seen !== null && res.json.data;
      }, 'last_seen to be recorded');
      expect(seen).toMatchObject({ status: 'online', last_seen: new Date(now - 1000).toISOString() });
    });
  });

  describe('tenants', () => {
    it('keeps two factories with the same device key apart', async () => {
      const plant2 = await server.createFactory('plant-2');
      const plant2Admin = await server.login({ factorySlug: 'plant-2', email: plant2.adminEmail, password: plant2.adminPassword });
      const ours = await device('press-1');
      const theirs = await device('press-1', plant2Admin);
      expect(theirs.id).not.toBe(ours.id);

      const oursClient = await connect('default', ours);
      const theirsClient = await connect('plant-2', theirs);
      for (let i = 0; i < 5; i++) {
        const ts = base + i * 1000;
        await Promise.all([
          oursClient.publishAsync(telemetryTopicOf('default', 'press-1'), telemetry({ force: 100 + i, ours_only: 1 }, ts), { qos: 1 }),
          theirsClient.publishAsync(telemetryTopicOf('plant-2', 'press-1'), telemetry({ force: 900 + i, theirs_only: 1 }, ts), { qos: 1 }),
        ]);
      }
      await discovered(admin, ours.id, ['force', 'ours_only']);
      await discovered(plant2Admin, theirs.id, ['force', 'theirs_only']);
      expect((await points(admin, ours.id, 'force', base, base + MINUTE)).map((p) => p.value)).toEqual([100, 101, 102, 103, 104]);
      expect((await points(plant2Admin, theirs.id, 'force', base, base + MINUTE)).map((p) => p.value)).toEqual([900, 901, 902, 903, 904]);
      expect((await parametersOf(admin, ours.id)).map((p) => p.parameter_key).sort()).toEqual(['force', 'ours_only']);
      expect((await parametersOf(plant2Admin, theirs.id)).map((p) => p.parameter_key).sort()).toEqual(['force', 'theirs_only']);

      // Neither factory reaches the other's device through the API: 404, not 403.
      const across = await history(admin, theirs.id, 'force', base, base + MINUTE);
      expect(across.status).toBe(404);
      expect(errorCode(across)).toBe('DEVICE_NOT_FOUND');
      const acrossLive = await server.api('GET', `/api/v1/devices/${ours.id}/kpis/live`, { token: plant2Admin.accessToken });
      expect(acrossLive.status).toBe(404);

      // One factory's key does not sign in as the same key in the other factory.
      expect((await connectRefused(port, { username: 'plant-2/press-1', password: ours.apiKey })).code).toBe(4);
      // Nor may it publish into the other factory's topic.
      const gone = closed(oursClient);
      oursClient.publish(telemetryTopicOf('plant-2', 'press-1'), telemetry({ force: -1 }, base + 10_000), { qos: 1 });
      await gone;
      expect((await points(plant2Admin, theirs.id, 'force', base, base + MINUTE)).map((p) => p.value)).toEqual([900, 901, 902, 903, 904]);
    });
  });

  describe('auto-provisioning', () => {
    it('creates an unknown device signing in with the provisioning key on its first message, only while allowed', async () => {
      const keyRes = await server.api('POST', '/api/v1/factory/provisioning-key', { token: admin.accessToken });
      expect(keyRes.status, keyRes.text).toBe(200);
      const provisioningKey = keyRes.json.data.provisioning_key as string;
      const operator = await server.createUser(server.factory.id, 'operator@ingest.example', 'operator');
      const operatorSession = await server.login({ email: operator.email, password: operator.password });
      expect((await server.api('POST', '/api/v1/factory/provisioning-key', { token: operatorSession.accessToken })).status).toBe(403);

      // A key exists but auto-provisioning is off: refused.
      expect((await connectRefused(port, { username: 'default/auto-sensor-1', password: provisioningKey })).code).toBe(5);

      const on = await server.api('PATCH', '/api/v1/factory', { token: admin.accessToken, body: { allow_auto_provision: true } });
      expect(on.json.data).toMatchObject({ allow_auto_provision: true, has_provisioning_key: true });

      const client = await connectDevice(port, { username: 'default/auto-sensor-1', password: provisioningKey, clientId: 'auto-sensor-1' });
      clients.push(client);
      // Signing in alone creates nothing.
      const listed = async () => (await server.api('GET', '/api/v1/devices?search=auto-sensor-1', { token: admin.accessToken })).json.data as Array<{ id: number; device_key: string }>;
      expect(await listed()).toEqual([]);
      await client.publishAsync(telemetryTopicOf('default', 'auto-sensor-1'), telemetry({ humidity: 41.5 }, base), { qos: 1 });
      const [created] = await listed();
      expect(created).toMatchObject({ device_key: 'auto-sensor-1' });
      await discovered(admin, created!.id, ['humidity']);
      expect((await points(admin, created!.id, 'humidity', base, base + 1000)).map((p) => p.value)).toEqual([41.5]);

      // The provisioning key still only lets a device publish under its own key.
      const gone = closed(client);
      client.publish(telemetryTopicOf('default', 'auto-sensor-2'), telemetry({ humidity: 1 }, base), { qos: 1 });
      await gone;
      expect(await listed()).toHaveLength(1);

      // Switched off again: the key no longer signs in.
      await server.api('PATCH', '/api/v1/factory', { token: admin.accessToken, body: { allow_auto_provision: false } });
      expect((await connectRefused(port, { username: 'default/auto-sensor-3', password: provisioningKey })).code).toBe(5);
    });
  });

  describe('HTTP ingest', () => {
    it('stores values sent with the device API key in X-API-Key', async () => {
      const d = await device('http-1');
      const res = await server.api('POST', '/api/v1/telemetry/ingest', { headers: { 'x-api-key': d.apiKey }, body: { metrics: { voltage: 231.4, state: 'run' }, timestamp: new Date(base).toISOString() } });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual({ data: { device_id: d.id, accepted: 2, timestamp: new Date(base).toISOString() } });
      // Committed when the response comes back.
      await discovered(admin, d.id, ['voltage', 'state']);
      expect((await points(admin, d.id, 'voltage', base, base + 1000)).map((p) => p.value)).toEqual([231.4]);
      // device_key naming the same device is accepted.
      const named = await server.api('POST', '/api/v1/telemetry/ingest', { headers: { 'x-api-key': d.apiKey }, body: { device_key: 'http-1', metrics: { voltage: 229 }, timestamp: base + 1000 } });
      expect(named.status, named.text).toBe(200);
      expect((await points(admin, d.id, 'voltage', base, base + MINUTE)).map((p) => p.value)).toEqual([231.4, 229]);
    });

    it('refuses a missing or wrong key, another device key, and a bad payload (counted)', async () => {
      const d = await device('http-2');
      await device('http-3');
      const body = { metrics: { voltage: 1 }, timestamp: base };
      const none = await server.api('POST', '/api/v1/telemetry/ingest', { body });
      expect([none.status, errorCode(none)]).toEqual([401, 'DEVICE_KEY_INVALID']);
      const wrong = await server.api('POST', '/api/v1/telemetry/ingest', { headers: { 'x-api-key': `${d.apiKey}nope` }, body });
      expect([wrong.status, errorCode(wrong)]).toEqual([401, 'DEVICE_KEY_INVALID']);
      const other = await server.api('POST', '/api/v1/telemetry/ingest', { headers: { 'x-api-key': d.apiKey }, body: { ...body, device_key: 'http-3' } });
      expect([other.status, errorCode(other)]).toEqual([403, 'FORBIDDEN']);

      const before = await rejected('INVALID_METRIC_KEY', 'http');
      const badKey = await server.api('POST', '/api/v1/telemetry/ingest', { headers: { 'x-api-key': d.apiKey }, body: { metrics: { 'no;way': 1 } } });
      expect([badKey.status, errorCode(badKey)]).toEqual([400, 'VALIDATION_FAILED']);
      expect(await rejected('INVALID_METRIC_KEY', 'http')).toBe(before + 1);
      const future = await server.api('POST', '/api/v1/telemetry/ingest', { headers: { 'x-api-key': d.apiKey }, body: { metrics: { v: 1 }, timestamp: server.clock.now() + 3 * 3_600_000 } });
      expect([future.status, errorCode(future)]).toEqual([400, 'VALIDATION_FAILED']);
      expect(await parametersOf(admin, d.id)).toEqual([]);
    });
  });

  describe('KPIs, history and summary', () => {
    it('returns live KPIs with staleness', async () => {
      const d = await device('live-1');
      const client = await connect('default', d);
      const now = server.clock.now();
      await client.publishAsync(telemetryTopicOf('default', 'live-1'), telemetry({ fresh: 1.5 }, now - 30_000), { qos: 1 });
      await client.publishAsync(telemetryTopicOf('default', 'live-1'), telemetry({ old: 2.5 }, now - 11 * MINUTE), { qos: 1 });
      await discovered(admin, d.id, ['fresh', 'old']);
      const res = await server.api('GET', `/api/v1/devices/${d.id}/kpis/live`, { token: admin.accessToken });
      expect(res.status).toBe(200);
      const byKey = Object.fromEntries((res.json.data as Array<{ parameter_key: string }>).map((v) => [v.parameter_key, v]));
      expect(byKey.fresh).toEqual({ parameter_key: 'fresh', display_name: null, unit: null, value: 1.5, is_stale: false, timestamp: new Date(now - 30_000).toISOString() });
      expect(byKey.old).toMatchObject({ value: 2.5, is_stale: true, timestamp: new Date(now - 11 * MINUTE).toISOString() });
    });

    it('reduces history to at most max_points buckets with min, max, count and average', async () => {
      const d = await device('hist-1');
      const client = await connect('default', d);
      // One value a minute for an hour: 0, 1, …, 59.
      await Promise.all(Array.from({ length: 60 }, (_, i) => client.publishAsync(telemetryTopicOf('default', 'hist-1'), telemetry({ speed: i }, base + i * MINUTE), { qos: 1 })));
      await discovered(admin, d.id, ['speed']);

      const res = await history(admin, d.id, 'speed', base, base + 60 * MINUTE, 6);
      expect(res.status, res.text).toBe(200);
      expect(res.json.data).toMatchObject({ parameter: 'speed', interval: '10m' });
      expect(res.json.data.points).toEqual(
        Array.from({ length: 6 }, (_, k) => ({ timestamp: new Date(base + k * 10 * MINUTE).toISOString(), value: k * 10 + 4.5, min: k * 10, max: k * 10 + 9, count: 10 })),
      );

      // Enough room: every value in its own bucket.
      const fine = await points(admin, d.id, 'speed', base, base + 60 * MINUTE, 1000);
      expect(fine.map((p) => [p.value, p.count])).toEqual(Array.from({ length: 60 }, (_, i) => [i, 1]));
      // A window inside the series.
      const window = await points(admin, d.id, 'speed', base + 20 * MINUTE, base + 30 * MINUTE, 1000);
      expect(window.map((p) => p.value)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    });

    it('answers 404 for an unknown parameter and 400 for an empty range', async () => {
      const d = await device('hist-2');
      const unknown = await history(admin, d.id, 'nothing', base, base + MINUTE);
      expect([unknown.status, errorCode(unknown)]).toEqual([404, 'PARAMETER_NOT_FOUND']);
      const backwards = await history(admin, d.id, 'nothing', base + MINUTE, base);
      expect([backwards.status, errorCode(backwards)]).toEqual([400, 'VALIDATION_FAILED']);
      const missing = await server.api('GET', `/api/v1/devices/999999/kpis/history?parameter=x&start=${new Date(base).toISOString()}&end=${new Date(base + 1).toISOString()}`, { token: admin.accessToken });
      expect([missing.status, errorCode(missing)]).toEqual([404, 'DEVICE_NOT_FOUND']);
      const anonymous = await server.api('GET', `/api/v1/devices/${d.id}/kpis/live`);
      expect(anonymous.status).toBe(401);
    });

    it('sums current power over the parameters whose unit is kW or W', async () => {
      const plant3 = await server.createFactory('plant-3');
      const session = await server.login({ factorySlug: 'plant-3', email: plant3.adminEmail, password: plant3.adminPassword });
      const motor = await device('motor-1', session);
      const heater = await device('heater-1', session);
      await device('spare-1', session); // never seen: offline
      const now = server.clock.now();
      const motorClient = await connect('plant-3', motor);
      const heaterClient = await connect('plant-3', heater);
      await motorClient.publishAsync(telemetryTopicOf('plant-3', 'motor-1'), telemetry({ power: 12.5, speed: 1450, mode: 'auto' }, now - 2000), { qos: 1 });
      await heaterClient.publishAsync(telemetryTopicOf('plant-3', 'heater-1'), telemetry({ load: 1500, temperature: 80 }, now - 2000), { qos: 1 });
      const motorParams = await discovered(session, motor.id, ['power', 'speed', 'mode']);
      const heaterParams = await discovered(session, heater.id, ['load', 'temperature']);
      const unit = async (deviceId: number, params: Array<{ parameter_key: string; id: number }>, key: string, value: string) => {
        const id = params.find((p) => p.parameter_key === key)!.id;
        const res = await server.api('PATCH', `/api/v1/devices/${deviceId}/parameters/${id}`, { token: session.accessToken, body: { unit: value } });
        expect(res.status, res.text).toBe(200);
      };
      await unit(motor.id, motorParams, 'power', 'kW');
      await unit(motor.id, motorParams, 'speed', 'rpm');
      await unit(motor.id, motorParams, 'mode', 'kW'); // a string parameter is never power
      await unit(heater.id, heaterParams, 'load', 'W');
      await unit(heater.id, heaterParams, 'temperature', '°C');

      const summary = await waitFor(async () => {
        const res = await server.api('GET', '/api/v1/dashboard/summary', { token: session.accessToken });
        return res.json.data.active_devices === 2 && res.json.data;
      }, 'both devices to be online');
      expect(summary).toMatchObject({ total_devices: 3, active_devices: 2, offline_devices: 1, active_alerts: 0, critical_alerts: 0, current_energy_kw: 14 });
      expect(summary.energy_today_kwh).toBeGreaterThanOrEqual(0);
      expect(summary.health_score).toBe(90);

      // The first factory's summary does not count plant-3's power.
      const ours = await server.api('GET', '/api/v1/dashboard/summary', { token: admin.accessToken });
      expect(ours.json.data.current_energy_kw).toBe(0);
    });
  });
});

describe('MQTT ingest with --allow-anonymous and a moving clock', () => {
  let server: TestServer;
  let admin: Session;

  beforeAll(async () => {
    server = await startTestServer({ config: { allowAnonymous: true } });
    admin = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('accepts anonymous clients for existing devices only, and turns devices offline and values stale as time passes', async () => {
    const d = await createDevice(server.api, admin.accessToken, 'open-1');
    const port = server.running.mqttPort as number;
    const client = await connectDevice(port, { clientId: 'anonymous-open-1' });
    try {
      const now = server.clock.now();
      await client.publishAsync(telemetryTopicOf('default', 'open-1'), telemetry({ level: 5 }, now), { qos: 1 });
      // An unknown device is not created (no provisioning key), and the message is counted.
      const before = await counter(server.api, REJECTED, { reason: 'unknown_device' });
      await client.publishAsync(telemetryTopicOf('default', 'not-registered'), telemetry({ level: 5 }, now), { qos: 1 });
      expect(await counter(server.api, REJECTED, { reason: 'unknown_device' })).toBe(before + 1);

      const online = await waitFor(async () => {
        const res = await server.api('GET', `/api/v1/devices/${d.id}`, { token: admin.accessToken });
        return res.json.data.status === 'online' && res.json.data;
      }, 'open-1 online');
      expect(online.parameters.map((p: { parameter_key: string }) => p.parameter_key)).toEqual(['level']);
      const live = await server.api('GET', `/api/v1/devices/${d.id}/kpis/live`, { token: admin.accessToken });
      expect(live.json.data[0]).toMatchObject({ value: 5, is_stale: false });

      // Ten minutes and a second of silence (the default --offline-after is 600 s).
      server.clock.advance(10 * MINUTE + 1000);
      const later = await server.api('GET', `/api/v1/devices/${d.id}`, { token: admin.accessToken });
      expect(later.json.data.status).toBe('offline');
      const stale = await server.api('GET', `/api/v1/devices/${d.id}/kpis/live`, { token: admin.accessToken });
      expect(stale.json.data[0]).toMatchObject({ value: 5, is_stale: true });
      const summary = await server.api('GET', '/api/v1/dashboard/summary', { token: admin.accessToken });
      expect(summary.json.data).toMatchObject({ total_devices: 1, active_devices: 0, offline_devices: 1 });

      // A new reading brings it back.
      await client.publishAsync(telemetryTopicOf('default', 'open-1'), telemetry({ level: 6 }, server.clock.now()), { qos: 1 });
      await waitFor(async () => (await server.api('GET', `/api/v1/devices/${d.id}`, { token: admin.accessToken })).json.data.status === 'online', 'open-1 online again');
    } finally {
      await client.endAsync(true);
    }
  });
});
