/**
 * Ingest benchmark (`npm run bench:ingest`).
 *
 * The real server runs in this process (no TLS, silent logger, temp data dir, real clock); the
 * device fleet runs in a forked load-generator process (this same file with --load-generator),
 * so the server has its own event loop and the machine's other core drives the load. All
 * traffic stays on 127.0.0.1.
 *
 * Figures, each beside what it is compared with:
 * - throughput at QoS 0 and QoS 1: N devices × M metrics per message, as fast as a window of
 *   in-flight messages per device allows; values/s and messages/s counted back from the series
 *   store (rows actually inserted), against the same publishers through a bare Aedes broker
 *   (`Aedes.createBroker({ concurrency: 0 })` + `net.createServer(aedes.handle)`) to one no-op
 *   subscriber;
 * - latency at half the QoS 1 maximum: publish → PUBACK (= stored) and publish → WebSocket
 *   client (the publish time rides in a metric), p50/p99;
 * - history: 30 days of 1 Hz for one parameter (2.6 M values) reduced to 2000 points through
 *   GET /devices/:id/kpis/history, median of 10 calls;
 * - the same two throughput runs with SeriesStore.write() replaced by a counter: what the rest of
 *   the server allows, i.e. an upper bound, and the store's cost per message;
 * - the server's RSS (this process; the load generator is separate).
 *
 * Environment: BENCH_DEVICES, BENCH_METRICS, BENCH_MEASURE_MS, BENCH_WINDOW change the load;
 * BENCH_PROFILE=<dir> writes a CPU profile of the server process per server scenario
 * (open in Chrome DevTools or speedscope); BENCH_DATA_PARENT=<dir> puts the temp data
 * directory there (default: the OS temp dir; /dev/shm separates CPU from disk cost).
 *
 * The machine's load and Linux pressure (PSI) are printed before and after: on a shared
 * machine other processes' CPU and I/O show up in these figures.
 */
// First: the server's V8 settings, as bin/factoryops.js applies them.
import '../../server/observe/v8-tuning.js';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { fmt, loopDelayOf, machineState, percentiles, printTable, profiled, type LoopDelay, type Percentiles, type Row } from './bench-kit.js';

// ------------------------------------------------------------------------------------ settings

const DEVICES = Number(process.env.BENCH_DEVICES ?? 50);
const METRICS = Number(process.env.BENCH_METRICS ?? 50);
/** Measured window per throughput scenario, after the warm-up. */
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 10_000);
const WARMUP_MS = 2_000;
/** Messages each device keeps in flight (QoS 1: unacknowledged; QoS 0: not yet written). */
const WINDOW = Number(process.env.BENCH_WINDOW ?? 16);
const HISTORY_DAYS = 30;
const HISTORY_POINTS = 2000;
const HISTORY_CALLS = 10;
const PROFILE_DIR = process.env.BENCH_PROFILE ?? '';
const DATA_PARENT = process.env.BENCH_DATA_PARENT || tmpdir();

const TARGETS = {
  valuesPerSecond: 100_000,
  baselineShare: 0.5,
  p99Ms: 50,
  historyMs: 50,
};

// ------------------------------------------------------------------------------------ protocol

interface DeviceCredentials {
  key: string;
  apiKey: string | null;
}

type ToLoad =
  | { type: 'connect'; port: number; slug: string; devices: DeviceCredentials[]; subscriber: boolean }
  | { type: 'run'; qos: 0 | 1; window: number; ratePerSecond: number; stampSentAt: boolean; measureAfterMs: number }
  | { type: 'stop' }
  | { type: 'ws'; url: string; token: string; deviceIds: number[] }
  | { type: 'disconnect' }
  | { type: 'exit' };

type FromLoad =
  | { type: 'connected' }
  | { type: 'running' }
  | { type: 'ws-ready' }
  | {
      type: 'done';
      published: number;
      acked: number;
      errors: number;
      puback: Percentiles | null;
      ws: Percentiles | null;
      subscriberReceived: number;
      /** The load generator's own event-loop delay while measuring, ms (its share of the latency). */
      loopDelay: LoopDelay;
    }
  | { type: 'disconnected' }
  | { type: 'error'; message: string };

/** Wall-clock time with sub-millisecond resolution (one process: comparable with itself). */
function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

// ------------------------------------------------------------------------------ load generator

async function loadGenerator(): Promise<void> {
  const send = (message: FromLoad) => process.send?.(message);
  process.on('disconnect', () => process.exit(0));

  interface Device {
    key: string;
    topic: string;
    client: MqttClient;
    seq: number;
    inFlight: number;
    base: number;
    timer: NodeJS.Timeout | null;
  }
  let devices: Device[] = [];
  let subscriber: MqttClient | null = null;
  let subscriberReceived = 0;
  let ws: WebSocket | null = null;
  let running = false;
  let measuring = false;
  let counters = { published: 0, acked: 0, errors: 0 };
  let pubackSamples: number[] = [];
  let wsSamples: number[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });

  // 16 pre-built metric sets (49 metrics each), so values vary without building JSON per value.
  const VARIANTS = 16;
  const prefixes = Array.from({ length: VARIANTS }, (_, v) => {
    const parts: string[] = [];
    for (let i = 0; i < METRICS - 1; i++) parts.push(`"m${String(i).padStart(2, '0')}":${(v * 0.37 + i * 1.1).toFixed(3)}`);
    return `{"metrics":{${parts.join(',')}`;
  });

  const payload = (d: Device, stampSentAt: boolean): string => {
    const seq = ++d.seq;
    const last = stampSentAt ? `"sent_at":${wallNow()}` : `"m${METRICS - 1}":${seq % 1000}`;
    // One message per device per millisecond of its own timeline: no (series, ts) repeats.
    return `${prefixes[seq % VARIANTS]},${last}},"timestamp":${d.base + seq}}`;
  };

  const connect = (port: number, slug: string, creds: DeviceCredentials, index: number) =>
    new Promise<Device>((resolve, reject) => {
      const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
        protocolVersion: 4,
        clientId: `bench-${creds.key}-${index}`,
        ...(creds.apiKey ? { username: `${slug}/${creds.key}`, password: creds.apiKey } : {}),
        reconnectPeriod: 0,
        clean: true,
        keepalive: 60,
      });
      client.once('connect', () => {
        client.on('error', () => {});
        resolve({ key: creds.key, topic: `factories/${slug}/devices/${creds.key}/telemetry`, client, seq: 0, inFlight: 0, base: Date.now() - 86_400_000, timer: null });
      });
      client.once('error', reject);
    });

  /** Keeps `window` messages in flight on one device until stopped. */
  const pump = (d: Device, qos: 0 | 1, window: number, stampSentAt: boolean) => {
    let burst = 0;
    while (running && d.inFlight < window && burst < window) {
      burst++;
      d.inFlight++;
      counters.published++;
      const started = performance.now();
      d.client.publish(d.topic, payload(d, stampSentAt), { qos }, (error) => {
        d.inFlight--;
        if (error) counters.errors++;
        else {
          counters.acked++;
          if (measuring && qos === 1) pubackSamples.push(performance.now() - started);
        }
        if (running) setImmediate(() => pump(d, qos, window, stampSentAt));
      });
    }
  };

  /** A steady rate spread over the devices (latency runs). */
  const paced = (d: Device, qos: 0 | 1, periodMs: number, offsetMs: number, stampSentAt: boolean) => {
    const publishOne = () => {
      if (!running) return;
      counters.published++;
      const started = performance.now();
      d.client.publish(d.topic, payload(d, stampSentAt), { qos }, (error) => {
        if (error) counters.errors++;
        else {
          counters.acked++;
          if (measuring && qos === 1) pubackSamples.push(performance.now() - started);
        }
      });
    };
    d.timer = setTimeout(() => {
      publishOne();
      d.timer = setInterval(publishOne, periodMs);
    }, offsetMs);
  };

  process.on('message', (message: ToLoad) => {
    void (async () => {
      switch (message.type) {
        case 'connect': {
          devices = [];
          for (let i = 0; i < message.devices.length; i += 25) {
            const chunk = message.devices.slice(i, i + 25);
            devices.push(...(await Promise.all(chunk.map((c, j) => connect(message.port, message.slug, c, i + j)))));
          }
          if (message.subscriber) {
            subscriber = mqtt.connect(`mqtt://127.0.0.1:${message.port}`, { protocolVersion: 4, clientId: 'bench-subscriber', reconnectPeriod: 0 });
            await new Promise<void>((resolve, reject) => {
              subscriber!.once('connect', () => resolve());
              subscriber!.once('error', reject);
            });
            subscriber.on('message', () => subscriberReceived++);
            await subscriber.subscribeAsync('factories/#', { qos: 0 });
          }
          send({ type: 'connected' });
          return;
        }
        case 'run': {
          counters = { published: 0, acked: 0, errors: 0 };
          pubackSamples = [];
          wsSamples = [];
          subscriberReceived = 0;
          running = true;
          measuring = false;
          setTimeout(() => {
            measuring = running;
            loopDelay.reset();
            loopDelay.enable();
          }, message.measureAfterMs);
          if (message.ratePerSecond > 0) {
            const periodMs = (devices.length * 1000) / message.ratePerSecond;
            devices.forEach((d, i) => paced(d, message.qos, periodMs, (i * periodMs) / devices.length, message.stampSentAt));
          } else {
            for (const d of devices) pump(d, message.qos, message.window, message.stampSentAt);
          }
          send({ type: 'running' });
          return;
        }
        case 'stop': {
          running = false;
          measuring = false;
          loopDelay.disable();
          for (const d of devices) {
            if (d.timer) {
              clearTimeout(d.timer);
              clearInterval(d.timer);
            }
            d.timer = null;
          }
          // Let the messages in flight come back, so the next run starts clean.
          const deadline = Date.now() + 10_000;
          while (devices.some((d) => d.inFlight > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          send({ type: 'done', ...counters, puback: percentiles(pubackSamples), ws: percentiles(wsSamples), subscriberReceived, loopDelay: loopDelayOf(loopDelay) });
          return;
        }
        case 'ws': {
          const socket = new WebSocket(`${message.url.replace(/^http/, 'ws')}/api/v1/stream`);
          ws = socket;
          socket.on('message', (data) => {
            const m = JSON.parse(data.toString()) as { type: string; devices?: Record<string, Record<string, { value: unknown }>> };
            if (m.type === 'ready') socket.send(JSON.stringify({ type: 'subscribe', devices: message.deviceIds }));
            else if (m.type === 'subscribed') send({ type: 'ws-ready' });
            else if (m.type === 'samples' && measuring && m.devices) {
              const now = wallNow();
              for (const values of Object.values(m.devices)) {
                const sentAt = values.sent_at?.value;
                if (typeof sentAt === 'number') wsSamples.push(now - sentAt);
              }
            }
          });
          socket.once('open', () => socket.send(JSON.stringify({ type: 'auth', token: message.token })));
          socket.on('error', (error) => send({ type: 'error', message: `websocket: ${error.message}` }));
          return;
        }
        case 'disconnect': {
          ws?.close();
          ws = null;
          await Promise.all(devices.map((d) => d.client.endAsync(true)));
          await subscriber?.endAsync(true);
          subscriber = null;
          devices = [];
          send({ type: 'disconnected' });
          return;
        }
        case 'exit':
          process.exit(0);
      }
    })().catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
  });
}

// ------------------------------------------------------------------------------------- harness

class LoadGenerator {
  private readonly child: ChildProcess;
  private readonly inbox: FromLoad[] = [];
  private waiter: (() => void) | null = null;

  constructor() {
    this.child = fork(fileURLToPath(import.meta.url), ['--load-generator'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: FromLoad) => {
      if (m.type === 'error') console.error(`load generator: ${m.message}`);
      this.inbox.push(m);
      this.waiter?.();
    });
  }

  send(message: ToLoad): void {
    this.child.send(message);
  }

  async expect<K extends FromLoad['type']>(type: K, timeoutMs = 60_000): Promise<Extract<FromLoad, { type: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Extract<FromLoad, { type: K }>;
      if (Date.now() > deadline) throw new Error(`load generator: no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  async exit(): Promise<void> {
    this.send({ type: 'exit' });
    await new Promise((resolve) => this.child.once('exit', resolve));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Throughput {
  messagesPerSecond: number;
  valuesPerSecond: number;
  published: number;
  acked: number;
  errors: number;
  note: string;
}

/** One throughput scenario: warm up, count over MEASURE_MS, stop. `count()` reads messages/values done so far. */
async function measureThroughput(load: LoadGenerator, qos: 0 | 1, count: () => Promise<{ messages: number; values: number }>): Promise<Throughput> {
  load.send({ type: 'run', qos, window: WINDOW, ratePerSecond: 0, stampSentAt: false, measureAfterMs: WARMUP_MS });
  await load.expect('running');
  await sleep(WARMUP_MS);
  const t0 = performance.now();
  const c0 = await count();
  await sleep(MEASURE_MS);
  const c1 = await count();
  const seconds = (performance.now() - t0) / 1000;
  load.send({ type: 'stop' });
  const done = await load.expect('done');
  return {
    messagesPerSecond: (c1.messages - c0.messages) / seconds,
    valuesPerSecond: (c1.values - c0.values) / seconds,
    published: done.published,
    acked: done.acked,
    errors: done.errors,
    note: '',
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

async function baseline(load: LoadGenerator): Promise<{ qos0: Throughput; qos1: Throughput }> {
  // Aedes 1.x: createBroker() = new Aedes() + listen() (sets up its persistence). concurrency 0
  // as in the server's embedded broker: with the default (100) a bare Aedes overflows its stack
  // draining its queue at ~10 metrics per message (mcollina/mqemitter#204).
  const aedes = await Aedes.createBroker({ concurrency: 0 });
  let forwarded = 0;
  // Messages a device published (the broker's own $SYS traffic has no client).
  aedes.on('publish', (_packet, client) => {
    if (client) forwarded++;
  });
  const server = createServer(aedes.handle);
  const port = await listen(server);
  const devices = Array.from({ length: DEVICES }, (_, i) => ({ key: `dev-${i}`, apiKey: null }));
  load.send({ type: 'connect', port, slug: 'bench', devices, subscriber: true });
  await load.expect('connected');
  const count = async () => ({ messages: forwarded, values: forwarded * METRICS });
  const qos0 = await measureThroughput(load, 0, count);
  const qos1 = await measureThroughput(load, 1, count);
  load.send({ type: 'disconnect' });
  await load.expect('disconnected');
  await new Promise<void>((resolve) => aedes.close(() => server.close(() => resolve())));
  return { qos0, qos1 };
}

// ---------------------------------------------------------------------------------------- main

function verdict(ok: boolean): string {
  return ok ? 'ok' : 'MISS';
}

async function main(): Promise<void> {
  const started = performance.now();
  // Server modules load only here, so the load generator process stays light.
  const { startTestServer, TestClock } = await import('../helpers/test-server.js');
  const { createDevice, sumMetric, waitFor } = await import('../helpers/ingest.js');

  /** The server on the real clock (timestamps, staleness and token expiry as in production). */
  class WallClock extends TestClock {
    override readonly now = (): number => Date.now();
  }

  console.log(
    `ingest benchmark: ${DEVICES} devices × ${METRICS} metrics/message, window ${WINDOW}/device, ${MEASURE_MS / 1000} s measured after ${WARMUP_MS / 1000} s warm-up; ` +
      `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
  );
  const load = new LoadGenerator();
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
  const dataDir = mkdtempSync(join(DATA_PARENT, 'fo-bench-ingest-'));
  console.log(`data dir ${dataDir}; machine before: ${machineState()}`);
  try {
    console.log('baseline: bare Aedes → one no-op subscriber …');
    const base = await baseline(load);

    const server = await startTestServer({ clock: new WallClock(), dataDir });
    const rssAtStart = process.memoryUsage().rss;
    try {
      const admin = await server.login();
      const devices: Array<{ id: number; key: string; apiKey: string }> = [];
      for (let i = 0; i < DEVICES; i++) {
        const d = await createDevice(server.api, admin.accessToken, `bench-${String(i).padStart(3, '0')}`);
        devices.push({ id: d.id, key: d.deviceKey, apiKey: d.apiKey });
      }
      // A kept-alive HTTP connection may have been closed by the server while its event loop was
      // busy with the flood; one retry on a fresh connection.
      const metricsText = async (): Promise<string> => {
        try {
          return (await server.api('GET', '/api/v1/metrics')).text;
        } catch {
          await sleep(200);
          return (await server.api('GET', '/api/v1/metrics')).text;
        }
      };
      const series = server.running.series as typeof server.running.series & { stats?: () => { inserted: number } };
      const storedValues = async (): Promise<number> => {
        if (typeof series.stats === 'function') return series.stats().inserted;
        const text = await metricsText();
        return sumMetric(text, 'factoryops_telemetry_values_stored_total');
      };
      const count = async () => {
        const values = await storedValues();
        return { messages: values / METRICS, values };
      };
      // Between scenarios: wait until everything sent has been stored. QoS 0 messages the load
      // generator counts as sent may still sit in socket buffers, so the pipeline being empty
      // is not enough: the stored count must also stop moving.
      const drain = async () => {
        const deadline = Date.now() + 120_000;
        let last = -1;
        for (;;) {
          await server.running.pipeline.flush();
          const now = await storedValues();
          if (now === last && server.running.pipeline.pendingValues === 0) return;
          if (Date.now() > deadline) throw new Error('the server did not finish storing the previous scenario within 120 s');
          last = now;
          await sleep(500);
        }
      };

      load.send({ type: 'connect', port: server.running.mqttPort as number, slug: 'default', devices: devices.map((d) => ({ key: d.key, apiKey: d.apiKey })), subscriber: false });
      await load.expect('connected');

      console.log('server: QoS 0 …');
      const droppedBefore = sumMetric(await metricsText(), 'factoryops_telemetry_dropped_total');
      const qos0 = await profiled(PROFILE_DIR, 'qos0', () => measureThroughput(load, 0, count));
      const dropped = sumMetric(await metricsText(), 'factoryops_telemetry_dropped_total') - droppedBefore;
      await drain();
      console.log('server: QoS 1 …');
      const qos1 = await profiled(PROFILE_DIR, 'qos1', () => measureThroughput(load, 1, count));
      await drain();

      // The same server with SeriesStore.write() replaced by a counter: what everything but
      // the store (broker, validation, pipeline, alarms, live bus) allows. An upper bound for
      // the rows above, and the store's share of the cost per message.
      console.log('server with the store switched off: QoS 0, QoS 1 …');
      const store = server.running.series;
      const realWrite = store.write.bind(store);
      let discarded = 0;
      store.write = async (points) => {
        discarded += points.length;
      };
      const countDiscarded = async () => ({ messages: discarded / METRICS, values: discarded });
      let noStore: { qos0: Throughput; qos1: Throughput };
      try {
        noStore = { qos0: await measureThroughput(load, 0, countDiscarded), qos1: await measureThroughput(load, 1, countDiscarded) };
        await server.running.pipeline.flush();
      } finally {
        store.write = realWrite;
      }

      // Latency at half the QoS 1 maximum, with a WebSocket client subscribed to every device.
      const halfRate = Math.max(DEVICES, Math.round(qos1.messagesPerSecond / 2));
      console.log(`server: latency at ${fmt(halfRate)} messages/s (QoS 1) …`);
      load.send({ type: 'ws', url: server.url, token: admin.accessToken, deviceIds: devices.map((d) => d.id) });
      await load.expect('ws-ready');
      const serverLoop = monitorEventLoopDelay({ resolution: 5 });
      const { latency, achievedRate } = await profiled(PROFILE_DIR, 'latency', async () => {
        load.send({ type: 'run', qos: 1, window: 0, ratePerSecond: halfRate, stampSentAt: true, measureAfterMs: WARMUP_MS });
        await load.expect('running');
        await sleep(WARMUP_MS);
        const valuesBefore = await storedValues();
        const measureStarted = performance.now();
        serverLoop.enable();
        await sleep(MEASURE_MS);
        serverLoop.disable();
        const stored = (await storedValues()) - valuesBefore;
        const seconds = (performance.now() - measureStarted) / 1000;
        load.send({ type: 'stop' });
        return { latency: await load.expect('done'), achievedRate: stored / METRICS / seconds };
      });
      const serverDelay = loopDelayOf(serverLoop);
      load.send({ type: 'disconnect' });
      await load.expect('disconnected');
      await drain();

      // History: 30 days of 1 Hz for one parameter, bulk-loaded through the store.
      console.log(`history: loading ${HISTORY_DAYS} days of 1 Hz …`);
      const historyDevice = await createDevice(server.api, admin.accessToken, 'bench-history');
      const to = Date.now();
      const from = to - HISTORY_DAYS * 86_400_000;
      await server.running.meta.parameters.discover(server.factory.id, historyDevice.id, [{ key: 'flow', dataType: 'float' }], to);
      const total = HISTORY_DAYS * 86_400;
      const loadStarted = performance.now();
      const BATCH = 20_000;
      for (let i = 0; i < total; i += BATCH) {
        const points = [];
        for (let j = i; j < Math.min(total, i + BATCH); j++) {
          points.push({ factoryId: server.factory.id, deviceId: historyDevice.id, parameter: 'flow', ts: from + j * 1000, value: 50 + 20 * Math.sin(j / 3600) + ((j * 7919) % 100) / 50 });
        }
        await server.running.series.write(points);
      }
      // Thirty days of history are long compacted in a running server: measure the query on
      // the per-series tables, not on a just-written backlog (range() merges that too, in JS).
      await waitFor(async () => sumMetric(await metricsText(), 'factoryops_series_uncompacted_values') === 0, 'history compacted', 120_000);
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      const query = new URLSearchParams({ parameter: 'flow', start: new Date(from).toISOString(), end: new Date(to).toISOString(), max_points: String(HISTORY_POINTS) });
      const path = `/api/v1/devices/${historyDevice.id}/kpis/history?${query.toString()}`;
      const first = await server.api('GET', path, { token: admin.accessToken });
      if (first.status !== 200) throw new Error(`history: ${first.status} ${first.text}`);
      const historyTimes: number[] = [];
      for (let i = 0; i < HISTORY_CALLS; i++) {
        const t = performance.now();
        const res = await server.api('GET', path, { token: admin.accessToken });
        historyTimes.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`history: ${res.status}`);
      }
      historyTimes.sort((a, b) => a - b);
      const historyMedian = ((historyTimes[4] as number) + (historyTimes[5] as number)) / 2;
      const historyData = first.json.data as { points: unknown[]; interval: string; resolution: string };
      const rssEnd = process.memoryUsage().rss;
      peakRss = Math.max(peakRss, rssEnd);

      const MB = 1024 * 1024;
      const share = (a: number, b: number) => (b > 0 ? a / b : 0);
      /** Main-thread time per message the store adds: 1/rate with it minus 1/rate without. */
      const storeMicros = (withStore: number, without: number) => (withStore > 0 && without > 0 ? 1e6 / withStore - 1e6 / without : 0);
      const rows: Row[] = [
        {
          what: 'QoS 0 values stored /s',
          figure: fmt(qos0.valuesPerSecond),
          compared: `${fmt(qos0.messagesPerSecond)} msg/s; ${fmt(dropped)} dropped (overload)`,
          target: `≥ ${fmt(TARGETS.valuesPerSecond)}`,
          verdict: verdict(qos0.valuesPerSecond >= TARGETS.valuesPerSecond),
        },
        {
          what: 'QoS 0 messages /s vs bare Aedes',
          figure: fmt(qos0.messagesPerSecond),
          compared: `Aedes ${fmt(base.qos0.messagesPerSecond)} msg/s (${fmt(share(qos0.messagesPerSecond, base.qos0.messagesPerSecond) * 100)} %)`,
          target: '≥ 50 % of Aedes',
          verdict: verdict(share(qos0.messagesPerSecond, base.qos0.messagesPerSecond) >= TARGETS.baselineShare),
        },
        {
          what: 'QoS 1 values stored /s',
          figure: fmt(qos1.valuesPerSecond),
          compared: `${fmt(qos1.messagesPerSecond)} msg/s; ${fmt(qos1.acked)} PUBACKs, ${qos1.errors} errors`,
          target: `≥ ${fmt(TARGETS.valuesPerSecond)}`,
          verdict: verdict(qos1.valuesPerSecond >= TARGETS.valuesPerSecond),
        },
        {
          what: 'QoS 1 messages /s vs bare Aedes',
          figure: fmt(qos1.messagesPerSecond),
          compared: `Aedes ${fmt(base.qos1.messagesPerSecond)} msg/s (${fmt(share(qos1.messagesPerSecond, base.qos1.messagesPerSecond) * 100)} %)`,
          target: '≥ 50 % of Aedes',
          verdict: verdict(share(qos1.messagesPerSecond, base.qos1.messagesPerSecond) >= TARGETS.baselineShare),
        },
        {
          what: 'messages /s with the store switched off',
          figure: `${fmt(noStore.qos0.messagesPerSecond)} / ${fmt(noStore.qos1.messagesPerSecond)}`,
          compared:
            `QoS 0 / QoS 1: ${fmt(share(noStore.qos0.messagesPerSecond, base.qos0.messagesPerSecond) * 100)} / ` +
            `${fmt(share(noStore.qos1.messagesPerSecond, base.qos1.messagesPerSecond) * 100)} % of Aedes; the store costs ` +
            `${fmt(storeMicros(qos1.messagesPerSecond, noStore.qos1.messagesPerSecond), 1)} µs per QoS 1 message`,
          target: 'upper bound',
          verdict: '',
        },
        {
          what: 'publish → stored (PUBACK) p50 / p99',
          figure: latency.puback ? `${fmt(latency.puback.p50, 1)} / ${fmt(latency.puback.p99, 1)} ms` : 'n/a',
          compared: `at ${fmt(achievedRate)} msg/s (half of QoS 1 max), n=${latency.puback?.count ?? 0}`,
          target: `p99 ≤ ${TARGETS.p99Ms} ms`,
          verdict: verdict(!!latency.puback && latency.puback.p99 <= TARGETS.p99Ms),
        },
        {
          what: 'publish → WebSocket p50 / p99',
          figure: latency.ws ? `${fmt(latency.ws.p50, 1)} / ${fmt(latency.ws.p99, 1)} ms` : 'n/a',
          compared: `pushes coalesced at 4/s (≤ 250 ms by design), n=${latency.ws?.count ?? 0}`,
          target: `p99 ≤ ${TARGETS.p99Ms} ms`,
          verdict: verdict(!!latency.ws && latency.ws.p99 <= TARGETS.p99Ms),
        },
        {
          what: 'event-loop delay p50 / p99 / max',
          figure: `${fmt(serverDelay.p50, 1)} / ${fmt(serverDelay.p99, 1)} / ${fmt(serverDelay.max)} ms`,
          compared: `server, during the latency run; load generator ${fmt(latency.loopDelay.p50, 1)} / ${fmt(latency.loopDelay.p99, 1)} / ${fmt(latency.loopDelay.max)} ms`,
          target: '—',
          verdict: '',
        },
        {
          what: `history ${HISTORY_DAYS} d @ 1 Hz → ${HISTORY_POINTS} pts (median)`,
          figure: `${fmt(historyMedian, 1)} ms`,
          compared: `${fmt(total)} values; ${historyData.points.length} points, ${historyData.interval} from ${historyData.resolution}; load + compaction ${fmt(total / loadSeconds)} values/s`,
          target: `≤ ${TARGETS.historyMs} ms`,
          verdict: verdict(historyMedian <= TARGETS.historyMs),
        },
        {
          what: 'server RSS (start / peak / end)',
          figure: `${fmt(peakRss / MB)} MB`,
          compared: `${fmt(rssAtStart / MB)} MB at start, ${fmt(rssEnd / MB)} MB at end (incl. the harness)`,
          target: '—',
          verdict: '',
        },
      ];
      console.log('');
      printTable(rows);
      console.log(`\nmachine after: ${machineState()}`);
      console.log(`(total ${fmt((performance.now() - started) / 1000, 1)} s)`);
    } finally {
      await server.close();
    }
  } finally {
    clearInterval(rssTimer);
    await load.exit().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--load-generator')) {
  await loadGenerator();
} else {
  await main();
  process.exit(0);
}
