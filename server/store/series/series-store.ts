/**
 * SeriesStore — the port every time-series adapter implements (DESIGN.md §3).
 *
 * A series is one parameter of one device of one factory. Callers speak only in
 * (factoryId, deviceId, parameter) and epoch milliseconds; how an adapter lays values out
 * on disk (rows, rollups, chunks) stays private to it, so the layout can change without
 * callers changing.
 */

/** A value as devices send it. Numbers are finite (validated at the edge). */
export type SeriesValue = number | string | boolean;

export interface SeriesPoint {
  factoryId: number;
  deviceId: number;
  parameter: string;
  /** Epoch milliseconds. */
  ts: number;
  value: SeriesValue;
}

export interface LatestValue {
  parameter: string;
  ts: number;
  value: SeriesValue;
}

/** The resolution a range answer was computed from. */
export type SeriesResolution = 'raw' | '1m' | '1h';

/**
 * One bucket of a reduced range. For numeric series min/max/avg are numbers; for string and
 * boolean series only `last` and `count` are meaningful (min/max/avg are null).
 */
export interface SeriesBucket {
  /** Bucket start, epoch ms, aligned to bucketMs. */
  ts: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  last: SeriesValue;
  count: number;
}

export interface SeriesRange {
  resolution: SeriesResolution;
  /** Width of each bucket in ms (a multiple of the resolution's width; 0 never). */
  bucketMs: number;
  /** Buckets in ascending time order; empty buckets are omitted (gaps stay gaps). */
  buckets: SeriesBucket[];
}

export interface RetentionPolicy {
  /** How long each resolution is kept, in ms. */
  rawMs: number;
  oneMinuteMs: number;
  oneHourMs: number;
}

export interface RetentionReport {
  rawDeleted: number;
  oneMinuteDeleted: number;
  oneHourDeleted: number;
}

export interface SeriesStore {
  /**
   * Store a batch. When the promise resolves the batch is durable (committed) and visible to
   * latest() and range(). A batch is atomic: all of it is stored or none of it. Batches are
   * applied in the order write() was called, also when the caller does not wait for one
   * before making the next call (the ingest pipeline keeps several in flight).
   */
  write(points: readonly SeriesPoint[]): Promise<void>;
  /** Newest value per parameter of a device (all parameters when `parameters` is omitted). */
  latest(factoryId: number, deviceId: number, parameters?: readonly string[]): Promise<LatestValue[]>;
  /**
   * Values of one series in [from, to) reduced to at most maxPoints buckets, from the cheapest
   * resolution that still gives maxPoints buckets; min and max per bucket so spikes survive.
   */
  range(
    factoryId: number,
    deviceId: number,
    parameter: string,
    from: number,
    to: number,
    maxPoints: number,
  ): Promise<SeriesRange>;
  /** Delete what is older than the policy allows, relative to `now` (epoch ms). */
  applyRetention(now: number): Promise<RetentionReport>;
  /** Cheap liveness probe for /health. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
