/**
 * Messages between the SQLite series store's worker thread (series-store-worker.ts) and its
 * handle on the server's thread (worker-series-store.ts).
 */
import type { RetentionPolicy, SeriesResolution } from '../series-store.js';
import type { SqliteSeriesStats, SqliteSeriesStoreOptions } from './sqlite-series-store.js';
import type { ColumnBatch } from './write-batch.js';

/** The options that can cross a thread (onCompactionError becomes a 'compaction-error' event). */
export type WorkerStoreOptions = Omit<SqliteSeriesStoreOptions, 'onCompactionError'>;

export type StoreRequest =
  | { id: number; op: 'write'; batch: ColumnBatch }
  | { id: number; op: 'latest'; factoryId: number; deviceId: number; parameters?: readonly string[] }
  | {
      id: number;
      op: 'range';
      /** null: the store chooses (range()); else rangeAt(). */
      resolution: SeriesResolution | null;
      factoryId: number;
      deviceId: number;
      parameter: string;
      from: number;
      to: number;
      maxPoints: number;
    }
  | { id: number; op: 'retention'; now: number }
  | { id: number; op: 'compact' }
  | { id: number; op: 'ping' }
  | { id: number; op: 'close' };

/** An error as it crosses the thread: enough to rebuild one of the same class and code. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export type StoreReply =
  | { type: 'ready'; stats: SqliteSeriesStats; retention: RetentionPolicy }
  | { type: 'open-failed'; error: WireError }
  | { type: 'result'; id: number; result: unknown; stats: SqliteSeriesStats }
  | { type: 'failed'; id: number; error: WireError; stats: SqliteSeriesStats }
  | { type: 'compaction-error'; error: WireError }
  /** Counters changed without a request (background compaction), pushed now and then. */
  | { type: 'stats'; stats: SqliteSeriesStats };

export function toWire(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}), ...(error.stack ? { stack: error.stack } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

export function fromWire(wire: WireError): Error {
  const error = wire.name === 'RangeError' ? new RangeError(wire.message) : wire.name === 'TypeError' ? new TypeError(wire.message) : new Error(wire.message);
  if (wire.name !== error.name) error.name = wire.name;
  if (wire.code !== undefined) (error as Error & { code?: string }).code = wire.code;
  // The worker's stack says where it failed; this one would only say where the reply arrived.
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
