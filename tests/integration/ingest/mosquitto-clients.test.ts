/**
 * The embedded broker as a device nobody here wrote sees it: Eclipse Mosquitto's command-line
 * client (`mosquitto_pub`, Debian package mosquitto-clients; .ci/services.sh installs it)
 * publishing to a real in-process server over plain MQTT and over MQTTS with the site
 * certificate, and mqtt.js over MQTT-over-WebSocket.
 *
 * Proves: device credentials are accepted and the value is stored; a wrong key, an unknown
 * device and another factory's credentials are refused (CONNACK) and counted; publishing on
 * another device's or another factory's topic closes the connection, is counted and stores
 * nothing; garbage from one device is counted and dropped while another device's values keep
 * landing; TLS clients verify the server against the site certificate (and fail without it).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter, createDevice, telemetry, telemetryTopicOf, waitFor, type CreatedDevice } from '../../helpers/ingest.js';
import { startTestServer, type Session, type TestServer } from '../../helpers/test-server.js';

const REJECTED = 'factoryops_telemetry_rejected_total';

interface PubResult {
  code: number;
  stderr: string;
}

/** Runs mosquitto_pub with `args`; resolves with its exit code and stderr (never rejects on a non-zero exit). */
function mosquittoPub(args: string[], stdin?: string): Promise<PubResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('mosquitto_pub', ['-h', '127.0.0.1', '-V', 'mqttv311', '-i', `pub-${randomBytes(4).toString('hex')}`, ...args], { timeout: 20_000 }, (error, _stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('mosquitto_pub is not installed: apt-get install mosquitto-clients (see .ci/services.sh)'));
        return;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

describe('embedded broker with mosquitto_pub and other real clients', () => {
  let server: TestServer;
  let admin: Session;
  let port: number;
  let pressA: CreatedDevice;
  let pressB: CreatedDevice;
  let otherFactory: { id: number; slug: string; device: CreatedDevice };

  /** The server's clock stands still in tests: each message gets its own, later timestamp. */
  let tick = 0;
  const at = () => server.clock.now() - 3_600_000 + ++tick * 1_000;

  const as = (slug: string, d: CreatedDevice) => ['-u', `${slug}/${d.deviceKey}`, '-P', d.apiKey];

  /** Newest stored value per parameter, read from the series store (what a PUBACK promises). */
  async function latest(deviceId: number, factoryId = server.factory.id): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const v of await server.running.series.latest(factoryId, deviceId)) out[v.parameter] = v.value;
    return out;
  }

  beforeAll(async () => {
    server = await startTestServer({ config: { mqttWsPort: 0, mqttsPort: 0 } });
    admin = await server.login();
    port = server.running.mqttPort as number;
    pressA = await createDevice(server.api, admin.accessToken, 'press-a');
    pressB = await createDevice(server.api, admin.accessToken, 'press-b');
    const plant = await server.createFactory('plant-mosq');
    const plantAdmin = await server.login({ factorySlug: plant.slug, email: plant.adminEmail, password: plant.adminPassword });
    otherFactory = { id: plant.id, slug: plant.slug, device: await createDevice(server.api, plantAdmin.accessToken, 'press-a') };
  });
  afterAll(async () => {
    await server?.close();
  });

  it('accepts a device signing in with its key and stores what it publishes (QoS 0 and 1)', async () => {
    const q1 = await mosquittoPub(['-p', String(port), ...as('default', pressA), '-q', '1', '-t', telemetryTopicOf('default', 'press-a'), '-m', telemetry({ pressure: 4.25 }, at())]);
    expect(q1, q1.stderr).toEqual({ code: 0, stderr: '' });
    // QoS 1: mosquitto_pub exits after the PUBACK, which is sent only after the commit.
    expect((await latest(pressA.id)).pressure).toBe(4.25);
    const q0 = await mosquittoPub(['-p', String(port), ...as('default', pressA), '-q', '0', '-t', telemetryTopicOf('default', 'press-a'), '-m', telemetry({ stroke: 12 })]);
    expect(q0.code, q0.stderr).toBe(0);
    await waitFor(async () => (await latest(pressA.id)).stroke === 12, 'the QoS 0 value');
  });

  it('refuses a wrong key, an unknown device, no credentials and a key used across factories, and counts each', async () => {
    const topic = telemetryTopicOf('default', 'press-a');
    const before = {
      badKey: await counter(server.api, REJECTED, { source: 'mqtt', reason: 'auth_bad_key' }),
      unknown: await counter(server.api, REJECTED, { source: 'mqtt', reason: 'auth_unknown_device' }),
    };
    const wrongKey = await mosquittoPub(['-p', String(port), '-u', 'default/press-a', '-P', `${pressA.apiKey}x`, '-q', '1', '-t', topic, '-m', telemetry({ pressure: 99 }, at())]);
    expect(wrongKey.code).not.toBe(0);
    expect(wrongKey.stderr).toMatch(/bad user name or password/i);
    const unknown = await mosquittoPub(['-p', String(port), '-u', 'default/ghost', '-P', pressA.apiKey, '-q', '1', '-t', telemetryTopicOf('default', 'ghost'), '-m', telemetry({ pressure: 99 }, at())]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/not authori[sz]ed/i);
    const anonymous = await mosquittoPub(['-p', String(port), '-q', '1', '-t', topic, '-m', telemetry({ pressure: 99 }, at())]);
    expect(anonymous.code).not.toBe(0);
    // The other factory's press-a key does not open this factory's press-a.
    const crossFactory = await mosquittoPub(['-p', String(port), '-u', 'default/press-a', '-P', otherFactory.device.apiKey, '-q', '1', '-t', topic, '-m', telemetry({ pressure: 99 }, at())]);
    expect(crossFactory.code).not.toBe(0);

    expect(await counter(server.api, REJECTED, { source: 'mqtt', reason: 'auth_bad_key' })).toBe(before.badKey + 2);
    expect(await counter(server.api, REJECTED, { source: 'mqtt', reason: 'auth_unknown_device' })).toBe(before.unknown + 1);
    expect((await latest(pressA.id)).pressure).not.toBe(99);
  });

  it("closes the connection of a device publishing on another device's or another factory's topic, counts it, stores nothing", async () => {
    const before = await counter(server.api, REJECTED, { source: 'mqtt', reason: 'topic_not_allowed' });
    const targets = [
      telemetryTopicOf('default', 'press-b'), // another device of the same factory
      telemetryTopicOf('plant-mosq', 'press-a'), // the same device key in another factory
      'factories/default/devices/press-a/../press-b/telemetry',
      'some/other/topic',
    ];
    for (const topic of targets) {
      const res = await mosquittoPub(['-p', String(port), ...as('default', pressA), '-q', '1', '-t', topic, '-m', telemetry({ intruder: 1 })]);
      expect(res.code, `${topic}: ${res.stderr}`).not.toBe(0);
    }
    expect(await counter(server.api, REJECTED, { source: 'mqtt', reason: 'topic_not_allowed' })).toBe(before + targets.length);
    expect(await latest(pressB.id)).toEqual({});
    expect(await latest(otherFactory.device.id, otherFactory.id)).toEqual({});
    expect(await latest(pressA.id)).not.toHaveProperty('intruder');
  });

  it("counts and drops one device's garbage while another device's values keep landing", async () => {
    const garbage = [
      'not json at all',
      '{"metrics":',
      '{"metrics":{"temperature":"NaN-ish","ok":1},"timestamp":"yesterday"}',
      '{"metrics":{"bad key!":1}}',
      '[]',
      '{"metrics":{}}',
      '{"metrics":{"t":1},"timestamp":99999999999999}',
    ];
    const rejectedBefore = await counter(server.api, REJECTED, { source: 'mqtt' });
    // press-a streams garbage lines (-l: one message per line) while press-b publishes valid values.
    const noisy = mosquittoPub(['-p', String(port), ...as('default', pressA), '-q', '1', '-t', telemetryTopicOf('default', 'press-a'), '-l'], `${[...garbage, ...garbage, ...garbage].join('\n')}\n`);
    const valid: Promise<PubResult>[] = [];
    for (let i = 1; i <= 5; i++) {
      valid.push(mosquittoPub(['-p', String(port), ...as('default', pressB), '-q', '1', '-t', telemetryTopicOf('default', 'press-b'), '-m', telemetry({ count: i }, at())]));
    }
    const results = await Promise.all([noisy, ...valid]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(await counter(server.api, REJECTED, { source: 'mqtt' })).toBeGreaterThanOrEqual(rejectedBefore + garbage.length * 3);
    expect((await latest(pressB.id)).count).toBe(5);
    // The noisy device stays usable: its connection was never the problem, its payloads were.
    const after = await mosquittoPub(['-p', String(port), ...as('default', pressA), '-q', '1', '-t', telemetryTopicOf('default', 'press-a'), '-m', telemetry({ pressure: 4.5 }, at())]);
    expect(after.code, after.stderr).toBe(0);
    expect((await latest(pressA.id)).pressure).toBe(4.5);
  });

  it('serves MQTTS with the site certificate: verified with it, refused without it', async () => {
    const tlsPort = server.running.mqttsPort as number;
    expect(tlsPort).toBeGreaterThan(0);
    const cafile = server.running.layout.certFile;
    const ok = await mosquittoPub(['-p', String(tlsPort), '--cafile', cafile, ...as('default', pressA), '-q', '1', '-t', telemetryTopicOf('default', 'press-a'), '-m', telemetry({ pressure: 5.5 }, at())]);
    expect(ok, ok.stderr).toEqual({ code: 0, stderr: '' });
    expect((await latest(pressA.id)).pressure).toBe(5.5);
    // Same rules as plain MQTT over TLS: a wrong key is refused.
    const wrongKey = await mosquittoPub(['-p', String(tlsPort), '--cafile', cafile, '-u', 'default/press-a', '-P', 'wrong-key-0000000', '-q', '1', '-t', telemetryTopicOf('default', 'press-a'), '-m', telemetry({ pressure: 99 }, at())]);
    expect(wrongKey.code).not.toBe(0);
    // A client that trusts only the system CAs does not accept the self-signed site certificate.
    const untrusted = await mosquittoPub(['-p', String(tlsPort), '--capath', '/etc/ssl/certs', ...as('default', pressA), '-q', '1', '-t', telemetryTopicOf('default', 'press-a'), '-m', telemetry({ pressure: 99 }, at())]);
    expect(untrusted.code).not.toBe(0);
    expect((await latest(pressA.id)).pressure).toBe(5.5);
  });

  it('serves MQTT over WebSocket on /mqtt with the same sign-in and topic rules', async () => {
    const url = `ws://127.0.0.1:${server.running.mqttWsPort as number}/mqtt`;
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, username: 'default/press-b', password: pressB.apiKey, reconnectPeriod: 0, clientId: `ws-${randomBytes(4).toString('hex')}` });
    try {
      await client.publishAsync(telemetryTopicOf('default', 'press-b'), telemetry({ flow: 7.25 }, at()), { qos: 1 });
      expect((await latest(pressB.id)).flow).toBe(7.25);
    } finally {
      await client.endAsync(true);
    }
    await expect(
      mqtt.connectAsync(url, { protocolVersion: 4, username: 'default/press-b', password: 'wrong-key-0000000', reconnectPeriod: 0 }),
    ).rejects.toThrow(/bad user ?name or password/i);
  });
});
