import { describe, expect, it } from 'vitest';
import {
  aliasKey,
  rebirthCommandMetrics,
  rebirthCommandPayload,
  toNumber,
} from '../../../../engine/telemetry/index.js';

/** A Long-like without methods, as a plain object (what JSON or a structured clone leaves). */
function long(value: bigint, unsigned: boolean): { low: number; high: number; unsigned: boolean } {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned };
}

describe('toNumber', () => {
  it('passes numbers through and converts bigints', () => {
    expect(toNumber(42)).toBe(42);
    expect(toNumber(-1.5)).toBe(-1.5);
    expect(toNumber(123n)).toBe(123);
  });

  it('converts unsigned Long-likes, including ones with the top bit of a word set', () => {
    expect(toNumber(long(0n, true))).toBe(0);
    expect(toNumber(long(0xffffffffn, true))).toBe(4294967295);
    expect(toNumber(long(1700000000000n, true))).toBe(1700000000000);
    expect(toNumber(long(2n ** 53n - 1n, true))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('converts signed Long-likes, including negatives', () => {
    expect(toNumber(long(-1n, false))).toBe(-1);
    expect(toNumber(long(-5n, false))).toBe(-5);
    expect(toNumber(long(-(2n ** 40n), false))).toBe(-(2 ** 40));
    // A Long without `unsigned` is signed, as in the long package.
    expect(toNumber({ low: -1, high: -1 })).toBe(-1);
  });

  it('rounds beyond 2^53 to the nearest double (documented precision loss)', () => {
    const big = 2n ** 64n - 1n;
    expect(toNumber(long(big, true))).toBe(18446744073709551616);
    expect(toNumber(long(2n ** 53n + 1n, true))).toBe(2 ** 53);
  });

  it('ignores a toNumber method and reads the bits', () => {
    const liar = { ...long(7n, true), toNumber: () => 999 };
    expect(toNumber(liar)).toBe(7);
  });

  it('gives NaN for anything that is not an integer representation', () => {
    expect(toNumber('12')).toBeNaN();
    expect(toNumber(null)).toBeNaN();
    expect(toNumber({ low: 1 })).toBeNaN();
  });
});

describe('aliasKey', () => {
  it('gives the same key for the same alias in number, bigint and Long form', () => {
    expect(aliasKey(5)).toBe(5);
    expect(aliasKey(5n)).toBe(5);
    expect(aliasKey(long(5n, true))).toBe(5);
  });

  it('keeps aliases beyond 2^53 exact and distinct', () => {
    const a = aliasKey(long(2n ** 60n, true));
    const b = aliasKey(long(2n ** 60n + 1n, true));
    expect(a).not.toBe(b);
    expect(aliasKey(2n ** 60n)).toBe(a);
  });

  it('refuses negative, fractional and non-integer aliases', () => {
    expect(aliasKey(-1)).toBeNull();
    expect(aliasKey(1.5)).toBeNull();
    expect(aliasKey(long(-1n, false))).toBeNull();
    expect(aliasKey('5')).toBeNull();
    expect(aliasKey(2n ** 64n)).toBeNull();
  });
});

describe('rebirth command', () => {
  it('asks for Node Control/Rebirth = true as a Boolean, by name', () => {
    expect(rebirthCommandMetrics()).toEqual([{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }]);
  });

  it('returns a fresh array each time', () => {
    const first = rebirthCommandMetrics();
    first.length = 0;
    expect(rebirthCommandMetrics()).toHaveLength(1);
  });

  it('builds an NCMD payload with a timestamp and no seq', () => {
    const payload = rebirthCommandPayload(1_700_000_000_000);
    expect(payload).toEqual({ timestamp: 1_700_000_000_000, metrics: rebirthCommandMetrics() });
    expect(payload).not.toHaveProperty('seq');
  });
});
