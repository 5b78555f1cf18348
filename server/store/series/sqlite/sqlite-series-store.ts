/**
 * SQLite adapter of the SeriesStore port (DESIGN.md §3, §4).
 *
 * Layout (see schema.ts, private to this folder): a series dictionary, raw numeric values in a
 * WITHOUT ROWID table keyed (series_id, ts), string/boolean values in their own raw table,
 * 1-minute and 1-hour rollups maintained incrementally inside the same transaction as the raw
 * insert, and a latest-value table.
 *
 * Behaviour decided here (and covered by tests):
 *
 * - Duplicates. QoS 1 redelivery can bring the same (series, ts) twice. The raw insert is
 *   `ON CONFLICT DO NOTHING` and only rows actually inserted feed the rollups and the latest
 *   value, so counts and sums never double. The first value stored for a (series, ts) wins.
 * - Kinds. A series gets its kind ('num' | 'str' | 'bool') from the first value ever stored for
 *   it. A later value of another kind (a string into a numeric series, …) is SKIPPED: it is not
 *   stored anywhere, the rest of the batch is stored normally, the batch does not fail, and the
 *   value is counted in `stats().rejectedWrongKind`. One misbehaving device must not stop the
 *   hot path or corrupt a series' history.
 * - Invalid points (a non-finite number, a value that is not number/string/boolean, a ts that
 *   is not a non-negative safe integer, a non-integer factory/device id, an empty parameter) are
 *   skipped the same way and counted in `stats().rejectedInvalid`. The edge validates these
 *   already; this is the last line of defence, not the place where errors are reported.
 * - Atomicity. A batch is one IMMEDIATE transaction: if anything throws midway (SQLite error,
 *   a throwing getter on a point, …) the transaction is rolled back, the series created by the
 *   batch are forgotten by the in-memory id cache, no counter moves, and write() rejects.
 * - Rollup windows. At a rollup resolution of width w, range(from, to) reads the rollup rows
 *   whose bucket starts in [floor(from / w) * w, to): whole rollup buckets, so the answer covers
 *   values in [floor(from / w) * w, ceil(to / w) * w). At raw resolution it covers [from, to).
 *   Each rollup bucket falls in exactly one output bucket (bucketMs is a multiple of w).
 * - Retention. applyRetention(now) deletes raw values with ts < now - rawMs, and rollup rows
 *   whose whole bucket lies before the cutoff (bucket_ts + w <= now - retention). The series
 *   dictionary and the latest-value table are kept (they are current state, not history).
 *   The cutoff applied to each resolution is recorded (the "horizon"); range() answers from a
 *   resolution only if its horizon says it still holds data for `from`, otherwise from the next
 *   coarser one. Horizons never move backwards and survive a reopen. Horizons are what has
 *   actually been deleted, not what the policy would delete: data never aged out by
 *   applyRetention stays answerable at every resolution.
 * - Resolution choice. desired = ceil((to - from) / maxPoints). Among raw (1 ms), 1m (60 000)
 *   and 1h (3 600 000), use the coarsest whose width <= desired and which still holds data for
 *   `from`. If none qualifies (desired < 60 000 but raw has aged out for `from`), use the finest
 *   one that still holds data; if none holds data, the one that reaches furthest back.
 *   bucketMs = desired rounded up to a multiple of the width, then widened by whole widths if the
 *   epoch-aligned buckets touching [from, to) would still be more than maxPoints.
 */
import Database from 'better-sqlite3';
import type {
  LatestValue,
  RetentionPolicy,
  RetentionReport,
  SeriesBucket,
  SeriesPoint,
  SeriesRange,
  SeriesResolution,
  SeriesStore,
  SeriesValue,
} from '../series-store.js';
import { startCheckpointer } from './checkpointer.js';
import type { Checkpointer } from './checkpointer.js';
import { HOUR_MS, MINUTE_MS, RAW_MS, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

const DAY_MS = 86_400_000;

/** Raw 90 days, 1-minute rollups 400 days, 1-hour rollups 5 years (5 × 365 days + 1 leap day). */
export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = Object.freeze({
  rawMs: 90 * DAY_MS,
  oneMinuteMs: 400 * DAY_MS,
  oneHourMs: 1826 * DAY_MS,
});

export const MAX_POINTS_LIMIT = 100_000;

export interface SqliteSeriesStoreOptions {
  /** Database file (created if missing). */
  file: string;
  retention?: Partial<RetentionPolicy>;
  /** NORMAL (default) survives a process kill; FULL also survives power loss. */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * Checkpoint the WAL from a worker thread (default true) instead of inside the writer's
   * COMMIT, which stalls the event loop for the duration of a checkpoint (see checkpointer.ts).
   */
  backgroundCheckpoint?: boolean;
}

/** Writer's autocheckpoint (pages): a safety net with the background checkpointer, else the pace. */
const SAFETY_AUTOCHECKPOINT_PAGES = 65_536; // 256 MiB of WAL
const INLINE_AUTOCHECKPOINT_PAGES = 10_000; // 40 MiB of WAL
const CHECKPOINT_INTERVAL_MS = 100;

export interface SqliteSeriesStats {
  /** Series known to the dictionary. */
  series: number;
  /** Committed write() batches. */
  batches: number;
  /** Values stored (new rows in the raw tables). */
  inserted: number;
  /** Values ignored because their (series, ts) was already stored (QoS 1 redelivery). */
  duplicates: number;
  /** Values skipped because their kind differs from the series' kind. */
  rejectedWrongKind: number;
  /** Values skipped because they were not valid points. */
  rejectedInvalid: number;
}

export interface SqliteSeriesStore extends SeriesStore {
  readonly retention: Readonly<RetentionPolicy>;
  stats(): SqliteSeriesStats;
  /**
   * range() at a forced resolution (ignores retention horizons and the usual choice). For tests
   * and benchmarks: e.g. the same reduction computed from the raw table as a baseline.
   */
  rangeAt(
    resolution: SeriesResolution,
    factoryId: number,
    deviceId: number,
    parameter: string,
    from: number,
    to: number,
    maxPoints: number,
  ): Promise<SeriesRange>;
}

// ---------------------------------------------------------------------------------------------

const KIND_NUM = 0;
const KIND_STR = 1;
const KIND_BOOL = 2;
type KindCode = typeof KIND_NUM | typeof KIND_STR | typeof KIND_BOOL;
const KIND_NAMES = ['num', 'str', 'bool'] as const;
type KindName = (typeof KIND_NAMES)[number];

function kindCode(name: string): KindCode {
  const i = KIND_NAMES.indexOf(name as KindName);
  if (i < 0) throw new Error(`series store: unknown series kind '${name}' in the database`);
  return i as KindCode;
}

/** What a value looks like in the database: REAL, TEXT, or INTEGER 0/1 for booleans. */
type DbValue = number | string;

function decode(kind: KindCode, v: DbValue): SeriesValue {
  return kind === KIND_BOOL ? v !== 0 : v;
}

/** Accumulates one rollup bucket of one series during a batch. Reused across batches. */
class BucketAcc {
  bucket = 0;
  min: number | null = null;
  max: number | null = null;
  sum: number | null = null;
  count = 0;
  last: DbValue = 0;
  lastTs = 0;
  /** Another bucket of the same series in the same batch (rare: a batch crossing a boundary). */
  next: BucketAcc | null = null;

  reset(bucket: number, ts: number, v: DbValue, numeric: boolean): void {
    this.bucket = bucket;
    if (numeric) {
      this.min = v as number;
      this.max = v as number;
      this.sum = v as number;
    } else {
      this.min = this.max = this.sum = null;
    }
    this.count = 1;
    this.last = v;
    this.lastTs = ts;
    this.next = null;
  }

  add(ts: number, v: DbValue, numeric: boolean): void {
    if (numeric) {
      const n = v as number;
      if (n < (this.min as number)) this.min = n;
      if (n > (this.max as number)) this.max = n;
      (this.sum as number) += n;
    }
    this.count++;
    if (ts > this.lastTs) {
      this.last = v;
      this.lastTs = ts;
    }
  }
}

/**
 * Adds a value to the bucket `bucket` of a series' chain, starting at `cur` (the bucket used
 * last: time-ordered data stays in it), then from `head`. Returns the bucket used.
 */
function addToBuckets(head: BucketAcc, cur: BucketAcc, bucket: number, ts: number, v: DbValue, numeric: boolean): BucketAcc {
  if (cur.bucket === bucket) {
    cur.add(ts, v, numeric);
    return cur;
  }
  let b: BucketAcc = head;
  for (;;) {
    if (b.bucket === bucket) {
      b.add(ts, v, numeric);
      return b;
    }
    if (b.next === null) break;
    b = b.next;
  }
  const n = new BucketAcc();
  n.reset(bucket, ts, v, numeric);
  b.next = n;
  return n;
}

/** One series in the in-memory dictionary, plus its per-batch accumulators. */
class SeriesEntry {
  /** The batch (epoch) the accumulators below belong to. */
  epoch = 0;
  latestTs = 0;
  latestValue: DbValue = 0;
  readonly m = new BucketAcc();
  readonly h = new BucketAcc();
  /** The bucket of each chain used last. */
  mCur: BucketAcc = this.m;
  hCur: BucketAcc = this.h;
  constructor(
    readonly id: number,
    readonly kind: KindCode,
  ) {}
}

type ResolutionSpec = { name: SeriesResolution; width: number };
const RESOLUTIONS: readonly ResolutionSpec[] = [
  { name: 'raw', width: RAW_MS },
  { name: '1m', width: MINUTE_MS },
  { name: '1h', width: HOUR_MS },
];

function ceilTo(n: number, w: number): number {
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

function validateRange(from: unknown, to: unknown, maxPoints: unknown): void {
  checkTime('from', from);
  checkTime('to', to);
  if ((from as number) >= (to as number)) {
    throw new RangeError(`range: from (${String(from)}) must be before to (${String(to)})`);
  }
  if (typeof maxPoints !== 'number' || !Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_POINTS_LIMIT) {
    throw new RangeError(`range: maxPoints must be an integer between 1 and ${MAX_POINTS_LIMIT}, got ${String(maxPoints)}`);
  }
}

function resolvePolicy(p: Partial<RetentionPolicy> | undefined): Readonly<RetentionPolicy> {
  const policy: RetentionPolicy = { ...DEFAULT_RETENTION };
  for (const key of ['rawMs', 'oneMinuteMs', 'oneHourMs'] as const) {
    const v = p?.[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`series store: retention.${key} must be a positive number of ms, got ${String(v)}`);
    }
    policy[key] = v;
  }
  return Object.freeze(policy);
}

type Stmt = Database.Statement<unknown[], unknown>;
/** Row of the range queries, in raw mode: bucket, min, max, sum, count, last. */
type RangeRow = [number, number | null, number | null, number | null, number, DbValue];

const HORIZON_KEYS: Record<SeriesResolution, string> = { raw: 'horizon_raw', '1m': 'horizon_1m', '1h': 'horizon_1h' };
const RETENTION_CHUNK = 256;

/** Parameters bound to a statement: numbers, strings, NULL. */
type DbParam = number | string | null;

/** Rows per multi-row upsert statement, then smaller statements for the remainder. */
const UPSERT_SIZES = [64, 16, 4, 1] as const;

/**
 * A multi-row `INSERT … VALUES (…), (…) ON CONFLICT DO UPDATE` fed row by row. One statement
 * per 64 rows instead of one per row: the per-statement cost (N-API call, bind, step, reset)
 * was ~40% of a single-row upsert. Statements are prepared once; the parameter buffer is reused.
 * The caller must not put the same key twice in one batch (it aggregates per key first).
 */
class BatchedUpsert {
  private readonly stmts: Stmt[];
  readonly buf: DbParam[];
  private rows = 0;

  constructor(
    db: Database.Database,
    head: string,
    private readonly width: number,
    tail: string,
  ) {
    const tuple = `(${new Array<string>(width).fill('?').join(', ')})`;
    this.stmts = UPSERT_SIZES.map((n) => db.prepare(`${head} VALUES ${new Array<string>(n).fill(tuple).join(', ')} ${tail}`));
    this.buf = new Array<DbParam>((UPSERT_SIZES[0] as number) * width).fill(null);
  }

  /** Reserves the next row; returns its offset in `buf`, where the caller writes `width` params. */
  next(): number {
    if (this.rows === UPSERT_SIZES[0]) {
      (this.stmts[0] as Stmt).run(this.buf);
      this.rows = 0;
    }
    return this.rows++ * this.width;
  }

  /** Writes the rows still buffered. */
  flush(): void {
    let done = 0;
    for (let i = 0; i < UPSERT_SIZES.length; i++) {
      const size = UPSERT_SIZES[i] as number;
      while (this.rows - done >= size) {
        const stmt = this.stmts[i] as Stmt;
        stmt.run(size === UPSERT_SIZES[0] ? this.buf : this.buf.slice(done * this.width, (done + size) * this.width));
        done += size;
      }
    }
    this.rows = 0;
  }

  /** Drops buffered rows (after a failed batch). */
  reset(): void {
    this.rows = 0;
  }
}

const ROLLUP_COLUMNS = 8;
const ROLLUP_UPSERT_TAIL = `ON CONFLICT (series_id, bucket_ts) DO UPDATE SET
      min = min(min, excluded.min),
      max = max(max, excluded.max),
      sum = sum + excluded.sum,
      count = count + excluded.count,
      last = CASE WHEN excluded.last_ts > last_ts THEN excluded.last ELSE last END,
      last_ts = max(last_ts, excluded.last_ts)`;

function rollupUpsert(db: Database.Database, table: string): BatchedUpsert {
  return new BatchedUpsert(
    db,
    `INSERT INTO ${table} (series_id, bucket_ts, min, max, sum, count, last, last_ts)`,
    ROLLUP_COLUMNS,
    ROLLUP_UPSERT_TAIL,
  );
}

// `ts - ts % ?` rather than `(ts / ?) * ?`: better-sqlite3 binds JS numbers as REAL, which would
// make `/` a float division; `%` always works on integers. All ts are >= 0.
function rawRangeSql(table: string, numeric: boolean): string {
  const agg = numeric
    ? 'min(value) AS mn, max(value) AS mx, sum(value) AS sm'
    : 'NULL AS mn, NULL AS mx, NULL AS sm';
  return `SELECT g.b, g.mn, g.mx, g.sm, g.cnt, r.value
    FROM (SELECT ts - ts % :bucket AS b, ${agg}, count(*) AS cnt, max(ts) AS lts
          FROM ${table}
          WHERE series_id = :id AND ts >= :lo AND ts < :hi
          GROUP BY b) AS g
    JOIN ${table} AS r ON r.series_id = :id AND r.ts = g.lts
    ORDER BY g.b`;
}

/** Rollup rows per output bucket from which range() aggregates bucket by bucket (rollupRangeByBucket). */
const BUCKET_QUERY_MIN_ROWS = 8;

function rollupRangeSql(table: string, width: number): string {
  return `SELECT g.b, g.mn, g.mx, g.sm, g.cnt, r.last
    FROM (SELECT bucket_ts - bucket_ts % :bucket AS b, min(min) AS mn, max(max) AS mx, sum(sum) AS sm,
                 sum(count) AS cnt, max(last_ts) AS lts
          FROM ${table}
          WHERE series_id = :id AND bucket_ts >= :lo AND bucket_ts < :hi
          GROUP BY b) AS g
    JOIN ${table} AS r ON r.series_id = :id AND r.bucket_ts = g.lts - g.lts % ${width}
    ORDER BY g.b`;
}

class SqliteSeriesStoreImpl implements SqliteSeriesStore {
  readonly retention: Readonly<RetentionPolicy>;
  private readonly db: Database.Database;
  private closed = false;
  private checkpointer: Checkpointer | undefined;

  /** factoryId → deviceId → parameter → entry. Nested maps: no key strings built per value. */
  private readonly cache = new Map<number, Map<number, Map<string, SeriesEntry>>>();
  private seriesCount = 0;
  private epoch = 0;
  private readonly touched: SeriesEntry[] = [];
  private readonly horizons: Record<SeriesResolution, number> = { raw: -Infinity, '1m': -Infinity, '1h': -Infinity };
  private readonly counters = { batches: 0, inserted: 0, duplicates: 0, rejectedWrongKind: 0, rejectedInvalid: 0 };
  // Per-batch counters, committed to `counters` only when the transaction commits.
  private bInserted = 0;
  private bDuplicates = 0;
  private bWrongKind = 0;
  private bInvalid = 0;
  private readonly created: Array<{ f: number; d: number; p: string }> = [];

  private readonly insNum: Stmt;
  private readonly insText: Stmt;
  private readonly ups1m: BatchedUpsert;
  private readonly ups1h: BatchedUpsert;
  private readonly upsLatest: BatchedUpsert;
  private readonly insSeries: Stmt;
  private readonly selSeries: Stmt;
  private readonly selLatestAll: Stmt;
  private readonly selLatestSome: Stmt;
  private readonly rangeStmts: Record<SeriesResolution, { num: Stmt; text: Stmt }>;
  /** Per-bucket aggregate and last value of a rollup table (see rollupRangeByBucket). */
  private readonly bucketStmts: Record<'1m' | '1h', { agg: Stmt; last: Stmt }>;
  private readonly delNum: Stmt;
  private readonly delText: Stmt;
  private readonly del1m: Stmt;
  private readonly del1h: Stmt;
  private readonly setMeta: Stmt;
  private readonly pingStmt: Stmt;
  private readonly writeTx: Database.Transaction<(points: readonly SeriesPoint[]) => void>;

  constructor(options: SqliteSeriesStoreOptions) {
    this.retention = resolvePolicy(options.retention);
    const synchronous = options.synchronous ?? 'NORMAL';
    if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
      throw new RangeError(`series store: synchronous must be 'NORMAL' or 'FULL', got ${String(synchronous)}`);
    }
    const background = (options.backgroundCheckpoint ?? true) && options.file !== ':memory:' && options.file !== '';
    const db = new Database(options.file, { timeout: 5_000 });
    this.db = db;
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      db.pragma('busy_timeout = 5000');
      db.pragma('cache_size = -65536'); // 64 MiB of page cache
      db.pragma('temp_store = MEMORY');
      // After a checkpoint resets the WAL, truncate the file back to this size (bounds disk use).
      db.pragma('journal_size_limit = 67108864');
      // Every batch dirties about one page per series it touches: the WAL grows by MBs per batch.
      // A larger WAL lets repeated writes of a page coalesce before they are checkpointed.
      db.pragma(`wal_autocheckpoint = ${background ? SAFETY_AUTOCHECKPOINT_PAGES : INLINE_AUTOCHECKPOINT_PAGES}`);
      db.exec(SCHEMA_SQL);
      this.checkVersion();

      this.insNum = db.prepare('INSERT INTO raw_num (series_id, ts, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
      this.insText = db.prepare('INSERT INTO raw_text (series_id, ts, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
      this.ups1m = rollupUpsert(db, 'rollup_1m');
      this.ups1h = rollupUpsert(db, 'rollup_1h');
      this.upsLatest = new BatchedUpsert(
        db,
        'INSERT INTO latest (series_id, ts, value)',
        3,
        `ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value
         WHERE excluded.ts > latest.ts`,
      );
      this.insSeries = db
        .prepare(
          `INSERT INTO series (factory_id, device_id, parameter, kind) VALUES (?, ?, ?, ?)
           ON CONFLICT DO NOTHING RETURNING id`,
        )
        .pluck();
      this.selSeries = db.prepare('SELECT id, kind FROM series WHERE factory_id = ? AND device_id = ? AND parameter = ?').raw();
      const latestSql = `SELECT s.parameter, s.kind, l.ts, l.value FROM series AS s JOIN latest AS l ON l.series_id = s.id
        WHERE s.factory_id = ? AND s.device_id = ?`;
      this.selLatestAll = db.prepare(`${latestSql} ORDER BY s.parameter`).raw();
      this.selLatestSome = db
        .prepare(`${latestSql} AND s.parameter IN (SELECT value FROM json_each(?)) ORDER BY s.parameter`)
        .raw();
      // Rollups hold numeric and text series alike (min/max/sum NULL for text): one statement each.
      const range1m = db.prepare(rollupRangeSql('rollup_1m', MINUTE_MS)).raw();
      const range1h = db.prepare(rollupRangeSql('rollup_1h', HOUR_MS)).raw();
      this.rangeStmts = {
        raw: { num: db.prepare(rawRangeSql('raw_num', true)).raw(), text: db.prepare(rawRangeSql('raw_text', false)).raw() },
        '1m': { num: range1m, text: range1m },
        '1h': { num: range1h, text: range1h },
      };
      const bucketStmts = (table: string) => ({
        agg: db.prepare(`SELECT min(min), max(max), sum(sum), sum(count) FROM ${table} WHERE series_id = ? AND bucket_ts >= ? AND bucket_ts < ?`).raw(),
        last: db.prepare(`SELECT last FROM ${table} WHERE series_id = ? AND bucket_ts >= ? AND bucket_ts < ? ORDER BY bucket_ts DESC LIMIT 1`).pluck(),
      });
      this.bucketStmts = { '1m': bucketStmts('rollup_1m'), '1h': bucketStmts('rollup_1h') };
      this.delNum = db.prepare('DELETE FROM raw_num WHERE series_id = ? AND ts < ?');
      this.delText = db.prepare('DELETE FROM raw_text WHERE series_id = ? AND ts < ?');
      this.del1m = db.prepare('DELETE FROM rollup_1m WHERE series_id = ? AND bucket_ts <= ?');
      this.del1h = db.prepare('DELETE FROM rollup_1h WHERE series_id = ? AND bucket_ts <= ?');
      this.setMeta = db.prepare(
        'INSERT INTO series_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      );
      this.pingStmt = db.prepare('SELECT 1').pluck();
      this.writeTx = db.transaction((points: readonly SeriesPoint[]) => this.writeInTx(points));

      this.loadDictionary();
      this.loadHorizons();
      if (background) {
        this.checkpointer = startCheckpointer({
          file: options.file,
          synchronous,
          intervalMs: CHECKPOINT_INTERVAL_MS,
          onFailure: () => {
            // Fall back to checkpointing in the writer.
            this.checkpointer = undefined;
            if (!this.closed) this.db.pragma(`wal_autocheckpoint = ${INLINE_AUTOCHECKPOINT_PAGES}`);
          },
        });
      }
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private checkVersion(): void {
    const row = this.db.prepare("SELECT value FROM series_meta WHERE key = 'schema_version'").pluck().get();
    if (row === undefined) {
      this.db.prepare("INSERT INTO series_meta (key, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
    } else if (Number(row) !== SCHEMA_VERSION) {
      throw new Error(`series store: database schema version ${String(row)} is not the supported ${SCHEMA_VERSION}`);
    }
  }

  private loadDictionary(): void {
    const rows = this.db.prepare('SELECT id, factory_id, device_id, parameter, kind FROM series').raw().iterate() as IterableIterator<
      [number, number, number, string, string]
    >;
    for (const [id, f, d, p, kind] of rows) this.remember(f, d, p, new SeriesEntry(id, kindCode(kind)));
  }

  private loadHorizons(): void {
    const get = this.db.prepare('SELECT value FROM series_meta WHERE key = ?').pluck();
    for (const r of RESOLUTIONS) {
      const v = get.get(HORIZON_KEYS[r.name]);
      if (typeof v === 'number') this.horizons[r.name] = v;
    }
  }

  private remember(f: number, d: number, p: string, e: SeriesEntry): void {
    let byDevice = this.cache.get(f);
    if (byDevice === undefined) this.cache.set(f, (byDevice = new Map()));
    let byParam = byDevice.get(d);
    if (byParam === undefined) byDevice.set(d, (byParam = new Map()));
    byParam.set(p, e);
    this.seriesCount++;
  }

  private forget(f: number, d: number, p: string): void {
    if (this.cache.get(f)?.get(d)?.delete(p) === true) this.seriesCount--;
  }

  private lookup(f: number, d: number, p: string): SeriesEntry | undefined {
    return this.cache.get(f)?.get(d)?.get(p);
  }

  /** Cache miss on the write path: create the series (inside the batch's transaction). */
  private createSeries(f: number, d: number, p: string, kind: KindCode): SeriesEntry | null {
    if (!Number.isSafeInteger(f) || !Number.isSafeInteger(d) || typeof p !== 'string' || p.length === 0) return null;
    const id = this.insSeries.get(f, d, p, KIND_NAMES[kind]) as number | undefined;
    let e: SeriesEntry;
    if (id !== undefined) {
      e = new SeriesEntry(id, kind);
      this.created.push({ f, d, p });
    } else {
      // Another connection created it since we loaded the dictionary.
      const row = this.selSeries.get(f, d, p) as [number, string];
      e = new SeriesEntry(row[0], kindCode(row[1]));
    }
    this.remember(f, d, p, e);
    return e;
  }

  /** Read-path lookup: the cache, then SQL (a series another connection created). */
  private find(f: number, d: number, p: string): SeriesEntry | undefined {
    const e = this.lookup(f, d, p);
    if (e !== undefined) return e;
    const row = this.selSeries.get(f, d, p) as [number, string] | undefined;
    if (row === undefined) return undefined;
    const found = new SeriesEntry(row[0], kindCode(row[1]));
    this.remember(f, d, p, found);
    return found;
  }

  // ------------------------------------------------------------------------------- write

  async write(points: readonly SeriesPoint[]): Promise<void> {
    this.assertOpen();
    if (points.length === 0) return;
    this.created.length = 0;
    this.bInserted = this.bDuplicates = this.bWrongKind = this.bInvalid = 0;
    try {
      this.writeTx.immediate(points);
    } catch (err) {
      // Rolled back: forget the series this batch created, or the cache would hold ids that
      // do not exist (and could be reused by SQLite for another series).
      for (const c of this.created) this.forget(c.f, c.d, c.p);
      this.created.length = 0;
      throw err;
    }
    this.created.length = 0;
    const c = this.counters;
    c.batches++;
    c.inserted += this.bInserted;
    c.duplicates += this.bDuplicates;
    c.rejectedWrongKind += this.bWrongKind;
    c.rejectedInvalid += this.bInvalid;
  }

  private writeInTx(points: readonly SeriesPoint[]): void {
    const epoch = ++this.epoch;
    const touched = this.touched;
    touched.length = 0;
    const insNum = this.insNum;
    const insText = this.insText;
    let inserted = 0;
    let duplicates = 0;
    let wrongKind = 0;
    let invalid = 0;

    for (let i = 0; i < points.length; i++) {
      const p = points[i] as SeriesPoint;
      const ts = p.ts;
      const v = p.value;
      if (!Number.isSafeInteger(ts) || ts < 0) {
        invalid++;
        continue;
      }
      let kind: KindCode;
      let dbv: DbValue;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) {
          invalid++;
          continue;
        }
        kind = KIND_NUM;
        dbv = v;
      } else if (typeof v === 'string') {
        kind = KIND_STR;
        dbv = v;
      } else if (typeof v === 'boolean') {
        kind = KIND_BOOL;
        dbv = v ? 1 : 0;
      } else {
        invalid++;
        continue;
      }
      let e = this.lookup(p.factoryId, p.deviceId, p.parameter);
      if (e === undefined) {
        const created = this.createSeries(p.factoryId, p.deviceId, p.parameter, kind);
        if (created === null) {
          invalid++;
          continue;
        }
        e = created;
      }
      if (e.kind !== kind) {
        wrongKind++;
        continue;
      }
      const numeric = kind === KIND_NUM;
      if ((numeric ? insNum : insText).run(e.id, ts, dbv).changes === 0) {
        duplicates++;
        continue;
      }
      inserted++;
      const mBucket = ts - (ts % MINUTE_MS);
      const hBucket = ts - (ts % HOUR_MS);
      if (e.epoch !== epoch) {
        e.epoch = epoch;
        touched.push(e);
        e.latestTs = ts;
        e.latestValue = dbv;
        e.m.reset(mBucket, ts, dbv, numeric);
        e.h.reset(hBucket, ts, dbv, numeric);
        e.mCur = e.m;
        e.hCur = e.h;
      } else {
        if (ts > e.latestTs) {
          e.latestTs = ts;
          e.latestValue = dbv;
        }
        e.mCur = addToBuckets(e.m, e.mCur, mBucket, ts, dbv, numeric);
        e.hCur = addToBuckets(e.h, e.hCur, hBucket, ts, dbv, numeric);
      }
    }

    const ups1m = this.ups1m;
    const ups1h = this.ups1h;
    const upsLatest = this.upsLatest;
    ups1m.reset();
    ups1h.reset();
    upsLatest.reset();
    const mBuf = ups1m.buf;
    const hBuf = ups1h.buf;
    const lBuf = upsLatest.buf;
    for (let i = 0; i < touched.length; i++) {
      const e = touched[i] as SeriesEntry;
      const id = e.id;
      for (let b: BucketAcc | null = e.m; b !== null; b = b.next) {
        const o = ups1m.next();
        mBuf[o] = id;
        mBuf[o + 1] = b.bucket;
        mBuf[o + 2] = b.min;
        mBuf[o + 3] = b.max;
        mBuf[o + 4] = b.sum;
        mBuf[o + 5] = b.count;
        mBuf[o + 6] = b.last;
        mBuf[o + 7] = b.lastTs;
      }
      for (let b: BucketAcc | null = e.h; b !== null; b = b.next) {
        const o = ups1h.next();
        hBuf[o] = id;
        hBuf[o + 1] = b.bucket;
        hBuf[o + 2] = b.min;
        hBuf[o + 3] = b.max;
        hBuf[o + 4] = b.sum;
        hBuf[o + 5] = b.count;
        hBuf[o + 6] = b.last;
        hBuf[o + 7] = b.lastTs;
      }
      const o = upsLatest.next();
      lBuf[o] = id;
      lBuf[o + 1] = e.latestTs;
      lBuf[o + 2] = e.latestValue;
    }
    ups1m.flush();
    ups1h.flush();
    upsLatest.flush();
    touched.length = 0;

    this.bInserted = inserted;
    this.bDuplicates = duplicates;
    this.bWrongKind = wrongKind;
    this.bInvalid = invalid;
  }

  // ------------------------------------------------------------------------------- read

  async latest(factoryId: number, deviceId: number, parameters?: readonly string[]): Promise<LatestValue[]> {
    this.assertOpen();
    if (parameters !== undefined && parameters.length === 0) return [];
    const rows = (
      parameters === undefined
        ? this.selLatestAll.all(factoryId, deviceId)
        : this.selLatestSome.all(factoryId, deviceId, JSON.stringify(parameters))
    ) as Array<[string, string, number, DbValue]>;
    return rows.map(([parameter, kind, ts, value]) => ({ parameter, ts, value: decode(kindCode(kind), value) }));
  }

  async range(
    factoryId: number,
    deviceId: number,
    parameter: string,
    from: number,
    to: number,
    maxPoints: number,
  ): Promise<SeriesRange> {
    this.assertOpen();
    validateRange(from, to, maxPoints);
    const desired = Math.ceil((to - from) / maxPoints);
    return this.query(this.chooseResolution(from, desired), factoryId, deviceId, parameter, from, to, maxPoints);
  }

  async rangeAt(
    resolution: SeriesResolution,
    factoryId: number,
    deviceId: number,
    parameter: string,
    from: number,
    to: number,
    maxPoints: number,
  ): Promise<SeriesRange> {
    this.assertOpen();
    validateRange(from, to, maxPoints);
    const spec = RESOLUTIONS.find((r) => r.name === resolution);
    if (spec === undefined) throw new RangeError(`range: unknown resolution '${String(resolution)}'`);
    return this.query(spec, factoryId, deviceId, parameter, from, to, maxPoints);
  }

  /** Does this resolution still hold data for `from` (given what retention has deleted)? */
  private holds(r: ResolutionSpec, from: number): boolean {
    const horizon = this.horizons[r.name];
    if (r.width === RAW_MS) return from >= horizon;
    // Rollup rows are deleted only when their whole bucket is before the horizon.
    return from - (from % r.width) + r.width > horizon;
  }

  private chooseResolution(from: number, desired: number): ResolutionSpec {
    for (let i = RESOLUTIONS.length - 1; i >= 0; i--) {
      const r = RESOLUTIONS[i] as ResolutionSpec;
      if (r.width <= desired && this.holds(r, from)) return r;
    }
    for (const r of RESOLUTIONS) if (this.holds(r, from)) return r;
    // Nothing holds data back to `from`: the resolution that reaches furthest back.
    let best = RESOLUTIONS[0] as ResolutionSpec;
    for (const r of RESOLUTIONS) if (this.horizons[r.name] < this.horizons[best.name]) best = r;
    return best;
  }

  /**
   * The same rows as the rollup GROUP BY statement, one indexed range aggregate per output
   * bucket. GROUP BY on the computed bucket makes SQLite sort every row through a temp
   * B-tree; with many rollup rows per bucket (a month of 1-minute rows into 2,000 points)
   * these small primary-key range scans are about twice as fast.
   */
  private rollupRangeByBucket(resolution: '1m' | '1h', seriesId: number, lo: number, hi: number, bucketMs: number): RangeRow[] {
    const { agg, last } = this.bucketStmts[resolution];
    const rows: RangeRow[] = [];
    for (let b = lo - (lo % bucketMs); b < hi; b += bucketMs) {
      const start = Math.max(b, lo);
      const end = Math.min(b + bucketMs, hi);
      const [min, max, sum, count] = agg.get(seriesId, start, end) as [number | null, number | null, number | null, number | null];
      if (!count) continue;
      rows.push([b, min, max, sum, count, last.get(seriesId, start, end)] as RangeRow);
    }
    return rows;
  }

  private query(
    r: ResolutionSpec,
    factoryId: number,
    deviceId: number,
    parameter: string,
    from: number,
    to: number,
    maxPoints: number,
  ): SeriesRange {
    const bucketMs = chooseBucketMs(from, to, maxPoints, r.width);
    const e = this.find(factoryId, deviceId, parameter);
    if (e === undefined) return { resolution: r.name, bucketMs, buckets: [] };
    const stmts = this.rangeStmts[r.name];
    const numeric = e.kind === KIND_NUM;
    const lo = from - (from % r.width);
    const rows =
      r.name !== 'raw' && bucketMs / r.width >= BUCKET_QUERY_MIN_ROWS
        ? this.rollupRangeByBucket(r.name, e.id, lo, to, bucketMs)
        : ((numeric ? stmts.num : stmts.text).all({ bucket: bucketMs, id: e.id, lo, hi: to }) as RangeRow[]);
    const buckets: SeriesBucket[] = new Array<SeriesBucket>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [ts, min, max, sum, count, last] = rows[i] as RangeRow;
      buckets[i] = numeric
        ? { ts, min, max, avg: (sum as number) / count, last: last as number, count }
        : { ts, min: null, max: null, avg: null, last: decode(e.kind, last), count };
    }
    return { resolution: r.name, bucketMs, buckets };
  }

  // ------------------------------------------------------------------------------- retention

  async applyRetention(now: number): Promise<RetentionReport> {
    this.assertOpen();
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new RangeError(`applyRetention: now must be a finite number of epoch ms, got ${String(now)}`);
    }
    const cutRaw = now - this.retention.rawMs;
    const cut1m = now - this.retention.oneMinuteMs;
    const cut1h = now - this.retention.oneHourMs;
    // Record the horizons first: while deletion proceeds (in chunks, interleaved with writes),
    // range() already answers from a resolution that is not being emptied.
    this.db.transaction(() => {
      for (const [name, cut] of [['raw', cutRaw], ['1m', cut1m], ['1h', cut1h]] as const) {
        if (cut > this.horizons[name]) {
          this.horizons[name] = cut;
          this.setMeta.run(HORIZON_KEYS[name], cut);
        }
      }
    }).immediate();

    const series = this.db.prepare('SELECT id, kind FROM series ORDER BY id').raw().all() as Array<[number, string]>;
    const report: RetentionReport = { rawDeleted: 0, oneMinuteDeleted: 0, oneHourDeleted: 0 };
    const chunk = this.db.transaction((start: number) => {
      const end = Math.min(series.length, start + RETENTION_CHUNK);
      for (let i = start; i < end; i++) {
        const [id, kind] = series[i] as [number, string];
        report.rawDeleted += (kind === 'num' ? this.delNum : this.delText).run(id, cutRaw).changes;
        report.oneMinuteDeleted += this.del1m.run(id, cut1m - MINUTE_MS).changes;
        report.oneHourDeleted += this.del1h.run(id, cut1h - HOUR_MS).changes;
      }
    });
    for (let start = 0; start < series.length; start += RETENTION_CHUNK) {
      if (start > 0) {
        // Let the hot path in between chunks.
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.assertOpen();
      }
      chunk.immediate(start);
    }
    return report;
  }

  // ------------------------------------------------------------------------------- misc

  async ping(): Promise<void> {
    this.assertOpen();
    this.pingStmt.get();
  }

  stats(): SqliteSeriesStats {
    return { series: this.seriesCount, ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Stop the checkpointer first: the last connection to close checkpoints and removes the WAL.
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    if (checkpointer !== undefined) await checkpointer.stop();
    try {
      this.db.pragma('optimize');
    } finally {
      this.db.close();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('series store is closed');
  }
}

/** Opens (creating if needed) a SQLite series store. */
export function openSqliteSeriesStore(options: SqliteSeriesStoreOptions): SqliteSeriesStore {
  return new SqliteSeriesStoreImpl(options);
}
