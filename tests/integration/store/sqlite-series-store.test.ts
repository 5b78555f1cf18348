/**
 * SQLite SeriesStore: the shared contract against a real file in a temp directory (with the
 * background checkpointer, and with inline checkpoints + synchronous=FULL), plus behaviour
 * specific to this adapter: rollups agree with raw data, SQL failures midway roll back,
 * skipped values are counted, retention horizons survive a reopen, several connections.
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
import { describeSeriesStoreContract, expectMatchesReference, expectWellFormed, rng } from './series-store.contract.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 6);

function harness(extra: Omit<SqliteSeriesStoreOptions, 'file'> = {}) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'factoryops-series-'));
    const file = join(dir, 'series.db');
    const opened: SqliteSeriesStore[] = [];
    const open = () => {
      const s = openSqliteSeriesStore({ file, retention: DEFAULT_RETENTION, ...extra });
      opened.push(s);
      return s;
    };
    return {
      store: open(),
      reopen: async () => open(),
      cleanup: async () => {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

describeSeriesStoreContract('sqlite (background checkpoints)', harness(), { retention: DEFAULT_RETENTION });
describeSeriesStoreContract('sqlite (inline checkpoints, synchronous=FULL)', harness({ backgroundCheckpoint: false, synchronous: 'FULL' }), {
  retention: DEFAULT_RETENTION,
});

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
    for (let i = 0; i < shuffled.length; i += 300) await store.write(shuffled.slice(i, i + 300).map((s) => p('x', s.ts, s.value)));

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
  });

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

  it('rolls back a batch when SQLite fails midway, and forgets the series it created', async () => {
    const store = open();
    await store.write([p('a', T0 - 10_000, 1), p('s', T0 - 10_000, 'x')]);
    const stats = store.stats();

    const spy = new Database(file);
    const counts = () =>
      ['series', 'raw_num', 'raw_text', 'rollup_1m', 'rollup_1h', 'latest'].map(
        (t) => spy.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number,
      );
    const before = counts();
    try {
      for (const [name, sql] of [
        // Fails on a raw insert, half way through the batch.
        ['raw', 'CREATE TRIGGER boom BEFORE INSERT ON raw_num WHEN NEW.value = 666 BEGIN SELECT RAISE(ABORT, \'injected failure\'); END'],
        // Fails after all raw inserts, while rollups are being written.
        ['rollup', 'CREATE TRIGGER boom BEFORE INSERT ON rollup_1h WHEN NEW.series_id > 2 BEGIN SELECT RAISE(ABORT, \'injected failure\'); END'],
      ] as const) {
        spy.exec(sql);
        const batch: SeriesPoint[] = [];
        for (let i = 0; i < 1_000; i++) batch.push(p(`new${i % 10}`, T0 - 5_000 + i, i === 500 ? 666 : i));
        batch.push(p('a', T0 - 1, 2), p('s', T0 - 1, 'y'));
        await expect(store.write(batch), name).rejects.toThrow(/injected failure/);
        expect(counts(), name).toEqual(before);
        expect(store.stats(), name).toEqual(stats);
        spy.exec('DROP TRIGGER boom');
      }
      // The cache forgot new0..new9: they can be created again, with another kind.
      await store.write([p('new0', T0, 'now a string'), p('new1', T0, true)]);
      expect(await store.latest(1, 1, ['new0', 'new1'])).toEqual([
        { parameter: 'new0', ts: T0, value: 'now a string' },
        { parameter: 'new1', ts: T0, value: true },
      ]);
      expect(store.stats().series).toBe(4);
    } finally {
      spy.close();
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

  it('works with several connections on one file (series created by the other one)', async () => {
    const a = open();
    const b = open({ backgroundCheckpoint: false });
    await a.write([p('x', T0 - 2, 1)]);
    await b.write([p('x', T0 - 1, 2), p('y', T0 - 1, 'from b')]);
    await a.write([p('y', T0, 'from a'), p('y', T0 + 1, 3)]);
    expect(await a.latest(1, 1)).toEqual([
      { parameter: 'x', ts: T0 - 1, value: 2 },
      { parameter: 'y', ts: T0, value: 'from a' },
    ]);
    expect((await b.range(1, 1, 'y', T0 - HOUR, T0 + HOUR, 10)).buckets.reduce((n, x) => n + x.count, 0)).toBe(2);
    expect(a.stats().rejectedWrongKind).toBe(1);
  });

  it('uses WAL, WITHOUT ROWID tables, and refuses use after close', async () => {
    const store = open({ synchronous: 'FULL' });
    await store.write([p('x', T0, 1)]);
    const spy = new Database(file, { readonly: true });
    try {
      expect(spy.pragma('journal_mode', { simple: true })).toBe('wal');
      const ddl = spy.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string; sql: string }>;
      for (const t of ['raw_num', 'raw_text', 'rollup_1m', 'rollup_1h']) {
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
