// Condition trees: the JSON a rule stores in `rules.conditions`, its validation (errors that
// name the path, for the API and the rule builder) and the parameter check (warnings).
//
// Shapes (every field not listed here is refused, so a typo like `"min"` cannot pass silently):
//
//   group      {"operator":"AND"|"OR","conditions":[node, ...]}            (at least one child)
//   threshold  {"parameter":"voltage","operator":"gt"|"gte"|"lt"|"lte","value":240,"deadband"?:2}
//   equality   {"parameter":"mode","operator":"eq"|"neq","value":240|"auto"|true}
//   range      {"parameter":"voltage","operator":"between"|"outside","value":[200,240],"deadband"?:2}
//              between: lo <= v <= hi (both ends inside); outside: v < lo || v > hi, the exact
//              complement of between for a present value. lo may equal hi; lo > hi is an error.
//   rate       {"parameter":"temp","operator":"rate_of_change","window_seconds":60,
//               "compare":"gt"|"gte"|"lt"|"lte","value":5,"absolute"?:true,"deadband"?:0.5}
//              the change per MINUTE over the last window_seconds, signed (a fall is negative);
//              `absolute: true` compares |rate|, so one leaf catches a jump either way.
//   no_data    {"parameter":"temp","operator":"no_data","seconds":300}
//              true when the parameter's last sample is more than `seconds` old at `now`.
//
// A bare leaf is accepted as the root (a one-comparison rule); the reference format always
// wraps it in a group, and both evaluate the same.

import { isParameterKey } from '../telemetry/identifiers.js';

export type GroupOperator = 'AND' | 'OR';
export type ThresholdOperator = 'gt' | 'gte' | 'lt' | 'lte';
export type EqualityOperator = 'eq' | 'neq';
export type RangeOperator = 'between' | 'outside';
export type LeafOperator = ThresholdOperator | EqualityOperator | RangeOperator | 'rate_of_change' | 'no_data';

/** What a device can report for a parameter (same as engine/telemetry MetricValue). */
export type ParameterValue = number | string | boolean;

export interface ConditionGroup {
  operator: GroupOperator;
  conditions: ConditionNode[];
}

export interface ThresholdCondition {
  parameter: string;
  operator: ThresholdOperator;
  value: number;
  /** Hysteresis margin in the parameter's unit; overrides the rule's `deadband`. */
  deadband?: number;
}

export interface EqualityCondition {
  parameter: string;
  operator: EqualityOperator;
  value: ParameterValue;
}

export interface RangeCondition {
  parameter: string;
  operator: RangeOperator;
  /** [low, high], inclusive for `between`. */
  value: [number, number];
  deadband?: number;
}

export interface RateOfChangeCondition {
  parameter: string;
  operator: 'rate_of_change';
  window_seconds: number;
  compare: ThresholdOperator;
  /** Units per minute. */
  value: number;
  absolute?: boolean;
  /** Hysteresis margin in units per minute; the rule's `deadband` never applies to rates. */
  deadband?: number;
}

export interface NoDataCondition {
  parameter: string;
  operator: 'no_data';
  seconds: number;
}

export type LeafCondition =
  | ThresholdCondition
  | EqualityCondition
  | RangeCondition
  | RateOfChangeCondition
  | NoDataCondition;

export type ConditionNode = ConditionGroup | LeafCondition;

/** One problem, located by a path such as `conditions[1].conditions[0].value` ('' = the root). */
export interface RuleIssue {
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: RuleIssue[] };

export interface ConditionLimits {
  /** Groups nested deeper than this are refused (the root group is depth 1). */
  maxDepth: number;
  /** More leaves than this in the whole tree are refused. */
  maxLeaves: number;
}

export const DEFAULT_CONDITION_LIMITS: Readonly<ConditionLimits> = Object.freeze({ maxDepth: 5, maxLeaves: 50 });

/** Longest string an eq/neq leaf may compare with. */
export const MAX_STRING_VALUE_LENGTH = 256;
/** Longest rate_of_change window: the server keeps that much history per parameter. */
export const MAX_RATE_WINDOW_SECONDS = 86_400;
/** Longest no_data silence: a week. */
export const MAX_NO_DATA_SECONDS = 604_800;

export const THRESHOLD_OPERATORS: readonly ThresholdOperator[] = ['gt', 'gte', 'lt', 'lte'];
export const LEAF_OPERATORS: readonly LeafOperator[] = [
  'gt',
  'gte',
  'lt',
  'lte',
  'eq',
  'neq',
  'between',
  'outside',
  'rate_of_change',
  'no_data',
];

/** `path: message`, or the message alone at the root. */
export function formatIssue(issue: RuleIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

export function isConditionGroup(node: ConditionNode): node is ConditionGroup {
  return node.operator === 'AND' || node.operator === 'OR';
}

export function joinPath(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return typeof value === 'object' ? 'an object' : String(value);
}

/** Shared by conditions and schedules: refuses fields outside `allowed`. */
export function checkKnownFields(
  input: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  errors: RuleIssue[],
): void {
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) errors.push({ path: joinPath(path, key), message: 'unknown field' });
  }
}

const LEAF_FIELDS: Record<LeafOperator, readonly string[]> = {
  gt: ['parameter', 'operator', 'value', 'deadband'],
  gte: ['parameter', 'operator', 'value', 'deadband'],
  lt: ['parameter', 'operator', 'value', 'deadband'],
  lte: ['parameter', 'operator', 'value', 'deadband'],
  eq: ['parameter', 'operator', 'value'],
  neq: ['parameter', 'operator', 'value'],
  between: ['parameter', 'operator', 'value', 'deadband'],
  outside: ['parameter', 'operator', 'value', 'deadband'],
  rate_of_change: ['parameter', 'operator', 'window_seconds', 'compare', 'value', 'absolute', 'deadband'],
  no_data: ['parameter', 'operator', 'seconds'],
};

export interface ValidateConditionsOptions {
  limits?: Partial<ConditionLimits>;
  /**
   * The rule-level deadband, if any: needed to refuse an `outside` band too narrow for it
   * (a band narrower than twice the deadband could never clear).
   */
  deadband?: number;
}

class TreeValidator {
  readonly errors: RuleIssue[] = [];
  leaves = 0;

  constructor(
    private readonly limits: ConditionLimits,
    private readonly ruleDeadband: number,
  ) {}

  private fail(path: string, message: string): undefined {
    this.errors.push({ path, message });
    return undefined;
  }

  node(input: unknown, path: string, depth: number): ConditionNode | undefined {
    if (!isRecord(input)) return this.fail(path, `must be a condition object, got ${describe(input)}`);
    const operator = input['operator'];
    if (operator === 'AND' || operator === 'OR') return this.group(input, operator, path, depth + 1);
    if (typeof operator === 'string' && (LEAF_OPERATORS as readonly string[]).includes(operator)) {
      this.leaves++;
      return this.leaf(input, operator as LeafOperator, path);
    }
    if (operator === undefined) {
      return this.fail(joinPath(path, 'operator'), 'is required (AND, OR or a comparison operator)');
    }
    return this.fail(
      joinPath(path, 'operator'),
      `unknown operator ${describe(operator)}; expected AND, OR or one of ${LEAF_OPERATORS.join(', ')}`,
    );
  }

  private group(
    input: Record<string, unknown>,
    operator: GroupOperator,
    path: string,
    depth: number,
  ): ConditionGroup | undefined {
    if (depth > this.limits.maxDepth) {
      return this.fail(path, `groups are nested deeper than ${this.limits.maxDepth} levels`);
    }
    const before = this.errors.length;
    checkKnownFields(input, ['operator', 'conditions'], path, this.errors);
    const children = input['conditions'];
    const childrenPath = joinPath(path, 'conditions');
    if (!Array.isArray(children)) {
      return this.fail(childrenPath, children === undefined ? 'is required' : 'must be an array of conditions');
    }
    if (children.length === 0) return this.fail(childrenPath, 'must contain at least one condition');
    const out: ConditionNode[] = [];
    children.forEach((child: unknown, i) => {
      const node = this.node(child, `${childrenPath}[${i}]`, depth);
      if (node !== undefined) out.push(node);
    });
    return this.errors.length === before ? { operator, conditions: out } : undefined;
  }

  private parameter(input: Record<string, unknown>, path: string): string | undefined {
    const parameter = input['parameter'];
    const at = joinPath(path, 'parameter');
    if (parameter === undefined) return this.fail(at, 'is required');
    if (typeof parameter !== 'string') return this.fail(at, 'must be a string');
    if (!isParameterKey(parameter)) {
      return this.fail(at, `${describe(parameter)} is not a valid parameter key`);
    }
    return parameter;
  }

  private finite(input: Record<string, unknown>, key: string, path: string): number | undefined {
    const value = input[key];
    const at = joinPath(path, key);
    if (value === undefined) return this.fail(at, 'is required');
    if (typeof value !== 'number') return this.fail(at, `must be a number, got ${describe(value)}`);
    if (!Number.isFinite(value)) return this.fail(at, `must be a finite number, got ${describe(value)}`);
    return value;
  }

  private integerIn(input: Record<string, unknown>, key: string, path: string, min: number, max: number) {
    const value = this.finite(input, key, path);
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || value < min || value > max) {
      return this.fail(joinPath(path, key), `must be a whole number from ${min} to ${max}`);
    }
    return value;
  }

  /** Optional leaf deadband: absent, or a finite number >= 0. */
  private deadband(input: Record<string, unknown>, path: string): number | null | undefined {
    if (input['deadband'] === undefined) return null;
    const value = this.finite(input, 'deadband', path);
    if (value === undefined) return undefined;
    if (value < 0) return this.fail(joinPath(path, 'deadband'), 'must not be negative');
    return value;
  }

  private leaf(input: Record<string, unknown>, operator: LeafOperator, path: string): LeafCondition | undefined {
    const before = this.errors.length;
    if (input['deadband'] !== undefined && !LEAF_FIELDS[operator].includes('deadband')) {
      // Say why, rather than "unknown field": a margin means nothing for equality or silence.
      this.fail(joinPath(path, 'deadband'), `does not apply to ${operator} (only to thresholds, ranges and rates)`);
    }
    checkKnownFields(
      input,
      LEAF_FIELDS[operator].includes('deadband') ? LEAF_FIELDS[operator] : [...LEAF_FIELDS[operator], 'deadband'],
      path,
      this.errors,
    );
    const parameter = this.parameter(input, path);
    let leaf: LeafCondition | undefined;
    switch (operator) {
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const value = this.finite(input, 'value', path);
        const deadband = this.deadband(input, path);
        if (parameter !== undefined && value !== undefined && deadband !== undefined) {
          leaf = { parameter, operator, value };
          if (deadband !== null) leaf.deadband = deadband;
        }
        break;
      }
      case 'eq':
      case 'neq': {
        const value = input['value'];
        const at = joinPath(path, 'value');
        if (value === undefined) this.fail(at, 'is required');
        else if (typeof value === 'number' && !Number.isFinite(value)) {
          this.fail(at, `must be a finite number, got ${describe(value)}`);
        } else if (typeof value === 'string' && value.length > MAX_STRING_VALUE_LENGTH) {
          this.fail(at, `must be at most ${MAX_STRING_VALUE_LENGTH} characters`);
        } else if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') {
          this.fail(at, `must be a number, string or boolean, got ${describe(value)}`);
        } else if (parameter !== undefined) {
          leaf = { parameter, operator, value };
        }
        break;
      }
      case 'between':
      case 'outside':
        leaf = this.range(input, operator, parameter, path);
        break;
      case 'rate_of_change': {
        const windowSeconds = this.integerIn(input, 'window_seconds', path, 1, MAX_RATE_WINDOW_SECONDS);
        const compare = input['compare'];
        const compareOk = typeof compare === 'string' && (THRESHOLD_OPERATORS as readonly string[]).includes(compare);
        if (!compareOk) {
          this.fail(
            joinPath(path, 'compare'),
            compare === undefined ? 'is required (gt, gte, lt or lte)' : `must be gt, gte, lt or lte, got ${describe(compare)}`,
          );
        }
        const value = this.finite(input, 'value', path);
        const absolute = input['absolute'];
        if (absolute !== undefined && typeof absolute !== 'boolean') {
          this.fail(joinPath(path, 'absolute'), 'must be true or false');
        }
        const deadband = this.deadband(input, path);
        if (
          parameter !== undefined &&
          windowSeconds !== undefined &&
          compareOk &&
          value !== undefined &&
          deadband !== undefined &&
          (absolute === undefined || typeof absolute === 'boolean')
        ) {
          leaf = {
            parameter,
            operator,
            window_seconds: windowSeconds,
            compare: compare as ThresholdOperator,
            value,
          };
          if (absolute !== undefined) leaf.absolute = absolute;
          if (deadband !== null) leaf.deadband = deadband;
        }
        break;
      }
      case 'no_data': {
        const seconds = this.integerIn(input, 'seconds', path, 1, MAX_NO_DATA_SECONDS);
        if (parameter !== undefined && seconds !== undefined) leaf = { parameter, operator, seconds };
        break;
      }
    }
    return this.errors.length === before ? leaf : undefined;
  }

  private range(
    input: Record<string, unknown>,
    operator: RangeOperator,
    parameter: string | undefined,
    path: string,
  ): RangeCondition | undefined {
    const raw = input['value'];
    const at = joinPath(path, 'value');
    const deadband = this.deadband(input, path);
    if (raw === undefined) return this.fail(at, 'is required ([low, high])');
    if (!Array.isArray(raw) || raw.length !== 2) return this.fail(at, 'must be [low, high]: an array of two numbers');
    const [lo, hi] = raw as unknown[];
    let ok = true;
    for (const [i, bound] of [lo, hi].entries()) {
      if (!isFiniteNumber(bound)) {
        this.fail(`${at}[${i}]`, `must be a finite number, got ${describe(bound)}`);
        ok = false;
      }
    }
    if (!ok || parameter === undefined || deadband === undefined) return undefined;
    const low = lo as number;
    const high = hi as number;
    if (low > high) return this.fail(at, `low (${low}) must not exceed high (${high})`);
    const effective = deadband ?? this.ruleDeadband;
    if (operator === 'outside' && effective > 0 && high - low <= 2 * effective) {
      // Active thresholds shrink the inside band by the deadband from both ends; a band not
      // wider than twice the deadband would leave nothing inside, and the alarm never clears.
      return this.fail(
        at,
        `band [${low}, ${high}] is too narrow for deadband ${effective}: high - low must exceed twice the deadband`,
      );
    }
    const leaf: RangeCondition = { parameter, operator, value: [low, high] };
    if (deadband !== null) leaf.deadband = deadband;
    return leaf;
  }
}

/**
 * Validates a condition tree. On success `value` is a clean copy holding only the known
 * fields; on failure every problem found is listed (not just the first), each with its path.
 */
export function validateConditions(input: unknown, options: ValidateConditionsOptions = {}): ValidationResult<ConditionNode> {
  const limits: ConditionLimits = { ...DEFAULT_CONDITION_LIMITS, ...options.limits };
  const ruleDeadband = isFiniteNumber(options.deadband) && options.deadband > 0 ? options.deadband : 0;
  const validator = new TreeValidator(limits, ruleDeadband);
  const value = validator.node(input, '', 0);
  if (validator.leaves > limits.maxLeaves) {
    validator.errors.unshift({
      path: '',
      message: `has ${validator.leaves} leaf conditions; at most ${limits.maxLeaves} are allowed`,
    });
  }
  if (validator.errors.length > 0 || value === undefined) return { ok: false, errors: validator.errors };
  return { ok: true, value };
}

/** Calls `visit` for every leaf in evaluation order with its path (the order of compiled leaf indices). */
export function forEachLeaf(node: ConditionNode, visit: (leaf: LeafCondition, path: string) => void, path = ''): void {
  if (isConditionGroup(node)) {
    node.conditions.forEach((child, i) => forEachLeaf(child, visit, `${joinPath(path, 'conditions')}[${i}]`));
  } else {
    visit(node, path);
  }
}

/** A parameter a rule names but a scoped device does not report: a warning, not an error. */
export interface ParameterWarning extends RuleIssue {
  parameter: string;
  /** Devices (by the labels the caller gave) lacking the parameter; empty = none of the known keys. */
  devices: string[];
  /** The closest known key, when one is a likely typo (edit distance <= 2). */
  suggestion?: string;
}

/**
 * Reports leaves whose parameter the scoped devices do not have. `known` is either every key
 * the scoped devices report (one set), or per device (`Map<deviceLabel, keys>`), in which case
 * a parameter missing on only some devices is reported with their labels.
 * A parameter may appear before its device first reports it, so these are warnings only.
 */
export function checkParameters(
  tree: ConditionNode,
  known: Iterable<string> | ReadonlyMap<string, Iterable<string>>,
): ParameterWarning[] {
  let perDevice: Map<string, Set<string>> | null = null;
  if (known instanceof Map) {
    perDevice = new Map();
    for (const [device, keys] of known as ReadonlyMap<string, Iterable<string>>) perDevice.set(device, new Set(keys));
  }
  const all = new Set<string>();
  if (perDevice !== null) for (const keys of perDevice.values()) for (const k of keys) all.add(k);
  else for (const k of known as Iterable<string>) all.add(k);

  const warnings: ParameterWarning[] = [];
  forEachLeaf(tree, (leaf, path) => {
    const at = joinPath(path, 'parameter');
    if (perDevice !== null && perDevice.size > 0) {
      const missing = [...perDevice].filter(([, keys]) => !keys.has(leaf.parameter)).map(([device]) => device);
      if (missing.length === 0) return;
      const partly = missing.length < perDevice.size;
      const warning: ParameterWarning = {
        path: at,
        parameter: leaf.parameter,
        devices: missing,
        message: partly
          ? `"${leaf.parameter}" is not reported by ${missing.join(', ')}`
          : `"${leaf.parameter}" is not a parameter of the scoped devices`,
      };
      if (!partly) addSuggestion(warning, all);
      warnings.push(warning);
    } else if (!all.has(leaf.parameter)) {
      const warning: ParameterWarning = {
        path: at,
        parameter: leaf.parameter,
        devices: [],
        message: `"${leaf.parameter}" is not a parameter of the scoped devices`,
      };
      addSuggestion(warning, all);
      warnings.push(warning);
    }
  });
  return warnings;
}

function addSuggestion(warning: ParameterWarning, keys: ReadonlySet<string>): void {
  let best: string | undefined;
  let bestDistance = 3;
  for (const key of keys) {
    const d = editDistance(warning.parameter.toLowerCase(), key.toLowerCase(), bestDistance);
    if (d < bestDistance || (d === bestDistance && best !== undefined && key < best)) {
      best = key;
      bestDistance = d;
    }
  }
  if (best !== undefined) {
    warning.suggestion = best;
    warning.message += ` (did you mean "${best}"?)`;
  }
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot be below `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      row.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= limit) return limit;
    prev = row;
  }
  return Math.min(prev[b.length] ?? limit, limit);
}
