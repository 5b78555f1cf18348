/**
 * The on-disk layout of the SQLite SeriesStore. Private to this adapter (DESIGN.md §3): nothing
 * outside server/store/series/sqlite may read these tables, so the layout can change (as it did
 * in version 3, to chunks of raw values) without callers changing.
 *
 * Column types: `value` and `last` columns are declared WITHOUT a type on purpose. A column with
 * no declared type has no affinity, so SQLite stores what it is given: REAL for numbers, TEXT for
 * strings, INTEGER 0/1 for booleans. (Declaring them `ANY` would give NUMERIC affinity and turn
 * the string '42' into the integer 42.) How to decode a value is decided by `series.kind`.
 */

/** Width of each stored resolution in ms. */
export const RAW_MS = 1;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/**
 * 2 added ingest_log; 3 replaced the per-value raw_num table with raw_chunk. Older files are
 * upgraded in place when opened (see the store's migrate()).
 */
export const SCHEMA_VERSION = 3;

/** Version 2's numeric raw table: read once by the upgrade to version 3, then dropped. */
export const V2_RAW_NUM_TABLE = 'raw_num';

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS series (
  id          INTEGER PRIMARY KEY,
  factory_id  INTEGER NOT NULL,
  device_id   INTEGER NOT NULL,
  parameter   TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('num', 'str', 'bool')),
  UNIQUE (factory_id, device_id, parameter)
);

-- Numeric samples as chunks (raw-chunk.ts): a run of one series' values inside one aligned
-- hour, sorted by ts; n float64 values then n uint32 offsets from start_ts. A rowid table: rows
-- are appended in rowid order and large ones overflow into their own pages.
CREATE TABLE IF NOT EXISTS raw_chunk (
  id        INTEGER PRIMARY KEY,
  series_id INTEGER NOT NULL,
  start_ts  INTEGER NOT NULL,
  end_ts    INTEGER NOT NULL,
  n         INTEGER NOT NULL,
  data      BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS raw_chunk_series ON raw_chunk (series_id, start_ts, end_ts);

-- String and boolean samples (last-value series): TEXT for 'str', INTEGER 0/1 for 'bool'.
CREATE TABLE IF NOT EXISTS raw_text (
  series_id INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  value             NOT NULL,
  PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;

-- Rollups: one row per series per aligned bucket. min/max/sum are NULL for 'str'/'bool' series.
CREATE TABLE IF NOT EXISTS rollup_1m (
  series_id INTEGER NOT NULL,
  bucket_ts INTEGER NOT NULL,
  min       REAL,
  max       REAL,
  sum       REAL,
  count     INTEGER NOT NULL,
  last              NOT NULL,
  last_ts   INTEGER NOT NULL,
  PRIMARY KEY (series_id, bucket_ts)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS rollup_1h (
  series_id INTEGER NOT NULL,
  bucket_ts INTEGER NOT NULL,
  min       REAL,
  max       REAL,
  sum       REAL,
  count     INTEGER NOT NULL,
  last              NOT NULL,
  last_ts   INTEGER NOT NULL,
  PRIMARY KEY (series_id, bucket_ts)
) WITHOUT ROWID;

-- Newest value per series.
CREATE TABLE IF NOT EXISTS latest (
  series_id INTEGER PRIMARY KEY,
  ts        INTEGER NOT NULL,
  value             NOT NULL
);

-- The durable append log (see ingest-log.ts): one row per write() batch, deleted once
-- compaction has moved its values into the tables above.
CREATE TABLE IF NOT EXISTS ingest_log (
  seq   INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: compaction deletes "seq <= last taken"
  nums  BLOB,
  texts TEXT
);

-- Small key/value table: schema version and the retention horizons (the newest cutoff that
-- applyRetention has applied to each resolution; range() uses them to pick a resolution).
CREATE TABLE IF NOT EXISTS series_meta (
  key   TEXT PRIMARY KEY,
  value NOT NULL
) WITHOUT ROWID;
`;
