// Compile a rule once, evaluate it many times: on every ingest batch, on a Piscina worker, for
// every device in scope. The tree becomes a tree of closures specialised per operator, so an
// evaluation walks no JSON, looks nothing up by name and allocates nothing.
//
// Missing values: a leaf whose parameter has no value, a value of another type (a string for
// `gt`, a number for `eq "auto"`), or a non-finite number, is FALSE — for every operator,
// `neq` included. A rule never errors at evaluation time; it just does not fire. `no_data` on a
// parameter that has never reported is false too: the parameter check warns about names the
// devices do not have, and a rule on such a name should not alarm on every device forever.
//
// Deadband (hysteresis): `evaluate(ctx, active)`. With `active` true (the condition was true at
// the last evaluation) each numeric threshold moves by the deadband towards "still true", so
// the condition clears only once the value is back past the margin:
//   gt/gte X      ->  v > X - d            lt/lte X  ->  v < X + d
//   between lo,hi ->  lo - d <= v <= hi + d
//   outside lo,hi ->  v < lo + d || v > hi - d
//   rate_of_change: the same shift on the rate threshold (|rate| with `absolute`).
// A leaf's own `deadband` wins; otherwise the rule's `deadband` applies to threshold and range
// leaves (in each parameter's own unit: give leaves their own margin when a rule mixes units).
// eq/neq and no_data have no deadband. As the tree has no NOT, shifting every leaf towards true
// makes the whole tree "stickier", never less.

import {
  formatIssue,
  isConditionGroup,
  joinPath,
  validateConditions,
} from './conditions.js';
import type {
  ConditionLimits,
  ConditionNode,
  LeafCondition,
  LeafOperator,
  ParameterValue,
  RuleIssue,
  ThresholdOperator,
  ValidationResult,
} from './conditions.js';

/** What a rule sees of one device at one instant. */
export interface EvaluationContext {
  /** Epoch ms of this evaluation. */
  readonly now: number;
  /** The latest value of `parameter`, or undefined if none. */
  value(parameter: string): ParameterValue | undefined;
  /** Epoch ms of the latest sample of `parameter`, or undefined if none. */
  ts(parameter: string): number | undefined;
  /**
   * Change of `parameter` per minute over the last `windowMs` (signed), or undefined when the
   * history cannot tell (fewer than two samples in the window). See rateOfChangePerMinute.
   */
  rate(parameter: string, windowMs: number): number | undefined;
}

/** The engine's part of a rule. Other rule fields (name, severity, scope...) are ignored here. */
export interface RuleDefinition {
  conditions: ConditionNode;
  /** Hysteresis margin for threshold and range leaves without their own; default 0. */
  deadband?: number;
  /** The condition must hold this long before the alarm is raised; default 0. */
  on_delay_seconds?: number;
  /** Minimum minutes between two alarms raised for the same (rule, device); default 15 (the rules table default). */
  cooldown_minutes?: number;
}

/** How the alarm state machine treats one rule (ms throughout). */
export interface AlarmPolicy {
  onDelayMs: number;
  cooldownMs: number;
  /** Longest shelving accepted; ISA-18.2 wants shelving timed, so there is always a limit. */
  maxShelveMs: number;
}

export const DEFAULT_COOLDOWN_MINUTES = 15;
export const MAX_COOLDOWN_MINUTES = 10_080;
export const MAX_ON_DELAY_SECONDS = 86_400;
export const DEFAULT_MAX_SHELVE_MS = 24 * 60 * 60 * 1000;

export interface LeafInfo {
  /** Position in evaluation order; what trueLeaves() returns. */
  index: number;
  /** Path in the tree, e.g. `conditions[1].conditions[0]` ('' for a bare root leaf). */
  path: string;
  parameter: string;
  operator: LeafOperator;
  /** Human-readable leaf, e.g. `voltage gt 240`. */
  text: string;
  condition: LeafCondition;
}

export interface CompiledRule {
  readonly definition: RuleDefinition;
  readonly policy: AlarmPolicy;
  readonly leaves: readonly LeafInfo[];
  /** Distinct parameters the rule reads, in first-use order (for snapshots and checks). */
  readonly parameters: readonly string[];
  /** For each parameter used by rate_of_change: the longest window (ms) of history it needs. */
  readonly historyWindows: ReadonlyMap<string, number>;
  /**
   * Whether the condition holds. `active` selects the deadband-shifted thresholds (pass the
   * alarm memory's `condition`). Evaluation short-circuits left to right.
   */
  evaluate(ctx: EvaluationContext, active?: boolean): boolean;
  /**
   * The leaves that made the LAST evaluation true (indices into `leaves`), [] if it was false.
   * In an OR only the first true branch is listed (later ones were not evaluated). Allocates:
   * call it when raising an alarm, not on every evaluation. Valid until the next evaluate().
   */
  trueLeaves(): number[];
  /** trueLeaves() as text with the current values: `voltage (245.2) gt 240`. */
  explain(ctx: EvaluationContext): string[];
}

export class RuleValidationError extends Error {
  constructor(readonly errors: RuleIssue[]) {
    super(`invalid rule: ${errors.map(formatIssue).join('; ')}`);
    this.name = 'RuleValidationError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates the engine's part of a rule: `conditions` (paths prefixed `conditions.`),
 * `deadband`, `on_delay_seconds`, `cooldown_minutes` (null counts as absent, as a database
 * NULL would). Other fields are left alone. Returns a clean copy with defaults not filled in.
 */
export function validateRuleDefinition(
  input: unknown,
  options: { limits?: Partial<ConditionLimits> } = {},
): ValidationResult<RuleDefinition> {
  if (!isRecord(input)) return { ok: false, errors: [{ path: '', message: 'must be a rule object' }] };
  const errors: RuleIssue[] = [];
  const out: Partial<RuleDefinition> = {};

  const number = (key: string, check: (n: number) => string | null): number | undefined => {
    const v = input[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      errors.push({ path: key, message: 'must be a finite number' });
      return undefined;
    }
    const problem = check(v);
    if (problem !== null) {
      errors.push({ path: key, message: problem });
      return undefined;
    }
    return v;
  };
  const wholeIn = (max: number) => (n: number) =>
    Number.isInteger(n) && n >= 0 && n <= max ? null : `must be a whole number from 0 to ${max}`;

  const deadband = number('deadband', (n) => (n < 0 ? 'must not be negative' : null));
  const onDelay = number('on_delay_seconds', wholeIn(MAX_ON_DELAY_SECONDS));
  const cooldown = number('cooldown_minutes', wholeIn(MAX_COOLDOWN_MINUTES));

  if (input['conditions'] === undefined) {
    errors.push({ path: 'conditions', message: 'is required' });
  } else {
    const tree = validateConditions(input['conditions'], { limits: options.limits, deadband: deadband ?? 0 });
    if (tree.ok) out.conditions = tree.value;
    else for (const e of tree.errors) errors.push({ path: joinPath('conditions', e.path), message: e.message });
  }
  if (errors.length > 0 || out.conditions === undefined) return { ok: false, errors };
  const value: RuleDefinition = { conditions: out.conditions };
  if (deadband !== undefined) value.deadband = deadband;
  if (onDelay !== undefined) value.on_delay_seconds = onDelay;
  if (cooldown !== undefined) value.cooldown_minutes = cooldown;
  return { ok: true, value };
}

/** The state-machine policy of a validated definition (defaults filled in). */
export function alarmPolicyOf(definition: RuleDefinition, maxShelveMs: number = DEFAULT_MAX_SHELVE_MS): AlarmPolicy {
  return {
    onDelayMs: (definition.on_delay_seconds ?? 0) * 1000,
    cooldownMs: (definition.cooldown_minutes ?? DEFAULT_COOLDOWN_MINUTES) * 60_000,
    maxShelveMs,
  };
}

type Predicate = (ctx: EvaluationContext, active: boolean) => boolean;

/** Where true leaves are recorded: a stack that a failing AND rolls back to its mark. */
interface Witness {
  buf: Int32Array;
  len: number;
}

function formatNumber(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

function formatValue(v: ParameterValue): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function leafText(leaf: LeafCondition): string {
  switch (leaf.operator) {
    case 'between':
    case 'outside':
      return `${leaf.parameter} ${leaf.operator} [${leaf.value[0]}, ${leaf.value[1]}]`;
    case 'rate_of_change':
      return `${leaf.parameter} rate_of_change over ${leaf.window_seconds} s ${leaf.compare} ${leaf.value}/min${leaf.absolute === true ? ' (absolute)' : ''}`;
    case 'no_data':
      return `${leaf.parameter} no_data for ${leaf.seconds} s`;
    default:
      return `${leaf.parameter} ${leaf.operator} ${formatValue(leaf.value)}`;
  }
}

function leafExplanation(leaf: LeafCondition, ctx: EvaluationContext): string {
  switch (leaf.operator) {
    case 'rate_of_change': {
      const r = ctx.rate(leaf.parameter, leaf.window_seconds * 1000);
      const shown = r === undefined ? '?' : formatNumber(r);
      return `${leaf.parameter} rate (${shown}/min over ${leaf.window_seconds} s) ${leaf.compare} ${leaf.value}${leaf.absolute === true ? ' (absolute)' : ''}`;
    }
    case 'no_data': {
      const ts = ctx.ts(leaf.parameter);
      const silent = ts === undefined ? '?' : String(Math.floor((ctx.now - ts) / 1000));
      return `${leaf.parameter} no data for ${silent} s (limit ${leaf.seconds} s)`;
    }
    default: {
      const v = ctx.value(leaf.parameter);
      const shown = v === undefined ? 'missing' : typeof v === 'number' ? formatNumber(v) : formatValue(v);
      const text = leafText(leaf);
      return `${leaf.parameter} (${shown})${text.slice(leaf.parameter.length)}`;
    }
  }
}

/** Shifts threshold `x` by deadband `d` towards "true" for comparison `op`. */
function activeThreshold(op: ThresholdOperator, x: number, d: number): number {
  return op === 'gt' || op === 'gte' ? x - d : x + d;
}

function compareFn(op: ThresholdOperator): (a: number, b: number) => boolean {
  switch (op) {
    case 'gt':
      return (a, b) => a > b;
    case 'gte':
      return (a, b) => a >= b;
    case 'lt':
      return (a, b) => a < b;
    case 'lte':
      return (a, b) => a <= b;
  }
}

function compileLeaf(leaf: LeafCondition, index: number, ruleDeadband: number, w: Witness): Predicate {
  const p = leaf.parameter;
  const hit = (): true => {
    w.buf[w.len++] = index;
    return true;
  };
  switch (leaf.operator) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const d = leaf.deadband ?? ruleDeadband;
      const cmp = compareFn(leaf.operator);
      const normal = leaf.value;
      const shifted = activeThreshold(leaf.operator, leaf.value, d);
      return (ctx, active) => {
        const v = ctx.value(p);
        return Number.isFinite(v) && cmp(v as number, active ? shifted : normal) ? hit() : false;
      };
    }
    case 'eq': {
      const x = leaf.value;
      return (ctx) => (ctx.value(p) === x ? hit() : false);
    }
    case 'neq': {
      const x = leaf.value;
      const type = typeof x;
      return (ctx) => {
        const v = ctx.value(p);
        if (typeof v !== type || (type === 'number' && !Number.isFinite(v))) return false;
        return v !== x ? hit() : false;
      };
    }
    case 'between': {
      const d = leaf.deadband ?? ruleDeadband;
      const [lo, hi] = leaf.value;
      const loA = lo - d;
      const hiA = hi + d;
      return (ctx, active) => {
        const v = ctx.value(p);
        if (!Number.isFinite(v)) return false;
        const n = v as number;
        return active ? (n >= loA && n <= hiA ? hit() : false) : n >= lo && n <= hi ? hit() : false;
      };
    }
    case 'outside': {
      const d = leaf.deadband ?? ruleDeadband;
      const [lo, hi] = leaf.value;
      const loA = lo + d;
      const hiA = hi - d;
      return (ctx, active) => {
        const v = ctx.value(p);
        if (!Number.isFinite(v)) return false;
        const n = v as number;
        return active ? (n < loA || n > hiA ? hit() : false) : n < lo || n > hi ? hit() : false;
      };
    }
    case 'rate_of_change': {
      const d = leaf.deadband ?? 0;
      const cmp = compareFn(leaf.compare);
      const normal = leaf.value;
      const shifted = activeThreshold(leaf.compare, leaf.value, d);
      const windowMs = leaf.window_seconds * 1000;
      const absolute = leaf.absolute === true;
      return (ctx, active) => {
        const r = ctx.rate(p, windowMs);
        if (r === undefined || !Number.isFinite(r)) return false;
        return cmp(absolute ? Math.abs(r) : r, active ? shifted : normal) ? hit() : false;
      };
    }
    case 'no_data': {
      const limitMs = leaf.seconds * 1000;
      return (ctx) => {
        const ts = ctx.ts(p);
        return ts !== undefined && ctx.now - ts > limitMs ? hit() : false;
      };
    }
  }
}

function compileNode(
  node: ConditionNode,
  path: string,
  ruleDeadband: number,
  w: Witness,
  leaves: LeafInfo[],
): Predicate {
  if (!isConditionGroup(node)) {
    const index = leaves.length;
    leaves.push({ index, path, parameter: node.parameter, operator: node.operator, text: leafText(node), condition: node });
    return compileLeaf(node, index, ruleDeadband, w);
  }
  const children = node.conditions.map((c, i) =>
    compileNode(c, `${joinPath(path, 'conditions')}[${i}]`, ruleDeadband, w, leaves),
  );
  if (children.length === 1) return children[0] as Predicate;
  if (node.operator === 'AND') {
    return (ctx, active) => {
      const mark = w.len;
      for (let i = 0; i < children.length; i++) {
        if (!(children[i] as Predicate)(ctx, active)) {
          w.len = mark; // an AND that fails proves nothing: forget its true leaves
          return false;
        }
      }
      return true;
    };
  }
  // OR: a false child has already rolled back whatever it recorded.
  return (ctx, active) => {
    for (let i = 0; i < children.length; i++) if ((children[i] as Predicate)(ctx, active)) return true;
    return false;
  };
}

/**
 * Validates (throws RuleValidationError listing every problem) and compiles a rule. Compile
 * once per rule version and reuse the result for every device and evaluation.
 */
export function compileRule(input: RuleDefinition, options: { maxShelveMs?: number } = {}): CompiledRule {
  const checked = validateRuleDefinition(input);
  if (!checked.ok) throw new RuleValidationError(checked.errors);
  const definition = checked.value;
  const leaves: LeafInfo[] = [];
  const witness: Witness = { buf: new Int32Array(0), len: 0 };
  const root = compileNode(definition.conditions, '', definition.deadband ?? 0, witness, leaves);
  witness.buf = new Int32Array(leaves.length);

  const parameters: string[] = [];
  const historyWindows = new Map<string, number>();
  for (const leaf of leaves) {
    if (!parameters.includes(leaf.parameter)) parameters.push(leaf.parameter);
    if (leaf.condition.operator === 'rate_of_change') {
      const ms = leaf.condition.window_seconds * 1000;
      historyWindows.set(leaf.parameter, Math.max(ms, historyWindows.get(leaf.parameter) ?? 0));
    }
  }

  const trueLeaves = (): number[] => Array.from(witness.buf.subarray(0, witness.len));
  return {
    definition,
    policy: alarmPolicyOf(definition, options.maxShelveMs),
    leaves,
    parameters,
    historyWindows,
    evaluate(ctx, active = false) {
      witness.len = 0;
      const result = root(ctx, active);
      if (!result) witness.len = 0;
      return result;
    },
    trueLeaves,
    explain(ctx) {
      return trueLeaves().map((i) => leafExplanation((leaves[i] as LeafInfo).condition, ctx));
    },
  };
}

/** The reference alarm message: `[High Voltage Alert] voltage (245.2) gt 240`. */
export function formatAlarmMessage(ruleName: string, rule: CompiledRule, ctx: EvaluationContext): string {
  const parts = rule.explain(ctx);
  return `[${ruleName}] ${parts.length > 0 ? parts.join('; ') : 'condition true'}`;
}

export interface RateSample {
  ts: number;
  value: number;
}

/**
 * Change per minute of a parameter over the window (now - windowMs, now], from samples in
 * ascending time order: (newest - oldest in the window) / their time apart. Samples after
 * `now` and non-finite values are ignored. Undefined with fewer than two usable samples or no
 * time between them, so choose a window of at least two sample intervals.
 */
export function rateOfChangePerMinute(samples: readonly RateSample[], windowMs: number, now: number): number | undefined {
  const from = now - windowMs;
  let newest: RateSample | undefined;
  let oldest: RateSample | undefined;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i] as RateSample;
    if (s.ts > now || !Number.isFinite(s.value) || !Number.isFinite(s.ts)) continue;
    if (s.ts < from) break;
    if (newest === undefined) newest = s;
    oldest = s;
  }
  if (newest === undefined || oldest === undefined || newest.ts <= oldest.ts) return undefined;
  return ((newest.value - oldest.value) * 60_000) / (newest.ts - oldest.ts);
}

export interface SnapshotInput {
  now: number;
  /** Latest sample per parameter. */
  latest: Readonly<Record<string, { value: ParameterValue; ts: number }>>;
  /** Recent numeric samples per parameter, ascending, for rate_of_change. */
  history?: Readonly<Record<string, readonly RateSample[]>>;
}

/**
 * An EvaluationContext over plain records: for the renderer's "try this rule" preview, tests,
 * and any caller without its own latest-value cache.
 */
export function createSnapshotContext(input: SnapshotInput): EvaluationContext {
  const { now, latest, history } = input;
  // Object.hasOwn: parameter names come from users; never read through the prototype.
  const sample = (p: string) => (Object.hasOwn(latest, p) ? latest[p] : undefined);
  return {
    now,
    value: (p) => sample(p)?.value,
    ts: (p) => sample(p)?.ts,
    rate: (p, windowMs) =>
      history !== undefined && Object.hasOwn(history, p)
        ? rateOfChangePerMinute(history[p] as readonly RateSample[], windowMs, now)
        : undefined,
  };
}
