/**
 * Per factory, what the evaluator needs in memory: the active rules compiled once (engine
 * compileRule + validateSchedule), which devices each rule covers, the factory's time zone
 * and its maintenance windows. Rebuilt by loadFactoryRules() at start and on reload (after a
 * change through the API); between reloads a device seen for the first time in telemetry
 * joins the global rules at once.
 */
import { createHash } from 'node:crypto';
import {
  compileRule,
  validateSchedule,
  formatIssue,
  type CompiledRule,
  type RuleDefinition,
  type Schedule,
} from '../../engine/rules/index.js';
import type { RuleTaskEntry } from '../jobs/workers/rule-evaluator.js';
import type { MetaRepositories } from '../store/meta/meta-store.js';
import type { MaintenanceWindow } from '../store/meta/repositories/maintenance.js';
import type { Rule } from '../store/meta/repositories/rules.js';
import type { SnapshotNeeds } from './latest-values.js';

export interface CachedRule extends SnapshotNeeds {
  readonly rule: Rule;
  readonly compiled: CompiledRule;
  readonly schedule: Schedule;
  /** What the worker receives; its version changes with any field. */
  readonly task: RuleTaskEntry;
  /** Rules whose condition changes with time alone (no_data, rate windows, schedules): evaluated on every tick. */
  readonly timed: boolean;
}

/** The engine's part of a stored rule. */
export function ruleDefinitionOf(rule: Rule): RuleDefinition {
  return {
    conditions: rule.conditions as RuleDefinition['conditions'],
    deadband: rule.deadband,
    on_delay_seconds: rule.onDelaySeconds,
    cooldown_minutes: rule.cooldownMinutes,
  };
}

/** Compiles a stored rule for the evaluator, or says why it cannot be used. */
export function compileStoredRule(rule: Rule, timeZone: string): CachedRule | { error: string } {
  const definition = ruleDefinitionOf(rule);
  let compiled: CompiledRule;
  try {
    compiled = compileRule(definition);
  } catch (error) {
    return { error: `rule does not compile: ${(error as Error).message}` };
  }
  const schedule = validateSchedule(rule.scheduleType, rule.scheduleConfig);
  if (!schedule.ok) return { error: `invalid schedule: ${schedule.errors.map(formatIssue).join('; ')}` };
  const rateWindows = new Map<string, number[]>();
  let timed = schedule.value.type !== 'always';
  for (const leaf of compiled.leaves) {
    const c = leaf.condition;
    if (c.operator === 'no_data') timed = true;
    if (c.operator === 'rate_of_change') {
      timed = true;
      const list = rateWindows.get(c.parameter) ?? [];
      if (!list.includes(c.window_seconds * 1000)) list.push(c.window_seconds * 1000);
      rateWindows.set(c.parameter, list);
    }
  }
  const versioned = { name: rule.name, definition: compiled.definition, schedule: schedule.value, timeZone };
  const version = createHash('sha1').update(JSON.stringify(versioned)).digest('base64url');
  return {
    rule,
    compiled,
    schedule: schedule.value,
    parameters: compiled.parameters,
    rateWindows,
    timed,
    task: { ruleId: rule.id, version, ...versioned },
  };
}

export class FactoryRules {
  /** Active, compiled rules by id. */
  readonly rules = new Map<number, CachedRule>();
  /** Every rule that exists (active or not), with why an inactive one is not evaluated. */
  readonly inactive = new Map<number, string>();
  /** Active rules reading each parameter. */
  readonly byParameter = new Map<string, CachedRule[]>();
  /** Parameter → longest rate window (ms) of any rule (what LatestValues keeps). */
  readonly historyWindows = new Map<string, number>();

  constructor(
    readonly factoryId: number,
    readonly timeZone: string,
    /** Active devices; a device first seen in telemetry is added. */
    readonly activeDevices: Set<number>,
    public maintenance: MaintenanceWindow[],
  ) {}

  add(entry: CachedRule): void {
    this.rules.set(entry.rule.id, entry);
    for (const p of entry.parameters) {
      const list = this.byParameter.get(p);
      if (list) list.push(entry);
      else this.byParameter.set(p, [entry]);
    }
    for (const [p, windows] of entry.rateWindows) {
      this.historyWindows.set(p, Math.max(this.historyWindows.get(p) ?? 0, ...windows));
    }
  }

  exists(ruleId: number): boolean {
    return this.rules.has(ruleId) || this.inactive.has(ruleId);
  }

  inScope(entry: CachedRule, deviceId: number): boolean {
    if (!this.activeDevices.has(deviceId)) return false;
    return entry.rule.scope === 'global' || entry.rule.deviceIds.includes(deviceId);
  }

  /** The devices a rule covers now. */
  devicesOf(entry: CachedRule): number[] {
    if (entry.rule.scope === 'global') return [...this.activeDevices];
    return entry.rule.deviceIds.filter((d) => this.activeDevices.has(d));
  }
}

export interface LoadedFactoryRules {
  rules: FactoryRules;
  /** Active rules that cannot be used (they are disabled by the caller, with the reason). */
  invalid: Array<{ rule: Rule; reason: string }>;
}

/** Reads a factory's rules, devices and current/planned maintenance windows. */
export async function loadFactoryRules(repos: MetaRepositories, factoryId: number, now: number): Promise<LoadedFactoryRules | null> {
  const factory = await repos.factories.get(factoryId);
  if (!factory) return null;
  const [rules, devices, maintenance] = await Promise.all([
    repos.rules.list(factoryId),
    repos.devices.listAll(factoryId),
    repos.maintenance.listCurrent(factoryId, now),
  ]);
  const cache = new FactoryRules(factoryId, factory.timezone, new Set(devices.filter((d) => d.isActive).map((d) => d.id)), maintenance);
  const invalid: Array<{ rule: Rule; reason: string }> = [];
  for (const rule of rules) {
    if (!rule.isActive) {
      cache.inactive.set(rule.id, rule.disabledReason ? `rule disabled: ${rule.disabledReason}` : 'rule deactivated');
      continue;
    }
    const entry = compileStoredRule(rule, factory.timezone);
    if ('error' in entry) {
      invalid.push({ rule, reason: entry.error });
      cache.inactive.set(rule.id, `rule disabled: ${entry.error}`);
      continue;
    }
    cache.add(entry);
  }
  return { rules: cache, invalid };
}
