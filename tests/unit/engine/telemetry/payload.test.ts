import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PAYLOAD_LIMITS,
  exceedsUtf8Bytes,
  inferDataType,
  parseIsoTimestamp,
  parseTelemetryPayload,
  utf8ByteLength,
  widenDataType,
} from '../../../../engine/telemetry/index.js';
import type { PayloadLimits, PayloadResult } from '../../../../engine/telemetry/index.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const limits = DEFAULT_PAYLOAD_LIMITS;

function parse(value: unknown, overrides: Partial<PayloadLimits> = {}): PayloadResult {
  return parseTelemetryPayload(JSON.stringify(value), { ...limits, ...overrides }, NOW);
}

function errorCode(result: PayloadResult): string | undefined {
  return result.ok ? undefined : result.code;
}

function metricsOf(count: number): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (let i = 0; i < count; i++) metrics[`m${i}`] = i;
  return metrics;
}

describe('parseTelemetryPayload: accepted messages', () => {
  it('returns metrics in order with the server time when there is no timestamp', () => {
    const result = parse({ metrics: { temp: 21.5, running: true, mode: 'auto', 'Motor/Speed RPM': 1450 } });
    expect(result).toEqual({
      ok: true,
      ts: NOW,
      metrics: [
        { key: 'temp', value: 21.5 },
        { key: 'running', value: true },
        { key: 'mode', value: 'auto' },
        { key: 'Motor/Speed RPM', value: 1450 },
      ],
    });
  });

  it('takes epoch milliseconds and ISO-8601 timestamps as the same instant', () => {
    const ts = NOW - 5_000;
    const fromNumber = parse({ metrics: { a: 1 }, timestamp: ts });
    const fromIso = parse({ metrics: { a: 1 }, timestamp: new Date(ts).toISOString() });
    const fromOffset = parse({ metrics: { a: 1 }, timestamp: '2024-05-01T13:59:55+02:00' });
    expect(fromNumber).toMatchObject({ ok: true, ts });
    expect(fromIso).toMatchObject({ ok: true, ts });
    expect(fromOffset).toMatchObject({ ok: true, ts });
  });

  it('truncates fractional epoch milliseconds', () => {
    expect(parse({ metrics: { a: 1 }, timestamp: NOW - 0.75 })).toMatchObject({ ok: true, ts: NOW - 1 });
  });

  it('accepts exactly maxMetrics metrics', () => {
    const result = parse({ metrics: metricsOf(1000) });
    expect(result.ok && result.metrics.length).toBe(1000);
  });

  it('accepts a timestamp exactly at the future-skew limit and exactly at minTimestamp', () => {
    expect(parse({ metrics: { a: 1 }, timestamp: NOW + limits.maxFutureSkewMs })).toMatchObject({ ok: true });
    expect(parse({ metrics: { a: 1 }, timestamp: limits.minTimestamp })).toMatchObject({ ok: true });
  });

  it('accepts a string of exactly maxStringLength and a 100-character key', () => {
    expect(parse({ metrics: { ['k'.repeat(100)]: 's'.repeat(1024) } })).toMatchObject({ ok: true });
  });

  it('keeps a "__proto__" key out of every prototype', () => {
    const text = '{"metrics":{"__proto__":{"polluted":true},"a":1}}';
    const result = parseTelemetryPayload(text, limits, NOW);
    expect(result.ok).toBe(false);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('parseTelemetryPayload: every error code', () => {
  it('PAYLOAD_TOO_LARGE: counts UTF-8 bytes, not characters', () => {
    const body = (value: string): string => JSON.stringify({ metrics: { s: value } });
    const overhead = body('').length;
    const fits = body('é'.repeat(50)); // 100 bytes of value
    expect(utf8ByteLength(fits)).toBe(overhead + 100);
    const exact = { maxBytes: overhead + 100 };
    expect(parseTelemetryPayload(fits, { ...limits, ...exact }, NOW).ok).toBe(true);
    const over = parseTelemetryPayload(body('é'.repeat(50) + 'x'), { ...limits, ...exact }, NOW);
    expect(errorCode(over)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('PAYLOAD_TOO_LARGE: trusts the byte length the caller already knows', () => {
    const text = JSON.stringify({ metrics: { a: 1 } });
    expect(errorCode(parseTelemetryPayload(text, limits, NOW, limits.maxBytes + 1))).toBe('PAYLOAD_TOO_LARGE');
    expect(parseTelemetryPayload(text, limits, NOW, limits.maxBytes).ok).toBe(true);
  });

  it('PAYLOAD_TOO_LARGE: refuses 256 KiB + 1 by default', () => {
    const text = JSON.stringify({ metrics: { s: 'x' } }).padEnd(256 * 1024 + 1, ' ');
    expect(errorCode(parseTelemetryPayload(text, limits, NOW))).toBe('PAYLOAD_TOO_LARGE');
    expect(parseTelemetryPayload(text.slice(0, 256 * 1024), limits, NOW).ok).toBe(true);
  });

  it('INVALID_JSON', () => {
    for (const text of ['', '{', '{"metrics":{"a":1},}', "{'metrics':{}}", 'NaN', '{"metrics":{"a":NaN}}']) {
      expect(errorCode(parseTelemetryPayload(text, limits, NOW)), text).toBe('INVALID_JSON');
    }
  });

  it('INVALID_JSON: quotes the parser message without raw line breaks', () => {
    const result = parseTelemetryPayload('{"metrics":\n{"a":\n1,,}}', limits, NOW);
    expect(result).toMatchObject({ ok: false, code: 'INVALID_JSON' });
    expect(!result.ok && result.message).not.toContain('\n');
  });

  it('INVALID_SHAPE: not an object, no metrics, metrics not an object', () => {
    for (const value of [null, 42, 'text', [], [{ metrics: {} }], {}, { metrics: null }, { metrics: [1, 2] }, { metrics: 5 }]) {
      expect(errorCode(parse(value)), JSON.stringify(value)).toBe('INVALID_SHAPE');
    }
  });

  it('INVALID_SHAPE: names an unknown top-level field', () => {
    const result = parse({ metrics: { a: 1 }, timestamps: NOW });
    expect(result).toMatchObject({ ok: false, code: 'INVALID_SHAPE' });
    expect(!result.ok && result.message).toContain('"timestamps"');
  });

  it('TOO_MANY_METRICS: 1001 metrics', () => {
    expect(errorCode(parse({ metrics: metricsOf(1001) }))).toBe('TOO_MANY_METRICS');
  });

  it('INVALID_METRIC_KEY: bad characters, spaces at the ends, overlong, reserved', () => {
    for (const key of ['', ' a', 'a ', 'a\nb', 'temp°C', 'k'.repeat(101), '__proto__', 'constructor']) {
      const result = parse({ metrics: { ok: 1, [key]: 1 } });
      expect(errorCode(result), JSON.stringify(key)).toBe('INVALID_METRIC_KEY');
    }
  });

  it('INVALID_METRIC_KEY: a configured maxKeyLength can only tighten', () => {
    expect(errorCode(parse({ metrics: { abcdef: 1 } }, { maxKeyLength: 5 }))).toBe('INVALID_METRIC_KEY');
    expect(errorCode(parse({ metrics: { ['k'.repeat(101)]: 1 } }, { maxKeyLength: 500 }))).toBe('INVALID_METRIC_KEY');
  });

  it('INVALID_METRIC_KEY: echoes the key escaped and capped', () => {
    const hostile = 'evil\n' + 'x'.repeat(500);
    const result = parse({ metrics: { [hostile]: 1 } });
    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.message;
    expect(message).not.toContain('\n');
    expect(message).toContain('evil\\u000a');
    expect(message.length).toBeLessThan(250);
  });

  it('INVALID_METRIC_VALUE: nested objects, arrays, null, huge exponents, long strings', () => {
    const cases: Array<[string, string]> = [
      ['{"metrics":{"a":{"b":1}}}', 'an object'],
      ['{"metrics":{"a":[1,2]}}', 'an array'],
      ['{"metrics":{"a":null}}', 'null'],
      ['{"metrics":{"a":1e999}}', 'finite'],
      ['{"metrics":{"a":-1e400}}', 'finite'],
    ];
    for (const [text, words] of cases) {
      const result = parseTelemetryPayload(text, limits, NOW);
      expect(result, text).toMatchObject({ ok: false, code: 'INVALID_METRIC_VALUE' });
      expect(!result.ok && result.message, text).toContain(words);
      expect(!result.ok && result.message, text).toContain('"a"');
    }
    expect(errorCode(parse({ metrics: { s: 's'.repeat(1025) } }))).toBe('INVALID_METRIC_VALUE');
  });

  it('rejects the whole message when one metric is bad (atomic)', () => {
    const result = parse({ metrics: { good: 1, bad: null, alsoGood: 2 } });
    expect(result).toMatchObject({ ok: false, code: 'INVALID_METRIC_VALUE' });
  });

  it('INVALID_TIMESTAMP: wrong types, non-ISO strings, impossible dates, zone-less times', () => {
    for (const timestamp of [
      true,
      null,
      {},
      '',
      'yesterday',
      'May 1 2024 12:00',
      '2024-05-01',
      '2024-05-01T12:00:00',
      '2024-05-01 12:00:00Z',
      '2024-02-30T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-05-01T24:00:00Z',
      '2024-05-01T12:60:00Z',
      '2024-05-01T12:00:00+25:00',
    ]) {
      expect(errorCode(parse({ metrics: { a: 1 }, timestamp })), JSON.stringify(timestamp)).toBe('INVALID_TIMESTAMP');
    }
  });

  it('INVALID_TIMESTAMP: before 2000, with a hint when it looks like epoch seconds', () => {
    const result = parse({ metrics: { a: 1 }, timestamp: Math.floor(NOW / 1000) });
    expect(result).toMatchObject({ ok: false, code: 'INVALID_TIMESTAMP' });
    expect(!result.ok && result.message).toContain('epoch seconds');
    expect(errorCode(parse({ metrics: { a: 1 }, timestamp: limits.minTimestamp - 1 }))).toBe('INVALID_TIMESTAMP');
    expect(errorCode(parse({ metrics: { a: 1 }, timestamp: '1999-12-31T23:59:59Z' }))).toBe('INVALID_TIMESTAMP');
    expect(errorCode(parseTelemetryPayload('{"metrics":{"a":1},"timestamp":1e999}', limits, NOW))).toBe(
      'INVALID_TIMESTAMP',
    );
  });

  it('TIMESTAMP_IN_FUTURE: one millisecond past the allowed skew', () => {
    expect(errorCode(parse({ metrics: { a: 1 }, timestamp: NOW + limits.maxFutureSkewMs + 1 }))).toBe(
      'TIMESTAMP_IN_FUTURE',
    );
    expect(errorCode(parse({ metrics: { a: 1 }, timestamp: '2030-01-01T00:00:00Z' }))).toBe('TIMESTAMP_IN_FUTURE');
  });

  it('NO_METRICS: an empty metrics object', () => {
    expect(errorCode(parse({ metrics: {} }))).toBe('NO_METRICS');
  });
});

describe('parseIsoTimestamp', () => {
  it('reads Z, ±hh:mm and ±hhmm zones, optional seconds and up to nine fraction digits', () => {
    const base = Date.UTC(2024, 1, 29, 10, 30, 0);
    expect(parseIsoTimestamp('2024-02-29T10:30Z')).toBe(base);
    expect(parseIsoTimestamp('2024-02-29T10:30:00Z')).toBe(base);
    expect(parseIsoTimestamp('2024-02-29T10:30:00.5Z')).toBe(base + 500);
    expect(parseIsoTimestamp('2024-02-29T10:30:00.123456789Z')).toBe(base + 123);
    expect(parseIsoTimestamp('2024-02-29T05:30:00-05:00')).toBe(base);
    expect(parseIsoTimestamp('2024-02-29T16:00:00+0530')).toBe(base);
  });

  it('refuses overlong input without running the pattern', () => {
    expect(parseIsoTimestamp(`2024-02-29T10:30:00.${'1'.repeat(100)}Z`)).toBeNull();
  });
});

describe('utf8 byte counting', () => {
  it('counts 1, 2, 3 and 4-byte characters and lone surrogates like TextEncoder', () => {
    const samples = ['', 'abc', 'é', '€', '🏭', 'a🏭é€', '\ud800', '\udc00x', 'x\ud83c'];
    const encoder = new TextEncoder();
    for (const text of samples) {
      expect(utf8ByteLength(text), JSON.stringify(text)).toBe(encoder.encode(text).length);
    }
  });

  it('decides oversize at the exact byte boundary', () => {
    expect(exceedsUtf8Bytes('🏭🏭', 8)).toBe(false);
    expect(exceedsUtf8Bytes('🏭🏭', 7)).toBe(true);
    expect(exceedsUtf8Bytes('€€€', 9)).toBe(false);
    expect(exceedsUtf8Bytes('€€€', 8)).toBe(true);
  });
});

describe('inferDataType and widenDataType', () => {
  it('maps values onto the parameter data types', () => {
    expect(inferDataType(true)).toBe('bool');
    expect(inferDataType('on')).toBe('string');
    expect(inferDataType(42)).toBe('int');
    expect(inferDataType(-7)).toBe('int');
    expect(inferDataType(21.5)).toBe('float');
    expect(inferDataType(2 ** 53)).toBe('float');
    expect(inferDataType(1e300)).toBe('float');
  });

  it('widens int and float to float and reports other mixes as conflicts', () => {
    expect(widenDataType('int', 'float')).toBe('float');
    expect(widenDataType('float', 'int')).toBe('float');
    expect(widenDataType('int', 'int')).toBe('int');
    expect(widenDataType('string', 'int')).toBeNull();
    expect(widenDataType('bool', 'string')).toBeNull();
  });
});
