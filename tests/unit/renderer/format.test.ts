/** Trend axis ticks: one number of decimals per axis, as many as the tick spacing needs. */
import { describe, expect, it } from 'vitest';
import { formatTick } from '../../../renderer/src/lib/format.js';

describe('formatTick', () => {
  it('gives every tick of an axis the decimals its spacing needs', () => {
    expect([100, 95, 90].map((v) => formatTick(v, 5))).toEqual(['100', '95', '90']);
    expect([5.7, 5.75].map((v) => formatTick(v, 0.05))).toEqual(['5.70', '5.75']);
    expect([1, 1.25].map((v) => formatTick(v, 0.25))).toEqual(['1.00', '1.25']);
    expect(formatTick(0.0002, 0.0001)).toBe('0.0002');
  });

  it('separates thousands and never shows "-0"', () => {
    expect(formatTick(12500, 2500)).toBe('12,500');
    expect(formatTick(-1e-17, 0.1)).toBe('0.0');
  });
});
