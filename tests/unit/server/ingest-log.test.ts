/** The ingest log row codec: format 2 (values grouped by ts) round trip, format 1 still read, corrupt rows refused. */
import { describe, expect, it } from 'vitest';
import { decodeLogRow, LogRowBuilder, type LogEntry } from '../../../server/store/series/sqlite/ingest-log.js';

const T = Date.UTC(2025, 0, 6);

function roundTrip(builder: LogRowBuilder): LogEntry[] {
  const { nums, texts } = builder.columns();
  // As SQLite hands a BLOB back: a Buffer whose bytes may sit at any offset.
  const stored = nums === null ? null : Buffer.concat([Buffer.alloc(5), nums]).subarray(5);
  return [...decodeLogRow(stored, texts)];
}

describe('ingest log rows', () => {
  it('groups the values of a message under one ts: 12 bytes a value plus 16 a message', () => {
    const b = new LogRowBuilder();
    const expected: LogEntry[] = [];
    for (let m = 0; m < 100; m++) {
      for (let k = 0; k < 50; k++) {
        const e = { seriesId: 1 + k + 50 * (m % 3), ts: T + m, value: m * 0.5 - k };
        expected.push(e);
        b.addNumber(e.seriesId, e.ts, e.value);
      }
    }
    // A Sparkplug message: a ts per metric.
    for (let k = 0; k < 3; k++) {
      const e = { seriesId: 4_000_000_000 + k, ts: T + 1_000 + k, value: -k };
      expected.push(e);
      b.addNumber(e.seriesId, e.ts, e.value);
    }
    b.addText(7, T, 'running');
    const { nums } = b.columns();
    expect(nums?.byteLength).toBe(16 + 103 * 16 + 5_003 * 12);
    expect(roundTrip(b)).toEqual([...expected, { seriesId: 7, ts: T, value: 'running' }]);
    b.reset();
    expect(b.size).toBe(0);
    b.addNumber(9, T, 1);
    expect(roundTrip(b)).toEqual([{ seriesId: 9, ts: T, value: 1 }]);
  });

  it('still reads format 1 rows (float64 triples) left by an earlier version', () => {
    const legacy = Buffer.from(new Float64Array([3, T, 1.5, 4, T + 1, -2]).buffer);
    expect([...decodeLogRow(legacy, null)]).toEqual([
      { seriesId: 3, ts: T, value: 1.5 },
      { seriesId: 4, ts: T + 1, value: -2 },
    ]);
  });

  it('refuses rows it did not write', () => {
    const b = new LogRowBuilder();
    b.addNumber(1, T, 1);
    const nums = b.columns().nums as Buffer;
    expect(() => [...decodeLogRow(nums.subarray(0, nums.byteLength - 4), null)]).toThrow(/corrupt/);
    expect(() => [...decodeLogRow(Buffer.alloc(20), null)]).toThrow(/corrupt/);
    expect(() => [...decodeLogRow(null, '{"not":"an array"}')]).toThrow(/corrupt/);
    expect(() => b.addNumber(2 ** 32, T, 1)).toThrow(/does not fit/);
  });
});
