/**
 * A write() batch in columns, as the SQLite series store takes it.
 *
 * Why: the store runs on its own thread (series-store-worker.ts), and a batch of SeriesPoint
 * objects would be structured-cloned there value by value, parameter strings included. In
 * columns it is one ArrayBuffer, transferred rather than copied, plus the text values (rare)
 * and the series keys the batch uses for the first time: a (factory, device, parameter) is
 * named once per store and is a number after that. The store takes the same columns when it
 * runs on the caller's thread, so there is one write path.
 */
import type { SeriesPoint } from '../series-store.js';

/** What a value is: how the store keeps it (and which column holds it). */
export const VALUE_NUM = 0;
export const VALUE_STR = 1;
export const VALUE_BOOL = 2;
/** Not a number, string or boolean: counted as invalid by the store. */
export const VALUE_INVALID = 3;

/** A series key's name, sent with the first batch that uses it. */
export type KeyDefinition = [key: number, factoryId: number, deviceId: number, parameter: string];

export interface ColumnBatch {
  /** Values in the batch. */
  n: number;
  /** ts f64[n], then numeric values f64[n] (booleans 0/1), key u32[n], kind u8[n]. */
  buffer: ArrayBuffer;
  /** The VALUE_STR values, in batch order. */
  texts: string[];
  /** Keys this batch uses for the first time. */
  newKeys: KeyDefinition[];
}

export interface BatchColumns {
  ts: Float64Array;
  nums: Float64Array;
  keys: Uint32Array;
  kinds: Uint8Array;
}

/** Views on a batch's buffer (16 bytes of floats, then 4 of key and 1 of kind per value). */
export function batchColumns(batch: ColumnBatch): BatchColumns {
  const { n, buffer } = batch;
  if (!(buffer instanceof ArrayBuffer) || !Number.isSafeInteger(n) || n < 0 || buffer.byteLength !== n * 21) {
    throw new TypeError('series store: malformed write batch');
  }
  return {
    ts: new Float64Array(buffer, 0, n),
    nums: new Float64Array(buffer, 8 * n, n),
    keys: new Uint32Array(buffer, 16 * n, n),
    kinds: new Uint8Array(buffer, 20 * n, n),
  };
}

/**
 * Turns SeriesPoints into ColumnBatches for one store: it remembers which keys that store has
 * been told, so one encoder per store (and batches delivered in the order encoded).
 */
export class BatchEncoder {
  /** factoryId → deviceId → parameter → key. Nested maps: no key strings built per value. */
  private readonly keys = new Map<number, Map<number, Map<string, number>>>();
  private nextKey = 0;

  /**
   * Encodes the points. If reading a point throws, it throws too and forgets the keys it had
   * just assigned (the store was never told them).
   */
  encode(points: readonly SeriesPoint[]): ColumnBatch {
    const firstNew = this.nextKey;
    const newKeys: KeyDefinition[] = [];
    try {
      return this.encodeInto(points, newKeys);
    } catch (error) {
      for (const [, f, d, p] of newKeys) this.keys.get(f)?.get(d)?.delete(p);
      this.nextKey = firstNew;
      throw error;
    }
  }

  private encodeInto(points: readonly SeriesPoint[], newKeys: KeyDefinition[]): ColumnBatch {
    const n = points.length;
    const buffer = new ArrayBuffer(n * 21);
    const { ts, nums, keys, kinds } = batchColumns({ n, buffer, texts: [], newKeys: [] });
    const texts: string[] = [];
    let lastFactory = NaN;
    let lastDevice = NaN;
    let byParam: Map<string, number> | undefined;
    for (let i = 0; i < n; i++) {
      const p = points[i] as SeriesPoint;
      // Points come a message at a time: the device's map is usually the previous point's.
      if (p.deviceId !== lastDevice || p.factoryId !== lastFactory || byParam === undefined) {
        lastFactory = p.factoryId;
        lastDevice = p.deviceId;
        byParam = this.deviceKeys(p.factoryId, p.deviceId);
      }
      let key = byParam.get(p.parameter);
      if (key === undefined) {
        key = this.nextKey++;
        byParam.set(p.parameter, key);
        newKeys.push([key, p.factoryId, p.deviceId, p.parameter]);
      }
      keys[i] = key;
      // A ts that is not a number becomes NaN here, which the store refuses like any bad ts.
      ts[i] = typeof p.ts === 'number' ? p.ts : NaN;
      const v = p.value;
      if (typeof v === 'number') {
        kinds[i] = VALUE_NUM;
        nums[i] = v;
      } else if (typeof v === 'string') {
        kinds[i] = VALUE_STR;
        texts.push(v);
      } else if (typeof v === 'boolean') {
        kinds[i] = VALUE_BOOL;
        nums[i] = v ? 1 : 0;
      } else {
        kinds[i] = VALUE_INVALID;
      }
    }
    return { n, buffer, texts, newKeys };
  }

  private deviceKeys(factoryId: number, deviceId: number): Map<string, number> {
    let byDevice = this.keys.get(factoryId);
    if (byDevice === undefined) this.keys.set(factoryId, (byDevice = new Map()));
    let byParam = byDevice.get(deviceId);
    if (byParam === undefined) byDevice.set(deviceId, (byParam = new Map()));
    return byParam;
  }
}
