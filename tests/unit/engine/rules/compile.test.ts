import { describe, expect, it } from 'vitest';
import {
  compileRule,
  createSnapshotContext,
  formatAlarmMessage,
  rateOfChangePerMinute,
  RuleValidationError,
  validateRuleDefinition,
} from '../../../../engine/rules/index.js';
import type { ConditionNode, EvaluationContext, ParameterValue, RateSample } from '../../../../engine/rules/index.js';

const NOW = Date.UTC(2026, 1, 19, 10, 35, 0);

/** A context where every given parameter was just reported. */
function ctx(values: Record<string, ParameterValue>, history?: Record<string, RateSample[]>, now = NOW): EvaluationContext {
  const latest = Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, ts: now }]));
  return createSnapshotContext({ now, latest, ...(history ? { history } : {}) });
}

const leaf = (parameter: string, operator: string, value: unknown) => ({ parameter, operator, value }) as ConditionNode;

describe('compileRule', () => {
  it('refuses an invalid definition with every error in the message', () => {
    expect(() => compileRule({ conditions: { operator: 'AND', conditions: [] } })).toThrow(RuleValidationError);
    try {
      compileRule({ conditions: leaf('a', 'gt', 'x'), deadband: -1 });
    } catch (e) {
      expect((e as RuleValidationError).errors).toEqual([
        { path: 'deadband', message: 'must not be negative' },
        { path: 'conditions.value', message: 'must be a number, got "x"' },
      ]);
    }
  });

  it('lists leaves in evaluation order with paths and text, the parameters, and history needs', () => {
    const rule = compileRule({
      conditions: {
        operator: 'AND',
        conditions: [
          leaf('voltage', 'gt', 240),
          {
            operator: 'OR',
            conditions: [
              { parameter: 'temp', operator: 'rate_of_change', window_seconds: 60, compare: 'gt', value: 5 },
              { parameter: 'temp', operator: 'rate_of_change', window_seconds: 300, compare: 'lt', value: -2 },
              { parameter: 'voltage', operator: 'between', value: [1, 2] },
            ],
          },
        ],
      },
    });
    expect(rule.leaves.map((l) => [l.index, l.path, l.text])).toEqual([
      [0, 'conditions[0]', 'voltage gt 240'],
      [1, 'conditions[1].conditions[0]', 'temp rate_of_change over 60 s gt 5/min'],
      [2, 'conditions[1].conditions[1]', 'temp rate_of_change over 300 s lt -2/min'],
      [3, 'conditions[1].conditions[2]', 'voltage between [1, 2]'],
    ]);
    expect(rule.parameters).toEqual(['voltage', 'temp']);
    expect([...rule.historyWindows]).toEqual([['temp', 300_000]]);
  });

  it('fills the alarm policy from the definition, with the rules-table defaults', () => {
    expect(compileRule({ conditions: leaf('a', 'gt', 1) }).policy).toEqual({
      onDelayMs: 0,
      cooldownMs: 15 * 60_000,
      maxShelveMs: 24 * 3_600_000,
    });
    expect(compileRule({ conditions: leaf('a', 'gt', 1), on_delay_seconds: 30, cooldown_minutes: 0 }).policy).toMatchObject({
      onDelayMs: 30_000,
      cooldownMs: 0,
    });
  });
});

describe('validateRuleDefinition', () => {
  it('checks the engine fields and ignores the rest of the rule', () => {
    const ok = validateRuleDefinition({ name: 'x', severity: 'high', conditions: leaf('a', 'gt', 1), on_delay_seconds: null });
    expect(ok).toEqual({ ok: true, value: { conditions: leaf('a', 'gt', 1) } });
    const bad = validateRuleDefinition({ on_delay_seconds: 1.5, cooldown_minutes: -1, deadband: Infinity });
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'deadband: must be a finite number',
      'on_delay_seconds: must be a whole number from 0 to 86400',
      'cooldown_minutes: must be a whole number from 0 to 10080',
      'conditions: is required',
    ]);
    expect(validateRuleDefinition('rule')).toEqual({ ok: false, errors: [{ path: '', message: 'must be a rule object' }] });
  });
});

describe('comparison leaves', () => {
  const cases: [string, number, boolean[]][] = [
    // operator, threshold, results for values [9, 10, 11]
    ['gt', 10, [false, false, true]],
    ['gte', 10, [false, true, true]],
    ['lt', 10, [true, false, false]],
    ['lte', 10, [true, true, false]],
    ['eq', 10, [false, true, false]],
    ['neq', 10, [true, false, true]],
  ];
  for (const [operator, threshold, expected] of cases) {
    it(`${operator} ${threshold} on 9, 10, 11`, () => {
      const rule = compileRule({ conditions: leaf('v', operator, threshold) });
      expect([9, 10, 11].map((v) => rule.evaluate(ctx({ v })))).toEqual(expected);
    });
  }

  it('eq/neq compare strings and booleans strictly by type', () => {
    const isAuto = compileRule({ conditions: leaf('mode', 'eq', 'auto') });
    expect(isAuto.evaluate(ctx({ mode: 'auto' }))).toBe(true);
    expect(isAuto.evaluate(ctx({ mode: 'Auto' }))).toBe(false);
    const notRunning = compileRule({ conditions: leaf('running', 'neq', true) });
    expect(notRunning.evaluate(ctx({ running: false }))).toBe(true);
    expect(notRunning.evaluate(ctx({ running: true }))).toBe(false);
    const isOne = compileRule({ conditions: leaf('flag', 'eq', 1) });
    expect(isOne.evaluate(ctx({ flag: true }))).toBe(false);
    expect(isOne.evaluate(ctx({ flag: '1' }))).toBe(false);
  });
});

describe('missing or unusable values make every leaf false', () => {
  const operators: ConditionNode[] = [
    leaf('v', 'gt', 0),
    leaf('v', 'lt', 0),
    leaf('v', 'eq', 0),
    leaf('v', 'neq', 0),
    leaf('v', 'neq', 'x'),
    leaf('v', 'between', [-1, 1]),
    leaf('v', 'outside', [-1, 1]),
    { parameter: 'v', operator: 'rate_of_change', window_seconds: 60, compare: 'lt', value: 1 },
    { parameter: 'v', operator: 'no_data', seconds: 1 },
  ];
  for (const conditions of operators) {
    it(`${JSON.stringify(conditions)}`, () => {
      const rule = compileRule({ conditions });
      expect(rule.evaluate(ctx({}))).toBe(false); // never reported
      expect(rule.evaluate(ctx({ other: 1 }))).toBe(false);
      if (conditions.operator !== 'no_data' && conditions.operator !== 'rate_of_change') {
        const wrongType = conditions.operator === 'neq' && typeof conditions.value === 'string' ? 5 : 'text';
        expect(rule.evaluate(ctx({ v: wrongType }))).toBe(false);
        expect(rule.evaluate(ctx({ v: NaN }))).toBe(false);
      }
    });
  }

  it('and a missing value inside OR lets the other branch decide', () => {
    const rule = compileRule({ conditions: { operator: 'OR', conditions: [leaf('a', 'gt', 1), leaf('b', 'gt', 1)] } });
    expect(rule.evaluate(ctx({ b: 2 }))).toBe(true);
    expect(rule.evaluate(ctx({ b: 0 }))).toBe(false);
  });

  it('does not read parameter names through the prototype', () => {
    const rule = compileRule({ conditions: leaf('toString', 'neq', 'x') });
    expect(rule.evaluate(createSnapshotContext({ now: NOW, latest: {} }))).toBe(false);
  });
});

describe('nested AND/OR truth tables', () => {
  // a > 0 AND (b > 0 OR (c > 0 AND d > 0))
  const rule = compileRule({
    conditions: {
      operator: 'AND',
      conditions: [
        leaf('a', 'gt', 0),
        { operator: 'OR', conditions: [leaf('b', 'gt', 0), { operator: 'AND', conditions: [leaf('c', 'gt', 0), leaf('d', 'gt', 0)] }] },
      ],
    },
  });

  it('matches the boolean formula for all 16 combinations', () => {
    for (let bits = 0; bits < 16; bits++) {
      const [a, b, c, d] = [8, 4, 2, 1].map((m) => (bits & m) !== 0);
      const values = { a: a ? 1 : 0, b: b ? 1 : 0, c: c ? 1 : 0, d: d ? 1 : 0 };
      expect(rule.evaluate(ctx(values)), JSON.stringify(values)).toBe(Boolean(a && (b || (c && d))));
    }
  });

  it('reports the leaves that made it true, and none when false', () => {
    expect(rule.evaluate(ctx({ a: 1, b: 1, c: 1, d: 1 }))).toBe(true);
    expect(rule.trueLeaves()).toEqual([0, 1]); // OR stops at its first true branch
    expect(rule.evaluate(ctx({ a: 1, b: 0, c: 1, d: 1 }))).toBe(true);
    expect(rule.trueLeaves()).toEqual([0, 2, 3]);
    // c true but d false: the inner AND failed, so c is not part of the proof.
    expect(rule.evaluate(ctx({ a: 1, b: 0, c: 1, d: 0 }))).toBe(false);
    expect(rule.trueLeaves()).toEqual([]);
  });

  it('forgets a failed AND inside a true OR', () => {
    const r = compileRule({
      conditions: { operator: 'OR', conditions: [{ operator: 'AND', conditions: [leaf('c', 'gt', 0), leaf('d', 'gt', 0)] }, leaf('b', 'gt', 0)] },
    });
    expect(r.evaluate(ctx({ c: 1, d: 0, b: 1 }))).toBe(true);
    expect(r.trueLeaves()).toEqual([2]);
  });

  it('explains true leaves with current values in the reference message format', () => {
    const r = compileRule({ conditions: { operator: 'AND', conditions: [leaf('voltage', 'gt', 240), leaf('mode', 'eq', 'auto')] } });
    const c = ctx({ voltage: 245.2, mode: 'auto' });
    expect(r.evaluate(c)).toBe(true);
    expect(formatAlarmMessage('High Voltage Alert', r, c)).toBe('[High Voltage Alert] voltage (245.2) gt 240; mode ("auto") eq "auto"');
  });
});

describe('between and outside', () => {
  const between = compileRule({ conditions: leaf('v', 'between', [200, 240]) });
  const outside = compileRule({ conditions: leaf('v', 'outside', [200, 240]) });

  it('between includes both ends; outside is its exact complement', () => {
    const values = [199.999, 200, 220, 240, 240.001];
    expect(values.map((v) => between.evaluate(ctx({ v })))).toEqual([false, true, true, true, false]);
    expect(values.map((v) => outside.evaluate(ctx({ v })))).toEqual([true, false, false, false, true]);
  });

  it('a zero-width band matches only its single value', () => {
    const point = compileRule({ conditions: leaf('v', 'between', [5, 5]) });
    expect([4.9, 5, 5.1].map((v) => point.evaluate(ctx({ v })))).toEqual([false, true, false]);
  });
});

describe('rate_of_change', () => {
  const rising = compileRule({
    conditions: { parameter: 'temp', operator: 'rate_of_change', window_seconds: 60, compare: 'gt', value: 5 },
  });
  const series = (points: [number, number][]): RateSample[] => points.map(([s, value]) => ({ ts: NOW - s * 1000, value }));

  it('compares the change per minute over the window', () => {
    // +6 over the last 60 s.
    expect(rising.evaluate(ctx({ temp: 26 }, { temp: series([[60, 20], [30, 23], [0, 26]]) }))).toBe(true);
    // +5 exactly: not greater.
    expect(rising.evaluate(ctx({ temp: 25 }, { temp: series([[60, 20], [0, 25]]) }))).toBe(false);
    // +3 over 30 s is 6 per minute.
    expect(rising.evaluate(ctx({ temp: 23 }, { temp: series([[30, 20], [0, 23]]) }))).toBe(true);
  });

  it('ignores samples older than the window and is false with too little history', () => {
    // The big jump happened before the window; inside it the value is flat.
    expect(rising.evaluate(ctx({ temp: 50 }, { temp: series([[120, 0], [50, 50], [0, 50]]) }))).toBe(false);
    expect(rising.evaluate(ctx({ temp: 50 }, { temp: series([[0, 50]]) }))).toBe(false);
    expect(rising.evaluate(ctx({ temp: 50 }))).toBe(false);
  });

  it('is signed, unless absolute', () => {
    const falling = series([[60, 30], [0, 20]]); // -10 per minute
    expect(rising.evaluate(ctx({}, { temp: falling }))).toBe(false);
    const fast = compileRule({
      conditions: { parameter: 'temp', operator: 'rate_of_change', window_seconds: 60, compare: 'gt', value: 5, absolute: true },
    });
    expect(fast.evaluate(ctx({}, { temp: falling }))).toBe(true);
    const drop = compileRule({
      conditions: { parameter: 'temp', operator: 'rate_of_change', window_seconds: 60, compare: 'lt', value: -5 },
    });
    expect(drop.evaluate(ctx({}, { temp: falling }))).toBe(true);
  });

  it('rateOfChangePerMinute skips future and non-finite samples', () => {
    const samples = [
      { ts: NOW - 60_000, value: 0 },
      { ts: NOW - 30_000, value: NaN },
      { ts: NOW, value: 2 },
      { ts: NOW + 10_000, value: 100 },
    ];
    expect(rateOfChangePerMinute(samples, 60_000, NOW)).toBe(2);
    expect(rateOfChangePerMinute([{ ts: NOW, value: 1 }, { ts: NOW, value: 2 }], 60_000, NOW)).toBeUndefined();
    expect(rateOfChangePerMinute([], 60_000, NOW)).toBeUndefined();
  });

  it('explains the measured rate', () => {
    const c = ctx({}, { temp: series([[60, 20], [0, 26]]) });
    expect(rising.evaluate(c)).toBe(true);
    expect(rising.explain(c)).toEqual(['temp rate (6/min over 60 s) gt 5']);
  });
});

describe('no_data', () => {
  const silent = compileRule({ conditions: { parameter: 'temp', operator: 'no_data', seconds: 300 } });
  const at = (ageMs: number) => createSnapshotContext({ now: NOW, latest: { temp: { value: 20, ts: NOW - ageMs } } });

  it('is true only after more than the given silence', () => {
    expect(silent.evaluate(at(299_999))).toBe(false);
    expect(silent.evaluate(at(300_000))).toBe(false);
    expect(silent.evaluate(at(300_001))).toBe(true);
    expect(silent.explain(at(412_000))).toEqual(['temp no data for 412 s (limit 300 s)']);
  });

  it('is false for a sample from the future (clock skew) and for a parameter never seen', () => {
    expect(silent.evaluate(at(-60_000))).toBe(false);
    expect(silent.evaluate(createSnapshotContext({ now: NOW, latest: {} }))).toBe(false);
  });
});

describe('deadband hysteresis', () => {
  it('gt: raised above the threshold, held until back below threshold - deadband', () => {
    const rule = compileRule({ conditions: leaf('v', 'gt', 100), deadband: 5 });
    expect(rule.evaluate(ctx({ v: 99 }), false)).toBe(false);
    expect(rule.evaluate(ctx({ v: 101 }), false)).toBe(true);
    expect(rule.evaluate(ctx({ v: 99 }), true)).toBe(true);
    expect(rule.evaluate(ctx({ v: 95.1 }), true)).toBe(true);
    expect(rule.evaluate(ctx({ v: 95 }), true)).toBe(false);
  });

  it('lt/lte shift upwards, and a leaf deadband overrides the rule one', () => {
    const rule = compileRule({
      conditions: { operator: 'OR', conditions: [{ parameter: 'p', operator: 'lte', value: 2, deadband: 0.5 }, leaf('q', 'lt', 10)] },
      deadband: 3,
    });
    expect(rule.evaluate(ctx({ p: 2.4 }), true)).toBe(true);
    expect(rule.evaluate(ctx({ p: 2.6 }), true)).toBe(false);
    expect(rule.evaluate(ctx({ q: 12.9 }), true)).toBe(true);
    expect(rule.evaluate(ctx({ q: 13 }), true)).toBe(false);
    expect(rule.evaluate(ctx({ q: 12.9 }), false)).toBe(false);
  });

  it('between widens and outside narrows while active', () => {
    const inBand = compileRule({ conditions: leaf('v', 'between', [10, 20]), deadband: 1 });
    expect([8.9, 9, 21, 21.1].map((v) => inBand.evaluate(ctx({ v }), true))).toEqual([false, true, true, false]);
    const outBand = compileRule({ conditions: leaf('v', 'outside', [10, 20]), deadband: 1 });
    expect([10.9, 11, 19, 19.1].map((v) => outBand.evaluate(ctx({ v }), true))).toEqual([true, false, false, true]);
    expect(outBand.evaluate(ctx({ v: 10.9 }), false)).toBe(false);
  });

  it('applies to rates only through the leaf deadband', () => {
    const rule = compileRule({
      conditions: { parameter: 't', operator: 'rate_of_change', window_seconds: 60, compare: 'gt', value: 5, deadband: 2 },
      deadband: 100,
    });
    const rate = (perMinute: number) => ctx({}, { t: [{ ts: NOW - 60_000, value: 0 }, { ts: NOW, value: perMinute }] });
    expect(rule.evaluate(rate(4), false)).toBe(false);
    expect(rule.evaluate(rate(4), true)).toBe(true);
    expect(rule.evaluate(rate(3), true)).toBe(false);
  });

  it('leaves eq/neq and no_data unchanged', () => {
    const rule = compileRule({ conditions: leaf('code', 'eq', 3), deadband: 10 });
    expect(rule.evaluate(ctx({ code: 4 }), true)).toBe(false);
  });
});
