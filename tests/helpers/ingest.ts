/**
 * Helpers for the ingest suites: devices created through the API, real mqtt.js device
 * clients (MQTT 3.1.1, what the embedded broker speaks), Prometheus counters read back from
 * /api/v1/metrics, and bounded waits for things that happen in the background.
 *
 *   const device = await createDevice(server.api, admin.accessToken, 'press-1');
 *   const client = await connectDevice(port, { username: `default/${device.deviceKey}`, password: device.apiKey });
 *   await client.publishAsync(telemetryTopicOf('default', 'press-1'), JSON.stringify({ metrics: { t: 1 } }), { qos: 1 });
 *   await waitFor(async () => (await counter(server.api, 'factoryops_telemetry_rejected_total', { reason: 'INVALID_JSON' })) > 0);
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { ApiClient } from './test-server.js';

export interface CreatedDevice {
  id: number;
  deviceKey: string;
  apiKey: string;
}

/** POST /api/v1/devices as an admin; fails the test on anything but 201. */
export async function createDevice(api: ApiClient, token: string, deviceKey: string, extra: Record<string, unknown> = {}): Promise<CreatedDevice> {
  const res = await api('POST', '/api/v1/devices', { token, body: { device_key: deviceKey, name: deviceKey, ...extra } });
  if (res.status !== 201) throw new Error(`create device ${deviceKey}: ${res.status} ${res.text}`);
  return { id: res.json.data.id, deviceKey, apiKey: res.json.data.api_key };
}

export function telemetryTopicOf(factorySlug: string, deviceKey: string): string {
  return `factories/${factorySlug}/devices/${deviceKey}/telemetry`;
}

/** A CONNACK refusal as mqtt.js reports it (`code` is the MQTT 3.1.1 return code). */
export interface ConnectRefusal extends Error {
  code?: number;
}

/**
 * Connects one device client and resolves once the broker accepted it (CONNACK 0). Rejects
 * with the client's error on a refused CONNACK, or when the socket closes first. Never
 * reconnects on its own, so a test sees exactly what the broker did.
 */
export function connectDevice(port: number, options: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 20_000,
      clean: true,
      ...options,
    });
    const cleanup = () => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    };
    const onConnect = () => {
      cleanup();
      // Later errors (a refused publish closes the socket) are the test's business: keep an
      // 'error' listener so they never crash the worker.
      client.on('error', () => {});
      resolve(client);
    };
    const onError = (error: Error) => {
      cleanup();
      client.end(true);
      reject(error);
    };
    const onClose = () => {
      cleanup();
      client.end(true);
      reject(new Error('connection closed before CONNACK'));
    };
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

/** The refusal of a connection attempt that is expected to fail (throws if it succeeds). */
export async function connectRefused(port: number, options: IClientOptions = {}): Promise<ConnectRefusal> {
  try {
    const client = await connectDevice(port, options);
    await client.endAsync(true);
  } catch (error) {
    return error as ConnectRefusal;
  }
  throw new Error(`connection as ${options.username ?? '(anonymous)'} was accepted`);
}

/** Connects as `{slug}/{key}` with the key's API key as password. */
export function connectAs(port: number, factorySlug: string, device: { deviceKey: string; apiKey: string }, options: IClientOptions = {}): Promise<MqttClient> {
  return connectDevice(port, {
    username: `${factorySlug}/${device.deviceKey}`,
    password: device.apiKey,
    clientId: `t-${factorySlug}-${device.deviceKey}-${Math.random().toString(16).slice(2, 10)}`,
    ...options,
  });
}

/** Resolves when the client's connection closes (or at once if it is closed already). */
export function closed(client: MqttClient): Promise<void> {
  if (!client.connected && !client.reconnecting) return Promise.resolve();
  return new Promise((resolve) => client.once('close', () => resolve()));
}

/** JSON telemetry as devices send it. */
export function telemetry(metrics: Record<string, unknown>, timestamp?: number | string): string {
  return JSON.stringify(timestamp === undefined ? { metrics } : { metrics, timestamp });
}

/**
 * Sum of a Prometheus counter from /api/v1/metrics over the series whose labels include
 * `labels` (0 when none matches yet).
 */
export async function counter(api: ApiClient, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await api('GET', '/api/v1/metrics');
  if (res.status !== 200) throw new Error(`GET /api/v1/metrics: ${res.status}`);
  return sumMetric(res.text, name, labels);
}

export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(pair[1] as string, pair[2] as string);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) total += Number(match[4]);
  }
  return total;
}

/**
 * Polls `probe` until it returns something other than undefined/false, then returns that.
 * Bounded: throws with `what` after `timeoutMs`. For effects that happen in the background
 * (parameter discovery, last_seen, live pushes); never a statement about how fast they are.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
