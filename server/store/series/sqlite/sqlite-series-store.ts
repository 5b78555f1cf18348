/**
 * SQLite adapter of the SeriesStore port (DESIGN.md §3, §4).
 *
 * Layout (see schema.ts, private to this folder): a series dictionary, an append-only ingest
 * log, raw numeric values as per-series chunks (one row per run of a series' values inside an
 * hour: raw-chunk.ts), string/boolean values in a per-value raw table, 1-minute and 1-hour
 * rollups and a latest-value table.
 *
 * Two steps, so that a commit never waits for the per-series layout:
 * - write() validates the batch, creates new series, and commits ONE ingest_log row holding
 *   all its values (a few pages, whatever the number of series). The values are then also
 *   kept in memory per series ("uncompacted") and the newest value per series is updated in
 *   memory. When write() resolves the batch is durable and visible to latest() and range().
 * - Compaction (every 2 s, sooner when much is waiting) moves the uncompacted values into
 *   the raw tables and rollups in small transactions (a few hundred series each) with the
 *   event loop free in between, then deletes the log rows it covered. Per series it writes
 *   one raw chunk, one or two rollup rows per resolution and the latest value, however many
 *   values the series got: about one page per series per table. Committing each batch into
 *   the per-series tables dirtied that much per commit and stalled the event loop for up to
 *   600 ms; one row per raw value made compaction ~45 % of the server's CPU at full load
 *   (bench: `npx tsx tests/bench/series-store.bench.ts`).
 * range() merges the uncompacted values of its series into what it reads from the tables.
 * On open, log rows still present (a crash, a kill -9) are replayed and compacted before the
 * store is used; values already in the raw tables are skipped, so nothing counts twice.
 *
 * One store object owns a database file: it keeps the newest values and the uncompacted
 * values in memory, so a second writer on the same file is not supported (the server opens
 * one store per data directory).
 *
 * Behaviour decided here (and covered by tests):
 *
 * - Duplicates. QoS 1 redelivery can bring the same (series, ts) twice. A value whose ts is
 *   not newer than the newest of its series is looked up (uncompacted values, then the raw
 *   table); if the (series, ts) is already stored the value is skipped and counted in
 *   `stats().duplicates`, so counts and sums never double. The first value stored wins.
 * - Kinds. A series gets its kind ('num' | 'str' | 'bool') from the first value ever stored for
 *   it. A later value of another kind (a string into a numeric series, …) is SKIPPED: it is not
 *   stored anywhere, the rest of the batch is stored normally, the batch does not fail, and the
 *   value is counted in `stats().rejectedWrongKind`. One misbehaving device must not stop the
 *   hot path or corrupt a series' history.
 * - Invalid points (a non-finite number, a value that is not number/string/boolean, a ts that
 *   is not a non-negative safe integer, a non-integer factory/device id, an empty parameter) are
 *   skipped the same way and counted in `stats().rejectedInvalid`. The edge validates these
 *   already; this is the last line of defence, not the place where errors are reported.
 * - Atomicity. A batch is one IMMEDIATE transaction: if anything throws midway the
 *   transaction is rolled back, the in-memory state is put back as it was (new series
 *   forgotten, uncompacted values and newest values restored), no counter moves, and write()
 *   rejects. A compaction that fails keeps its values uncompacted (still visible, still in
 *   the log) and is retried; `stats().compactionFailures` counts failures.
 * - Backpressure. When more than MAX_UNCOMPACTED values wait for compaction, write() first
 *   waits for a compaction: the hot path slows down instead of memory growing without bound.
 * - Rollup windows. At a rollup resolution of width w, range(from, to) reads the rollup rows
 *   whose bucket starts in [floor(from / w) * w, to): whole rollup buckets, so the answer covers
 *   values in [floor(from / w) * w, ceil(to / w) * w). At raw resolution it covers [from, to).
 *   Each rollup bucket falls in exactly one output bucket (bucketMs is a multiple of w).
 * - Retention. applyRetention(now) deletes raw values with ts < now - rawMs (a chunk holding
 *   values on both sides of the cutoff is rewritten without the older ones), and rollup rows
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
import { BatchedUpsert, type Stmt } from './batched-upsert.js';
import { addToBuckets, BucketAcc, type DbValue } from './bucket-acc.js';
import { startCheckpointer } from './checkpointer.js';
import type { Checkpointer } from './checkpointer.js';
import { decodeLogRow, LogRowBuilder } from './ingest-log.js';
import { ceilTo, chooseBucketMs, RangeAcc, RESOLUTIONS, validateRange, type RangeRow, type ResolutionSpec } from './range-plan.js';
import {
  ascendingOrder,
  CHUNK_GROW_BELOW,
  CHUNK_MAX_VALUES,
  chunkHasTs,
  chunkHour,
  decodeChunk,
  dropBefore,
  encodeChunk,
  pieceEnd,
} from './raw-chunk.js';
import { HOUR_MS, MINUTE_MS, RAW_MS, SCHEMA_SQL, SCHEMA_VERSION, V2_RAW_NUM_TABLE } from './schema.js';
import {
  BatchEncoder,
  batchColumns,
  VALUE_BOOL,
  VALUE_NUM,
  VALUE_STR,
  type BatchColumns,
  type ColumnBatch,
  type KeyDefinition,
} from './write-batch.js';

export { chooseBucketMs, MAX_POINTS_LIMIT } from './range-plan.js';

const DAY_MS = 86_400_000;

/** Raw 90 days, 1-minute rollups 400 days, 1-hour rollups 5 years (5 × 365 days + 1 leap day). */
export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = Object.freeze({
  rawMs: 90 * DAY_MS,
  oneMinuteMs: 400 * DAY_MS,
  oneHourMs: 1826 * DAY_MS,
});

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
  /** How often uncompacted values are compacted, ms (default 2000). */
  compactIntervalMs?: number;
  /** Told about a failed background compaction (it is retried); default: nothing. */
  onCompactionError?: (error: unknown) => void;
}

/** Writer's autocheckpoint (pages): a safety net with the background checkpointer, else the pace. */
const SAFETY_AUTOCHECKPOINT_PAGES = 65_536; // 256 MiB of WAL
const INLINE_AUTOCHECKPOINT_PAGES = 10_000; // 40 MiB of WAL
const CHECKPOINT_INTERVAL_MS = 100;

/**
 * Compaction rewrites about one page per series per table however many values each series
 * got since the last one, so rarer compactions write less WAL per value (and the checkpointer
 * less to the database file): at 500 k values/s over 2,500 series, ~40 MB a round.
 */
const COMPACT_INTERVAL_MS = 2_000;
/** Compact at once (not at the next interval) when this many values wait. */
const COMPACT_AT_VALUES = 1_000_000;
/** write() waits for compaction above this many uncompacted values (memory bound, ~50 MB). */
const MAX_UNCOMPACTED = 3_000_000;
/**
 * A compaction transaction takes series until it holds this many values or this many series:
 * small enough that the event loop is never held long (the cost is mostly per series now).
 */
const COMPACT_TX_VALUES = 10_000;
const COMPACT_TX_SERIES = 250;

export interface SqliteSeriesStats {
  /** Series known to the dictionary. */
  series: number;
  /** Committed write() batches. */
  batches: number;
  /** Values stored. */
  inserted: number;
  /** Values ignored because their (series, ts) was already stored (QoS 1 redelivery). */
  duplicates: number;
  /** Values skipped because their kind differs from the series' kind. */
  rejectedWrongKind: number;
  /** Values skipped because they were not valid points. */
  rejectedInvalid: number;
  /** Values committed to the log but not yet compacted into the per-series tables. */
  uncompacted: number;
  /** Compactions that failed (their values stay uncompacted and are retried). */
  compactionFailures: number;
}

export interface SqliteSeriesStore extends SeriesStore {
  readonly retention: Readonly<RetentionPolicy>;
  /** write() of a batch already in columns (what write() does after encoding its points). */
  writeColumns(batch: ColumnBatch): Promise<void>;
  /** Counters as of the last completed request (on a worker: as its last reply said). */
  stats(): SqliteSeriesStats;
  /** Compacts every value written so far into the per-series tables (tests, benchmarks). */
  compact(): Promise<void>;
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

function decode(kind: KindCode, v: DbValue): SeriesValue {
  return kind === KIND_BOOL ? v !== 0 : v;
}

function containsTs(ts: readonly number[] | null, t: number): boolean {
  if (ts === null) return false;
  // Newest first: a redelivered value is usually recent.
  for (let i = ts.length - 1; i >= 0; i--) if (ts[i] === t) return true;
  return false;
}

/** The newest raw chunk a compaction wrote for a series, which the next one may extend. */
interface OpenChunk {
  id: number;
  startTs: number;
  endTs: number;
  n: number;
}

/** One series: its identity, newest value, uncompacted values and compaction accumulators. */
class SeriesEntry {
  /** Newest ts stored for the series (-1: none yet) and its value. */
  latestTs = -1;
  latestValue: DbValue = 0;
  /** Values written since the last compaction began (parallel arrays). */
  pendTs: number[] = [];
  pendVal: DbValue[] = [];
  /** Values the running compaction is moving into the tables (null once its chunk committed). */
  compTs: number[] | null = null;
  compVal: DbValue[] | null = null;
  /** comp values before this index are committed already (a backlog compacted in slices). */
  compFrom = 0;
  /** In the store's list of series with uncompacted values. */
  dirty = false;
  /** Its newest raw chunk while that is small (numeric series; forgotten on restart). */
  openChunk: OpenChunk | null = null;

  // What a write() changed, so a failed batch can be undone in memory.
  writeEpoch = 0;
  writeStart = 0;
  prevLatestTs = -1;
  prevLatestValue: DbValue = 0;

  // Compaction accumulators (per chunk).
  epoch = 0;
  chunkLatestTs = 0;
  chunkLatestValue: DbValue = 0;
  readonly m = new BucketAcc();
  readonly h = new BucketAcc();
  mCur: BucketAcc = this.m;
  hCur: BucketAcc = this.h;

  constructor(
    readonly id: number,
    readonly kind: KindCode,
    readonly parameter: string,
  ) {}
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

const HORIZON_KEYS: Record<SeriesResolution, string> = { raw: 'horizon_raw', '1m': 'horizon_1m', '1h': 'horizon_1h' };
const RETENTION_CHUNK = 256;

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
const RAW_TEXT_RANGE_SQL = `SELECT g.b, NULL, NULL, NULL, g.cnt, r.value, g.lts
    FROM (SELECT ts - ts % :bucket AS b, count(*) AS cnt, max(ts) AS lts
          FROM raw_text
          WHERE series_id = :id AND ts >= :lo AND ts < :hi
          GROUP BY b) AS g
    JOIN raw_text AS r ON r.series_id = :id AND r.ts = g.lts
    ORDER BY g.b`;

/** Rollup rows per output bucket from which range() aggregates bucket by bucket (rollupRangeByBucket). */
const BUCKET_QUERY_MIN_ROWS = 8;

function rollupRangeSql(table: string, width: number): string {
  return `SELECT g.b, g.mn, g.mx, g.sm, g.cnt, r.last, g.lts
    FROM (SELECT bucket_ts - bucket_ts % :bucket AS b, min(min) AS mn, max(max) AS mx, sum(sum) AS sm,
                 sum(count) AS cnt, max(last_ts) AS lts
          FROM ${table}
          WHERE series_id = :id AND bucket_ts >= :lo AND bucket_ts < :hi
          GROUP BY b) AS g
    JOIN ${table} AS r ON r.series_id = :id AND r.bucket_ts = g.lts - g.lts % ${width}
    ORDER BY g.b`;
}

function nextTick(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

class SqliteSeriesStoreImpl implements SqliteSeriesStore {
  readonly retention: Readonly<RetentionPolicy>;
  private readonly db: Database.Database;
  private closed = false;
  private checkpointer: Checkpointer | undefined;
  private readonly onCompactionError: (error: unknown) => void;

  /** factoryId → deviceId → parameter → entry. Nested maps: no key strings built per value. */
  private readonly cache = new Map<number, Map<number, Map<string, SeriesEntry>>>();
  /** series id → entry (log replay). */
  private readonly byId = new Map<number, SeriesEntry>();
  private readonly horizons: Record<SeriesResolution, number> = { raw: -Infinity, '1m': -Infinity, '1h': -Infinity };
  private readonly counters = { batches: 0, inserted: 0, duplicates: 0, rejectedWrongKind: 0, rejectedInvalid: 0, compactionFailures: 0 };

  // The write() in progress: counters committed to `counters` only when its transaction commits,
  // and what to undo in memory when it does not.
  private bInserted = 0;
  private bDuplicates = 0;
  private bWrongKind = 0;
  private bInvalid = 0;
  private bLogSeq = 0;
  private writeEpoch = 0;
  private readonly written: SeriesEntry[] = [];
  private readonly created: Array<{ f: number; d: number; p: string; key: number }> = [];
  /** Write batches name series by key (write-batch.ts): what each key is, and its entry. */
  private readonly encoder = new BatchEncoder();
  private readonly keyDefs: Array<{ f: number; d: number; p: string } | undefined> = [];
  private readonly keyEntries: Array<SeriesEntry | undefined> = [];
  /** The last write() accepted: the next runs after it. */
  private writeChain: Promise<void> = Promise.resolve();
  private readonly logRow = new LogRowBuilder();

  // Compaction.
  /** Series with uncompacted values not yet taken by a compaction. */
  private dirty: SeriesEntry[] = [];
  /** Values written but not yet compacted (including those a running compaction holds). */
  private uncompacted = 0;
  /** The newest committed ingest_log row, and the newest one deleted. */
  private lastLogSeq = 0;
  private deletedLogSeq = 0;
  private compaction: Promise<void> | null = null;
  private readonly compactTimer: NodeJS.Timeout;
  private compactEpoch = 0;
  private readonly touched: SeriesEntry[] = [];

  private readonly insText: Stmt;
  private readonly hasText: Stmt;
  private readonly insChunk: Stmt;
  /** The data of an open chunk, if it is still what the entry remembers. */
  private readonly openChunkData: Stmt;
  private readonly extendChunk: Stmt;
  /** Chunks holding values in a range (see chunksOverlapping). */
  private readonly chunksIn: Stmt;
  private readonly insLog: Stmt;
  private readonly delLog: Stmt;
  private readonly ups1m: BatchedUpsert;
  private readonly ups1h: BatchedUpsert;
  private readonly upsLatest: BatchedUpsert;
  private readonly insSeries: Stmt;
  private readonly selSeries: Stmt;
  /** Range aggregates: raw text values, and rollups (numeric and text alike). */
  private readonly rangeStmts: Record<SeriesResolution, Stmt>;
  /** Per-bucket aggregate and last value of a rollup table (see rollupRangeByBucket). */
  private readonly bucketStmts: Record<'1m' | '1h', { agg: Stmt; last: Stmt }>;
  private readonly delChunks: Stmt;
  private readonly rewriteChunk: Stmt;
  private readonly delText: Stmt;
  private readonly del1m: Stmt;
  private readonly del1h: Stmt;
  private readonly setMeta: Stmt;
  private readonly pingStmt: Stmt;
  private readonly writeTx: Database.Transaction<(columns: BatchColumns, texts: readonly string[], epoch: number) => void>;
  private readonly compactTx: Database.Transaction<(entries: readonly SeriesEntry[], from: number, to: number, careful: boolean, limit: number) => void>;

  constructor(options: SqliteSeriesStoreOptions) {
    this.retention = resolvePolicy(options.retention);
    const synchronous = options.synchronous ?? 'NORMAL';
    if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
      throw new RangeError(`series store: synchronous must be 'NORMAL' or 'FULL', got ${String(synchronous)}`);
    }
    const compactIntervalMs = options.compactIntervalMs ?? COMPACT_INTERVAL_MS;
    if (!Number.isFinite(compactIntervalMs) || compactIntervalMs <= 0) {
      throw new RangeError(`series store: compactIntervalMs must be a positive number, got ${String(compactIntervalMs)}`);
    }
    this.onCompactionError = options.onCompactionError ?? (() => {});
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
      // A compaction dirties about one page per series it touches: the WAL grows by MBs each.
      // A larger WAL lets repeated writes of a page coalesce before they are checkpointed.
      db.pragma(`wal_autocheckpoint = ${background ? SAFETY_AUTOCHECKPOINT_PAGES : INLINE_AUTOCHECKPOINT_PAGES}`);
      db.exec(SCHEMA_SQL);

      this.insText = db.prepare('INSERT INTO raw_text (series_id, ts, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
      this.hasText = db.prepare('SELECT 1 FROM raw_text WHERE series_id = ? AND ts = ?').pluck();
      this.insChunk = db.prepare('INSERT INTO raw_chunk (series_id, start_ts, end_ts, n, data) VALUES (?, ?, ?, ?, ?)');
      this.openChunkData = db
        .prepare('SELECT data FROM raw_chunk WHERE id = ? AND series_id = ? AND start_ts = ? AND end_ts = ? AND n = ?')
        .pluck();
      this.extendChunk = db.prepare('UPDATE raw_chunk SET end_ts = ?, n = ?, data = ? WHERE id = ?');
      this.chunksIn = db
        .prepare('SELECT id, start_ts, n, data FROM raw_chunk WHERE series_id = ? AND start_ts >= ? AND start_ts < ? AND end_ts >= ? ORDER BY start_ts')
        .raw();
      this.insLog = db.prepare('INSERT INTO ingest_log (nums, texts) VALUES (?, ?)');
      this.delLog = db.prepare('DELETE FROM ingest_log WHERE seq <= ?');
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
      // Rollups hold numeric and text series alike (min/max/sum NULL for text): one statement each.
      const range1m = db.prepare(rollupRangeSql('rollup_1m', MINUTE_MS)).raw();
      const range1h = db.prepare(rollupRangeSql('rollup_1h', HOUR_MS)).raw();
      this.rangeStmts = {
        // Numeric raw values are decoded from chunks (see query()).
        raw: db.prepare(RAW_TEXT_RANGE_SQL).raw(),
        '1m': range1m,
        '1h': range1h,
      };
      const bucketStmts = (table: string) => ({
        agg: db.prepare(`SELECT min(min), max(max), sum(sum), sum(count) FROM ${table} WHERE series_id = ? AND bucket_ts >= ? AND bucket_ts < ?`).raw(),
        last: db.prepare(`SELECT last, last_ts FROM ${table} WHERE series_id = ? AND bucket_ts >= ? AND bucket_ts < ? ORDER BY bucket_ts DESC LIMIT 1`).raw(),
      });
      this.bucketStmts = { '1m': bucketStmts('rollup_1m'), '1h': bucketStmts('rollup_1h') };
      this.delChunks = db.prepare('DELETE FROM raw_chunk WHERE series_id = ? AND start_ts < ? AND end_ts < ? RETURNING n').pluck();
      this.rewriteChunk = db.prepare('UPDATE raw_chunk SET start_ts = ?, n = ?, data = ? WHERE id = ?');
      this.delText = db.prepare('DELETE FROM raw_text WHERE series_id = ? AND ts < ?');
      this.del1m = db.prepare('DELETE FROM rollup_1m WHERE series_id = ? AND bucket_ts <= ?');
      this.del1h = db.prepare('DELETE FROM rollup_1h WHERE series_id = ? AND bucket_ts <= ?');
      this.setMeta = db.prepare(
        'INSERT INTO series_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      );
      this.pingStmt = db.prepare('SELECT 1').pluck();
      this.writeTx = db.transaction((columns: BatchColumns, texts: readonly string[], epoch: number) => this.writeInTx(columns, texts, epoch));
      this.compactTx = db.transaction((entries: readonly SeriesEntry[], from: number, to: number, careful: boolean, limit: number) =>
        this.compactInTx(entries, from, to, careful, limit),
      );

      this.checkVersion();
      this.loadDictionary();
      this.loadHorizons();
      this.replayLog();
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
    this.compactTimer = setInterval(() => this.compactInBackground(), compactIntervalMs);
    this.compactTimer.unref();
  }

  private checkVersion(): void {
    const row = this.db.prepare("SELECT value FROM series_meta WHERE key = 'schema_version'").pluck().get();
    const version = row === undefined ? null : Number(row);
    if (version === SCHEMA_VERSION) return;
    if (version !== null && version !== 1 && version !== 2) {
      throw new Error(`series store: database schema version ${String(row)} is not the supported ${SCHEMA_VERSION}`);
    }
    // New file, or version 1 (no ingest_log) / 2 (per-value raw_num): SCHEMA_SQL has just
    // created what was missing; raw_num's values move into chunks.
    this.db.transaction(() => {
      this.migrateRawNum();
      this.setVersion(SCHEMA_VERSION);
    }).immediate();
  }

  /**
   * Version 2 → 3: the per-value raw_num rows become chunks (one per series per hour, at most
   * CHUNK_MAX_VALUES each), then the table is dropped. Read a page at a time: a series may
   * hold months of values.
   */
  private migrateRawNum(): void {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(V2_RAW_NUM_TABLE);
    if (exists === undefined) return;
    const ids = this.db.prepare(`SELECT DISTINCT series_id FROM ${V2_RAW_NUM_TABLE}`).pluck().all() as number[];
    const page = this.db.prepare(`SELECT ts, value FROM ${V2_RAW_NUM_TABLE} WHERE series_id = ? AND ts > ? ORDER BY ts LIMIT ${CHUNK_MAX_VALUES}`).raw();
    for (const id of ids) {
      let after = -1;
      for (;;) {
        const rows = page.all(id, after) as Array<[number, number]>;
        if (rows.length === 0) break;
        const ts = rows.map((r) => r[0]);
        const values = rows.map((r) => r[1]);
        for (let p = 0; p < ts.length; ) {
          const q = pieceEnd(ts, null, p, ts.length);
          const start = ts[p] as number;
          this.insChunk.run(id, start, ts[q - 1] as number, q - p, encodeChunk(start, ts, values, null, p, q));
          p = q;
        }
        after = ts[ts.length - 1] as number;
      }
    }
    this.db.exec(`DROP TABLE ${V2_RAW_NUM_TABLE}`);
  }

  private setVersion(version: number): void {
    this.db
      .prepare("INSERT INTO series_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
      .run(version);
  }

  private loadDictionary(): void {
    const rows = this.db
      .prepare(
        `SELECT s.id, s.factory_id, s.device_id, s.parameter, s.kind, l.ts, l.value
         FROM series AS s LEFT JOIN latest AS l ON l.series_id = s.id`,
      )
      .raw()
      .iterate() as IterableIterator<[number, number, number, string, string, number | null, DbValue | null]>;
    for (const [id, f, d, p, kind, ts, value] of rows) {
      const e = new SeriesEntry(id, kindCode(kind), p);
      if (ts !== null && value !== null) {
        e.latestTs = ts;
        e.latestValue = value;
      }
      this.remember(f, d, p, e);
    }
  }

  private loadHorizons(): void {
    const get = this.db.prepare('SELECT value FROM series_meta WHERE key = ?').pluck();
    for (const r of RESOLUTIONS) {
      const v = get.get(HORIZON_KEYS[r.name]);
      if (typeof v === 'number') this.horizons[r.name] = v;
    }
  }

  /**
   * Log rows left by a process that stopped before compacting them (a crash, kill -9): back
   * into memory, then compacted at once. Some may already be in the tables (the process died
   * between a compaction and the log delete): the careful compaction skips those.
   */
  private replayLog(): void {
    const rows = this.db.prepare('SELECT seq, nums, texts FROM ingest_log ORDER BY seq').raw().iterate() as IterableIterator<
      [number, unknown, unknown]
    >;
    for (const [seq, nums, texts] of rows) {
      for (const { seriesId, ts, value } of decodeLogRow(nums, texts)) {
        const e = this.byId.get(seriesId);
        if (e === undefined) throw new Error(`series store: ingest log row ${seq} names unknown series ${seriesId}`);
        e.pendTs.push(ts);
        e.pendVal.push(value);
        if (ts > e.latestTs) {
          e.latestTs = ts;
          e.latestValue = value;
        }
        this.markDirty(e);
        this.uncompacted++;
      }
      this.lastLogSeq = seq;
    }
    if (this.lastLogSeq > 0) this.compactSync(true);
  }

  private remember(f: number, d: number, p: string, e: SeriesEntry): void {
    let byDevice = this.cache.get(f);
    if (byDevice === undefined) this.cache.set(f, (byDevice = new Map()));
    let byParam = byDevice.get(d);
    if (byParam === undefined) byDevice.set(d, (byParam = new Map()));
    byParam.set(p, e);
    this.byId.set(e.id, e);
  }

  private forget(f: number, d: number, p: string): void {
    const byParam = this.cache.get(f)?.get(d);
    const e = byParam?.get(p);
    if (e === undefined) return;
    byParam?.delete(p);
    this.byId.delete(e.id);
  }

  private lookup(f: number, d: number, p: string): SeriesEntry | undefined {
    return this.cache.get(f)?.get(d)?.get(p);
  }

  /** Cache miss on the write path: create the series (inside the batch's transaction). */
  private createSeries(f: number, d: number, p: string, kind: KindCode, key: number): SeriesEntry | null {
    if (!Number.isSafeInteger(f) || !Number.isSafeInteger(d) || typeof p !== 'string' || p.length === 0) return null;
    const id = this.insSeries.get(f, d, p, KIND_NAMES[kind]) as number | undefined;
    let e: SeriesEntry;
    if (id !== undefined) {
      e = new SeriesEntry(id, kind, p);
      this.created.push({ f, d, p, key });
    } else {
      // The file has it but this store did not load it (it cannot happen with one writer).
      const row = this.selSeries.get(f, d, p) as [number, string];
      e = new SeriesEntry(row[0], kindCode(row[1]), p);
    }
    this.remember(f, d, p, e);
    return e;
  }

  private markDirty(e: SeriesEntry): void {
    if (!e.dirty) {
      e.dirty = true;
      this.dirty.push(e);
    }
  }

  // ------------------------------------------------------------------------------- write

  async write(points: readonly SeriesPoint[]): Promise<void> {
    this.assertOpen();
    if (points.length === 0) return;
    await this.writeColumns(this.encoder.encode(points));
  }

  writeColumns(batch: ColumnBatch): Promise<void> {
    try {
      // Keys first, even if this batch then fails: the encoder has marked them as told.
      this.defineKeys(batch.newKeys);
    } catch (error) {
      return Promise.reject(error);
    }
    // In call order, even while an earlier write waits for compaction (SeriesStore.write).
    const run = this.writeChain.then(() => this.writeColumnsInOrder(batch));
    this.writeChain = run.catch(() => {});
    return run;
  }

  private async writeColumnsInOrder(batch: ColumnBatch): Promise<void> {
    this.assertOpen();
    const columns = batchColumns(batch);
    if (batch.n === 0) return;
    while (this.uncompacted >= MAX_UNCOMPACTED) {
      // Compaction is behind: slow the hot path down rather than grow memory.
      await this.compact();
    }
    this.created.length = 0;
    this.written.length = 0;
    this.logRow.reset();
    this.bInserted = this.bDuplicates = this.bWrongKind = this.bInvalid = 0;
    this.bLogSeq = 0;
    try {
      this.writeTx.immediate(columns, batch.texts, ++this.writeEpoch);
    } catch (err) {
      // Rolled back: undo the batch in memory too.
      for (const e of this.written) {
        e.pendTs.length = e.writeStart;
        e.pendVal.length = e.writeStart;
        e.latestTs = e.prevLatestTs;
        e.latestValue = e.prevLatestValue;
      }
      // Forget the series this batch created, or the cache would hold ids that do not exist
      // (and could be reused by SQLite for another series).
      for (const c of this.created) {
        this.forget(c.f, c.d, c.p);
        this.keyEntries[c.key] = undefined;
      }
      this.created.length = 0;
      this.written.length = 0;
      throw err;
    }
    for (const e of this.written) this.markDirty(e);
    this.written.length = 0;
    this.created.length = 0;
    if (this.bLogSeq > 0) this.lastLogSeq = this.bLogSeq;
    this.uncompacted += this.bInserted;
    const c = this.counters;
    c.batches++;
    c.inserted += this.bInserted;
    c.duplicates += this.bDuplicates;
    c.rejectedWrongKind += this.bWrongKind;
    c.rejectedInvalid += this.bInvalid;
    if (this.uncompacted >= COMPACT_AT_VALUES) this.compactInBackground();
  }

  private defineKeys(defs: readonly KeyDefinition[]): void {
    for (const def of defs) {
      const [key, f, d, p] = def;
      if (!Number.isSafeInteger(key) || key < 0 || this.keyDefs[key] !== undefined) {
        throw new Error(`series store: write batch redefines or misnumbers key ${String(key)}`);
      }
      this.keyDefs[key] = { f, d, p };
    }
  }

  /** The entry of a batch key, created on first use (inside the batch's transaction). */
  private keyEntry(key: number, kind: KindCode): SeriesEntry | null {
    const def = this.keyDefs[key];
    if (def === undefined) throw new Error(`series store: write batch uses undefined key ${key}`);
    const e = this.lookup(def.f, def.d, def.p) ?? this.createSeries(def.f, def.d, def.p, kind, key);
    if (e !== null) this.keyEntries[key] = e;
    return e;
  }

  /** Is (series, ts) already stored: uncompacted, being compacted, or in the raw tables? */
  private isStored(e: SeriesEntry, ts: number): boolean {
    if (containsTs(e.pendTs, ts) || containsTs(e.compTs, ts)) return true;
    return this.isInTables(e, ts);
  }

  /**
   * The ts already in a numeric series' chunks between the oldest and newest of `ts` (log
   * replay: one read per series, not one lookup per value).
   */
  private chunkTsBetween(e: SeriesEntry, ts: readonly number[]): Set<number> {
    let lo = Infinity;
    let hi = -Infinity;
    for (const t of ts) {
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    const stored = new Set<number>();
    if (ts.length === 0) return stored;
    for (const [, startTs, n, data] of this.chunksOverlapping(e, lo, hi + 1)) {
      for (const t of decodeChunk(startTs, n, data).ts) if (t >= lo && t <= hi) stored.add(t);
    }
    return stored;
  }

  /**
   * [id, start_ts, n, data] of a numeric series' chunks holding values in [lo, hi), by start.
   * A chunk stays inside its hour, so those chunks start in [hour(lo), hi).
   */
  private chunksOverlapping(e: SeriesEntry, lo: number, hi: number): Array<[number, number, number, Uint8Array]> {
    return this.chunksIn.all(e.id, chunkHour(lo), hi, lo) as Array<[number, number, number, Uint8Array]>;
  }

  private isInTables(e: SeriesEntry, ts: number): boolean {
    if (e.kind !== KIND_NUM) return this.hasText.get(e.id, ts) !== undefined;
    for (const [, startTs, n, data] of this.chunksOverlapping(e, ts, ts + 1)) if (chunkHasTs(startTs, n, data, ts)) return true;
    return false;
  }

  private writeInTx(columns: BatchColumns, texts: readonly string[], epoch: number): void {
    const written = this.written;
    const logRow = this.logRow;
    const { ts: tsCol, nums, keys, kinds } = columns;
    const keyEntries = this.keyEntries;
    let inserted = 0;
    let duplicates = 0;
    let wrongKind = 0;
    let invalid = 0;
    let text = 0;

    for (let i = 0; i < tsCol.length; i++) {
      const ts = tsCol[i] as number;
      const valueKind = kinds[i] as number;
      // Taken before anything is skipped: texts holds every string value of the batch.
      const dbv: DbValue = valueKind === VALUE_STR ? (texts[text++] as string) : (nums[i] as number);
      if (!Number.isSafeInteger(ts) || ts < 0) {
        invalid++;
        continue;
      }
      let kind: KindCode;
      if (valueKind === VALUE_NUM) {
        if (!Number.isFinite(dbv)) {
          invalid++;
          continue;
        }
        kind = KIND_NUM;
      } else if (valueKind === VALUE_STR) {
        if (typeof dbv !== 'string') {
          invalid++;
          continue;
        }
        kind = KIND_STR;
      } else if (valueKind === VALUE_BOOL) {
        kind = KIND_BOOL;
      } else {
        invalid++;
        continue;
      }
      const key = keys[i] as number;
      const e = keyEntries[key] ?? this.keyEntry(key, kind);
      if (e === null) {
        invalid++;
        continue;
      }
      if (e.kind !== kind) {
        wrongKind++;
        continue;
      }
      // In-order data (the common case) is newer than anything stored: no lookup needed.
      if (ts <= e.latestTs && this.isStored(e, ts)) {
        duplicates++;
        continue;
      }
      if (e.writeEpoch !== epoch) {
        e.writeEpoch = epoch;
        e.writeStart = e.pendTs.length;
        e.prevLatestTs = e.latestTs;
        e.prevLatestValue = e.latestValue;
        written.push(e);
      }
      e.pendTs.push(ts);
      e.pendVal.push(dbv);
      if (ts > e.latestTs) {
        e.latestTs = ts;
        e.latestValue = dbv;
      }
      if (kind === KIND_NUM) logRow.addNumber(e.id, ts, dbv as number);
      else logRow.addText(e.id, ts, dbv);
      inserted++;
    }
    if (logRow.size > 0) {
      const { nums, texts } = logRow.columns();
      this.bLogSeq = Number(this.insLog.run(nums, texts).lastInsertRowid);
    }
    this.bInserted = inserted;
    this.bDuplicates = duplicates;
    this.bWrongKind = wrongKind;
    this.bInvalid = invalid;
  }

  // ------------------------------------------------------------------------------- compaction

  async compact(): Promise<void> {
    this.assertOpen();
    // A running compaction took what was uncompacted when it began; then one for the rest.
    if (this.compaction !== null) await this.compaction;
    if (this.dirty.length > 0 || this.lastLogSeq > this.deletedLogSeq) await this.startCompaction();
  }

  private startCompaction(): Promise<void> {
    if (this.compaction !== null) return this.compaction;
    const run = this.compactAsync().finally(() => {
      this.compaction = null;
    });
    this.compaction = run;
    return run;
  }

  private compactInBackground(): void {
    if (this.closed || this.compaction !== null) return;
    if (this.dirty.length === 0 && this.lastLogSeq <= this.deletedLogSeq) return;
    this.startCompaction().catch((error: unknown) => this.onCompactionError(error));
  }

  /** Hands the uncompacted values to a compaction: each entry's pending values become `comp`. */
  private beginCompaction(): { entries: SeriesEntry[]; upTo: number } {
    const entries = this.dirty;
    this.dirty = [];
    for (const e of entries) {
      e.dirty = false;
      e.compTs = e.pendTs;
      e.compVal = e.pendVal;
      e.pendTs = [];
      e.pendVal = [];
    }
    return { entries, upTo: this.lastLogSeq };
  }

  /**
   * Commits the entries from `i` on until a transaction is full; returns where the next one
   * starts. A series with more waiting values than a transaction takes (a device uploading a
   * backlog) goes in slices of COMPACT_TX_VALUES, one transaction each: in one, a million
   * values of one series held the event loop for ~0.4 s.
   */
  private compactChunk(entries: readonly SeriesEntry[], i: number, careful: boolean): number {
    const first = entries[i] as SeriesEntry;
    if ((first.compTs as number[]).length - first.compFrom > COMPACT_TX_VALUES) {
      this.compactTx.immediate(entries, i, i + 1, careful, COMPACT_TX_VALUES);
      first.compFrom += COMPACT_TX_VALUES;
      this.uncompacted -= COMPACT_TX_VALUES;
      return i;
    }
    let j = i;
    let n = 0;
    while (j < entries.length && n < COMPACT_TX_VALUES && j - i < COMPACT_TX_SERIES) {
      const e = entries[j] as SeriesEntry;
      const waiting = (e.compTs as number[]).length - e.compFrom;
      // A large one goes in its own transactions (above), not on top of this one.
      if (j > i && n + waiting > COMPACT_TX_VALUES) break;
      n += waiting;
      j++;
    }
    this.compactTx.immediate(entries, i, j, careful, Infinity);
    for (let k = i; k < j; k++) {
      const e = entries[k] as SeriesEntry;
      e.compTs = null;
      e.compVal = null;
      e.compFrom = 0;
    }
    this.uncompacted -= n;
    return j;
  }

  private endCompaction(upTo: number): void {
    if (upTo > this.deletedLogSeq) {
      this.delLog.run(upTo);
      this.deletedLogSeq = upTo;
    }
  }

  /** A compaction failed at entry `i`: what it had not committed becomes uncompacted again. */
  private abandonCompaction(entries: readonly SeriesEntry[], i: number): void {
    for (let k = i; k < entries.length; k++) {
      const e = entries[k] as SeriesEntry;
      e.openChunk = null;
      if (e.compTs !== null && e.compVal !== null) {
        e.pendTs = e.compTs.slice(e.compFrom).concat(e.pendTs);
        e.pendVal = e.compVal.slice(e.compFrom).concat(e.pendVal);
        e.compTs = null;
        e.compVal = null;
        e.compFrom = 0;
      }
      this.markDirty(e);
    }
    this.counters.compactionFailures++;
  }

  /**
   * One compaction, a chunk per step: the async driver lets the event loop run between
   * steps, the sync one (open, close) does not.
   */
  private *compactionSteps(careful: boolean): Generator<void, void, void> {
    const { entries, upTo } = this.beginCompaction();
    let i = 0;
    try {
      while (i < entries.length) {
        i = this.compactChunk(entries, i, careful);
        if (i < entries.length) yield;
      }
      this.endCompaction(upTo);
    } catch (err) {
      this.abandonCompaction(entries, i);
      throw err;
    }
  }

  private async compactAsync(): Promise<void> {
    const steps = this.compactionSteps(false);
    // Let the hot path in between chunks.
    while (steps.next().done !== true) await nextTick();
  }

  /** Compacts everything now, without yielding (open and close). */
  private compactSync(careful: boolean): void {
    const steps = this.compactionSteps(careful);
    while (steps.next().done !== true);
  }

  /**
   * Moves the `comp` values of entries[from, to) into the raw tables and upserts their rollups
   * and latest values. `careful` (log replay) first drops the values already stored, because
   * some may be; otherwise write() has ruled out duplicates.
   */
  private compactInTx(entries: readonly SeriesEntry[], from: number, to: number, careful: boolean, limit: number): void {
    const epoch = ++this.compactEpoch;
    const touched = this.touched;
    touched.length = 0;
    const insText = this.insText;

    for (let k = from; k < to; k++) {
      const e = entries[k] as SeriesEntry;
      let tsArr = e.compTs as number[];
      let valArr = e.compVal as DbValue[];
      // Only what is not committed yet, at most `limit` values (a slice of a backlog).
      const end = Math.min(tsArr.length, e.compFrom + limit);
      if (e.compFrom > 0 || end < tsArr.length) {
        tsArr = tsArr.slice(e.compFrom, end);
        valArr = valArr.slice(e.compFrom, end);
      }
      const numeric = e.kind === KIND_NUM;
      const id = e.id;
      if (careful && numeric) {
        const stored = this.chunkTsBetween(e, tsArr);
        const keptTs: number[] = [];
        const keptVal: DbValue[] = [];
        for (let i = 0; i < tsArr.length; i++) {
          if (stored.has(tsArr[i] as number)) continue;
          keptTs.push(tsArr[i] as number);
          keptVal.push(valArr[i] as DbValue);
        }
        tsArr = keptTs;
        valArr = keptVal;
      }
      if (numeric && tsArr.length > 0) this.storeChunks(e, tsArr, valArr as number[]);
      for (let i = 0; i < tsArr.length; i++) {
        const ts = tsArr[i] as number;
        const v = valArr[i] as DbValue;
        // Text values go in one by one (rare); a replayed one may be stored already.
        if (!numeric && insText.run(id, ts, v).changes === 0) continue;
        const mBucket = ts - (ts % MINUTE_MS);
        const hBucket = ts - (ts % HOUR_MS);
        if (e.epoch !== epoch) {
          e.epoch = epoch;
          touched.push(e);
          e.chunkLatestTs = ts;
          e.chunkLatestValue = v;
          e.m.reset(mBucket, ts, v, numeric);
          e.h.reset(hBucket, ts, v, numeric);
          e.mCur = e.m;
          e.hCur = e.h;
        } else {
          if (ts > e.chunkLatestTs) {
            e.chunkLatestTs = ts;
            e.chunkLatestValue = v;
          }
          e.mCur = addToBuckets(e.m, e.mCur, mBucket, ts, v, numeric);
          e.hCur = addToBuckets(e.h, e.hCur, hBucket, ts, v, numeric);
        }
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
      lBuf[o + 1] = e.chunkLatestTs;
      lBuf[o + 2] = e.chunkLatestValue;
    }
    ups1m.flush();
    ups1h.flush();
    upsLatest.flush();
    touched.length = 0;
  }

  /**
   * Writes a numeric series' compacted values as raw chunks: pieces inside one hour (at most
   * CHUNK_MAX_VALUES each), a piece appended to the series' open chunk when that is small, in
   * the same hour and older than the whole piece.
   */
  private storeChunks(e: SeriesEntry, ts: readonly number[], values: readonly number[]): void {
    const order = ascendingOrder(ts);
    const at = (p: number) => ts[order === null ? p : (order[p] as number)] as number;
    for (let p = 0; p < ts.length; ) {
      const q = pieceEnd(ts, order, p, ts.length);
      const first = at(p);
      const last = at(q - 1);
      const open = e.openChunk;
      e.openChunk = null;
      if (open !== null && open.n + (q - p) <= CHUNK_MAX_VALUES && first > open.endTs && chunkHour(first) === chunkHour(open.startTs)) {
        // Still the row it remembers? (A rolled-back compaction or retention may have changed it.)
        const data = this.openChunkData.get(open.id, e.id, open.startTs, open.endTs, open.n) as Uint8Array | undefined;
        if (data !== undefined) {
          const n = open.n + (q - p);
          this.extendChunk.run(last, n, encodeChunk(open.startTs, ts, values, order, p, q, { n: open.n, data }), open.id);
          if (n < CHUNK_GROW_BELOW) e.openChunk = { id: open.id, startTs: open.startTs, endTs: last, n };
          p = q;
          continue;
        }
      }
      const id = Number(this.insChunk.run(e.id, first, last, q - p, encodeChunk(first, ts, values, order, p, q)).lastInsertRowid);
      if (q - p < CHUNK_GROW_BELOW) e.openChunk = { id, startTs: first, endTs: last, n: q - p };
      p = q;
    }
  }

  // ------------------------------------------------------------------------------- read

  async latest(factoryId: number, deviceId: number, parameters?: readonly string[]): Promise<LatestValue[]> {
    this.assertOpen();
    const byParam = this.cache.get(factoryId)?.get(deviceId);
    if (byParam === undefined) return [];
    const entries: SeriesEntry[] = [];
    if (parameters === undefined) {
      for (const e of byParam.values()) entries.push(e);
    } else {
      for (const p of new Set(parameters)) {
        const e = byParam.get(p);
        if (e !== undefined) entries.push(e);
      }
    }
    const out: LatestValue[] = [];
    for (const e of entries) {
      if (e.latestTs >= 0) out.push({ parameter: e.parameter, ts: e.latestTs, value: decode(e.kind, e.latestValue) });
    }
    // Byte order of the UTF-16 code units, as SQLite's BINARY collation did for ASCII keys.
    return out.sort((a, b) => (a.parameter < b.parameter ? -1 : a.parameter > b.parameter ? 1 : 0));
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
      const [lastValue, lastTs] = last.get(seriesId, start, end) as [DbValue, number];
      rows.push([b, min, max, sum, count, lastValue, lastTs]);
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
    const e = this.lookup(factoryId, deviceId, parameter);
    if (e === undefined) return { resolution: r.name, bucketMs, buckets: [] };
    const numeric = e.kind === KIND_NUM;
    const lo = from - (from % r.width);
    // Values not compacted yet count over the same window the tables answer for (whole rollup
    // buckets at a rollup resolution).
    const hi = r.width === RAW_MS ? to : ceilTo(to, r.width);
    let acc: RangeAcc;
    if (r.name === 'raw' && numeric) {
      acc = new RangeAcc([], lo, hi, bucketMs, true);
      for (const [, startTs, n, data] of this.chunksOverlapping(e, lo, hi)) {
        const chunk = decodeChunk(startTs, n, data);
        acc.addAll(chunk.ts, chunk.values);
      }
    } else {
      const rows =
        r.name !== 'raw' && bucketMs / r.width >= BUCKET_QUERY_MIN_ROWS
          ? this.rollupRangeByBucket(r.name, e.id, lo, to, bucketMs)
          : (this.rangeStmts[r.name].all({ bucket: bucketMs, id: e.id, lo, hi: to }) as RangeRow[]);
      acc = new RangeAcc(rows, lo, hi, bucketMs, numeric);
    }
    if (e.pendTs.length > 0) acc.addAll(e.pendTs, e.pendVal);
    if (e.compTs !== null && e.compVal !== null) acc.addAll(e.compTs, e.compVal, e.compFrom);
    const rows = acc.finish();
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

    // Compact first, so values written just before are aged out with the rest.
    await this.compact();
    const series = [...this.byId.values()].sort((a, b) => a.id - b.id);
    const report: RetentionReport = { rawDeleted: 0, oneMinuteDeleted: 0, oneHourDeleted: 0 };
    const chunk = this.db.transaction((start: number) => {
      const end = Math.min(series.length, start + RETENTION_CHUNK);
      for (let i = start; i < end; i++) {
        const e = series[i] as SeriesEntry;
        report.rawDeleted += e.kind === KIND_NUM ? this.deleteRawChunks(e, cutRaw) : this.delText.run(e.id, cutRaw).changes;
        report.oneMinuteDeleted += this.del1m.run(e.id, cut1m - MINUTE_MS).changes;
        report.oneHourDeleted += this.del1h.run(e.id, cut1h - HOUR_MS).changes;
      }
    });
    for (let start = 0; start < series.length; start += RETENTION_CHUNK) {
      if (start > 0) {
        // Let the hot path in between chunks.
        await nextTick();
        this.assertOpen();
      }
      chunk.immediate(start);
    }
    return report;
  }

  /** Deletes a numeric series' raw values before `cut`; returns how many. */
  private deleteRawChunks(e: SeriesEntry, cut: number): number {
    let deleted = 0;
    for (const n of this.delChunks.all(e.id, cut, cut) as number[]) deleted += n;
    // The chunks still starting before the cutoff hold values on both sides of it (those
    // ending before it are gone): they lose the older ones.
    for (const [id, startTs, n, data] of this.chunksOverlapping(e, cut - 1, cut)) {
      const kept = dropBefore(startTs, n, data, cut);
      if (kept === null) continue; // cannot happen: end_ts >= cut
      this.rewriteChunk.run(kept.startTs, kept.n, kept.data, id);
      deleted += n - kept.n;
    }
    return deleted;
  }

  // ------------------------------------------------------------------------------- misc

  async ping(): Promise<void> {
    this.assertOpen();
    this.pingStmt.get();
  }

  stats(): SqliteSeriesStats {
    return { series: this.byId.size, ...this.counters, uncompacted: this.uncompacted };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.compactTimer);
    // Finish the running compaction, then compact the rest: the file alone holds everything
    // (were this to fail, the log still holds it and the next open replays it).
    try {
      if (this.compaction !== null) await this.compaction;
    } catch {
      // abandonCompaction put its values back: compactSync below retries them.
    }
    try {
      this.compactSync(false);
    } catch (error) {
      this.onCompactionError(error);
    }
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

/** Opens (creating if needed) a SQLite series store; replays and compacts a leftover ingest log. */
export function openSqliteSeriesStore(options: SqliteSeriesStoreOptions): SqliteSeriesStore {
  return new SqliteSeriesStoreImpl(options);
}
