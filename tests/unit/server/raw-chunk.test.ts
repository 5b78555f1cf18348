/** The raw chunk codec of the SQLite series store: layout, ordering, hour pieces, lookups, cuts. */
import { describe, expect, it } from 'vitest';
import {
  ascendingOrder,
  CHUNK_MAX_VALUES,
  chunkHasTs,
  decodeChunk,
  dropBefore,
  encodeChunk,
  pieceEnd,
} from '../../../server/store/series/sqlite/raw-chunk.js';

const HOUR = 3_600_000;
const H0 = Date.UTC(2025, 0, 6, 10);

describe('raw chunks', () => {
  it('encodes n float64 values then n uint32 offsets, and decodes them back', () => {
    const ts = [H0 + 5, H0 + 7, H0 + 3_599_999];
    const values = [1.5, -2, Number.MAX_VALUE];
    const data = encodeChunk(H0 + 5, ts, values, null, 0, 3);
    expect(data.byteLength).toBe(36);
    expect(data.readDoubleLE(8)).toBe(-2);
    expect(data.readUInt32LE(24 + 8)).toBe(3_599_994);
    // A row's bytes may sit at any offset of a larger buffer.
    const shifted = Buffer.concat([Buffer.alloc(3), data]).subarray(3);
    const back = decodeChunk(H0 + 5, 3, shifted);
    expect(Array.from(back.ts)).toEqual(ts);
    expect(Array.from(back.values)).toEqual(values);
    expect(() => decodeChunk(H0, 4, data)).toThrow(/corrupt/);
  });

  it('sorts out-of-order values and extends an existing chunk', () => {
    const ts = [H0 + 30, H0 + 10, H0 + 20];
    const order = ascendingOrder(ts);
    expect(Array.from(order ?? [])).toEqual([1, 2, 0]);
    expect(ascendingOrder([1, 2, 2, 3])).toBeNull();
    const first = encodeChunk(H0 + 10, ts, [3, 1, 2], order, 0, 3);
    const extended = encodeChunk(H0 + 10, [H0 + 40, H0 + 50], [4, 5], null, 0, 2, { n: 3, data: first });
    const back = decodeChunk(H0 + 10, 5, extended);
    expect(Array.from(back.ts)).toEqual([H0 + 10, H0 + 20, H0 + 30, H0 + 40, H0 + 50]);
    expect(Array.from(back.values)).toEqual([1, 2, 3, 4, 5]);
    for (const t of back.ts) expect(chunkHasTs(H0 + 10, 5, extended, t)).toBe(true);
    for (const t of [H0, H0 + 15, H0 + 51]) expect(chunkHasTs(H0 + 10, 5, extended, t)).toBe(false);
  });

  it('cuts pieces at hour boundaries and at the size limit', () => {
    const ts = [H0 - 2, H0 - 1, H0, H0 + HOUR - 1, H0 + HOUR];
    expect(pieceEnd(ts, null, 0, ts.length)).toBe(2);
    expect(pieceEnd(ts, null, 2, ts.length)).toBe(4);
    expect(pieceEnd(ts, null, 4, ts.length)).toBe(5);
    const many = Array.from({ length: CHUNK_MAX_VALUES + 10 }, (_, i) => H0 + i);
    expect(pieceEnd(many, null, 0, many.length)).toBe(CHUNK_MAX_VALUES);
    expect(pieceEnd(many, null, CHUNK_MAX_VALUES, many.length)).toBe(many.length);
  });

  it('drops the values before a cutoff', () => {
    const ts = [H0 + 1, H0 + 2, H0 + 3, H0 + 4];
    const data = encodeChunk(H0 + 1, ts, [1, 2, 3, 4], null, 0, 4);
    const kept = dropBefore(H0 + 1, 4, data, H0 + 3);
    expect(kept?.startTs).toBe(H0 + 3);
    expect(kept?.n).toBe(2);
    const back = decodeChunk(H0 + 3, 2, kept!.data);
    expect(Array.from(back.values)).toEqual([3, 4]);
    expect(dropBefore(H0 + 1, 4, data, H0 + 5)).toBeNull();
  });
});
