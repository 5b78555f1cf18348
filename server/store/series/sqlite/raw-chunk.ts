/**
 * Raw numeric values stored as chunks: one `raw_chunk` row holds a run of one series' values,
 * all inside one epoch-aligned hour, sorted by ts. Compaction writes one row per series (not one
 * per value: inserting each value into a per-value B-tree was ~45 % of the server's CPU at full
 * ingest load), and a small chunk keeps taking its series' next values until it holds
 * CHUNK_GROW_BELOW of them, so a slow (1 Hz) series is not stored two values per row.
 *
 * Because a chunk never leaves its hour, the chunks that can hold a ts t are those with
 * start_ts in [hour(t), t]: every lookup is a bounded index range.
 *
 * Encoding of `data` (little-endian): n float64 values, then n uint32 offsets (ts - start_ts,
 * < 3,600,000 by the rule above).
 */
import { endianness } from 'node:os';
import { HOUR_MS } from './schema.js';

// Typed arrays use the platform's byte order; every platform Node supports today is
// little-endian, and a file must read the same everywhere.
if (endianness() !== 'LE') throw new Error('series store: raw chunks are little-endian; this platform is big-endian');

/** Most values in one chunk row (~96 KB). */
export const CHUNK_MAX_VALUES = 8_192;
/** A chunk with fewer values than this is extended by the next compaction of its series. */
export const CHUNK_GROW_BELOW = 256;

export const CHUNK_SPAN_MS = HOUR_MS;

export function chunkHour(ts: number): number {
  return ts - (ts % CHUNK_SPAN_MS);
}

/** Indices of `ts` in ascending ts order, or null when `ts` is already ascending (the usual case). */
export function ascendingOrder(ts: readonly number[]): Int32Array | null {
  for (let i = 1; i < ts.length; i++) {
    if ((ts[i] as number) < (ts[i - 1] as number)) {
      const order = new Int32Array(ts.length);
      for (let k = 0; k < order.length; k++) order[k] = k;
      return order.sort((a, b) => (ts[a] as number) - (ts[b] as number));
    }
  }
  return null;
}

/**
 * Where the next piece of [from, to) (positions in ascending order) ends: the first position in
 * another hour than `from`'s, or after CHUNK_MAX_VALUES values.
 */
export function pieceEnd(ts: readonly number[], order: Int32Array | null, from: number, to: number): number {
  const hour = chunkHour(ts[order === null ? from : (order[from] as number)] as number);
  const limit = Math.min(to, from + CHUNK_MAX_VALUES);
  let q = from + 1;
  while (q < limit && (ts[order === null ? q : (order[q] as number)] as number) - hour < CHUNK_SPAN_MS) q++;
  return q;
}

/**
 * Encodes positions [from, to) of (ts, values) in ascending order, after the `prefix` chunk's
 * values when given (a chunk being extended; it starts at `startTs`).
 */
export function encodeChunk(
  startTs: number,
  ts: readonly number[],
  values: readonly number[],
  order: Int32Array | null,
  from: number,
  to: number,
  prefix?: { n: number; data: Uint8Array },
): Buffer {
  const old = prefix?.n ?? 0;
  const n = old + (to - from);
  const buffer = new ArrayBuffer(n * 12);
  const vals = new Float64Array(buffer, 0, n);
  const offs = new Uint32Array(buffer, n * 8, n);
  if (prefix !== undefined) {
    checkSize(prefix.n, prefix.data);
    const bytes = new Uint8Array(buffer);
    bytes.set(prefix.data.subarray(0, old * 8), 0);
    bytes.set(prefix.data.subarray(old * 8, old * 12), n * 8);
  }
  for (let p = from, k = old; p < to; p++, k++) {
    const i = order === null ? p : (order[p] as number);
    vals[k] = values[i] as number;
    offs[k] = (ts[i] as number) - startTs;
  }
  return Buffer.from(buffer);
}

export interface DecodedChunk {
  ts: Float64Array;
  values: Float64Array;
}

function checkSize(n: number, data: Uint8Array): void {
  if (!(data instanceof Uint8Array) || data.byteLength !== n * 12) throw new Error('series store: corrupt raw chunk');
}

/** Copies into an aligned buffer (a row's bytes may start at any offset). */
function aligned(n: number, data: Uint8Array): ArrayBuffer {
  checkSize(n, data);
  const buffer = new ArrayBuffer(n * 12);
  new Uint8Array(buffer).set(data);
  return buffer;
}

export function decodeChunk(startTs: number, n: number, data: Uint8Array): DecodedChunk {
  const buffer = aligned(n, data);
  const offs = new Uint32Array(buffer, n * 8, n);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) ts[i] = startTs + (offs[i] as number);
  return { ts, values: new Float64Array(buffer, 0, n) };
}

/** Does the chunk hold a value at `ts`? (Offsets are ascending: binary search.) */
export function chunkHasTs(startTs: number, n: number, data: Uint8Array, ts: number): boolean {
  const offs = new Uint32Array(aligned(n, data), n * 8, n);
  const target = ts - startTs;
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = offs[mid] as number;
    if (v === target) return true;
    if (v < target) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The chunk without its values before `cutoff` (retention), or null when none remain. */
export function dropBefore(startTs: number, n: number, data: Uint8Array, cutoff: number): { startTs: number; n: number; data: Buffer } | null {
  const { ts, values } = decodeChunk(startTs, n, data);
  let first = 0;
  while (first < n && (ts[first] as number) < cutoff) first++;
  if (first === n) return null;
  const keptTs = Array.from(ts.subarray(first));
  const keptValues = Array.from(values.subarray(first));
  const start = keptTs[0] as number;
  return { startTs: start, n: n - first, data: encodeChunk(start, keptTs, keptValues, null, 0, keptTs.length) };
}
