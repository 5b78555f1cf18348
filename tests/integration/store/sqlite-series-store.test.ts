/**
 * SQLite SeriesStore: the shared contract against a real file in a temp directory (with the
 * background checkpointer, and with inline checkpoints + synchronous=FULL), plus behaviour
 * specific to this adapter: rollups agree with raw data before, during and after compaction,
 * SQL failures midway roll back (in memory too), a failed compaction loses nothing and is
 * retried, skipped values are counted, retention horizons survive a reopen, the ingest log is
 * replayed after a crash without counting anything twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SeriesPoint } from '../../../server/store/series/series-store.js';
import {
  chooseBucketMs,
  DEFAULT_RETENTION,
  openSqliteSeriesStore,
  type SqliteSeriesStore,
  type SqliteSeriesStoreOptions,
} from '../../../server/store/series/sqlite/sqlite-series-store.js';
import { openSqliteSeriesStoreInWorker } from '../../../server/store/series/sqlite/worker-series-store.js';
import { describeSeriesStoreContract, expectMatchesReference, expectWellFormed, rng } from './series-store.contract.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 6);

function harness(extra: Omit<SqliteSeriesStoreOptions, 'file'> = {}, inWorker = false) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'factoryops-series-'));
    const file = join(dir, 'series.db');
    const opened: SqliteSeriesStore[] = [];
    const open = async () => {
      const options = { file, retention: DEFAULT_RETENTION, ...extra };
      const s = inWorker ? await openSqliteSeriesStoreInWorker(options) : openSqliteSeriesStore(options);
      opened.push(s);
      return s;
    };
    return {
      store: await open(),
      reopen: async () => open(),
      cleanup: async () => {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

describeSeriesStoreContract('sqlite (background checkpoints)', harness(), { retention: DEFAULT_RETENTION });
// Compaction every millisecond: reads see values half in the tables, half still in memory.
describeSeriesStoreContract('sqlite (compacting constantly)', harness({ compactIntervalMs: 1 }), { retention: DEFAULT_RETENTION });
describeSeriesStoreContract('sqlite (inline checkpoints, synchronous=FULL)', harness({ backgroundCheckpoint: false, synchronous: 'FULL' }), {
  retention: DEFAULT_RETENTION,
});
// As the server runs it: on its own thread, each batch posted in columns.
describeSeriesStoreContract('sqlite (on a worker thread)', harness({}, true), { retention: DEFAULT_RETENTION });

function p(parameter: string, ts: number, value: number | string | boolean, deviceId = 1, factoryId = 1): SeriesPoint {
  return { factoryId, deviceId, parameter, ts, value };
}

describe('chooseBucketMs', () => {
  it('rounds the desired width up to the resolution and never exceeds maxPoints', () => {
    expect(chooseBucketMs(0, 1_000, 10, 1)).toBe(100);
    expect(chooseBucketMs(0, 10 * MINUTE, 3, MINUTE)).toBe(4 * MINUTE);
    // [5, 105) in 10 buckets of 10 would touch 11 aligned buckets: widened.
    expect(chooseBucketMs(5, 105, 10, 1)).toBe(11);
    // One bucket holding an unaligned range.
    const b = chooseBucketMs(T0 - 1, T0 + 1, 1, 1);
    expect(Math.floor((T0 - 1) / b)).toBe(Math.floor(T0 / b));
    const rand = rng(1);
    for (let i = 0; i < 2_000; i++) {
      const from = Math.floor(rand() * T0);
      const to = from + 1 + Math.floor(rand() * 10 * DAY);
      const maxPoints = 1 + Math.floor(rand() * (i % 2 === 0 ? 10 : 100_000));
      for (const w of [1, MINUTE, HOUR]) {
        const bucket = chooseBucketMs(from, to, maxPoints, w);
        expect(bucket % w).toBe(0);
        expect(bucket).toBeGreaterThanOrEqual(Math.ceil((to - from) / maxPoints));
        expect(Math.floor((to - 1) / bucket) - Math.floor(from / bucket) + 1).toBeLessThanOrEqual(maxPoints);
      }
    }
  });
});

describe('sqlite series store specifics', () => {
  let dir: string;
  let file: string;
  const opened: SqliteSeriesStore[] = [];
  const open = (extra: Omit<SqliteSeriesStoreOptions, 'file'> = {}) => {
    const s = openSqliteSeriesStore({ file, ...extra });
    opened.push(s);
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'factoryops-series-'));
    file = join(dir, 'series.db');
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rollups give the same answer as the raw data (out-of-order batches, batches crossing buckets)', async () => {
    const store = open();
    const rand = rng(11);
    const start = T0 - 3 * DAY;
    const samples: Array<{ ts: number; value: number }> = [];
    const seen = new Set<number>();
    while (samples.length < 30_000) {
      const ts = start + Math.floor(rand() * 3 * DAY);
      if (seen.has(ts)) continue;
      seen.add(ts);
      samples.push({ ts, value: Math.round(rand() * 1e6) / 100 - 5_000 });
    }
    // Half in time order in big single-series batches (many buckets per batch), half shuffled
    // in small batches (late data into buckets that already have rollup rows).
    const ordered = samples.slice(0, 15_000).sort((a, b) => a.ts - b.ts);
    const shuffled = samples.slice(15_000);
    for (let i = 0; i < ordered.length; i += 5_000) await store.write(ordered.slice(i, i + 5_000).map((s) => p('x', s.ts, s.value)));
    // The ordered half goes into the tables; the shuffled half stays in memory for the first check.
    await store.compact();
    for (let i = 0; i < shuffled.length; i += 300) await store.write(shuffled.slice(i, i + 300).map((s) => p('x', s.ts, s.value)));
    expect(store.stats().uncompacted).toBe(15_000);
    await checkAgainstReference(store, samples, start);
    await store.compact();
    expect(store.stats().uncompacted).toBe(0);
    await checkAgainstReference(store, samples, start);
  });

  async function checkAgainstReference(store: SqliteSeriesStore, samples: Array<{ ts: number; value: number }>, start: number) {
    for (const [from, to, maxPoints] of [
      [start, start + 3 * DAY, 1],
      [start, start + 3 * DAY, 72],
      [start + 7 * MINUTE, start + 2 * DAY + 13 * MINUTE, 500],
      [start + HOUR, start + 5 * HOUR, 240],
    ] as const) {
      const raw = await store.rangeAt('raw', 1, 1, 'x', from, to, maxPoints);
      const m = await store.rangeAt('1m', 1, 1, 'x', from, to, maxPoints);
      expectWellFormed(m, from, to, maxPoints);
      expectMatchesReference(m, samples, from, to);
      if (raw.bucketMs === m.bucketMs) {
        expect(m.buckets.map((b) => [b.ts, b.min, b.max, b.count, b.last])).toEqual(
          raw.buckets.map((b) => [b.ts, b.min, b.max, b.count, b.last]),
        );
      }
      if (from % HOUR === 0) {
        const hr = await store.rangeAt('1h', 1, 1, 'x', from, to, maxPoints);
        expectMatchesReference(hr, samples, from, to);
      }
    }
  }

  it('picks the coarsest resolution that fits maxPoints', async () => {
    const store = open();
    await store.write([p('x', T0 - 1, 1)]);
    const cases: Array<[number, number, string, number]> = [
      [DAY, 100_000, 'raw', 864],
      [DAY, 1_440, '1m', MINUTE],
      [DAY, 1_000, '1m', 2 * MINUTE],
      [DAY, 24, '1h', HOUR],
      // 58 minutes (the desired width rounded up) would touch 26 aligned buckets: widened to 59.
      [DAY, 25, '1m', 59 * MINUTE],
      [30 * DAY, 2_000, '1m', 22 * MINUTE],
      [365 * DAY, 2_000, '1h', 5 * HOUR],
    ];
    for (const [span, maxPoints, resolution, bucketMs] of cases) {
      const r = await store.range(1, 1, 'x', T0 - span, T0, maxPoints);
      expect([r.resolution, r.bucketMs], `${span} / ${maxPoints}`).toEqual([resolution, bucketMs]);
    }
  });

  it('keeps answering old data from raw until retention has actually deleted it', async () => {
    const store = open({ retention: { rawMs: DAY } });
    const old = T0 - 30 * DAY;
    await store.write([p('x', old, 1), p('x', old + 1_000, 2), p('x', T0 - 1_000, 3)]);
    const before = await store.range(1, 1, 'x', old, old + HOUR, 100_000);
    expect(before.resolution).toBe('raw');
    expect(before.buckets.map((b) => b.count)).toEqual([1, 1]);

    expect(await store.applyRetention(T0)).toEqual({ rawDeleted: 2, oneMinuteDeleted: 0, oneHourDeleted: 0 });
    const after = await store.range(1, 1, 'x', old, old + HOUR, 100_000);
    expect(after.resolution).toBe('1m');
    expect(after.buckets.map((b) => [b.ts, b.count, b.min, b.max, b.last])).toEqual([[old, 2, 1, 2, 2]]);

    // The horizon survives a reopen.
    await store.close();
    const again = open({ retention: { rawMs: DAY } });
    expect((await again.range(1, 1, 'x', old, old + HOUR, 100_000)).resolution).toBe('1m');
    expect((await again.range(1, 1, 'x', T0 - HOUR, T0, 100_000)).resolution).toBe('raw');
    // Retention with an earlier `now` never moves the horizon back.
    await again.applyRetention(T0 - 10 * DAY);
    expect((await again.range(1, 1, 'x', old, old + HOUR, 100_000)).resolution).toBe('1m');
  });

  it('rolls back a batch when SQLite fails midway, in memory too, and forgets the series it created', async () => {
    const store = open();
    await store.write([p('a', T0 - 10_000, 1), p('s', T0 - 10_000, 'x')]);
    const stats = store.stats();
    const latest = await store.latest(1, 1);
    const range = await store.range(1, 1, 'a', T0 - HOUR, T0 + HOUR, 10);

    const spy = new Database(file);
    const counts = () =>
      ['series', 'ingest_log', 'raw_chunk', 'raw_text', 'rollup_1m', 'rollup_1h', 'latest'].map(
        (t) => spy.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number,
      );
    const before = counts();
    try {
      for (const [name, sql] of [
        // Fails creating the sixth new series, half way through the batch.
        ['series', "CREATE TRIGGER boom BEFORE INSERT ON series WHEN NEW.parameter = 'new5' BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
        // Fails after every value was taken, on the log row.
        ['log', "CREATE TRIGGER boom BEFORE INSERT ON ingest_log BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
      ] as const) {
        spy.exec(sql);
        const batch: SeriesPoint[] = [];
        for (let i = 0; i < 1_000; i++) batch.push(p(`new${i % 10}`, T0 - 5_000 + i, i));
        batch.push(p('a', T0 - 1, 2), p('s', T0 - 1, 'y'), p('a', T0 - 20_000, 7));
        await expect(store.write(batch), name).rejects.toThrow(/injected failure/);
        expect(counts(), name).toEqual(before);
        expect(store.stats(), name).toEqual(stats);
        expect(await store.latest(1, 1), name).toEqual(latest);
        expect(await store.range(1, 1, 'a', T0 - HOUR, T0 + HOUR, 10), name).toEqual(range);
        spy.exec('DROP TRIGGER boom');
      }
      // The cache forgot new0..new9: they can be created again, with another kind.
      await store.write([p('new0', T0, 'now a string'), p('new1', T0, true)]);
      expect(await store.latest(1, 1, ['new0', 'new1'])).toEqual([
        { parameter: 'new0', ts: T0, value: 'now a string' },
        { parameter: 'new1', ts: T0, value: true },
      ]);
      expect(store.stats().series).toBe(4);
      await store.compact();
      expect(counts()).toEqual([4, 0, 1, 3, 4, 4, 4]);
    } finally {
      spy.close();
    }
  });

  it('keeps the values of a failed compaction visible and uncompacted, and compacts them on retry', async () => {
    const failures: unknown[] = [];
    const store = open({ onCompactionError: (e) => failures.push(e) });
    const batch: SeriesPoint[] = [];
    // 1,000 series: a compaction commits them in two transactions of 500.
    for (let i = 0; i < 10_000; i++) batch.push(p(`m${i % 50}`, T0 - 10_000 + i, i, 1 + (Math.floor(i / 50) % 20)));
    await store.write(batch);
    const spy = new Database(file);
    try {
      // Fails in the middle: some chunks commit, the rest must stay uncompacted.
      spy.exec("CREATE TRIGGER boom BEFORE INSERT ON rollup_1h WHEN NEW.series_id = 700 BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
      const expected = await store.range(1, 4, 'm10', T0 - HOUR, T0, 3);
      const expectedFailed = await store.range(1, 14, 'm49', T0 - HOUR, T0, 3); // series 700
      await expect(store.compact()).rejects.toThrow(/injected failure/);
      const stats = store.stats();
      expect(stats.compactionFailures).toBe(1);
      expect(stats.uncompacted).toBe(5_000);
      // Still answered exactly, partly from the tables, partly from memory.
      expect(await store.range(1, 4, 'm10', T0 - HOUR, T0, 3)).toEqual(expected);
      expect(await store.range(1, 14, 'm49', T0 - HOUR, T0, 3)).toEqual(expectedFailed);
      let total = 0;
      for (let d = 1; d <= 20; d++) {
        for (let m = 0; m < 50; m++) total += (await store.range(1, d, `m${m}`, T0 - HOUR, T0, 1)).buckets.reduce((n, b) => n + b.count, 0);
      }
      expect(total).toBe(10_000);
      // The log still holds the batch until a compaction has finished.
      expect(spy.prepare('SELECT count(*) FROM ingest_log').pluck().get()).toBe(1);

      spy.exec('DROP TRIGGER boom');
      await store.compact();
      expect(store.stats()).toMatchObject({ uncompacted: 0, compactionFailures: 1, inserted: 10_000 });
      expect(spy.prepare('SELECT sum(n) FROM raw_chunk').pluck().get()).toBe(10_000);
      expect(spy.prepare('SELECT sum(count) FROM rollup_1m').pluck().get()).toBe(10_000);
      expect(spy.prepare('SELECT sum(count) FROM rollup_1h').pluck().get()).toBe(10_000);
      expect(spy.prepare('SELECT count(*) FROM ingest_log').pluck().get()).toBe(0);
      expect(await store.range(1, 4, 'm10', T0 - HOUR, T0, 3)).toEqual(expected);
      expect(await store.range(1, 14, 'm49', T0 - HOUR, T0, 3)).toEqual(expectedFailed);
    } finally {
      spy.close();
    }
    expect(failures).toEqual([]); // compact() reports to its caller, not to the background hook
  });

  it('replays the ingest log after a crash, counting nothing twice', async () => {
    // `crashed` stands for a process killed before it compacted: never closed, timer never due.
    const crashed = openSqliteSeriesStore({ file, compactIntervalMs: 3_600_000 });
    const samples: SeriesPoint[] = [];
    for (let i = 0; i < 3_000; i++) samples.push(p(i % 3 === 0 ? 'state' : 'x', T0 - 3_000 + i, i % 3 === 0 ? `s${i}` : i));
    await crashed.write(samples.slice(0, 1_000));
    await crashed.compact();
    await crashed.write(samples.slice(1_000, 2_000));
    // The next compaction commits its values but dies before deleting the log rows.
    const spy = new Database(file);
    try {
      spy.exec("CREATE TRIGGER boom BEFORE DELETE ON ingest_log BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
      await expect(crashed.compact()).rejects.toThrow(/injected failure/);
      spy.exec('DROP TRIGGER boom');
      await crashed.write(samples.slice(2_000));
      expect(spy.prepare('SELECT count(*) FROM ingest_log').pluck().get()).toBe(2);

      const store = open();
      expect(store.stats()).toMatchObject({ series: 2, uncompacted: 0 });
      expect(spy.prepare('SELECT count(*) FROM ingest_log').pluck().get()).toBe(0);
      expect(spy.prepare('SELECT sum(n) FROM raw_chunk').pluck().get()).toBe(2_000);
      expect(spy.prepare('SELECT count(*) FROM raw_text').pluck().get()).toBe(1_000);
      for (const table of ['rollup_1m', 'rollup_1h']) {
        expect(spy.prepare(`SELECT sum(count) FROM ${table}`).pluck().get(), table).toBe(3_000);
      }
      const x = await store.range(1, 1, 'x', T0 - HOUR, T0, 1);
      expect(x.buckets.map((b) => [b.count, b.min, b.max, b.last])).toEqual([[2_000, 1, 2_999, 2_999]]);
      expect(await store.latest(1, 1)).toEqual([
        { parameter: 'state', ts: T0 - 3, value: 's2997' },
        { parameter: 'x', ts: T0 - 1, value: 2_999 },
      ]);
      // A redelivered value is still recognised as stored.
      await store.write([samples[1_500] as SeriesPoint]);
      expect(store.stats()).toMatchObject({ inserted: 0, duplicates: 1 });
    } finally {
      spy.close();
      // Its memory is gone with the "crash"; only release the file.
      await crashed.close().catch(() => {});
    }
  });

  it('skips and counts values of the wrong kind and invalid points', async () => {
    const store = open();
    await store.write([p('n', T0 - 5, 1), p('s', T0 - 5, 'a'), p('b', T0 - 5, false)]);
    await store.write([
      p('n', T0 - 4, 'one'),
      p('n', T0 - 3, true),
      p('s', T0 - 4, 2),
      p('b', T0 - 4, 'false'),
      p('n', T0 - 2, Number.NaN),
      p('n', T0 - 2, Number.POSITIVE_INFINITY),
      p('n', -1, 1),
      p('n', 1.5, 1),
      p('n', Number.NaN, 1),
      p('', T0, 1),
      { ...p('n', T0, 1), value: null as unknown as number },
      { ...p('n', T0, 1), value: { a: 1 } as unknown as number },
      { ...p('n', T0, 1), deviceId: 1.5 },
      p('n', T0 - 1, 2),
    ]);
    expect(store.stats()).toMatchObject({ series: 3, inserted: 4, rejectedWrongKind: 4, rejectedInvalid: 9, duplicates: 0 });
    const latest = await store.latest(1, 1);
    expect(latest).toEqual([
      { parameter: 'b', ts: T0 - 5, value: false },
      { parameter: 'n', ts: T0 - 1, value: 2 },
      { parameter: 's', ts: T0 - 5, value: 'a' },
    ]);
    // The kind is stored with the series: still enforced after a reopen.
    await store.close();
    const again = open();
    await again.write([p('n', T0, 'x'), p('s', T0, 'ok')]);
    expect(again.stats()).toMatchObject({ inserted: 1, rejectedWrongKind: 1 });
  });

  it('keeps the first value when a (series, ts) arrives again with another value', async () => {
    const store = open();
    await store.write([p('x', T0 - 2_000, 10), p('x', T0 - 1_000, 20)]);
    await store.write([p('x', T0 - 1_000, 99), p('x', T0 - 2_000, -99), p('x', T0 - 1_000, 98)]);
    expect(store.stats()).toMatchObject({ inserted: 2, duplicates: 3 });
    expect(await store.latest(1, 1)).toEqual([{ parameter: 'x', ts: T0 - 1_000, value: 20 }]);
    for (const resolution of ['raw', '1m', '1h'] as const) {
      const r = await store.rangeAt(resolution, 1, 1, 'x', T0 - HOUR, T0, 1);
      expect(r.buckets.map((b) => [b.min, b.max, b.avg, b.count, b.last])).toEqual([[10, 20, 15, 2, 20]]);
    }
  });

  it('stores a slow series in chunks that grow to 256 values, splits chunks at hours, keeps late values exact', async () => {
    const store = open({ compactIntervalMs: 3_600_000 });
    const start = T0 - 2 * HOUR - 100_000; // 100 s before an hour boundary
    const samples: Array<{ ts: number; value: number }> = [];
    // 1 Hz, one value per compaction (a slow series on a busy server): 600 s across the boundary.
    for (let i = 0; i < 600; i++) {
      const s = { ts: start + i * 1000, value: Math.sin(i / 10) * 100 };
      samples.push(s);
      await store.write([p('slow', s.ts, s.value)]);
      await store.compact();
    }
    // Late values: older than everything, in the first hour, arriving after the rest.
    for (let i = 0; i < 30; i++) {
      const s = { ts: start - 5_000 - i * 1000, value: -i };
      samples.push(s);
      await store.write([p('slow', s.ts, s.value)]);
    }
    await store.compact();
    const spy = new Database(file, { readonly: true });
    try {
      const chunks = spy.prepare('SELECT start_ts, end_ts, n FROM raw_chunk ORDER BY start_ts').raw().all() as Array<[number, number, number]>;
      expect(chunks.reduce((sum, c) => sum + c[2], 0)).toBe(630);
      for (const [s0, s1] of chunks) expect(Math.floor(s0 / HOUR), 'a chunk stays in its hour').toBe(Math.floor(s1 / HOUR));
      // 100 values before the boundary (one chunk), 500 after (256 + 244), and the late 30.
      expect(chunks.map((c) => c[2])).toEqual([30, 100, 256, 244]);
    } finally {
      spy.close();
    }
    const from = start - HOUR;
    const to = start + HOUR;
    for (const maxPoints of [100_000, 977, 7]) {
      expectMatchesReference(await store.rangeAt('raw', 1, 1, 'slow', from, to, maxPoints), samples, from, to);
      expectMatchesReference(await store.rangeAt('1m', 1, 1, 'slow', from, to, maxPoints), samples, from, to);
    }
    // Every stored value is recognised as stored when it arrives again, old or new.
    await store.write(samples.map((s) => p('slow', s.ts, 0)));
    expect(store.stats()).toMatchObject({ inserted: 630, duplicates: 630 });
  });

  it('compacts a backlog of one series in slices, each its own transaction, exactly even when one fails', async () => {
    const failures: unknown[] = [];
    const store = open({ compactIntervalMs: 3_600_000, onCompactionError: (e) => failures.push(e) });
    const start = T0 - 2 * DAY;
    const samples: Array<{ ts: number; value: number }> = [];
    const batch: SeriesPoint[] = [];
    for (let i = 0; i < 35_000; i++) {
      const s = { ts: start + i * 1_000, value: (i * 7919) % 1000 };
      samples.push(s);
      batch.push(p('backlog', s.ts, s.value));
    }
    batch.push(p('other', T0 - 1, 1), p('other', T0, 2));
    await store.write(batch);
    const spy = new Database(file);
    try {
      // The third slice (values 20,000..29,999) fails.
      const third = start + 20_000 * 1_000;
      spy.exec(`CREATE TRIGGER boom BEFORE INSERT ON raw_chunk WHEN NEW.start_ts >= ${third} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
      await expect(store.compact()).rejects.toThrow(/injected failure/);
      expect(spy.prepare('SELECT sum(n) FROM raw_chunk').pluck().get()).toBe(20_000);
      expect(store.stats().uncompacted).toBe(15_002);
      const from = start - HOUR;
      const to = start + 35_000 * 1_000;
      for (const maxPoints of [100_000, 500]) {
        expectMatchesReference(await store.range(1, 1, 'backlog', from, to, maxPoints), samples, from, to);
      }
      spy.exec('DROP TRIGGER boom');
      await store.compact();
      expect(store.stats()).toMatchObject({ uncompacted: 0, inserted: 35_002, compactionFailures: 1 });
      expect(spy.prepare('SELECT sum(n) FROM raw_chunk').pluck().get()).toBe(35_002);
      expect(spy.prepare('SELECT sum(count) FROM rollup_1m').pluck().get()).toBe(35_002);
      for (const resolution of ['raw', '1m', '1h'] as const) {
        expectMatchesReference(await store.rangeAt(resolution, 1, 1, 'backlog', from, to, 700), samples, from, to);
      }
    } finally {
      spy.close();
    }
    expect(failures).toEqual([]);
  });

  it('retention cuts through a chunk exactly', async () => {
    const store = open({ retention: { rawMs: DAY } });
    const now = T0;
    const cut = now - DAY;
    const values: SeriesPoint[] = [];
    for (let i = -50; i < 50; i++) values.push(p('x', cut + i * 1000, i));
    await store.write(values);
    await store.compact();
    const report = await store.applyRetention(now);
    expect(report.rawDeleted).toBe(50);
    const r = await store.rangeAt('raw', 1, 1, 'x', cut - HOUR, cut + HOUR, 1);
    expect(r.buckets.map((b) => [b.count, b.min, b.max])).toEqual([[50, 0, 49]]);
    // The cut chunk still grows and is still found by duplicate checks.
    await store.write([p('x', cut + 10_000, 99), p('x', cut + 60_000, 60)]);
    expect(store.stats()).toMatchObject({ inserted: 101, duplicates: 1 });
  });

  it('upgrades a version 2 file: per-value raw rows become chunks, nothing lost or counted twice', async () => {
    const v2 = new Database(file);
    v2.exec(`
      CREATE TABLE series (id INTEGER PRIMARY KEY, factory_id INTEGER NOT NULL, device_id INTEGER NOT NULL,
        parameter TEXT NOT NULL, kind TEXT NOT NULL, UNIQUE (factory_id, device_id, parameter));
      CREATE TABLE raw_num (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
        PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
      CREATE TABLE series_meta (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
      INSERT INTO series_meta VALUES ('schema_version', 2);
      CREATE TABLE latest (series_id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, value NOT NULL);
      INSERT INTO series VALUES (1, 1, 1, 'x', 'num'), (2, 1, 1, 'y', 'num');
      INSERT INTO latest VALUES (1, ${T0 - 1000}, ${(3 * 3600 - 1) % 97}), (2, ${T0}, 0);`);
    const insert = v2.prepare('INSERT INTO raw_num VALUES (?, ?, ?)');
    const samples: Array<{ ts: number; value: number }> = [];
    v2.transaction(() => {
      // 3 hours at 1 Hz of x (more than one page of the upgrade), 3 values of y.
      for (let i = 0; i < 3 * 3600; i++) {
        const s = { ts: T0 - 3 * HOUR + i * 1000, value: i % 97 };
        samples.push(s);
        insert.run(1, s.ts, s.value);
      }
      for (let i = 0; i < 3; i++) insert.run(2, T0 - i, i);
    })();
    v2.close();

    const store = open();
    const from = T0 - 4 * HOUR;
    expectMatchesReference(await store.rangeAt('raw', 1, 1, 'x', from, T0, 500), samples, from, T0);
    expect((await store.rangeAt('raw', 1, 1, 'y', from, T0 + 1, 1)).buckets.map((b) => b.count)).toEqual([3]);
    await store.write([p('x', T0 - HOUR, 5), p('y', T0 - 1, 5), p('y', T0 + 1, 7)]);
    expect(store.stats()).toMatchObject({ inserted: 1, duplicates: 2 });
    const spy = new Database(file, { readonly: true });
    try {
      expect(spy.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'raw_num'").pluck().get()).toBe(0);
      expect(spy.prepare("SELECT value FROM series_meta WHERE key = 'schema_version'").pluck().get()).toBe(3);
      expect(spy.prepare('SELECT sum(n) FROM raw_chunk').pluck().get()).toBe(3 * 3600 + 3);
    } finally {
      spy.close();
    }
  });

  it('uses WAL, WITHOUT ROWID rollup tables, and refuses use after close', async () => {
    const store = open({ synchronous: 'FULL' });
    await store.write([p('x', T0, 1)]);
    const spy = new Database(file, { readonly: true });
    try {
      expect(spy.pragma('journal_mode', { simple: true })).toBe('wal');
      const ddl = spy.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string; sql: string }>;
      for (const t of ['raw_text', 'rollup_1m', 'rollup_1h']) {
        expect(ddl.find((d) => d.name === t)?.sql).toMatch(/WITHOUT ROWID/);
      }
    } finally {
      spy.close();
    }
    await store.ping();
    await store.close();
    await store.close();
    await expect(store.write([p('x', T0 + 1, 1)])).rejects.toThrow(/closed/);
    await expect(store.ping()).rejects.toThrow(/closed/);
    expect(() => openSqliteSeriesStore({ file, retention: { rawMs: -1 } })).toThrow(RangeError);
  });
});
