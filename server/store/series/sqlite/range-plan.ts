/**
 * How range() turns [from, to) and maxPoints into a resolution and a bucket width, and how the
 * rows of a reduced range are represented before they become SeriesBuckets.
 */
import type { SeriesResolution } from '../series-store.js';
import { HOUR_MS, MINUTE_MS, RAW_MS } from './schema.js';
import type { DbValue } from './bucket-acc.js';

export const MAX_POINTS_LIMIT = 100_000;

export type ResolutionSpec = { name: SeriesResolution; width: number };
export const RESOLUTIONS: readonly ResolutionSpec[] = [
  { name: 'raw', width: RAW_MS },
  { name: '1m', width: MINUTE_MS },
  { name: '1h', width: HOUR_MS },
];

/** One output bucket: start, min, max, sum, count, last value, ts of the last value. */
export type RangeRow = [number, number | null, number | null, number | null, number, DbValue, number];

export function ceilTo(n: number, w: number): number {
  return Math.ceil(n / w) * w;
}

/** Number of epoch-aligned buckets of width b touching [from, to). */
function bucketCount(from: number, to: number, b: number): number {
  return Math.floor((to - 1) / b) - Math.floor(from / b) + 1;
}

/**
 * The bucket width for [from, to): desired rounded up to a multiple of w, widened by whole w
 * while the aligned buckets would exceed maxPoints. Exported for unit tests.
 */
export function chooseBucketMs(from: number, to: number, maxPoints: number, w: number): number {
  const span = to - from;
  let b = Math.max(w, ceilTo(Math.ceil(span / maxPoints), w));
  for (let i = 0; i < 10_000; i++) {
    if (bucketCount(from, to, b) <= maxPoints) return b;
    b += w;
  }
  // Guaranteed bounds: count < span / b + 2, so b >= span / (maxPoints - 1) gives count <= maxPoints;
  // for maxPoints = 1 (from >= 0), b >= to puts [from, to) in bucket 0.
  return maxPoints >= 2 ? ceilTo(Math.ceil(span / (maxPoints - 1)), w) : ceilTo(to, w);
}

function checkTime(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`range: ${name} must be a non-negative integer of epoch milliseconds, got ${String(v)}`);
  }
  return v;
}

export function validateRange(from: unknown, to: unknown, maxPoints: unknown): void {
  checkTime('from', from);
  checkTime('to', to);
  if ((from as number) >= (to as number)) {
    throw new RangeError(`range: from (${String(from)}) must be before to (${String(to)})`);
  }
  if (typeof maxPoints !== 'number' || !Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_POINTS_LIMIT) {
    throw new RangeError(`range: maxPoints must be an integer between 1 and ${MAX_POINTS_LIMIT}, got ${String(maxPoints)}`);
  }
}

/**
 * Aggregates values into the output buckets of a range: rows read from the tables first, then
 * values decoded from raw chunks and values not yet compacted. Only lo <= ts < hi counts. Values
 * mostly arrive in bucket order, so the bucket of the previous value is tried before the map.
 */
export class RangeAcc {
  private byBucket: Map<number, RangeRow> | null = null;
  private current: RangeRow | null = null;
  private unsorted = false;

  constructor(
    /** Rows sorted by bucket start (from SQL), extended in place. */
    readonly rows: RangeRow[],
    private readonly lo: number,
    private readonly hi: number,
    private readonly bucketMs: number,
    private readonly numeric: boolean,
  ) {}

  /** Adds (ts[i], values[i]) for i from `from` on. */
  addAll(ts: ArrayLike<number>, values: ArrayLike<DbValue>, from = 0): void {
    for (let i = from; i < ts.length; i++) this.add(ts[i] as number, values[i] as DbValue);
  }

  add(t: number, v: DbValue): void {
    if (t < this.lo || t >= this.hi) return;
    const b = t - (t % this.bucketMs);
    let row = this.current;
    if (row === null || row[0] !== b) {
      if (this.byBucket === null) this.byBucket = new Map(this.rows.map((r) => [r[0], r]));
      row = this.byBucket.get(b) ?? null;
      if (row === null) {
        const n = this.numeric ? (v as number) : null;
        const fresh: RangeRow = [b, n, n, n, 1, v, t];
        const rows = this.rows;
        if (rows.length > 0 && (rows[rows.length - 1] as RangeRow)[0] > b) this.unsorted = true;
        rows.push(fresh);
        this.byBucket.set(b, fresh);
        this.current = fresh;
        return;
      }
      this.current = row;
    }
    if (this.numeric) {
      const n = v as number;
      if (row[1] === null || n < row[1]) row[1] = n;
      if (row[2] === null || n > row[2]) row[2] = n;
      row[3] = (row[3] ?? 0) + n;
    }
    row[4]++;
    if (t > row[6]) {
      row[5] = v;
      row[6] = t;
    }
  }

  /** The rows, sorted by bucket start. */
  finish(): RangeRow[] {
    if (this.unsorted) {
      this.rows.sort((a, b) => a[0] - b[0]);
      this.unsorted = false;
    }
    return this.rows;
  }
}
