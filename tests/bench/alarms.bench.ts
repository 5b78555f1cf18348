/**
 * Alarm benchmark (`npm run bench:alarms`).
 *
 * (a) Publish → alarm visible on the WebSocket, p50/p99, while the server ingests 20,000
 *     values/s with 200 rules active. The real server runs in this process (no TLS, silent
 *     logger, temp data dir, real clock, the real AlarmService on its Piscina workers). Two
 *     forked processes (this file with a role flag) do the rest, so the server has its own
 *     event loop:
 *     - the load generator: 40 devices × 50 metrics at 10 messages/s each over MQTT (QoS 1),
 *       values in their normal range, so the 199 load rules are evaluated but stay quiet;
 *     - the probe: 10 more devices and a WebSocket client subscribed to the factory's alarms.
 *       Each probe device repeats: publish a value over the probe rule's threshold (clock
 *       starts), wait for the `raised` delta on the WebSocket (clock stops), publish a normal
 *       value (alarm cleared), acknowledge over HTTP (alarm closed), pause. Start and stop are
 *       read in the same process, so no clocks are compared across processes.
 *     Baseline, same run: the same probe with no background load; beside it publish → PUBACK
 *     (= stored) of the probe messages, under load and without.
 *     The 199 load rules watch device groups (BENCH_GROUPS, default 5: a rule covers the 8
 *     devices of one group), as plants scope rules to lines; BENCH_GROUPS=1 makes every rule
 *     cover every device (about 5× the evaluations).
 *
 * (b) Rule evaluation throughput, (samples × rules)/s: the same tasks the alarm service sends
 *     (200 rules of the load's shapes, one item per (rule, device)) evaluated through the
 *     service's EvaluatorPool (Piscina workers: structured clone there and back) and on the main
 *     thread by calling the worker module's evaluateRuleTask directly. One task in flight at a
 *     time, as the service does. The difference is the cost of the worker hop.
 *
 * Environment: BENCH_MEASURE_MS (load run, default 20000), BENCH_BASELINE_MS (default 15000),
 * BENCH_VALUES_PER_SECOND (default 20000), BENCH_GROUPS (default 5), BENCH_EVAL_MS (per
 * throughput figure, default 2500), BENCH_PROFILE=<dir> (a CPU profile of the server process
 * during the load run, for Chrome DevTools or speedscope). The machine's load and pressure (PSI) are printed before
 * and after: on a shared machine other processes' CPU shows up in these figures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { fmt, loopDelayOf, machineState, percentiles, printTable, profiled, type LoopDelay, type Percentiles, type Row } from './bench-kit.js';
// Types only (erased): the child processes load no server modules.
import type { EvaluationTask as Task, RuleTaskEntry as RuleEntry } from '../../server/jobs/workers/rule-evaluator.js';

// ------------------------------------------------------------------------------------ settings

const LOAD_DEVICES = 40;
const METRICS = 50;
const PROBE_DEVICES = 10;
const RULES = 200;
const VALUES_PER_SECOND = Number(process.env.BENCH_VALUES_PER_SECOND ?? 20_000);
const GROUPS = Math.max(1, Number(process.env.BENCH_GROUPS ?? 5));
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 20_000);
const BASELINE_MS = Number(process.env.BENCH_BASELINE_MS ?? 15_000);
const WARMUP_MS = 3_000;
const EVAL_MS = Number(process.env.BENCH_EVAL_MS ?? 2_500);
/** Pause of a probe device between two episodes (plus up to the same again, random). */
const PROBE_GAP_MS = 200;
const PROBE_THRESHOLD = 100;
const TARGET_P99_MS = 250;
const PROFILE_DIR = process.env.BENCH_PROFILE ?? '';

// ------------------------------------------------------------------------------ shared helpers

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function connectMqtt(port: number, slug: string, key: string, apiKey: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 4,
      clientId: `bench-${key}`,
      username: `${slug}/${key}`,
      password: apiKey,
      reconnectPeriod: 0,
      clean: true,
      keepalive: 60,
    });
    client.once('connect', () => {
      client.on('error', () => {});
      resolve(client);
    });
    client.once('error', reject);
  });
}

interface Credentials {
  id: number;
  key: string;
  apiKey: string;
}

// ------------------------------------------------------------------------------ child protocol

type ToChild =
  | { type: 'connect'; port: number; slug: string; devices: Credentials[]; url?: string; token?: string }
  | { type: 'run'; valuesPerSecond?: number; measureAfterMs?: number }
  | { type: 'stop' }
  | { type: 'exit' };

interface ProbeResult {
  alarm: number[];
  puback: number[];
  /** PUBACK received → alarm received, per episode: the alarm path after the commit. */
  afterStored: number[];
  missed: number;
  errors: string[];
  loopDelay: LoopDelay;
}

type FromChild =
  | { type: 'connected' }
  | { type: 'running' }
  | { type: 'load-done'; published: number; acked: number; errors: number; loopDelay: LoopDelay }
  | ({ type: 'probe-done' } & ProbeResult)
  | { type: 'error'; message: string };

function childMain(handle: (message: ToChild, send: (m: FromChild) => void) => Promise<void>): void {
  const send = (message: FromChild) => process.send?.(message);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: ToChild) => {
    if (message.type === 'exit') process.exit(0);
    handle(message, send).catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
  });
}

// ------------------------------------------------------------------------------ load generator

/** Background telemetry: every device paced at its share of the rate, QoS 1, normal values. */
function loadGenerator(): void {
  let devices: Array<{ topic: string; client: MqttClient; seq: number; timer: NodeJS.Timeout | null; inFlight: number }> = [];
  let counters = { published: 0, acked: 0, errors: 0 };
  let running = false;
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  // 16 prepared payloads with values in 0..100: every load rule evaluates false.
  const payloads = Array.from({ length: 16 }, (_, v) => {
    const metrics: string[] = [];
    for (let i = 0; i < METRICS; i++) metrics.push(`"m${String(i).padStart(2, '0')}":${((v * 7.3 + i * 1.9) % 100).toFixed(2)}`);
    return `{"metrics":{${metrics.join(',')}}}`;
  });

  childMain(async (message, send) => {
    switch (message.type) {
      case 'connect': {
        devices = [];
        for (let i = 0; i < message.devices.length; i += 20) {
          const chunk = message.devices.slice(i, i + 20);
          const clients = await Promise.all(chunk.map((d) => connectMqtt(message.port, message.slug, d.key, d.apiKey)));
          chunk.forEach((d, j) => devices.push({ topic: `factories/${message.slug}/devices/${d.key}/telemetry`, client: clients[j] as MqttClient, seq: 0, timer: null, inFlight: 0 }));
        }
        send({ type: 'connected' });
        return;
      }
      case 'run': {
        counters = { published: 0, acked: 0, errors: 0 };
        running = true;
        const messagesPerSecond = (message.valuesPerSecond ?? VALUES_PER_SECOND) / METRICS;
        const periodMs = (devices.length * 1000) / messagesPerSecond;
        devices.forEach((d, i) => {
          const publishOne = () => {
            if (!running) return;
            counters.published++;
            d.inFlight++;
            d.client.publish(d.topic, payloads[d.seq++ % payloads.length] as string, { qos: 1 }, (error) => {
              d.inFlight--;
              if (error) counters.errors++;
              else counters.acked++;
            });
          };
          d.timer = setTimeout(() => {
            publishOne();
            d.timer = setInterval(publishOne, periodMs);
          }, (i * periodMs) / devices.length);
        });
        setTimeout(() => {
          loopDelay.reset();
          loopDelay.enable();
        }, message.measureAfterMs ?? 0);
        send({ type: 'running' });
        return;
      }
      case 'stop': {
        running = false;
        loopDelay.disable();
        for (const d of devices) {
          if (d.timer) {
            clearTimeout(d.timer);
            clearInterval(d.timer);
          }
          d.timer = null;
        }
        const deadline = Date.now() + 10_000;
        while (devices.some((d) => d.inFlight > 0) && Date.now() < deadline) await sleep(20);
        send({ type: 'load-done', ...counters, loopDelay: loopDelayOf(loopDelay) });
        await Promise.all(devices.map((d) => d.client.endAsync(true)));
        devices = [];
        return;
      }
    }
  });
}

// --------------------------------------------------------------------------------------- probe

interface Delta {
  seq: number;
  action: string;
  to_state: string;
  alarm: { id: number; device_id: number };
}

/** Raises, clears and acknowledges alarms on its devices; times publish → `raised` on the WebSocket. */
function probe(): void {
  let devices: Array<Credentials & { topic: string; client: MqttClient }> = [];
  let ws: WebSocket | null = null;
  let url = '';
  let token = '';
  let stopping = false;
  let loops: Array<Promise<void>> = [];
  let result: ProbeResult = { alarm: [], puback: [], afterStored: [], missed: 0, errors: [], loopDelay: { p50: 0, p99: 0, max: 0 } };
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  /** Per device: who waits for which delta; resolved with the receive time (performance.now). */
  const waiters = new Map<number, { want: (d: Delta) => boolean; resolve: (r: { at: number; delta: Delta }) => void }>();

  const waitDelta = (deviceId: number, want: (d: Delta) => boolean, timeoutMs = 10_000) =>
    new Promise<{ at: number; delta: Delta } | null>((resolve) => {
      const timer = setTimeout(() => {
        waiters.delete(deviceId);
        resolve(null);
      }, timeoutMs);
      waiters.set(deviceId, {
        want,
        resolve: (r) => {
          clearTimeout(timer);
          waiters.delete(deviceId);
          resolve(r);
        },
      });
    });

  const publish = (d: (typeof devices)[number], value: number) =>
    new Promise<void>((resolve, reject) => d.client.publish(d.topic, `{"metrics":{"probe":${value}}}`, { qos: 1 }, (error) => (error ? reject(error) : resolve())));

  const episodes = async (d: (typeof devices)[number], offsetMs: number) => {
    await sleep(offsetMs);
    while (!stopping) {
      try {
        const raised = waitDelta(d.id, (x) => x.action === 'raised');
        const started = performance.now();
        await publish(d, PROBE_THRESHOLD + 50 + Math.random());
        const stored = performance.now();
        result.puback.push(stored - started);
        const seen = await raised;
        if (!seen) {
          result.missed++;
          continue;
        }
        result.alarm.push(seen.at - started);
        // The delta may overtake the PUBACK on the wire; then the alarm path took no extra time.
        result.afterStored.push(Math.max(0, seen.at - stored));
        const cleared = waitDelta(d.id, (x) => x.action === 'cleared' && x.alarm.id === seen.delta.alarm.id);
        await publish(d, PROBE_THRESHOLD - 50);
        if (!(await cleared)) throw new Error(`alarm ${seen.delta.alarm.id} was not cleared`);
        const ack = await fetch(`${url}/api/v1/alerts/${seen.delta.alarm.id}/acknowledge`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        if (ack.status !== 200) throw new Error(`acknowledge ${seen.delta.alarm.id}: ${ack.status} ${await ack.text()}`);
      } catch (error) {
        if (result.errors.length < 5) result.errors.push(error instanceof Error ? error.message : String(error));
        await sleep(500);
      }
      await sleep(PROBE_GAP_MS + Math.random() * PROBE_GAP_MS);
    }
  };

  childMain(async (message, send) => {
    switch (message.type) {
      case 'connect': {
        url = message.url as string;
        token = message.token as string;
        devices = [];
        for (const d of message.devices) {
          const client = await connectMqtt(message.port, message.slug, d.key, d.apiKey);
          devices.push({ ...d, topic: `factories/${message.slug}/devices/${d.key}/telemetry`, client });
        }
        const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/stream`);
        ws = socket;
        await new Promise<void>((resolve, reject) => {
          socket.on('message', (data) => {
            const at = performance.now();
            const m = JSON.parse(data.toString()) as { type: string; delta?: Delta };
            if (m.type === 'ready') socket.send(JSON.stringify({ type: 'subscribe', alarms: true }));
            else if (m.type === 'subscribed') resolve();
            else if (m.type === 'alarm' && m.delta) {
              const waiter = waiters.get(m.delta.alarm.device_id);
              if (waiter?.want(m.delta)) waiter.resolve({ at, delta: m.delta });
            }
          });
          socket.once('open', () => socket.send(JSON.stringify({ type: 'auth', token })));
          socket.once('error', reject);
        });
        send({ type: 'connected' });
        return;
      }
      case 'run': {
        stopping = false;
        result = { alarm: [], puback: [], afterStored: [], missed: 0, errors: [], loopDelay: { p50: 0, p99: 0, max: 0 } };
        loopDelay.reset();
        loopDelay.enable();
        loops = devices.map((d, i) => episodes(d, (i * PROBE_GAP_MS) / devices.length));
        send({ type: 'running' });
        return;
      }
      case 'stop': {
        stopping = true;
        await Promise.all(loops);
        loopDelay.disable();
        result.loopDelay = loopDelayOf(loopDelay);
        send({ type: 'probe-done', ...result });
        return;
      }
    }
  });
  process.on('exit', () => ws?.terminate());
}

// ------------------------------------------------------------------------------------- harness

class Child {
  private readonly process: ChildProcess;
  private readonly inbox: FromChild[] = [];
  private waiter: (() => void) | null = null;

  constructor(role: '--load-generator' | '--probe') {
    this.process = fork(fileURLToPath(import.meta.url), [role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.process.on('message', (m: FromChild) => {
      if (m.type === 'error') console.error(`${role.slice(2)}: ${m.message}`);
      this.inbox.push(m);
      this.waiter?.();
    });
  }

  send(message: ToChild): void {
    this.process.send(message);
  }

  async expect<K extends FromChild['type']>(type: K, timeoutMs = 60_000): Promise<Extract<FromChild, { type: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Extract<FromChild, { type: K }>;
      if (Date.now() > deadline) throw new Error(`child: no "${type}" within ${timeoutMs} ms`);
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
    if (this.process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.send({ type: 'exit' });
    await exited;
  }
}

const ms = (p: Percentiles | null) => (p ? `${fmt(p.p50, 1)} / ${fmt(p.p99, 1)} ms` : 'n/a');

// ------------------------------------------------------------------------- (b) evaluation rate

/** The condition of load rule j: four shapes over the parameter(s) it watches; false for 0..100. */
function loadCondition(j: number): Record<string, unknown> {
  const p = `m${String(j % METRICS).padStart(2, '0')}`;
  const q = `m${String((j * 7 + 3) % METRICS).padStart(2, '0')}`;
  switch (j % 4) {
    case 0:
      return { operator: 'OR', conditions: [{ parameter: p, operator: 'gt', value: 1000 }, { parameter: p, operator: 'lt', value: -1000 }] };
    case 1:
      return { parameter: p, operator: 'outside', value: [-1000, 1000] };
    case 2:
      return { operator: 'AND', conditions: [{ parameter: p, operator: 'gt', value: 500 }, { parameter: q, operator: 'gt', value: 500 }] };
    default:
      return { parameter: p, operator: 'gte', value: 1000 };
  }
}

interface EvalFigure {
  itemsPerSecond: number;
  msPerTask: number;
}

async function evaluationThroughput(): Promise<{ threads: number; sizes: number[]; main: EvalFigure[]; pool: EvalFigure[] }> {
  const { initialAlarmMemory, serializeAlarmMemory, validateSchedule } = await import('../../engine/rules/index.js');
  const { evaluateRuleTask } = await import('../../server/jobs/workers/rule-evaluator.js');
  const { EvaluatorPool } = await import('../../server/alarms/evaluator-pool.js');
  type Definition = RuleEntry['definition'];

  const schedule = validateSchedule('always', null);
  if (!schedule.ok) throw new Error('schedule');
  const rules: RuleEntry[] = Array.from({ length: RULES }, (_, j) => ({
    ruleId: j + 1,
    version: 'bench',
    name: `Load rule ${j}`,
    timeZone: 'UTC',
    schedule: schedule.value,
    definition: { conditions: loadCondition(j) as unknown as Definition['conditions'], deadband: 0, on_delay_seconds: 0, cooldown_minutes: 0 },
  }));
  const memory = serializeAlarmMemory(initialAlarmMemory());
  const now = Date.now();
  // One item per (rule, device): device d's sample as the rule reads it, as the service snapshots
  // it; and, as the service does, only the rules the items refer to.
  const task = (size: number): Task => ({
    rules: rules.slice(0, Math.min(size, RULES)),
    items: Array.from({ length: size }, (_, i) => {
      const j = i % RULES;
      const device = 1 + Math.floor(i / RULES);
      const latest: Record<string, { value: number; ts: number }> = {};
      const condition = JSON.stringify(loadCondition(j));
      for (const match of condition.matchAll(/"parameter":"(m\d\d)"/g)) latest[match[1] as string] = { value: (i * 1.7) % 100, ts: now };
      return { ruleId: j + 1, deviceId: device, memory, snapshot: { latest }, now };
    }),
  });

  const sizes = [10, 1_000, 20_000];
  const measure = async (run: (t: Task) => unknown, t: Task): Promise<EvalFigure> => {
    await run(t); // warm: compile caches, JIT
    let tasks = 0;
    const started = performance.now();
    while (performance.now() - started < EVAL_MS) {
      await run(t);
      tasks++;
    }
    const elapsed = performance.now() - started;
    return { itemsPerSecond: (tasks * t.items.length) / (elapsed / 1000), msPerTask: elapsed / tasks };
  };
  const tasks = sizes.map(task);
  const cache = new Map();
  const main: EvalFigure[] = [];
  for (const t of tasks) main.push(await measure((x) => evaluateRuleTask(x, cache), t));
  const pool = new EvaluatorPool();
  const viaPool: EvalFigure[] = [];
  try {
    for (const t of tasks) viaPool.push(await measure((x) => pool.run(x), t));
  } finally {
    await pool.destroy();
  }
  return { threads: pool.threadCount, sizes, main, pool: viaPool };
}

// ---------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  console.log(
    `alarm benchmark: ${RULES} rules; load ${fmt(VALUES_PER_SECOND)} values/s from ${LOAD_DEVICES} devices × ${METRICS} metrics (QoS 1), rules in ${GROUPS} device group(s); ` +
      `${PROBE_DEVICES} probe devices; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
  );
  console.log(`machine before: ${machineState()}`);

  console.log(`(b) rule evaluation: main thread vs worker pool, ${EVAL_MS / 1000} s per figure …`);
  const evaluation = await evaluationThroughput();

  // Server modules load only here, so the child processes stay light.
  const { startTestServer, TestClock } = await import('../helpers/test-server.js');
  const { createDevice } = await import('../helpers/ingest.js');
  /** The server on the real clock (timestamps, tokens and timed rules as in production). */
  class WallClock extends TestClock {
    override readonly now = (): number => Date.now();
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'fo-bench-alarms-'));
  const probeChild = new Child('--probe');
  let loadChild: Child | null = null;
  const server = await startTestServer({ clock: new WallClock(), dataDir, config: { accessTokenTtlSeconds: 3600 } });
  try {
    const admin = await server.login();
    const token = admin.accessToken;
    console.log('(a) setting up devices and rules through the API …');
    const load: Credentials[] = [];
    for (let i = 0; i < LOAD_DEVICES; i++) {
      const d = await createDevice(server.api, token, `load-${String(i).padStart(2, '0')}`);
      load.push({ id: d.id, key: d.deviceKey, apiKey: d.apiKey });
    }
    const probes: Credentials[] = [];
    for (let i = 0; i < PROBE_DEVICES; i++) {
      const d = await createDevice(server.api, token, `probe-${i}`);
      probes.push({ id: d.id, key: d.deviceKey, apiKey: d.apiKey });
    }
    const rule = async (body: Record<string, unknown>) => {
      const res = await server.api('POST', '/api/v1/rules', { token, body: { severity: 'medium', cooldown_minutes: 0, ...body } });
      if (res.status !== 201) throw new Error(`create rule: ${res.status} ${res.text}`);
    };
    const groupOf = (deviceIndex: number) => deviceIndex % GROUPS;
    for (let j = 0; j < RULES - 1; j++) {
      const devices = load.filter((_, i) => groupOf(i) === j % GROUPS).map((d) => d.id);
      await rule({ name: `Load rule ${j}`, scope: 'device', device_ids: devices, conditions: loadCondition(j) });
    }
    await rule({ name: 'Probe over threshold', scope: 'device', device_ids: probes.map((d) => d.id), severity: 'high', conditions: { parameter: 'probe', operator: 'gt', value: PROBE_THRESHOLD } });
    const active = (await server.api('GET', '/api/v1/rules?is_active=true', { token })).json.data.length as number;
    const rulesPerMessage = (RULES - 1) / GROUPS;

    probeChild.send({ type: 'connect', port: server.running.mqttPort as number, slug: server.factory.slug, devices: probes, url: server.url, token });
    await probeChild.expect('connected');

    const series = server.running.series as typeof server.running.series & { stats?: () => { inserted: number } };
    const stored = () => series.stats?.().inserted ?? Number.NaN;
    const serverLoop = monitorEventLoopDelay({ resolution: 5 });

    const probeRun = async (durationMs: number) => {
      probeChild.send({ type: 'run' });
      await probeChild.expect('running');
      await sleep(durationMs);
      probeChild.send({ type: 'stop' });
      return probeChild.expect('probe-done');
    };

    console.log(`(a) baseline: probe alone, ${BASELINE_MS / 1000} s …`);
    const quiet = await probeRun(BASELINE_MS);

    console.log(`(a) under load: ${fmt(VALUES_PER_SECOND)} values/s, ${WARMUP_MS / 1000} s warm-up, ${MEASURE_MS / 1000} s measured …`);
    loadChild = new Child('--load-generator');
    loadChild.send({ type: 'connect', port: server.running.mqttPort as number, slug: server.factory.slug, devices: load });
    await loadChild.expect('connected');
    loadChild.send({ type: 'run', valuesPerSecond: VALUES_PER_SECOND, measureAfterMs: WARMUP_MS });
    await loadChild.expect('running');
    await sleep(WARMUP_MS);
    const storedBefore = stored();
    const loadStarted = performance.now();
    serverLoop.enable();
    const loaded = await profiled(PROFILE_DIR, 'alarms-under-load', () => probeRun(MEASURE_MS));
    serverLoop.disable();
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const storedRate = (stored() - storedBefore) / loadSeconds;
    loadChild.send({ type: 'stop' });
    const loadDone = await loadChild.expect('load-done');
    const serverDelay = loopDelayOf(serverLoop);
    await server.running.pipeline.flush();
    await server.running.alarms.idle();

    const a = percentiles(loaded.alarm);
    const base = percentiles(quiet.alarm);
    const b = evaluation;
    const rows: Row[] = [
      {
        what: 'publish → alarm on WebSocket p50 / p99',
        figure: ms(a),
        compared: `no load: ${ms(base)} (n=${base?.count ?? 0}); under load n=${a?.count ?? 0}, max ${fmt(a?.max ?? 0)} ms, missed ${loaded.missed}`,
        target: `p99 ≤ ${TARGET_P99_MS} ms`,
        verdict: a && a.p99 <= TARGET_P99_MS && loaded.missed === 0 ? 'ok' : 'MISS',
      },
      {
        what: 'publish → stored (PUBACK) p50 / p99',
        figure: ms(percentiles(loaded.puback)),
        compared: `probe messages; no load: ${ms(percentiles(quiet.puback))}`,
        target: '—',
        verdict: '',
      },
      {
        what: 'stored (PUBACK) → alarm on WebSocket p50 / p99',
        figure: ms(percentiles(loaded.afterStored)),
        compared: `the alarm path after the commit (evaluation, write, push); no load: ${ms(percentiles(quiet.afterStored))}`,
        target: '—',
        verdict: '',
      },
      {
        what: 'background ingest, values stored /s',
        figure: fmt(storedRate),
        compared: `${fmt(loadDone.acked)} of ${fmt(loadDone.published)} messages acknowledged, ${loadDone.errors} errors; ${active} rules active, ≈ ${fmt((storedRate / METRICS) * rulesPerMessage)} rule evaluations/s`,
        target: `≥ ${fmt(VALUES_PER_SECOND * 0.95)}`,
        verdict: storedRate >= VALUES_PER_SECOND * 0.95 ? 'ok' : 'MISS',
      },
      {
        what: 'event-loop delay p50 / p99 / max',
        figure: `${fmt(serverDelay.p50, 1)} / ${fmt(serverDelay.p99, 1)} / ${fmt(serverDelay.max)} ms`,
        compared: `server under load; probe process ${fmt(loaded.loopDelay.p50, 1)} / ${fmt(loaded.loopDelay.p99, 1)} / ${fmt(loaded.loopDelay.max)} ms`,
        target: '—',
        verdict: '',
      },
      ...b.sizes.map((size, i) => {
        const main = b.main[i] as EvalFigure;
        const viaPool = b.pool[i] as EvalFigure;
        return {
          what: `rule evaluation, tasks of ${fmt(size)} items`,
          figure: `${fmt(viaPool.itemsPerSecond)} /s`,
          compared: `workers (${b.threads} thread${b.threads === 1 ? '' : 's'}) ${fmt(viaPool.msPerTask, 2)} ms/task; main thread ${fmt(main.itemsPerSecond)} /s, ${fmt(main.msPerTask, 2)} ms/task (hop ${fmt(viaPool.msPerTask - main.msPerTask, 2)} ms/task)`,
          target: '—',
          verdict: '',
        };
      }),
    ];
    for (const [name, r] of [
      ['no load', quiet],
      ['under load', loaded],
    ] as const) {
      if (r.errors.length > 0) console.log(`probe errors (${name}): ${r.errors.join(' | ')}`);
    }
    console.log('');
    printTable(rows);
    console.log('(rule evaluation = (samples × rules)/s; one task in flight at a time, as the alarm service sends them)');
    console.log(`\nmachine after: ${machineState()}`);
    console.log(`(total ${fmt((performance.now() - started) / 1000, 1)} s)`);
  } finally {
    await loadChild?.exit().catch(() => undefined);
    await probeChild.exit().catch(() => undefined);
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--load-generator')) loadGenerator();
else if (process.argv.includes('--probe')) probe();
else {
  await main();
  process.exit(0);
}
