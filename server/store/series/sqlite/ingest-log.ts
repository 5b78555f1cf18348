/**
 * The durable append log of the SQLite series store: one row per write() batch, so a commit
 * touches a few pages however many series the batch spans (a per-series layout dirties about
 * one page per series per commit: ~8 MB of WAL for 2,000 values). Compaction later moves the
 * values into the per-series tables and deletes the rows; on open, rows still present are
 * replayed (compaction skips values already stored, so a replay never counts twice).
 *
 * Encoding of `nums` (little-endian), format 2: float64 [-2, G], then G float64 pairs
 * [ts, count] (the values of one message share a ts: one pair per message), then the N = sum of
 * counts float64 values, then N uint32 series ids, in the same order. 12 bytes a value plus 16
 * a message, half of format 1 (float64 triples [series id, ts, value], which a row written
 * before the change still holds and decodeLogRow still reads: its first float64 is a series id,
 * never negative). String and boolean values (rare) are a JSON array of [series id, ts, value]
 * in `texts`, where a boolean is 0/1 as in the raw tables (the series' kind says how to decode).
 */
import type { DbValue } from './bucket-acc.js';

export interface LogEntry {
  seriesId: number;
  ts: number;
  value: DbValue;
}

/** First float64 of a format 2 row. */
const GROUPED = -2;
const MAX_SERIES_ID = 0xffff_ffff;

/** Builds one log row from the values a batch accepted. Reused across batches. */
export class LogRowBuilder {
  private values = new Float64Array(4096);
  private ids = new Uint32Array(4096);
  /** [ts, count] per run of values with the same ts. */
  private groups = new Float64Array(2 * 256);
  private numCount = 0;
  private groupCount = 0;
  private texts: Array<[number, number, DbValue]> = [];

  reset(): void {
    this.numCount = 0;
    this.groupCount = 0;
    this.texts = [];
  }

  get size(): number {
    return this.numCount + this.texts.length;
  }

  addNumber(seriesId: number, ts: number, value: number): void {
    if (seriesId > MAX_SERIES_ID) throw new Error(`series store: series id ${seriesId} does not fit the ingest log`);
    const n = this.numCount;
    if (n === this.values.length) {
      const values = new Float64Array(n * 2);
      values.set(this.values);
      this.values = values;
      const ids = new Uint32Array(n * 2);
      ids.set(this.ids);
      this.ids = ids;
    }
    let g = this.groupCount;
    if (g === 0 || this.groups[2 * g - 2] !== ts) {
      if (2 * g + 2 > this.groups.length) {
        const groups = new Float64Array(this.groups.length * 2);
        groups.set(this.groups);
        this.groups = groups;
      }
      this.groups[2 * g] = ts;
      this.groups[2 * g + 1] = 0;
      this.groupCount = ++g;
    }
    (this.groups[2 * g - 1] as number)++;
    this.values[n] = value;
    this.ids[n] = seriesId;
    this.numCount = n + 1;
  }

  addText(seriesId: number, ts: number, value: DbValue): void {
    this.texts.push([seriesId, ts, value]);
  }

  /** The row's columns: `nums` in format 2 (see above) and the JSON of the text values. */
  columns(): { nums: Buffer | null; texts: string | null } {
    let nums: Buffer | null = null;
    const n = this.numCount;
    if (n > 0) {
      const g = this.groupCount;
      const floats = 2 + 2 * g + n;
      const buffer = new ArrayBuffer(floats * 8 + n * 4);
      const f = new Float64Array(buffer, 0, floats);
      f[0] = GROUPED;
      f[1] = g;
      f.set(this.groups.subarray(0, 2 * g), 2);
      f.set(this.values.subarray(0, n), 2 + 2 * g);
      new Uint32Array(buffer, floats * 8, n).set(this.ids.subarray(0, n));
      nums = Buffer.from(buffer);
    }
    return { nums, texts: this.texts.length === 0 ? null : JSON.stringify(this.texts) };
  }
}

function corrupt(what: string): Error {
  return new Error(`series store: corrupt ingest log row (${what})`);
}

/** Decodes a log row (format 2 or 1); throws on a row that is not what LogRowBuilder wrote. */
export function* decodeLogRow(nums: unknown, texts: unknown): Generator<LogEntry> {
  if (nums !== null) {
    if (!(nums instanceof Uint8Array) || nums.byteLength % 4 !== 0 || nums.byteLength < 8) throw corrupt('nums');
    // Copy into an aligned buffer: the row's bytes may start at any offset.
    const buffer = new ArrayBuffer(nums.byteLength);
    new Uint8Array(buffer).set(nums);
    const head = new Float64Array(buffer, 0, 1)[0] as number;
    if (head === GROUPED) {
      if (nums.byteLength < 16) throw corrupt('nums');
      const g = new Float64Array(buffer, 8, 1)[0] as number;
      if (!Number.isSafeInteger(g) || g < 0 || 16 + 16 * g > nums.byteLength) throw corrupt('nums');
      const groups = new Float64Array(buffer, 16, 2 * g);
      let n = 0;
      for (let i = 0; i < g; i++) n += groups[2 * i + 1] as number;
      const floats = 2 + 2 * g + n;
      if (!Number.isSafeInteger(n) || floats * 8 + n * 4 !== nums.byteLength) throw corrupt('nums');
      const values = new Float64Array(buffer, (2 + 2 * g) * 8, n);
      const ids = new Uint32Array(buffer, floats * 8, n);
      let k = 0;
      for (let i = 0; i < g; i++) {
        const ts = groups[2 * i] as number;
        const count = groups[2 * i + 1] as number;
        for (let c = 0; c < count; c++, k++) yield { seriesId: ids[k] as number, ts, value: values[k] as number };
      }
    } else {
      // Format 1: float64 triples.
      if (nums.byteLength % 24 !== 0) throw corrupt('nums');
      const f = new Float64Array(buffer);
      for (let i = 0; i < f.length; i += 3) yield { seriesId: f[i] as number, ts: f[i + 1] as number, value: f[i + 2] as number };
    }
  }
  if (texts !== null) {
    const parsed: unknown = typeof texts === 'string' ? JSON.parse(texts) : null;
    if (!Array.isArray(parsed)) throw new Error('series store: corrupt ingest log row (texts)');
    for (const item of parsed as unknown[]) {
      if (!Array.isArray(item) || item.length !== 3) throw new Error('series store: corrupt ingest log row (texts)');
      const [seriesId, ts, value] = item as [unknown, unknown, unknown];
      if (typeof seriesId !== 'number' || typeof ts !== 'number' || (typeof value !== 'number' && typeof value !== 'string')) {
        throw new Error('series store: corrupt ingest log row (texts)');
      }
      yield { seriesId, ts, value };
    }
  }
}
