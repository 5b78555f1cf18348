/**
 * The alarm service: evaluates rules on every committed ingest batch (on Piscina worker
 * threads, never on the ingest path), keeps the ISA-18.2 life cycle of each (rule, device)
 * with the engine's state machine, writes every transition (alarm row, journal entry with the
 * factory's sequence number, outbox rows, memory) in one transaction, pushes it on the bus,
 * and carries out operator actions, timed transitions and planned maintenance.
 *
 * Flow of one batch: the pipeline's onCommitted listener updates the latest values and, per
 * message, queues an evaluation step (a snapshot of the values the rule reads, and the time)
 * for each (rule, device) the message touched. At most one evaluation task is in flight: the
 * steps that arrive meanwhile are merged into the next task (the backlog is bounded per key),
 * yet each step is still evaluated in order, so a spike inside a merged window still raises.
 * Results are applied in order: the in-memory memory moves on at once (the next task starts
 * from it), and the writes go to one FIFO (write-queue.ts).
 *
 * Concurrency per (rule, device): an operator or system action (acknowledge, shelve,
 * maintenance, ...) bumps the key's revision and holds the key; an evaluation result computed
 * from an older revision is dropped and the key is evaluated again from the current memory,
 * and no evaluation of a held key is dispatched. Actions run inside the write FIFO, after
 * every write decided before them. So an action and an evaluation never interleave.
 *
 * What "alarm state survives restarts exactly" means here: the stored memory of each
 * (rule, device) is, at every moment, the memory after some prefix of the decisions the
 * service made, transitions always together with their alarm rows. Every memory change is
 * written, including those without a transition (on-delay start times, re-arming, cooldown
 * bookkeeping): transitions in their own transaction, the others coalesced into one write per
 * FIFO slot (milliseconds later). A crash can lose only memory-only changes not yet written
 * — never half a transition — and the next evaluation after a restart re-derives them. If a
 * write fails, the key falls back to its last stored memory and is evaluated again.
 */
import { performance } from 'node:perf_hooks';
import {
  alarmKey,
  alarmPolicyOf,
  createSnapshotContext,
  DEFAULT_COOLDOWN_MINUTES,
  DEFAULT_MAX_SHELVE_MS,
  formatAlarmMessage,
  initialAlarmMemory,
  restoreAlarmMemory,
  serializeAlarmMemory,
  transition,
  type AlarmEffect,
  type AlarmEvent,
  type AlarmMemory,
  type AlarmPolicy,
  type Actor as EngineActor,
} from '../../engine/rules/index.js';
import type { EvaluationItem, EvaluationResult, EvaluationSnapshot, RuleTaskEntry } from '../jobs/workers/rule-evaluator.js';
import type { CommittedBatch } from '../ingest/pipeline.js';
import type { Logger } from '../observe/logger.js';
import type { LiveBus } from '../store/bus/live-bus.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { SeriesStore } from '../store/series/series-store.js';
import type { Alert } from '../store/meta/repositories/alerts.js';
import type { MaintenanceWindow } from '../store/meta/repositories/maintenance.js';
import { alarmHealth, type AlarmHealthOptions, type AlarmHealthReport } from './alarm-health.js';
import { engineActor, writeTransition, type TransitionOutcome } from './alarm-records.js';
import { EvaluatorPool, type EvaluatorPoolOptions } from './evaluator-pool.js';
import { LatestValues } from './latest-values.js';
import { AlarmActionError, type Actor, type AlarmActions, type AlarmHealthReader, type NotificationPlanner } from './ports.js';
import { loadFactoryRules, ruleDefinitionOf, type CachedRule, type FactoryRules } from './rule-cache.js';
import { WriteQueue } from './write-queue.js';

export interface AlarmServiceOptions {
  meta: MetaStore;
  /** The ingest pipeline (only its onCommitted is used). */
  pipeline: { onCommitted(listener: (batch: CommittedBatch) => void): () => void };
  bus: LiveBus;
  /**
   * Where the latest values come from after a (re)start, before new telemetry arrives: without
   * them a timed evaluation (on-delay, no_data, schedules) would see no data and clear alarms.
   */
  series: Pick<SeriesStore, 'latest' | 'range'>;
  /** Decides the notifications of a raise (server/notify); called inside the transition's transaction. */
  planner: NotificationPlanner;
  logger: Logger;
  clock?: () => number;
  /** Called after a transition that enqueued outbox messages has committed. */
  kickNotifications?: () => void;
  /** Timed transitions and maintenance are checked this often (default 1000 ms). */
  tickMs?: number;
  /** Maintenance windows are re-read this often even without a reload (default 30 s). */
  maintenanceRefreshMs?: number;
  /** Worker pool settings (threads, worker file). */
  pool?: EvaluatorPoolOptions;
  /** Most items in one evaluation task (default 50 000); the rest wait for the next. */
  maxItemsPerTask?: number;
  /** Most queued evaluation steps per (rule, device); beyond it the newest replaces the last (default 32). */
  maxStepsPerKey?: number;
  /** Evaluation pauses while more writes than this are queued (default 5 000). */
  maxWriteBacklog?: number;
}

/** What the service remembers of one (rule, device). */
interface KeyState {
  readonly key: string;
  readonly factoryId: number;
  readonly ruleId: number;
  readonly deviceId: number;
  memory: AlarmMemory;
  serialized: string;
  /** The memory as last written ('' = never written). */
  persisted: string;
  /** The alarm row the memory is linked with (open or shelved); changes only with a committed write. */
  alertId: number | null;
  /** Bumped by every action and by a failed write: evaluation results of an older revision are dropped. */
  rev: number;
  /** Actions queued or running; no evaluation is dispatched meanwhile. */
  holds: number;
  /** Bumped when a write fails: queued writes of an older generation are skipped. */
  gen: number;
  /** When (performance.now) an evaluation last made way for a maintenance/scope action. */
  reconciledAt: number;
}

interface Step {
  now: number;
  snapshot: EvaluationSnapshot;
}

interface PendingKey {
  factoryId: number;
  ruleId: number;
  deviceId: number;
  steps: Step[];
}

interface ItemRef {
  state: KeyState;
  entry: CachedRule;
  rev: number;
  step: Step;
}

interface MemoryWrite {
  state: KeyState;
  gen: number;
  memory: AlarmMemory;
  serialized: string;
}

/** What maintenance, rule flags and scope want for one (rule, device). */
interface Desired {
  ruleOut: { reason: string; by: EngineActor } | null;
  deviceOut: { reason: string; by: EngineActor } | null;
  shelve: { until: number; reason: string; by: EngineActor } | null;
}

const SYSTEM: EngineActor = { id: 'system', name: 'system' };
/** Evaluation pauses this long after a failed evaluation task or write before trying again. */
const RETRY_PAUSE_MS = 1000;
const MAINTENANCE_PREFIX = 'maintenance:';
/** A maintenance window's shelving lasts as long as the window: no operator limit applies. */
const UNLIMITED_SHELVE = Number.MAX_SAFE_INTEGER;

function maintenanceActor(window: MaintenanceWindow): EngineActor {
  return { id: `${MAINTENANCE_PREFIX}${window.id}`, name: `maintenance window ${window.id}` };
}

function defaultPolicy(): AlarmPolicy {
  return { onDelayMs: 0, cooldownMs: DEFAULT_COOLDOWN_MINUTES * 60_000, maxShelveMs: DEFAULT_MAX_SHELVE_MS };
}

export class AlarmService implements AlarmActions, AlarmHealthReader {
  private readonly meta: MetaStore;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly factories = new Map<number, FactoryRules>();
  private readonly states = new Map<string, KeyState>();
  private readonly latest = new LatestValues();
  private readonly pending = new Map<string, PendingKey>();
  private readonly writes = new WriteQueue();
  private readonly reloads = new Map<number, Promise<void>>();
  private readonly disabling = new Set<number>();
  /** Rules being looked up after a failed write (forgetIfRuleGone). */
  private readonly checkingRules = new Set<number>();
  /** Fire-and-forget work (disabling a rule) that idle() and stop() still wait for. */
  private readonly background = new Set<Promise<unknown>>();
  /** (device, parameter) latest values / rate histories already read from the series store. */
  private readonly warmed = new Set<string>();
  private readonly warmedHistory = new Set<string>();
  private pool: EvaluatorPool | null = null;
  private inFlight: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private waitingForWrites = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private lastMaintenanceRead = 0;
  private running = false;

  constructor(private readonly options: AlarmServiceOptions) {
    this.meta = options.meta;
    this.logger = options.logger;
    this.clock = options.clock ?? Date.now;
  }

  // ---------------------------------------------------------------------------- life cycle

  /** Loads every factory's rules, alarm memories and maintenance, then follows the pipeline. */
  async start(): Promise<void> {
    if (this.running) return;
    this.pool = new EvaluatorPool(this.options.pool);
    const now = this.clock();
    try {
      for (const factory of await this.meta.factories.list()) await this.loadFactory(factory.id, true);
    } catch (error) {
      await this.pool.destroy();
      this.pool = null;
      throw error;
    }
    this.lastMaintenanceRead = now;
    this.running = true;
    this.unsubscribe = this.options.pipeline.onCommitted((batch) => this.onBatch(batch));
    this.tickTimer = setInterval(() => void this.tick(), this.options.tickMs ?? 1000);
    this.tickTimer.unref();
    await this.tick();
    this.logger.info(
      { event: 'alarms.started', factories: this.factories.size, rules: [...this.factories.values()].reduce((n, f) => n + f.rules.size, 0), memories: this.states.size, threads: this.pool.threadCount },
      'alarm service started',
    );
  }

  /** Stops following the pipeline, finishes the evaluation and writes in progress, stops the workers. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.tickTimer = null;
    await this.ticking;
    await this.inFlight;
    await Promise.all([...this.reloads.values(), ...this.background]);
    await this.writes.idle();
    await this.pool?.destroy();
    this.pool = null;
    this.logger.info({ event: 'alarms.stopped' }, 'alarm service stopped');
  }

  /**
   * Resolves once everything handed in so far has been evaluated and written (tests, and a
   * graceful shutdown that wants the last batch's alarms out).
   */
  async idle(): Promise<void> {
    for (let spins = 0; spins < 10_000; spins++) {
      if (this.ticking) {
        await this.ticking;
        continue;
      }
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      if (this.reloads.size > 0 || this.background.size > 0) {
        await Promise.all([...this.reloads.values(), ...this.background]);
        continue;
      }
      if (this.writes.length > 0) {
        await this.writes.idle();
        continue;
      }
      if (this.pending.size > 0 && this.running) {
        this.dispatch();
        if (this.inFlight) continue;
        if (this.retryTimer) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
      }
      return;
    }
  }

  /** Runs the periodic check now (timed transitions, maintenance); tests with a manual clock call it. */
  async tickNow(): Promise<void> {
    await this.ticking;
    await this.tick();
  }

  // ---------------------------------------------------------------------------- AlarmActions

  acknowledge(factoryId: number, alertId: number, actor: Actor, comment: string | null): Promise<Alert> {
    return this.operatorAction(factoryId, alertId, (now) => ({ type: 'acknowledge', now, by: engineActor(actor), ...(comment !== null && { comment }) }));
  }

  shelve(factoryId: number, alertId: number, actor: Actor, minutes: number, reason: string): Promise<Alert> {
    return this.operatorAction(factoryId, alertId, (now) => ({ type: 'shelve', now, by: engineActor(actor), until: now + minutes * 60_000, reason }));
  }

  unshelve(factoryId: number, alertId: number, actor: Actor): Promise<Alert> {
    return this.operatorAction(factoryId, alertId, (now) => ({ type: 'unshelve', now, by: engineActor(actor) }));
  }

  resolve(factoryId: number, alertId: number, actor: Actor, comment: string | null): Promise<Alert> {
    return this.operatorAction(factoryId, alertId, (now) => ({ type: 'resolve', now, by: engineActor(actor), ...(comment !== null && { comment }) }));
  }

  /** Re-reads a factory's rules, devices, time zone and maintenance windows (after an API change). */
  reload(factoryId: number): Promise<void> {
    const previous = this.reloads.get(factoryId) ?? Promise.resolve();
    const next = previous.then(() => this.loadFactory(factoryId, !this.factories.has(factoryId)));
    const tracked = next.finally(() => {
      if (this.reloads.get(factoryId) === tracked) this.reloads.delete(factoryId);
    });
    this.reloads.set(factoryId, tracked);
    return next;
  }

  alarmHealth(factoryId: number, now: number, options: AlarmHealthOptions = {}): Promise<AlarmHealthReport> {
    return alarmHealth(this.meta, factoryId, now, options);
  }

  // ---------------------------------------------------------------------------- loading

  private async loadFactory(factoryId: number, withStates: boolean): Promise<void> {
    const now = this.clock();
    const loaded = await loadFactoryRules(this.meta, factoryId, now);
    if (!loaded) {
      this.factories.delete(factoryId);
      for (const [key, st] of this.states) if (st.factoryId === factoryId) this.forget(key);
      return;
    }
    for (const { rule, reason } of loaded.invalid) {
      this.logger.error({ event: 'alarms.rule_invalid', factoryId, ruleId: rule.id, reason }, 'rule cannot be evaluated; disabled');
      await this.meta.rules.update(factoryId, rule.id, { isActive: false, disabledReason: reason.slice(0, 1000) }, now);
    }
    const fresh = loaded.rules;
    const previous = this.factories.get(factoryId);
    this.factories.set(factoryId, fresh);
    this.latest.setHistoryWindows(factoryId, fresh.historyWindows);

    await this.warmUp(fresh, now);
    if (withStates) await this.loadStates(fresh);
    // Memories of rules that no longer exist go (their rows went with the rule).
    for (const [key, st] of this.states) if (st.factoryId === factoryId && !fresh.exists(st.ruleId) && st.holds === 0) this.forget(key);
    // A changed rule is evaluated at once against the latest values.
    for (const entry of fresh.rules.values()) {
      if (previous?.rules.get(entry.rule.id)?.task.version === entry.task.version) continue;
      for (const d of fresh.devicesOf(entry)) if (this.latest.hasAny(d, entry.parameters)) this.addStep(fresh, entry, d, now);
    }
    if (this.running) {
      this.reconcile(fresh, now);
      this.dispatch();
    }
  }

  /**
   * Reads from the series store the latest values (and, for rate leaves, the recent history)
   * that the rules need and this process has not seen yet: after a restart the memories
   * continue against the real last values, not against "no data".
   */
  private async warmUp(fr: FactoryRules, now: number): Promise<void> {
    const series = this.options.series;
    const latestWanted = new Map<number, Set<string>>();
    const historyWanted: Array<{ deviceId: number; parameter: string; windowMs: number }> = [];
    for (const entry of fr.rules.values()) {
      for (const d of fr.devicesOf(entry)) {
        for (const p of entry.parameters) {
          const key = `${d}\u0000${p}`;
          if (this.warmed.has(key)) continue;
          this.warmed.add(key);
          const set = latestWanted.get(d) ?? new Set<string>();
          set.add(p);
          latestWanted.set(d, set);
        }
        for (const p of entry.rateWindows.keys()) {
          const key = `${d}\u0000${p}`;
          if (this.warmedHistory.has(key)) continue;
          this.warmedHistory.add(key);
          historyWanted.push({ deviceId: d, parameter: p, windowMs: fr.historyWindows.get(p) ?? 0 });
        }
      }
    }
    try {
      for (const { deviceId, parameter, windowMs } of historyWanted) {
        const from = Math.max(0, now - windowMs);
        if (windowMs <= 0 || from >= now + 1) continue;
        const range = await series.range(fr.factoryId, deviceId, parameter, from, now + 1, 10_000);
        for (const b of range.buckets) if (typeof b.last === 'number') this.latest.record(fr.factoryId, deviceId, parameter, b.ts, b.last);
      }
      for (const [deviceId, parameters] of latestWanted) {
        for (const v of await series.latest(fr.factoryId, deviceId, [...parameters])) this.latest.record(fr.factoryId, deviceId, v.parameter, v.ts, v.value);
      }
    } catch (error) {
      this.logger.warn({ event: 'alarms.warm_up_failed', factoryId: fr.factoryId, err: error }, 'could not read the latest values; rules see new telemetry only');
    }
  }

  private async loadStates(fr: FactoryRules): Promise<void> {
    const factoryId = fr.factoryId;
    const [records, open] = await Promise.all([this.meta.alarmStates.listForFactory(factoryId), this.meta.alerts.listOpen(factoryId)]);
    const openById = new Map(open.map((a) => [a.id, a]));
    const linked = new Set<number>();
    for (const record of records) {
      if (!fr.exists(record.ruleId)) continue;
      const key = alarmKey(record.ruleId, record.deviceId);
      let memory: AlarmMemory;
      try {
        memory = restoreAlarmMemory(record.memory);
      } catch (error) {
        // A corrupt row must not stop the server: its alarm row (if any) is adopted below.
        this.logger.error({ event: 'alarms.memory_corrupt', factoryId, ruleId: record.ruleId, deviceId: record.deviceId, err: error }, 'stored alarm memory is invalid; starting afresh');
        continue;
      }
      const alertId = record.openAlertId !== null && openById.has(record.openAlertId) ? record.openAlertId : null;
      if (alertId !== null) linked.add(alertId);
      const serialized = serializeAlarmMemory(memory);
      this.states.set(key, { key, factoryId, ruleId: record.ruleId, deviceId: record.deviceId, memory, serialized, persisted: serialized, alertId, rev: 0, holds: 0, gen: 0, reconciledAt: -Infinity });
    }
    // Open alarm rows no memory points at (written by an older server, or a corrupt memory):
    // adopt them with a memory that matches the row, so they can be acknowledged and cleared.
    for (const alert of open) {
      if (linked.has(alert.id) || !fr.exists(alert.ruleId)) continue;
      const key = alarmKey(alert.ruleId, alert.deviceId);
      const existing = this.states.get(key);
      if (existing && existing.alertId !== null) {
        this.logger.warn({ event: 'alarms.orphan_alarm', factoryId, alertId: alert.id, ruleId: alert.ruleId, deviceId: alert.deviceId }, 'an open alarm row has no memory; left as it is');
        continue;
      }
      const memory = memoryForRow(alert, this.clock());
      const serialized = serializeAlarmMemory(memory);
      this.states.set(key, { key, factoryId, ruleId: alert.ruleId, deviceId: alert.deviceId, memory, serialized, persisted: '', alertId: alert.id, rev: 0, holds: 0, gen: 0, reconciledAt: -Infinity });
      linked.add(alert.id);
    }
  }

  private forget(key: string): void {
    this.states.delete(key);
    this.pending.delete(key);
  }

  private stateFor(factoryId: number, ruleId: number, deviceId: number): KeyState {
    const key = alarmKey(ruleId, deviceId);
    let st = this.states.get(key);
    if (!st) {
      const memory = initialAlarmMemory();
      st = { key, factoryId, ruleId, deviceId, memory, serialized: serializeAlarmMemory(memory), persisted: '', alertId: null, rev: 0, holds: 0, gen: 0, reconciledAt: -Infinity };
      this.states.set(key, st);
    }
    return st;
  }

  // ---------------------------------------------------------------------------- evaluation

  private onBatch(batch: CommittedBatch): void {
    if (!this.running) return;
    const now = this.clock();
    const points = batch.points;
    const changed: string[] = [];
    let i = 0;
    while (i < points.length) {
      const first = points[i] as (typeof points)[number];
      const fr = this.factories.get(first.factoryId);
      // One message: consecutive points of the same device and time.
      changed.length = 0;
      let j = i;
      for (; j < points.length; j++) {
        const p = points[j] as (typeof points)[number];
        if (p.deviceId !== first.deviceId || p.ts !== first.ts) break;
        if (this.latest.record(p.factoryId, p.deviceId, p.parameter, p.ts, p.value) && fr) changed.push(p.parameter);
      }
      i = j;
      if (!fr || changed.length === 0 || fr.byParameter.size === 0) continue;
      if (!fr.activeDevices.has(first.deviceId)) fr.activeDevices.add(first.deviceId);
      const touched = new Set<CachedRule>();
      for (const parameter of changed) for (const entry of fr.byParameter.get(parameter) ?? []) touched.add(entry);
      for (const entry of touched) if (fr.inScope(entry, first.deviceId)) this.addStep(fr, entry, first.deviceId, now);
    }
    this.dispatch();
  }

  private addStep(fr: FactoryRules, entry: CachedRule, deviceId: number, now: number, onlyIfIdle = false): void {
    const key = alarmKey(entry.rule.id, deviceId);
    let pending = this.pending.get(key);
    if (pending && onlyIfIdle) return;
    const step: Step = { now, snapshot: this.latest.snapshot(deviceId, entry, now) };
    if (!pending) {
      pending = { factoryId: fr.factoryId, ruleId: entry.rule.id, deviceId, steps: [] };
      this.pending.set(key, pending);
    }
    if (pending.steps.length >= (this.options.maxStepsPerKey ?? 32)) pending.steps[pending.steps.length - 1] = step;
    else pending.steps.push(step);
  }

  /** Puts dispatched steps back in front of any queued since, in their order. */
  private requeue(refs: readonly ItemRef[]): void {
    const byKey = new Map<string, ItemRef[]>();
    for (const ref of refs) {
      const list = byKey.get(ref.state.key);
      if (list) list.push(ref);
      else byKey.set(ref.state.key, [ref]);
    }
    const cap = this.options.maxStepsPerKey ?? 32;
    for (const [key, list] of byKey) {
      const st = (list[0] as ItemRef).state;
      const queued = this.pending.get(key);
      const steps = [...list.map((r) => r.step), ...(queued?.steps ?? [])];
      // Over the cap: keep the oldest and the newest (the newest values matter most).
      if (steps.length > cap) steps.splice(cap - 1, steps.length - cap);
      this.pending.set(key, { factoryId: st.factoryId, ruleId: st.ruleId, deviceId: st.deviceId, steps });
    }
  }

  /** Sends the queued steps to the workers, unless a task is in flight (they wait for the next). */
  private dispatch(): void {
    if (!this.running || this.inFlight || this.pending.size === 0 || this.pool === null || this.retryTimer) return;
    if (this.writes.length > (this.options.maxWriteBacklog ?? 5_000)) {
      if (!this.waitingForWrites) {
        this.waitingForWrites = true;
        void this.writes.idle().then(() => {
          this.waitingForWrites = false;
          this.dispatch();
        });
      }
      return;
    }
    const maxItems = this.options.maxItemsPerTask ?? 50_000;
    const now = this.clock();
    const items: EvaluationItem[] = [];
    const refs: ItemRef[] = [];
    const rules = new Map<number, RuleTaskEntry>();
    for (const [key, pending] of this.pending) {
      if (items.length >= maxItems) break;
      const fr = this.factories.get(pending.factoryId);
      const entry = fr?.rules.get(pending.ruleId);
      if (!fr || !entry || !fr.inScope(entry, pending.deviceId)) {
        this.pending.delete(key);
        continue;
      }
      const st = this.stateFor(pending.factoryId, pending.ruleId, pending.deviceId);
      if (st.holds > 0) continue;
      // A (rule, device) that maintenance or scope wants out of service or shelved — e.g. a
      // new device under a running window — gets there before it is evaluated.
      if (this.nextReconcileEvent(st.memory, this.desired(fr, pending.ruleId, pending.deviceId, now), now) !== null && performance.now() - st.reconciledAt > 1000) {
        st.reconciledAt = performance.now();
        this.systemAction(fr.factoryId, pending.ruleId, pending.deviceId);
        continue;
      }
      this.pending.delete(key);
      if (st.memory.state === 'out_of_service') continue;
      pending.steps.forEach((step, index) => {
        items.push({ ruleId: pending.ruleId, deviceId: pending.deviceId, memory: index === 0 ? st.serialized : null, snapshot: step.snapshot, now: step.now });
        refs.push({ state: st, entry, rev: st.rev, step });
      });
      rules.set(entry.rule.id, entry.task);
    }
    if (items.length === 0) return;
    const pool = this.pool;
    this.inFlight = pool
      .run({ rules: [...rules.values()], items })
      .then(
        (results) => this.applyResults(refs, results),
        (error: unknown) => {
          // The worker itself failed (not a rule: those come back as item errors). Try again
          // shortly rather than spinning on a broken pool.
          this.logger.error({ event: 'alarms.evaluation_failed', items: items.length, err: error }, 'rule evaluation task failed');
          this.requeue(refs);
          this.pauseEvaluation();
        },
      )
      .finally(() => {
        this.inFlight = null;
        this.dispatch();
      });
  }

  private applyResults(refs: readonly ItemRef[], results: readonly EvaluationResult[]): void {
    const failedRules = new Map<number, { factoryId: number; error: string }>();
    const stale = new Set<string>();
    const again: ItemRef[] = [];
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i] as ItemRef;
      const result = results[i];
      const st = ref.state;
      if (stale.has(st.key) || st.rev !== ref.rev || result === undefined) {
        // An action changed the memory meanwhile: evaluate this step again from the new memory.
        stale.add(st.key);
        again.push(ref);
        continue;
      }
      if (result.error !== undefined) {
        failedRules.set(st.ruleId, { factoryId: st.factoryId, error: result.error });
        stale.add(st.key);
        continue;
      }
      if (result.memory === st.serialized && result.effects.length === 0) continue;
      const memory = JSON.parse(result.memory) as AlarmMemory;
      st.memory = memory;
      st.serialized = result.memory;
      if (result.effects.length > 0) {
        const raise = { message: result.message ?? null, snapshot: ref.step.snapshot.latest };
        this.queueTransition(st, ref.entry, result.effects, memory, result.memory, raise);
      } else {
        this.queueMemory(st, memory, result.memory);
      }
    }
    if (again.length > 0) this.requeue(again);
    for (const [ruleId, { factoryId, error }] of failedRules) this.disableRule(factoryId, ruleId, error);
  }

  /** A rule whose evaluation throws is disabled with the reason (not retried forever). */
  private disableRule(factoryId: number, ruleId: number, error: string): void {
    if (this.disabling.has(ruleId)) return;
    this.disabling.add(ruleId);
    const reason = error.slice(0, 1000);
    this.logger.error({ event: 'alarms.rule_disabled', factoryId, ruleId, reason }, 'rule evaluation failed; rule disabled');
    this.factories.get(factoryId)?.rules.delete(ruleId);
    const work = this.meta.rules
      .update(factoryId, ruleId, { isActive: false, disabledReason: reason }, this.clock())
      .then(() => this.reload(factoryId))
      .catch((e: unknown) => this.logger.error({ event: 'alarms.rule_disable_failed', factoryId, ruleId, err: e }, 'could not disable rule'))
      .finally(() => {
        this.disabling.delete(ruleId);
        this.background.delete(work);
      });
    this.background.add(work);
  }

  // ---------------------------------------------------------------------------- writing

  private queueTransition(
    st: KeyState,
    entry: CachedRule | undefined,
    effects: readonly AlarmEffect[],
    memory: AlarmMemory,
    serialized: string,
    raise: { message: string | null; snapshot: unknown } | null,
  ): void {
    const gen = st.gen;
    void this.writes
      .run(async () => {
        if (st.gen !== gen) return; // an earlier write of this key failed; it is being evaluated again
        await this.persistTransition(st, entry, effects, memory, serialized, raise);
      })
      .catch(() => {
        /* persistTransition logged and recovered */
      });
  }

  private queueMemory(st: KeyState, memory: AlarmMemory, serialized: string): void {
    this.writes.coalesce<MemoryWrite>(
      st.key,
      { state: st, gen: st.gen, memory, serialized },
      (_previous, next) => next,
      (batch) => this.flushMemories(batch),
    );
  }

  /** Writes one transition (must run inside the write FIFO). Throws after recovering on failure. */
  private async persistTransition(
    st: KeyState,
    entry: CachedRule | undefined,
    effects: readonly AlarmEffect[],
    memory: AlarmMemory,
    serialized: string,
    raise: { message: string | null; snapshot: unknown } | null,
  ): Promise<TransitionOutcome> {
    let outcome: TransitionOutcome;
    try {
      outcome = await this.meta.transaction((repos) =>
        writeTransition(
          repos,
          this.options.planner,
          { factoryId: st.factoryId, ruleId: st.ruleId, deviceId: st.deviceId, rule: entry?.rule, linkedAlertId: st.alertId, effects, memory, raise, now: this.clock() },
          this.logger,
        ),
      );
    } catch (error) {
      this.logger.error({ event: 'alarms.write_failed', factoryId: st.factoryId, ruleId: st.ruleId, deviceId: st.deviceId, err: error }, 'could not write an alarm transition');
      this.recover(st);
      throw error;
    }
    st.persisted = serialized;
    st.alertId = outcome.linkedAlertId;
    for (const delta of outcome.deltas) {
      this.options.bus.publish({ type: 'alarm', factoryId: st.factoryId, deviceId: st.deviceId, delta });
      this.logger.info(
        { event: 'alarm.transition', factoryId: st.factoryId, ruleId: st.ruleId, deviceId: st.deviceId, alertId: delta.alert.id, seq: delta.seq, action: delta.action, to: delta.toState },
        'alarm transition',
      );
    }
    if (outcome.messages > 0) this.options.kickNotifications?.();
    return outcome;
  }

  private async flushMemories(batch: Map<string, MemoryWrite>): Promise<void> {
    const writes = [...batch.values()].filter((w) => w.state.gen === w.gen);
    if (writes.length === 0) return;
    const now = this.clock();
    try {
      await this.meta.transaction(async (repos) => {
        for (const w of writes) {
          await repos.alarmStates.save(w.state.factoryId, {
            ruleId: w.state.ruleId,
            deviceId: w.state.deviceId,
            memory: w.memory,
            conditionSince: w.memory.conditionSince,
            lastTriggered: w.memory.lastRaisedAt,
            openAlertId: w.state.alertId,
            updatedAt: now,
          });
        }
      });
    } catch (error) {
      this.logger.error({ event: 'alarms.memory_write_failed', memories: writes.length, err: error }, 'could not write alarm memories');
      for (const w of writes) this.recover(w.state);
      return;
    }
    for (const w of writes) w.state.persisted = w.serialized;
  }

  /**
   * After a failed write: back to the stored memory, and evaluate again — after a pause, so a
   * database that keeps refusing is not hammered in a tight loop of failing transactions.
   */
  private recover(st: KeyState): void {
    st.gen++;
    st.rev++;
    const memory = st.persisted === '' ? initialAlarmMemory() : restoreAlarmMemory(st.persisted);
    st.memory = memory;
    st.serialized = serializeAlarmMemory(memory);
    const fr = this.factories.get(st.factoryId);
    const entry = fr?.rules.get(st.ruleId);
    if (fr && entry && fr.inScope(entry, st.deviceId)) this.addStep(fr, entry, st.deviceId, this.clock());
    this.forgetIfRuleGone(st.factoryId, st.ruleId);
    this.pauseEvaluation();
  }

  /** No evaluation is dispatched for RETRY_PAUSE_MS (after a failed task or write); one timer at a time. */
  private pauseEvaluation(): void {
    if (!this.running || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.dispatch();
    }, RETRY_PAUSE_MS);
    this.retryTimer.unref();
  }

  /**
   * A rule deleted behind this service's back (by another server of a scale-out site, or by
   * hand) fails every write of its alarms for good: reload the factory, which forgets it.
   */
  private forgetIfRuleGone(factoryId: number, ruleId: number): void {
    if (this.checkingRules.has(ruleId)) return;
    this.checkingRules.add(ruleId);
    const work = this.meta.rules
      .get(factoryId, ruleId)
      .then((rule) => {
        if (rule !== undefined) return;
        this.logger.warn({ event: 'alarms.rule_vanished', factoryId, ruleId }, 'a rule was deleted without this server being told; reloading its factory');
        return this.reload(factoryId);
      })
      .catch(() => {
        /* the store is unreachable: the paused retry finds out again */
      })
      .finally(() => {
        this.checkingRules.delete(ruleId);
        this.background.delete(work);
      });
    this.background.add(work);
  }

  // ---------------------------------------------------------------------------- actions

  /**
   * Runs `work` for one (rule, device) inside the write FIFO, holding the key: evaluations
   * wait, and results computed before it are recomputed.
   */
  private async act<T>(st: KeyState, work: () => Promise<T>): Promise<T> {
    st.holds++;
    st.rev++;
    try {
      return await this.writes.run(work);
    } finally {
      st.holds--;
      this.dispatch();
    }
  }

  private async operatorAction(factoryId: number, alertId: number, eventAt: (now: number) => AlarmEvent): Promise<Alert> {
    const alert = await this.meta.alerts.get(factoryId, alertId);
    if (!alert) throw new AlarmActionError('ALERT_NOT_FOUND', `alarm ${alertId} not found`);
    const fr = this.factories.get(factoryId);
    const entry = fr?.rules.get(alert.ruleId);
    const policy = entry?.compiled.policy ?? (await this.storedPolicy(factoryId, alert.ruleId));
    const st = this.stateFor(factoryId, alert.ruleId, alert.deviceId);
    return this.act(st, async () => {
      if (st.alertId !== alertId) {
        const current = await this.meta.alerts.get(factoryId, alertId);
        throw new AlarmActionError(
          'INVALID_TRANSITION',
          current === undefined || current.state === 'normal' ? 'the alarm is closed' : 'the alarm is not the current alarm of its rule and device',
        );
      }
      const now = this.clock();
      const result = transition(st.memory, eventAt(now), policy);
      if (result.refused) throw new AlarmActionError('INVALID_TRANSITION', result.refused.message);
      if (result.memory === st.memory) return (await this.meta.alerts.get(factoryId, alertId)) ?? alert;
      const outcome = await this.applyAction(st, entry, st.memory, result.memory, result.effects, now);
      const own = [...outcome.deltas].reverse().find((d) => d.alert.id === alertId);
      return own?.alert ?? (await this.meta.alerts.get(factoryId, alertId)) ?? alert;
    });
  }

  private async storedPolicy(factoryId: number, ruleId: number): Promise<AlarmPolicy> {
    const rule = await this.meta.rules.get(factoryId, ruleId);
    return rule ? alarmPolicyOf(ruleDefinitionOf(rule)) : defaultPolicy();
  }

  /** Moves the key's memory on by an action's transition and writes it (inside the FIFO). */
  private applyAction(st: KeyState, entry: CachedRule | undefined, before: AlarmMemory, memory: AlarmMemory, effects: readonly AlarmEffect[], now: number): Promise<TransitionOutcome> {
    const serialized = serializeAlarmMemory(memory);
    st.memory = memory;
    st.serialized = serialized;
    const raise = effects.some((e) => e.type === 'open_alarm') ? this.describe(st, entry, before, now) : null;
    return this.persistTransition(st, entry, effects, memory, serialized, raise);
  }

  /** Message and telemetry snapshot for an alarm an action raises (unshelve, shelving expiry by action). */
  private describe(st: KeyState, entry: CachedRule | undefined, before: AlarmMemory, now: number): { message: string | null; snapshot: unknown } {
    if (!entry) return { message: null, snapshot: null };
    const snapshot = this.latest.snapshot(st.deviceId, entry, now);
    const ctx = createSnapshotContext({ now, latest: snapshot.latest, history: snapshot.history });
    entry.compiled.evaluate(ctx, before.condition);
    return { message: formatAlarmMessage(entry.rule.name, entry.compiled, ctx), snapshot: snapshot.latest };
  }

  // ---------------------------------------------------------------------------- the tick

  private tick(): Promise<void> {
    if (!this.running || this.ticking) return this.ticking ?? Promise.resolve();
    this.ticking = this.runTick()
      .catch((error: unknown) => this.logger.error({ event: 'alarms.tick_failed', err: error }, 'alarm tick failed'))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  private async runTick(): Promise<void> {
    let now = this.clock();
    if (now - this.lastMaintenanceRead >= (this.options.maintenanceRefreshMs ?? 30_000)) {
      this.lastMaintenanceRead = now;
      for (const fr of this.factories.values()) fr.maintenance = await this.meta.maintenance.listCurrent(fr.factoryId, now);
      now = this.clock();
    }
    for (const fr of this.factories.values()) this.reconcile(fr, now);
    this.queueTimed(now);
    this.dispatch();
  }

  /** Evaluation steps for what time alone can change: on-delay, cooldown, shelving expiry, no_data, rates, schedules. */
  private queueTimed(now: number): void {
    for (const st of this.states.values()) {
      const m = st.memory;
      const waiting = m.condition && ((m.state === 'normal' && m.armed) || m.state === 'cleared_unacknowledged');
      const expired = m.state === 'shelved' && m.shelving !== null && m.shelving.until <= now;
      if (!waiting && !expired) continue;
      const fr = this.factories.get(st.factoryId);
      const entry = fr?.rules.get(st.ruleId);
      if (fr && entry && fr.inScope(entry, st.deviceId)) this.addStep(fr, entry, st.deviceId, now, true);
    }
    for (const fr of this.factories.values()) {
      for (const entry of fr.rules.values()) {
        if (!entry.timed) continue;
        for (const d of fr.devicesOf(entry)) if (this.latest.hasAny(d, entry.parameters)) this.addStep(fr, entry, d, now, true);
      }
    }
  }

  /** What maintenance windows, the rule's flags and its scope want for one (rule, device) at `now`. */
  private desired(fr: FactoryRules, ruleId: number, deviceId: number, now: number): Desired {
    const entry = fr.rules.get(ruleId);
    const result: Desired = { ruleOut: null, deviceOut: null, shelve: null };
    if (!entry) result.ruleOut = { reason: fr.inactive.get(ruleId) ?? 'rule deactivated', by: SYSTEM };
    else if (entry.rule.outOfService) result.ruleOut = { reason: 'rule taken out of service', by: SYSTEM };
    if (entry && !fr.inScope(entry, deviceId)) {
      result.deviceOut = { reason: fr.activeDevices.has(deviceId) ? "device no longer in the rule's scope" : 'device deactivated', by: SYSTEM };
    }
    for (const w of fr.maintenance) {
      if (w.cancelledAt !== null || w.startsAt > now || w.endsAt <= now) continue;
      const applies = (w.targetType === 'rule' && w.targetId === ruleId) || (w.targetType === 'device' && w.targetId === deviceId);
      if (!applies) continue;
      if (w.mode === 'out_of_service') {
        const mark = { reason: w.reason.trim() || 'planned maintenance', by: maintenanceActor(w) };
        if (w.targetType === 'rule') result.ruleOut ??= mark;
        else result.deviceOut ??= mark;
      } else if (result.shelve === null || result.shelve.until < w.endsAt) {
        result.shelve = { until: w.endsAt, reason: w.reason.trim() || 'planned maintenance', by: maintenanceActor(w) };
      }
    }
    return result;
  }

  /** The next event that brings a memory to what is desired, or null when it is there. */
  private nextReconcileEvent(memory: AlarmMemory, want: Desired, now: number): AlarmEvent | null {
    const oos = memory.outOfService;
    if (want.ruleOut && oos.rule === null) return { type: 'out_of_service', scope: 'rule', now, by: want.ruleOut.by, reason: want.ruleOut.reason };
    if (want.deviceOut && oos.device === null) return { type: 'out_of_service', scope: 'device', now, by: want.deviceOut.by, reason: want.deviceOut.reason };
    if (!want.ruleOut && oos.rule !== null) return { type: 'return_to_service', scope: 'rule', now, by: SYSTEM };
    if (!want.deviceOut && oos.device !== null) return { type: 'return_to_service', scope: 'device', now, by: SYSTEM };
    if (memory.state === 'out_of_service') return null;
    const shelving = memory.shelving;
    if (want.shelve && want.shelve.until > now && (shelving === null || shelving.until < want.shelve.until)) {
      return { type: 'shelve', now, by: want.shelve.by, until: want.shelve.until, reason: want.shelve.reason };
    }
    // A maintenance shelving whose window was cancelled or cut short ends now; one that ran
    // its course expires through evaluation like any other.
    if (!want.shelve && shelving !== null && String(shelving.by.id).startsWith(MAINTENANCE_PREFIX) && shelving.until > now) {
      return { type: 'unshelve', now, by: SYSTEM, comment: 'maintenance window cancelled' };
    }
    return null;
  }

  /** Applies maintenance, rule out-of-service flags and scope changes to every affected (rule, device). */
  private reconcile(fr: FactoryRules, now: number): void {
    const targets = new Map<string, { ruleId: number; deviceId: number }>();
    for (const st of this.states.values()) if (st.factoryId === fr.factoryId) targets.set(st.key, { ruleId: st.ruleId, deviceId: st.deviceId });
    const windowsNow = fr.maintenance.filter((w) => w.cancelledAt === null && w.startsAt <= now && w.endsAt > now);
    const windowedRules = new Set(windowsNow.filter((w) => w.targetType === 'rule').map((w) => w.targetId));
    const windowedDevices = new Set(windowsNow.filter((w) => w.targetType === 'device').map((w) => w.targetId));
    for (const entry of fr.rules.values()) {
      const wholeRule = entry.rule.outOfService || windowedRules.has(entry.rule.id);
      if (!wholeRule && windowedDevices.size === 0) continue;
      for (const d of fr.devicesOf(entry)) {
        if (wholeRule || windowedDevices.has(d)) targets.set(alarmKey(entry.rule.id, d), { ruleId: entry.rule.id, deviceId: d });
      }
    }
    for (const [key, { ruleId, deviceId }] of targets) {
      const st = this.states.get(key);
      if (st && st.holds > 0) continue;
      const memory = st?.memory ?? INITIAL_MEMORY;
      if (this.nextReconcileEvent(memory, this.desired(fr, ruleId, deviceId, now), now) === null) continue;
      this.systemAction(fr.factoryId, ruleId, deviceId);
    }
  }

  private systemAction(factoryId: number, ruleId: number, deviceId: number): void {
    const st = this.stateFor(factoryId, ruleId, deviceId);
    void this.act(st, async () => {
      const fr = this.factories.get(factoryId);
      if (!fr || !fr.exists(ruleId)) return;
      const entry = fr.rules.get(ruleId);
      const policy = entry?.compiled.policy ?? defaultPolicy();
      const now = this.clock();
      const before = st.memory;
      let memory = before;
      const effects: AlarmEffect[] = [];
      for (let n = 0; n < 6; n++) {
        const event = this.nextReconcileEvent(memory, this.desired(fr, ruleId, deviceId, now), now);
        if (event === null) break;
        const result = transition(memory, event, event.type === 'shelve' ? { ...policy, maxShelveMs: UNLIMITED_SHELVE } : policy);
        if (result.refused) {
          this.logger.warn({ event: 'alarms.maintenance_refused', factoryId, ruleId, deviceId, action: event.type, reason: result.refused.message }, 'maintenance transition refused');
          break;
        }
        memory = result.memory;
        effects.push(...result.effects);
      }
      if (memory === before) return;
      await this.applyAction(st, entry, before, memory, effects, now);
    }).catch((error: unknown) => {
      if (!(error instanceof AlarmActionError)) this.logger.error({ event: 'alarms.system_action_failed', factoryId, ruleId, deviceId, err: error }, 'maintenance transition failed');
    });
  }
}

const INITIAL_MEMORY: AlarmMemory = initialAlarmMemory();

/** A memory matching an open alarm row that has none (see loadStates). */
function memoryForRow(alert: Alert, now: number): AlarmMemory {
  const memory = initialAlarmMemory();
  memory.lastRaisedAt = alert.triggeredAt;
  memory.armed = false;
  if (alert.state === 'shelved') {
    memory.state = 'shelved';
    memory.shelving = {
      at: now,
      until: alert.shelvedUntil ?? now,
      reason: alert.shelveReason ?? 'shelved',
      by: alert.shelvedBy !== null ? { id: alert.shelvedBy } : { id: 'system', name: 'system' },
    };
  } else if (alert.state !== 'normal') {
    memory.state = alert.state;
    memory.openSince = alert.triggeredAt;
  }
  return memory;
}
