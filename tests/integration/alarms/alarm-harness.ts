/**
 * Real parts for the alarm service suites, without the HTTP server: a SQLite MetaStore and
 * SeriesStore on temp files, the real IngestPipeline feeding the real AlarmService (real
 * Piscina workers, compiled to dist/ by `tsc -b`, which `npm test` runs first), an in-process
 * bus whose alarm events are recorded, a planner that records what it was asked, and a clock
 * the test moves by hand.
 *
 *   const h = await openHarness();
 *   const press = await h.device('press-1');
 *   const rule = await h.rule({ conditions: { parameter: 'temp', operator: 'gt', value: 100 } });
 *   await h.send(press, { temp: 120 });          // committed, evaluated, written
 *   expect(h.deltas()).toHaveLength(1);
 *   await h.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { AlarmService, type AlarmServiceOptions } from '../../../server/alarms/alarm-service.js';
import type { Actor, AlarmDelta, NotificationPlanner } from '../../../server/alarms/ports.js';
import { DeviceDirectory, type KnownDevice } from '../../../server/ingest/device-directory.js';
import { IngestPipeline } from '../../../server/ingest/pipeline.js';
import { createIngestMetrics } from '../../../server/observe/metrics.js';
import { createMemoryBus, type LiveBus, type LiveEvent } from '../../../server/store/bus/live-bus.js';
import { openMetaStore, type MetaStore } from '../../../server/store/meta/meta-store.js';
import type { Alert } from '../../../server/store/meta/repositories/alerts.js';
import type { Rule, RuleInput } from '../../../server/store/meta/repositories/rules.js';
import { openSqliteSeriesStore, type SqliteSeriesStore } from '../../../server/store/series/sqlite/sqlite-series-store.js';
import { TestClock } from '../../helpers/test-server.js';

export interface PlannedCall {
  alertId: number;
  ruleId: number;
  kind: 'raise' | 'escalation';
}

export interface Harness {
  dir: string;
  meta: MetaStore;
  series: SqliteSeriesStore;
  bus: LiveBus;
  pipeline: IngestPipeline;
  clock: TestClock;
  factoryId: number;
  /** An operator of the first factory (a real user row: acknowledged_by points at users). */
  operator: Actor;
  service: AlarmService;
  planned: PlannedCall[];
  kicks: () => number;
  /** Every alarm event published on the bus, in order. */
  events: Array<Extract<LiveEvent, { type: 'alarm' }>>;
  deltas(factoryId?: number): AlarmDelta[];
  device(key: string, factoryId?: number): Promise<KnownDevice>;
  factory(slug: string, timezone?: string): Promise<number>;
  rule(input: Partial<RuleInput> & { conditions: unknown }, factoryId?: number): Promise<Rule>;
  /** Publishes one message, commits it and waits until the alarm service has handled it. */
  send(device: KnownDevice, metrics: Record<string, number | string | boolean>, ts?: number): Promise<void>;
  /** Several messages in ONE committed batch (one per entry, in order). */
  sendBatch(messages: Array<{ device: KnownDevice; metrics: Record<string, number | string | boolean>; ts?: number }>): Promise<void>;
  /** Moves the clock and runs the service's periodic check. */
  advance(ms: number): Promise<void>;
  alerts(factoryId?: number): Promise<Alert[]>;
  /** Stops the running service and starts a new one on the same database (a restart). */
  restart(): Promise<AlarmService>;
  close(): Promise<void>;
}

const silent = pino({ level: 'silent' });

export async function openHarness(options: { serviceOptions?: Partial<AlarmServiceOptions>; timezone?: string } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'fo-alarms-'));
  const meta = await openMetaStore({ kind: 'sqlite', file: join(dir, 'meta.db') });
  const series = openSqliteSeriesStore({ file: join(dir, 'series.db') });
  const bus = createMemoryBus();
  const clock = new TestClock();
  const directory = new DeviceDirectory(meta, clock.now);
  const pipeline = new IngestPipeline(series, meta, directory, bus, createIngestMetrics(new Registry()), silent);
  const events: Harness['events'] = [];
  bus.subscribe((event) => {
    if (event.type === 'alarm') events.push(event);
  });
  const planned: PlannedCall[] = [];
  const planner: NotificationPlanner = {
    async plan(_repos, alert, rule, kind) {
      planned.push({ alertId: alert.id, ruleId: rule.id, kind });
      return [{ alertId: alert.id, kind, channel: 'webhook', recipient: 'https://hooks.example.invalid/alarm', subject: `alarm ${alert.id}`, body: alert.message ?? '' }];
    },
  };
  let kicks = 0;
  const factory = await meta.factories.create({ slug: 'plant-1', name: 'Plant 1', timezone: options.timezone ?? 'UTC' }, clock.now());
  const user = await meta.users.create(
    factory.id,
    { email: 'operator@plant.example', role: 'operator', permissions: { can_create_rules: false, can_run_analytics: false, can_generate_reports: false } },
    clock.now(),
  );

  const newService = () =>
    new AlarmService({
      meta,
      pipeline,
      bus,
      series,
      planner,
      logger: silent,
      clock: clock.now,
      kickNotifications: () => void kicks++,
      // The tests drive the periodic check themselves (advance()); keep the timer out of the way.
      tickMs: 3_600_000,
      maintenanceRefreshMs: 3_600_000,
      pool: { threads: 1 },
      ...options.serviceOptions,
    });
  let service = newService();
  await service.start();

  const submit = (device: KnownDevice, metrics: Record<string, number | string | boolean>, ts?: number) =>
    pipeline.submit({ device, ts: ts ?? clock.now(), metrics: Object.entries(metrics).map(([key, value]) => ({ key, value })) }, 'test');

  const harness: Harness = {
    dir,
    meta,
    series,
    bus,
    pipeline,
    clock,
    factoryId: factory.id,
    operator: { userId: user.id, name: user.email },
    get service() {
      return service;
    },
    planned,
    kicks: () => kicks,
    events,
    deltas: (factoryId = factory.id) => events.filter((e) => e.factoryId === factoryId).map((e) => e.delta),
    async device(key, factoryId = factory.id) {
      await meta.devices.create(factoryId, { deviceKey: key, name: key }, clock.now());
      const known = await directory.device(factoryId, key);
      if (!known) throw new Error(`device ${key} vanished`);
      await directory.parametersOf(known);
      return known;
    },
    async factory(slug, timezone = 'UTC') {
      const created = await meta.factories.create({ slug, name: slug, timezone }, clock.now());
      await service.reload(created.id);
      return created.id;
    },
    async rule(input, factoryId = factory.id) {
      const rule = await meta.rules.create(
        factoryId,
        {
          name: 'High temperature',
          description: null,
          scope: 'global',
          cooldownMinutes: 0,
          isActive: true,
          scheduleType: 'always',
          scheduleConfig: null,
          severity: 'high',
          notificationChannels: { webhook: true },
          onDelaySeconds: 0,
          deadband: 0,
          escalationMinutes: null,
          recipients: null,
          deviceIds: [],
          ...input,
        },
        null,
        clock.now(),
      );
      await service.reload(factoryId);
      return rule;
    },
    async send(device, metrics, ts) {
      submit(device, metrics, ts);
      await pipeline.flush();
      await service.idle();
    },
    async sendBatch(messages) {
      for (const m of messages) submit(m.device, m.metrics, m.ts);
      await pipeline.flush();
      await service.idle();
    },
    async advance(ms) {
      clock.advance(ms);
      await service.tickNow();
      await service.idle();
    },
    async alerts(factoryId = factory.id) {
      return (await meta.alerts.list(factoryId, { page: 1, perPage: 1000 })).rows.sort((a, b) => a.id - b.id);
    },
    async restart() {
      await service.stop();
      service = newService();
      await service.start();
      await service.idle();
      return service;
    },
    async close() {
      try {
        await service.stop();
        await pipeline.close();
        await series.close();
        await meta.close();
        await bus.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return harness;
}

/** The journal of one alarm as (action, from, to) triples. */
export async function journalOf(h: Harness, alertId: number, factoryId = h.factoryId): Promise<Array<[string, string | null, string]>> {
  return (await h.meta.alerts.journal(factoryId, alertId)).map((e) => [e.action, e.fromState, e.toState]);
}
