/**
 * The durable append log of the SQLite series store: one row per write() batch, so a commit
 * touches a few pages however many series the batch spans (a per-series layout dirties about
 * one page per series per commit: ~8 MB of WAL for 2,000 values). Compaction later moves the
 * values into the per-series tables and deletes the rows; on open, rows still present are
 * replayed (compaction skips values already stored, so a replay never counts twice).
 *
 * Encoding: numeric values as little-endian float64 triples (series id, ts, value) in `nums`;
 * string and boolean values (rare) as a JSON array of [series id, ts, value] in `texts`, where a
 * boolean is 0/1 as in the raw tables (the series' kind says how to decode it).
 */
import type { DbValue } from './bucket-acc.js';

export interface LogEntry {
  seriesId: number;
  ts: number;
  value: DbValue;
}

/** Builds one log row from the values a batch accepted. Reused across batches. */
export class LogRowBuilder {
  private nums = new Float64Array(3 * 4096);
  private numCount = 0;
  private texts: Array<[number, number, DbValue]> = [];

  reset(): void {
    this.numCount = 0;
    this.texts = [];
  }

  get size(): number {
    return this.numCount + this.texts.length;
  }

  addNumber(seriesId: number, ts: number, value: number): void {
    let o = this.numCount * 3;
    if (o + 3 > this.nums.length) {
      const bigger = new Float64Array(this.nums.length * 2);
      bigger.set(this.nums);
      this.nums = bigger;
    }
    this.nums[o++] = seriesId;
    this.nums[o++] = ts;
    this.nums[o] = value;
    this.numCount++;
  }

  addText(seriesId: number, ts: number, value: DbValue): void {
    this.texts.push([seriesId, ts, value]);
  }

  /** The row's columns: a view of the numeric triples (binding copies the bytes) and the JSON. */
  columns(): { nums: Buffer | null; texts: string | null } {
    const nums = this.numCount === 0 ? null : Buffer.from(this.nums.buffer, 0, this.numCount * 24);
    return { nums, texts: this.texts.length === 0 ? null : JSON.stringify(this.texts) };
  }
}

/** Decodes a log row; throws on a row that is not what LogRowBuilder wrote. */
export function* decodeLogRow(nums: unknown, texts: unknown): Generator<LogEntry> {
  if (nums !== null) {
    if (!(nums instanceof Uint8Array) || nums.byteLength % 24 !== 0) throw new Error('series store: corrupt ingest log row (nums)');
    // Copy into an aligned buffer: the row's bytes may start at any offset.
    const f = new Float64Array(nums.byteLength / 8);
    new Uint8Array(f.buffer).set(nums);
    for (let i = 0; i < f.length; i += 3) yield { seriesId: f[i] as number, ts: f[i + 1] as number, value: f[i + 2] as number };
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
