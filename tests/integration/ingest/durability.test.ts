/**
 * QoS 1 durability across a crash: the real `factoryops serve` (compiled dist/, so run
 * `npx tsc -b` / `npm test` first) takes QoS 1 telemetry from several devices at once, is
 * killed with SIGKILL in the middle of the load, and is started again on the same data
 * directory. Every message whose PUBACK a device received must be stored — counted back
 * through the history API — and nothing that was never sent may appear.
 *
 * Each message carries its sequence number both as a value and in its timestamp
 * (base + seq ms), so the history at 1 ms buckets lists exactly the stored sequence numbers.
 *
 * The same for external broker mode against the real Mosquitto on 127.0.0.1:1883: there the
 * device's PUBACK comes from Mosquitto, and the server acknowledges to Mosquitto only after
 * storing, so every message Mosquitto accepted must be stored once the killed server is back
 * (Mosquitto redelivers what the server had not acknowledged, from its persistent session).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { connectAs, createDevice, telemetry, telemetryTopicOf, waitFor, type CreatedDevice } from '../../helpers/ingest.js';
import { apiClient, freePort, type ApiClient } from '../../helpers/test-server.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'factoryops.js');
const ADMIN_PASSWORD = 'durability-admin-passphrase';
const PUBLISHERS = 4;
/** QoS 1 messages each publisher keeps in flight. */
const WINDOW = 64;
/** Load ends at the kill: once this many PUBACKs arrived in total, or after LOAD_LIMIT_MS. */
const KILL_AFTER_ACKS = 20_000;
const LOAD_LIMIT_MS = 15_000;
/** The history API returns at most 100 000 buckets; stay below so every seq has its own. */
const MAX_SEQ_PER_PUBLISHER = 90_000;

interface ServeProcess {
  child: ChildProcess;
  api: ApiClient;
  mqttPort: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

/** The runner's environment without FACTORYOPS_* settings, plus the admin password for the first start. */
function serveEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FACTORYOPS_') && !k.startsWith('SMTP_')) env[k] = v;
  return { ...env, FACTORYOPS_ADMIN_PASSWORD: ADMIN_PASSWORD };
}

async function serve(dataDir: string, extraArgs: string[] = []): Promise<ServeProcess> {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const args = ['serve', '--no-tls', '--host', '127.0.0.1', '--data-dir', dataDir, '--http-port', String(httpPort), '--mqtt-port', String(mqttPort), '--log-level', 'warn', ...extraArgs];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: serveEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      done({ code, signal });
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const api = apiClient(`http://127.0.0.1:${httpPort}`);
  await waitFor(
    async () => {
      if (gone) throw new Error(`serve exited before it was ready:\n${output}`);
      return (await api('GET', '/health')).status === 200;
    },
    'the server to answer /health',
    30_000,
    100,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${output}`);
  });
  return { child, api, mqttPort, exited, output: () => output };
}

async function login(api: ApiClient): Promise<string> {
  const res = await api('POST', '/api/v1/auth/login', { body: { factory_slug: 'default', email: 'admin@factoryops.local', password: ADMIN_PASSWORD } });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
  return res.json.access_token as string;
}

/** Publishes QoS 1 messages with rising sequence numbers, WINDOW in flight, until stopped. */
class Publisher {
  readonly acked = new Set<number>();
  sent = 0;
  private inFlight = 0;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly client: MqttClient,
    private readonly topic: string,
    private readonly base: number,
  ) {
    client.on('close', () => this.stop());
  }

  async run(): Promise<void> {
    while (!this.stopped && this.sent < MAX_SEQ_PER_PUBLISHER) {
      if (this.inFlight >= WINDOW) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const seq = ++this.sent;
      this.inFlight++;
      // A tag group as devices send it: the sequence number plus a few readings.
      const payload = telemetry({ seq, pressure: 4 + (seq % 100) / 100, temperature: 20 + (seq % 7), running: seq % 2 === 0 }, this.base + seq);
      this.client.publish(this.topic, payload, { qos: 1 }, (error) => {
        this.inFlight--;
        // Only a PUBACK calls back without an error.
        if (!error) this.acked.add(seq);
        const wake = this.wake;
        this.wake = null;
        wake?.();
      });
      // Let the socket and the acknowledgements through now and then.
      if (seq % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  stop(): void {
    this.stopped = true;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('QoS 1 durability across SIGKILL', () => {
  it('stores every acknowledged message after the server is killed under load and restarted', async () => {
    expect(existsSync(join(ROOT, 'dist', 'server', 'main.js')), 'dist/ is missing: run `npx tsc -b` first').toBe(true);
    const dataDir = mkdtempSync(join(tmpdir(), 'fo-durability-'));
    tempDirs.push(dataDir);

    const first = await serve(dataDir);
    const token = await login(first.api);
    const devices: CreatedDevice[] = [];
    for (let i = 0; i < PUBLISHERS; i++) devices.push(await createDevice(first.api, token, `dur-${i}`));
    // Two days back: base + seq stays in the past however many messages go through.
    const base = Date.now() - 2 * 86_400_000;

    // Discovery runs in the background: let it finish before the load, so the history API
    // knows the parameter after the crash (seq 0 is not part of the count).
    const clients = await Promise.all(devices.map((d) => connectAs(first.mqttPort, 'default', d, { keepalive: 5 })));
    await Promise.all(clients.map((c, i) => c.publishAsync(telemetryTopicOf('default', devices[i]!.deviceKey), telemetry({ seq: 0 }, base), { qos: 1 })));
    await waitFor(async () => {
      for (const d of devices) {
        const res = await first.api('GET', `/api/v1/devices/${d.id}`, { token });
        if (!(res.json.data.parameters as Array<{ parameter_key: string }>).some((p) => p.parameter_key === 'seq')) return false;
      }
      return true;
    }, 'parameter discovery');

    const publishers = clients.map((c, i) => new Publisher(c, telemetryTopicOf('default', devices[i]!.deviceKey), base));
    const running = publishers.map((p) => p.run());
    const ackedTotal = () => publishers.reduce((n, p) => n + p.acked.size, 0);
    // Mid-load: the kill comes while every publisher has messages in flight.
    await waitFor(() => ackedTotal() >= KILL_AFTER_ACKS, 'acknowledgements under load', LOAD_LIMIT_MS).catch(() => undefined);
    first.child.kill('SIGKILL');
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    for (const p of publishers) p.stop();
    await Promise.all(running);
    await Promise.all(clients.map((c) => c.endAsync(true)));

    const acked = publishers.map((p) => new Set(p.acked));
    const sent = publishers.map((p) => p.sent);
    expect(ackedTotal(), 'some messages were acknowledged before the kill').toBeGreaterThan(0);
    // Mid-load: more was sent than acknowledged.
    expect(sent.reduce((a, b) => a + b, 0)).toBeGreaterThan(ackedTotal());

    const second = await serve(dataDir);
    try {
      const token2 = await login(second.api);
      let storedTotal = 0;
      for (let i = 0; i < PUBLISHERS; i++) {
        const device = devices[i]!;
        const n = sent[i]!;
        const query = new URLSearchParams({
          parameter: 'seq',
          start: new Date(base + 1).toISOString(),
          end: new Date(base + n + 1).toISOString(),
          max_points: String(n),
        });
        const res = await second.api('GET', `/api/v1/devices/${device.id}/kpis/history?${query.toString()}`, { token: token2 });
        expect(res.status, res.text).toBe(200);
        expect(res.json.data.bucket_ms).toBe(1);
        const points = res.json.data.points as Array<{ timestamp: string; value: number; count: number }>;
        const stored = new Set<number>();
        for (const p of points) {
          // One message per millisecond, and its value is the seq of its timestamp.
          expect(p.count).toBe(1);
          expect(Date.parse(p.timestamp) - base).toBe(p.value);
          stored.add(p.value);
        }
        const lost = [...acked[i]!].filter((seq) => !stored.has(seq));
        expect(lost, `${device.deviceKey}: ${lost.length} of ${acked[i]!.size} acknowledged messages lost`).toEqual([]);
        expect([...stored].every((seq) => seq >= 1 && seq <= n)).toBe(true);
        storedTotal += stored.size;
      }
      expect(storedTotal).toBeGreaterThanOrEqual(ackedTotal());

      // The restarted server takes new data as usual.
      const again = await connectAs(second.mqttPort, 'default', devices[0]!);
      await again.publishAsync(telemetryTopicOf('default', devices[0]!.deviceKey), telemetry({ seq: -1 }, base + MAX_SEQ_PER_PUBLISHER + 10), { qos: 1 });
      await again.endAsync(true);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 120_000);
});

/** The `seq` values stored for a device in (base, base + n], read through the history API at 1 ms buckets. */
async function storedSeqs(api: ApiClient, token: string, deviceId: number, base: number, n: number): Promise<Set<number>> {
  const query = new URLSearchParams({ parameter: 'seq', start: new Date(base + 1).toISOString(), end: new Date(base + n + 1).toISOString(), max_points: String(n) });
  const res = await api('GET', `/api/v1/devices/${deviceId}/kpis/history?${query.toString()}`, { token });
  expect(res.status, res.text).toBe(200);
  expect(res.json.data.bucket_ms).toBe(1);
  const stored = new Set<number>();
  for (const p of res.json.data.points as Array<{ timestamp: string; value: number; count: number }>) {
    expect(p.count).toBe(1);
    expect(Date.parse(p.timestamp) - base).toBe(p.value);
    stored.add(p.value);
  }
  return stored;
}

describe('QoS 1 durability across SIGKILL with an external broker (real Mosquitto)', () => {
  const BROKER_URL = 'mqtt://127.0.0.1:1883';
  /** Messages published at once; the kill lands a few ms after the last burst before it. */
  const BURST = 300;
  const BURSTS_BEFORE_KILL = 3;

  it('stores every message the broker accepted after the server is killed mid-stream and restarted', async () => {
    const run = randomBytes(4).toString('hex');
    const clientId = `fo-dur-${run}`;
    const brokerArgs = ['--mqtt-url', BROKER_URL, '--mqtt-share-group', `fo-dur-${run}`, '--mqtt-client-id', clientId];
    const dataDir = mkdtempSync(join(tmpdir(), 'fo-durability-ext-'));
    tempDirs.push(dataDir);
    const publisher = await mqtt.connectAsync(BROKER_URL, { protocolVersion: 4, clientId: `fo-dur-dev-${run}`, reconnectPeriod: 0 }).catch((error: unknown) => {
      throw new Error(`no MQTT broker at ${BROKER_URL} (start Mosquitto: .ci/services.sh): ${String(error)}`);
    });
    try {
      const first = await serve(dataDir, brokerArgs);
      const token = await login(first.api);
      // A key no other run uses: other servers subscribed to the same broker drop it as unknown.
      const device = await createDevice(first.api, token, `dur-ext-${run}`);
      const topic = telemetryTopicOf('default', device.deviceKey);
      const base = Date.now() - 2 * 86_400_000;
      await publisher.publishAsync(topic, telemetry({ seq: 0 }, base), { qos: 1 });
      await waitFor(async () => {
        const res = await first.api('GET', `/api/v1/devices/${device.id}`, { token });
        return (res.json.data.parameters as Array<{ parameter_key: string }>).some((p) => p.parameter_key === 'seq');
      }, 'parameter discovery through the external broker');

      // Bursts of messages; the broker's PUBACK to the device is what counts as accepted. The
      // next burst waits until the server has stored the previous one, so the broker never
      // queues more than its limit for the server's session (it would drop the excess).
      const accepted = new Set<number>();
      let seq = 0;
      const burst = () => {
        for (let i = 0; i < BURST; i++) {
          const s = ++seq;
          publisher.publish(topic, telemetry({ seq: s }, base + s), { qos: 1 }, (error) => {
            if (!error) accepted.add(s);
          });
        }
      };
      for (let i = 0; i < BURSTS_BEFORE_KILL; i++) {
        burst();
        await waitFor(async () => (await storedSeqs(first.api, token, device.id, base, seq)).size === seq, `the server storing burst ${i + 1}`, 60_000, 100);
      }
      // A few ms after a burst: the server holds part of it, received but not yet committed.
      burst();
      const killedAt = seq;
      await new Promise((resolve) => setTimeout(resolve, 3));
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      // More while the server is down: these wait in its broker session.
      burst();
      await waitFor(() => accepted.size === seq, 'the broker acknowledging every message', 20_000);

      const second = await serve(dataDir, brokerArgs);
      try {
        const token2 = await login(second.api);
        let stored = new Set<number>();
        await waitFor(
          async () => {
            stored = await storedSeqs(second.api, token2, device.id, base, seq);
            return stored.size >= accepted.size;
          },
          'the redelivered and queued messages',
          30_000,
          250,
        ).catch(() => undefined);
        const lost = [...accepted].filter((s) => !stored.has(s));
        expect(lost, `${lost.length} of ${accepted.size} messages the broker accepted were not stored (killed after ${killedAt})`).toEqual([]);
        expect(stored.size).toBe(accepted.size);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      await publisher.endAsync(true);
      // Drop the server's persistent session at the broker (clean start, no expiry).
      const cleaner = await mqtt.connectAsync(BROKER_URL, { clientId, protocolVersion: 5, clean: true, properties: { sessionExpiryInterval: 0 }, reconnectPeriod: 0 }).catch(() => null);
      await cleaner?.endAsync();
    }
  }, 120_000);
});
