import { describe, expect, it } from 'vitest';
import { checkParameters, formatIssue, validateConditions } from '../../../../engine/rules/index.js';
import type { ConditionNode } from '../../../../engine/rules/index.js';

/** The formatted errors of an input that must fail validation. */
function errorsOf(input: unknown, options?: Parameters<typeof validateConditions>[1]): string[] {
  const result = validateConditions(input, options);
  if (result.ok) throw new Error('expected validation to fail');
  return result.errors.map(formatIssue);
}

const gt = (parameter: string, value: number) => ({ parameter, operator: 'gt', value });

function nested(depth: number): unknown {
  let node: unknown = gt('a', 1);
  for (let i = 0; i < depth; i++) node = { operator: 'AND', conditions: [node] };
  return node;
}

describe('validateConditions accepts', () => {
  it('the reference condition tree and returns a clean copy', () => {
    const tree = {
      operator: 'AND',
      conditions: [
        { parameter: 'voltage', operator: 'gt', value: 240 },
        {
          operator: 'OR',
          conditions: [
            { parameter: 'current', operator: 'gt', value: 15 },
            { parameter: 'power', operator: 'gt', value: 5000 },
          ],
        },
      ],
    };
    const result = validateConditions(tree);
    expect(result).toEqual({ ok: true, value: tree });
    if (result.ok) expect(result.value).not.toBe(tree);
  });

  it('every leaf operator in its documented shape', () => {
    const tree = {
      operator: 'OR',
      conditions: [
        { parameter: 'a', operator: 'gte', value: 1, deadband: 0.5 },
        { parameter: 'a', operator: 'lt', value: -1 },
        { parameter: 'a', operator: 'lte', value: 0 },
        { parameter: 'mode', operator: 'eq', value: 'auto' },
        { parameter: 'running', operator: 'neq', value: true },
        { parameter: 'code', operator: 'eq', value: 3 },
        { parameter: 'v', operator: 'between', value: [200, 240] },
        { parameter: 'v', operator: 'outside', value: [5, 5] },
        { parameter: 't', operator: 'rate_of_change', window_seconds: 60, compare: 'gt', value: 5, absolute: true, deadband: 1 },
        { parameter: 't', operator: 'no_data', seconds: 300 },
      ],
    };
    expect(validateConditions(tree).ok).toBe(true);
  });

  it('a bare leaf as the root', () => {
    expect(validateConditions(gt('voltage', 240))).toEqual({ ok: true, value: gt('voltage', 240) });
  });

  it('exactly the depth and leaf limits', () => {
    expect(validateConditions(nested(5)).ok).toBe(true);
    const fifty = { operator: 'AND', conditions: Array.from({ length: 50 }, (_, i) => gt(`p${i}`, i)) };
    expect(validateConditions(fifty).ok).toBe(true);
  });
});

describe('validateConditions refuses, naming the path', () => {
  it('a non-number threshold deep in the tree', () => {
    const tree = {
      operator: 'AND',
      conditions: [gt('a', 1), { operator: 'OR', conditions: [{ parameter: 'b', operator: 'gt', value: '10' }] }],
    };
    expect(errorsOf(tree)).toEqual(['conditions[1].conditions[0].value: must be a number, got "10"']);
  });

  it('non-finite numbers', () => {
    expect(errorsOf(gt('a', Infinity))).toEqual(['value: must be a finite number, got Infinity']);
    expect(errorsOf({ parameter: 'a', operator: 'eq', value: NaN })).toEqual(['value: must be a finite number, got NaN']);
    expect(errorsOf({ parameter: 'a', operator: 'between', value: [0, -Infinity] })).toEqual([
      'value[1]: must be a finite number, got -Infinity',
    ]);
  });

  it('unknown and missing operators', () => {
    expect(errorsOf({ parameter: 'a', operator: 'greater', value: 1 })[0]).toMatch(/^operator: unknown operator "greater"; expected AND, OR or one of gt, gte/);
    expect(errorsOf({ operator: 'and', conditions: [gt('a', 1)] })[0]).toMatch(/^operator: unknown operator "and"/);
    expect(errorsOf({ parameter: 'a', value: 1 })).toEqual(['operator: is required (AND, OR or a comparison operator)']);
  });

  it('missing values and parameters', () => {
    expect(errorsOf({ parameter: 'a', operator: 'gt' })).toEqual(['value: is required']);
    expect(errorsOf({ parameter: 'a', operator: 'eq' })).toEqual(['value: is required']);
    expect(errorsOf({ operator: 'lt', value: 1 })).toEqual(['parameter: is required']);
    expect(errorsOf({ parameter: 'a', operator: 'between' })).toEqual(['value: is required ([low, high])']);
    expect(errorsOf({ parameter: 'a', operator: 'no_data' })).toEqual(['seconds: is required']);
    expect(errorsOf({ parameter: 'a', operator: 'rate_of_change', value: 1 })).toEqual([
      'window_seconds: is required',
      'compare: is required (gt, gte, lt or lte)',
    ]);
  });

  it('bad parameter keys', () => {
    expect(errorsOf({ parameter: 3, operator: 'gt', value: 1 })).toEqual(['parameter: must be a string']);
    expect(errorsOf({ parameter: '', operator: 'gt', value: 1 })).toEqual(['parameter: "" is not a valid parameter key']);
    expect(errorsOf({ parameter: '__proto__', operator: 'gt', value: 1 })).toEqual([
      'parameter: "__proto__" is not a valid parameter key',
    ]);
  });

  it('eq/neq values that are not a number, string or boolean', () => {
    expect(errorsOf({ parameter: 'a', operator: 'eq', value: null })).toEqual(['value: must be a number, string or boolean, got null']);
    expect(errorsOf({ parameter: 'a', operator: 'neq', value: [1] })).toEqual([
      'value: must be a number, string or boolean, got an array',
    ]);
    expect(errorsOf({ parameter: 'a', operator: 'eq', value: 'x'.repeat(257) })).toEqual(['value: must be at most 256 characters']);
  });

  it('range values that are not [low, high], and low above high', () => {
    expect(errorsOf({ parameter: 'a', operator: 'between', value: 5 })).toEqual(['value: must be [low, high]: an array of two numbers']);
    expect(errorsOf({ parameter: 'a', operator: 'outside', value: [1, 2, 3] })).toEqual([
      'value: must be [low, high]: an array of two numbers',
    ]);
    expect(errorsOf({ parameter: 'a', operator: 'between', value: [10, 5] })).toEqual(['value: low (10) must not exceed high (5)']);
  });

  it('rate_of_change with a bad window, compare or absolute', () => {
    const base = { parameter: 't', operator: 'rate_of_change', window_seconds: 60, compare: 'gt', value: 5 };
    expect(errorsOf({ ...base, window_seconds: 0 })).toEqual(['window_seconds: must be a whole number from 1 to 86400']);
    expect(errorsOf({ ...base, window_seconds: 1.5 })).toEqual(['window_seconds: must be a whole number from 1 to 86400']);
    expect(errorsOf({ ...base, window_seconds: 86_401 })).toEqual(['window_seconds: must be a whole number from 1 to 86400']);
    expect(errorsOf({ ...base, compare: 'eq' })).toEqual(['compare: must be gt, gte, lt or lte, got "eq"']);
    expect(errorsOf({ ...base, absolute: 'yes' })).toEqual(['absolute: must be true or false']);
  });

  it('no_data with a bad duration', () => {
    expect(errorsOf({ parameter: 't', operator: 'no_data', seconds: -5 })).toEqual(['seconds: must be a whole number from 1 to 604800']);
    expect(errorsOf({ parameter: 't', operator: 'no_data', seconds: 604_801 })).toEqual([
      'seconds: must be a whole number from 1 to 604800',
    ]);
  });

  it('bad deadbands, and deadbands where none applies', () => {
    expect(errorsOf({ ...gt('a', 1), deadband: -1 })).toEqual(['deadband: must not be negative']);
    expect(errorsOf({ ...gt('a', 1), deadband: '1' })).toEqual(['deadband: must be a number, got "1"']);
    expect(errorsOf({ parameter: 'a', operator: 'eq', value: 1, deadband: 1 })).toEqual([
      'deadband: does not apply to eq (only to thresholds, ranges and rates)',
    ]);
    expect(errorsOf({ parameter: 'a', operator: 'no_data', seconds: 5, deadband: 1 })).toEqual([
      'deadband: does not apply to no_data (only to thresholds, ranges and rates)',
    ]);
  });

  it('an outside band too narrow for its deadband (leaf or rule level)', () => {
    expect(errorsOf({ parameter: 'a', operator: 'outside', value: [10, 12], deadband: 1 })).toEqual([
      'value: band [10, 12] is too narrow for deadband 1: high - low must exceed twice the deadband',
    ]);
    expect(errorsOf({ parameter: 'a', operator: 'outside', value: [10, 12] }, { deadband: 2 })).toHaveLength(1);
    expect(validateConditions({ parameter: 'a', operator: 'outside', value: [10, 12] }, { deadband: 0.9 }).ok).toBe(true);
  });

  it('unknown fields (typos such as min/max)', () => {
    expect(errorsOf({ parameter: 'a', operator: 'between', value: [1, 2], min: 1 })).toEqual(['min: unknown field']);
    expect(errorsOf({ operator: 'AND', conditions: [gt('a', 1)], note: 'x' })).toEqual(['note: unknown field']);
  });

  it('groups without a list of conditions, or an empty one', () => {
    expect(errorsOf({ operator: 'OR' })).toEqual(['conditions: is required']);
    expect(errorsOf({ operator: 'OR', conditions: {} })).toEqual(['conditions: must be an array of conditions']);
    expect(errorsOf({ operator: 'AND', conditions: [] })).toEqual(['conditions: must contain at least one condition']);
    expect(errorsOf({ operator: 'AND', conditions: [7] })).toEqual(['conditions[0]: must be a condition object, got 7']);
    expect(errorsOf(null)).toEqual(['must be a condition object, got null']);
  });

  it('nesting deeper than the limit', () => {
    expect(errorsOf(nested(6))).toEqual([
      'conditions[0].conditions[0].conditions[0].conditions[0].conditions[0]: groups are nested deeper than 5 levels',
    ]);
    expect(errorsOf(nested(3), { limits: { maxDepth: 2 } })).toHaveLength(1);
  });

  it('more leaves than the limit', () => {
    const many = { operator: 'AND', conditions: Array.from({ length: 51 }, (_, i) => gt(`p${i}`, i)) };
    expect(errorsOf(many)).toEqual(['has 51 leaf conditions; at most 50 are allowed']);
    expect(errorsOf({ operator: 'OR', conditions: [gt('a', 1), gt('b', 2)] }, { limits: { maxLeaves: 1 } })).toHaveLength(1);
  });

  it('and lists every problem, not only the first', () => {
    const tree = { operator: 'AND', conditions: [{ parameter: 'a', operator: 'gt' }, { parameter: 'b', operator: 'lt', value: 'x' }] };
    expect(errorsOf(tree)).toEqual(['conditions[0].value: is required', 'conditions[1].value: must be a number, got "x"']);
  });
});

describe('checkParameters', () => {
  const tree: ConditionNode = {
    operator: 'AND',
    conditions: [
      { parameter: 'voltage', operator: 'gt', value: 240 },
      { operator: 'OR', conditions: [{ parameter: 'curent', operator: 'gt', value: 15 }, { parameter: 'power', operator: 'no_data', seconds: 60 }] },
    ],
  };

  it('warns (with a path and a likely spelling) about parameters the devices do not have', () => {
    const warnings = checkParameters(tree, ['voltage', 'current', 'power']);
    expect(warnings).toEqual([
      {
        path: 'conditions[1].conditions[0].parameter',
        parameter: 'curent',
        devices: [],
        suggestion: 'current',
        message: '"curent" is not a parameter of the scoped devices (did you mean "current"?)',
      },
    ]);
  });

  it('is silent when every parameter exists, and suggests nothing far off', () => {
    expect(checkParameters(tree, new Set(['voltage', 'curent', 'power']))).toEqual([]);
    const [warning] = checkParameters({ parameter: 'humidity', operator: 'gt', value: 1 }, ['voltage']);
    expect(warning?.suggestion).toBeUndefined();
  });

  it('names the devices lacking a parameter when given keys per device', () => {
    const perDevice = new Map([
      ['press-1', ['voltage', 'curent', 'power']],
      ['press-2', ['voltage', 'power']],
    ]);
    expect(checkParameters(tree, perDevice)).toEqual([
      { path: 'conditions[1].conditions[0].parameter', parameter: 'curent', devices: ['press-2'], message: '"curent" is not reported by press-2' },
    ]);
  });
});
