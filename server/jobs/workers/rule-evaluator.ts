/**
 * Piscina task: evaluates alarm rules for a set of (rule, device) items, a committed ingest
 * batch (or a timer tick) at a time, off the ingest thread. Pure apart from a cache of
 * compiled rules keyed by (ruleId, version): the same task gives the same answer here, on the
 * main thread (the benchmark's baseline calls evaluateRuleTask directly) and in a test.
 *
 * Items of one (rule, device) may appear several times in a task, in time order (several
 * samples arrived before the previous task finished). The first carries the memory; the later
 * ones carry `memory: null` and continue from the previous item's result, so every sample is
 * evaluated and a one-sample spike is not lost by coalescing.
 *
 * A rule that cannot be compiled, or whose evaluation throws (e.g. an unknown time zone in a
 * schedule), yields `error` for each of its items; the alarm service disables the rule.
 */
import {
  compileRule,
  createSnapshotContext,
  evaluateAlarm,
  formatAlarmMessage,
  restoreAlarmMemory,
  serializeAlarmMemory,
  type AlarmEffect,
  type AlarmMemory,
  type CompiledRule,
  type ParameterValue,
  type RateSample,
  type RuleDefinition,
  type Schedule,
} from '../../../engine/rules/index.js';

/** One rule as the worker needs it; `version` changes whenever any of the other fields does. */
export interface RuleTaskEntry {
  ruleId: number;
  version: string;
  /** For the alarm message: `[name] voltage (245.2) gt 240`. */
  name: string;
  definition: RuleDefinition;
  schedule: Schedule;
  timeZone: string;
}

/** The device's values a rule reads, as plain data (structured-clone friendly). */
export interface EvaluationSnapshot {
  latest: Record<string, { value: ParameterValue; ts: number }>;
  /** Only for parameters read by rate_of_change leaves. */
  history?: Record<string, RateSample[]>;
}

export interface EvaluationItem {
  ruleId: number;
  deviceId: number;
  /** serializeAlarmMemory output; null = continue from the previous item of this (rule, device). */
  memory: string | null;
  snapshot: EvaluationSnapshot;
  now: number;
}

export interface EvaluationTask {
  rules: RuleTaskEntry[];
  items: EvaluationItem[];
}

export interface EvaluationResult {
  ruleId: number;
  deviceId: number;
  /** The memory after this item, serialised (the same string as the input when unchanged). */
  memory: string;
  effects: readonly AlarmEffect[];
  conditionTrue: boolean;
  trueLeaves: number[];
  /** The alarm message, when this item raised or reactivated an alarm. */
  message?: string;
  error?: string;
}

interface CachedCompiledRule {
  version: string;
  entry: RuleTaskEntry;
  compiled: CompiledRule | null;
  error: string | null;
}

export type CompiledRuleCache = Map<number, CachedCompiledRule>;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function compiledFor(cache: CompiledRuleCache, entry: RuleTaskEntry): CachedCompiledRule {
  const cached = cache.get(entry.ruleId);
  if (cached !== undefined && cached.version === entry.version) return cached;
  let compiled: CompiledRule | null = null;
  let error: string | null = null;
  try {
    compiled = compileRule(entry.definition);
  } catch (e) {
    error = `rule does not compile: ${messageOf(e)}`;
  }
  const fresh = { version: entry.version, entry, compiled, error };
  cache.set(entry.ruleId, fresh);
  return fresh;
}

/** Evaluates a task with the given compiled-rule cache (one per thread). */
export function evaluateRuleTask(task: EvaluationTask, cache: CompiledRuleCache): EvaluationResult[] {
  const rules = new Map<number, CachedCompiledRule>();
  for (const entry of task.rules) rules.set(entry.ruleId, compiledFor(cache, entry));
  // The memory each (rule, device) has reached within this task, for chained items.
  const carried = new Map<string, { memory: AlarmMemory; serialized: string } | { error: string }>();
  const results: EvaluationResult[] = new Array(task.items.length);

  for (let i = 0; i < task.items.length; i++) {
    const item = task.items[i] as EvaluationItem;
    const key = `${item.ruleId}:${item.deviceId}`;
    const base = { ruleId: item.ruleId, deviceId: item.deviceId, effects: [] as AlarmEffect[], conditionTrue: false, trueLeaves: [] as number[] };
    const fail = (error: string, memory: string): EvaluationResult => {
      carried.set(key, { error });
      return { ...base, memory, error };
    };

    let memory: AlarmMemory;
    let serialized: string;
    if (item.memory === null) {
      const previous = carried.get(key);
      if (previous === undefined) {
        results[i] = fail('item continues a (rule, device) that has no earlier item in the task', '');
        continue;
      }
      if ('error' in previous) {
        results[i] = { ...base, memory: '', error: previous.error };
        continue;
      }
      ({ memory, serialized } = previous);
    } else {
      serialized = item.memory;
      try {
        memory = restoreAlarmMemory(item.memory);
      } catch (e) {
        results[i] = fail(messageOf(e), item.memory);
        continue;
      }
    }

    const rule = rules.get(item.ruleId);
    if (rule === undefined) {
      results[i] = fail(`rule ${item.ruleId} is not in the task`, serialized);
      continue;
    }
    if (rule.compiled === null) {
      results[i] = fail(rule.error ?? 'rule does not compile', serialized);
      continue;
    }
    try {
      const ctx = createSnapshotContext({ now: item.now, latest: item.snapshot.latest, history: item.snapshot.history });
      const step = evaluateAlarm({ memory, rule: rule.compiled, ctx, schedule: rule.entry.schedule, timeZone: rule.entry.timeZone });
      const nextSerialized = step.memory === memory ? serialized : serializeAlarmMemory(step.memory);
      carried.set(key, { memory: step.memory, serialized: nextSerialized });
      const result: EvaluationResult = {
        ruleId: item.ruleId,
        deviceId: item.deviceId,
        memory: nextSerialized,
        effects: step.effects,
        conditionTrue: step.conditionTrue,
        trueLeaves: step.trueLeaves,
      };
      // explain() reads the witness of the evaluation just made: ask now, before the next item.
      if (step.trueLeaves.length > 0) result.message = formatAlarmMessage(rule.entry.name, rule.compiled, ctx);
      results[i] = result;
    } catch (e) {
      results[i] = fail(`evaluation failed: ${messageOf(e)}`, serialized);
    }
  }
  return results;
}

// One cache per worker thread: compiling is the expensive part, and rules change rarely.
const threadCache: CompiledRuleCache = new Map();

/** The Piscina entry point. */
export default function ruleEvaluator(task: EvaluationTask): EvaluationResult[] {
  return evaluateRuleTask(task, threadCache);
}
