/** Trend data for uPlot: gaps stay gaps, pens merge onto one time axis, the live tail appends in place. */
import { describe, expect, it } from 'vitest';
import { appendSample, gapThreshold, historyToPen, lowerBound, mergePens, trimBefore } from '../../../renderer/src/components/trend/trend-data.js';

describe('historyToPen', () => {
  it('inserts a null between samples farther apart than the gap threshold (an outage is never bridged)', () => {
    const points = [0, 1000, 2000, 3000, 60_000, 61_000].map((ts, i) => ({ ts, value: i }));
    const pen = historyToPen(points, 1000);
    const gapAt = pen.ys.indexOf(null);
    expect(gapAt).toBe(4);
    expect(pen.xs[gapAt]).toBeGreaterThan(3000);
    expect(pen.xs[gapAt]).toBeLessThan(60_000);
    expect(pen.ys.filter((v) => v !== null)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('does not call a slow but regular device "missing" between its reports', () => {
    const points = [0, 60_000, 120_000, 180_000].map((ts) => ({ ts, value: 1 }));
    expect(historyToPen(points, 1000).ys).not.toContain(null);
    expect(gapThreshold(1000, [0, 60_000, 120_000])).toBe(150_000);
  });
});

describe('mergePens', () => {
  it('puts pens with different timestamps on one sorted axis; a missing sample is undefined (bridged), a gap stays null', () => {
    const merged = mergePens([
      { xs: [0, 2000, 4000], ys: [1, null, 3] },
      { xs: [1000, 2000], ys: [10, 20] },
    ]);
    expect(merged.xs).toEqual([0, 1000, 2000, 4000]);
    expect(merged.pens[0]).toEqual([1, undefined, null, 3]);
    expect(merged.pens[1]).toEqual([undefined, 10, 20, undefined]);
  });
});

describe('appendSample (live tail)', () => {
  it('appends in order, ignores an older sample, and breaks the line after a silence', () => {
    const series = mergePens([{ xs: [0, 1000], ys: [1, 2] }]);
    expect(appendSample(series, 0, 2000, 3, 5000)).toBe(true);
    expect(appendSample(series, 0, 1500, 9, 5000)).toBe(false);
    expect(appendSample(series, 0, 20_000, 4, 5000)).toBe(true);
    expect(series.pens[0]).toEqual([1, 2, 3, null, 4]);
    expect(series.xs[3]).toBeGreaterThan(2000);
    expect(series.xs[3]).toBeLessThan(20_000);
  });

  it('keeps memory bounded: trimBefore drops a large old head, keeps a small one', () => {
    const xs = Array.from({ length: 5000 }, (_, i) => i * 1000);
    const series = mergePens([{ xs, ys: xs.map((x) => x) }]);
    trimBefore(series, 10_000);
    expect(series.xs.length).toBe(5000);
    trimBefore(series, 3_000_000);
    expect(series.xs[0]).toBe(3_000_000);
    expect(series.pens[0]?.[0]).toBe(3_000_000);
    expect(lowerBound(series.xs, 3_500_500)).toBe(501);
  });
});
