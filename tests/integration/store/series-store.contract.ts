/**
 * The contract every SeriesStore adapter must pass (DESIGN.md §3). Adapter test files call
 * `describeSeriesStoreContract(name, open, options)`; `open` gives a fresh, empty store per test.
 *
 * Semantics pinned down here (beyond the comments on the port):
 *
 * - range() reports the resolution it answered from. At raw resolution a bucket aggregates the
 *   values with ts in [from, to). At a rollup resolution of width w it aggregates whole rollup
 *   buckets: values with ts in [floor(from / w) * w, ceil(to / w) * w). Bucket starts are
 *   multiples of bucketMs since the epoch; bucketMs is a multiple of w and at least
 *   ceil((to - from) / maxPoints); at most maxPoints buckets, ascending, none empty.
 * - With rollups (the default option), the resolution is the coarsest whose width
 *   (raw 1 ms, 1m 60 000, 1h 3 600 000) is <= ceil((to - from) / maxPoints), unless retention
 *   has deleted that resolution's data for `from`, in which case the next coarser one.
 * - applyRetention(now) deletes raw values with ts < now - rawMs and rollup buckets that end at
 *   or before now - retention (bucket_ts + w <= cutoff), and reports how many it deleted.
 * - Redelivering the same points (QoS 1) changes nothing: no double counts or sums.
 * - A value whose kind differs from its series' kind does not fail the batch, is not counted as
 *   a sample of the series, and the rest of the batch is stored.
 * - A batch that throws midway (here: a point whose `value` getter throws) stores nothing.
 * - Two factories never see each other's series, even with the same deviceId and parameter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  LatestValue,
  RetentionPolicy,
  SeriesPoint,
  SeriesRange,
  SeriesResolution,
  SeriesStore,
  SeriesValue,
} from '../../../server/store/series/series-store.js';

export interface SeriesStoreHarness {
  store: SeriesStore;
  /** Opens the same underlying data again; called after the test has closed `store`. */
  reopen?: () => Promise<SeriesStore>;
  /** Closes whatever is still open (close() must be idempotent) and deletes the data. */
  cleanup: () => Promise<void>;
}

export interface SeriesStoreContractOptions {
  /** The retention policy the opened store uses. Default: raw 90 d, 1m 400 d, 1h 1826 d. */
  retention?: RetentionPolicy;
  /**
   * Whether the adapter keeps 1m/1h rollups and picks the coarsest fitting resolution (default
   * true). An adapter answering everything from raw data passes false.
   */
  rollups?: boolean;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
export const CONTRACT_DEFAULT_RETENTION: RetentionPolicy = { rawMs: 90 * DAY, oneMinuteMs: 400 * DAY, oneHourMs: 1826 * DAY };
const WIDTH: Record<SeriesResolution, number> = { raw: 1, '1m': MINUTE, '1h': HOUR };

/** Deterministic PRNG (mulberry32) so a failure can be reproduced. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Sample = { ts: number; value: SeriesValue };

interface RefBucket {
  ts: number;
  min: number | null;
  max: number | null;
  sum: number | null;
  count: number;
  last: SeriesValue;
  lastTs: number;
}

/** Brute-force reduction of `samples`, using the resolution and bucketMs the store reported. */
export function reference(samples: readonly Sample[], range: SeriesRange, from: number, to: number): RefBucket[] {
  const w = WIDTH[range.resolution];
  const lo = Math.floor(from / w) * w;
  const hi = Math.ceil(to / w) * w;
  const byBucket = new Map<number, RefBucket>();
  for (const s of samples) {
    if (s.ts < lo || s.ts >= hi) continue;
    const b = Math.floor(s.ts / range.bucketMs) * range.bucketMs;
    const numeric = typeof s.value === 'number';
    let r = byBucket.get(b);
    if (r === undefined) {
      r = { ts: b, min: null, max: null, sum: null, count: 0, last: s.value, lastTs: -Infinity };
      byBucket.set(b, r);
    }
    if (numeric) {
      const v = s.value as number;
      r.min = r.min === null ? v : Math.min(r.min, v);
      r.max = r.max === null ? v : Math.max(r.max, v);
      r.sum = (r.sum ?? 0) + v;
    }
    r.count++;
    if (s.ts > r.lastTs) {
      r.lastTs = s.ts;
      r.last = s.value;
    }
  }
  return [...byBucket.values()].sort((a, b) => a.ts - b.ts);
}

function close(actual: number | null, expected: number | null, what: string): void {
  if (expected === null) {
    expect(actual, what).toBeNull();
    return;
  }
  expect(actual, what).not.toBeNull();
  const tol = 1e-9 * Math.max(1, Math.abs(expected));
  expect(Math.abs((actual as number) - expected), `${what}: ${String(actual)} vs ${expected}`).toBeLessThanOrEqual(tol);
}

/** Asserts a range answer equals the brute-force reduction of `samples`. */
export function expectMatchesReference(range: SeriesRange, samples: readonly Sample[], from: number, to: number): void {
  const ref = reference(samples, range, from, to);
  expect(range.buckets.map((b) => b.ts)).toEqual(ref.map((b) => b.ts));
  for (let i = 0; i < ref.length; i++) {
    const a = range.buckets[i]!;
    const e = ref[i]!;
    const where = `bucket ${e.ts} (${range.resolution}, ${range.bucketMs} ms)`;
    expect(a.count, `${where} count`).toBe(e.count);
    expect(a.min, `${where} min`).toBe(e.min);
    expect(a.max, `${where} max`).toBe(e.max);
    close(a.avg, e.sum === null ? null : e.sum / e.count, `${where} avg`);
    expect(a.last, `${where} last`).toStrictEqual(e.last);
  }
}

/** Invariants every range answer has, whatever the data. */
export function expectWellFormed(range: SeriesRange, from: number, to: number, maxPoints: number): void {
  const w = WIDTH[range.resolution];
  expect(w, `unknown resolution ${range.resolution}`).toBeDefined();
  expect(range.bucketMs).toBeGreaterThan(0);
  expect(range.bucketMs % w, 'bucketMs is a multiple of the resolution width').toBe(0);
  expect(range.bucketMs).toBeGreaterThanOrEqual(Math.ceil((to - from) / maxPoints));
  expect(range.buckets.length).toBeLessThanOrEqual(maxPoints);
  // Checked in plain JS (one expect per answer, not per bucket: answers have up to 100 000).
  const problems: string[] = [];
  const first = Math.floor(from / range.bucketMs) * range.bucketMs;
  let prev = -Infinity;
  for (const b of range.buckets) {
    if (b.ts % range.bucketMs !== 0) problems.push(`${b.ts} not aligned to ${range.bucketMs}`);
    if (b.ts <= prev) problems.push(`${b.ts} not after ${prev}`);
    if (b.ts < first || b.ts >= to) problems.push(`${b.ts} outside [${first}, ${to})`);
    if (!(b.count > 0)) problems.push(`${b.ts} has count ${b.count}`);
    prev = b.ts;
    if (problems.length > 5) break;
  }
  expect(problems).toEqual([]);
}

/** The resolution the rule picks when retention has not deleted anything relevant. */
export function expectedResolution(from: number, to: number, maxPoints: number): SeriesResolution {
  const desired = Math.ceil((to - from) / maxPoints);
  if (desired >= HOUR) return '1h';
  if (desired >= MINUTE) return '1m';
  return 'raw';
}

function point(factoryId: number, deviceId: number, parameter: string, ts: number, value: SeriesValue): SeriesPoint {
  return { factoryId, deviceId, parameter, ts, value };
}

async function writeInBatches(store: SeriesStore, points: readonly SeriesPoint[], size = 2_000): Promise<void> {
  for (let i = 0; i < points.length; i += size) await store.write(points.slice(i, i + size));
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** latest() does not promise an order: compare sorted by parameter. */
function byParameter(values: readonly LatestValue[]): LatestValue[] {
  return [...values].sort((a, b) => (a.parameter < b.parameter ? -1 : a.parameter > b.parameter ? 1 : 0));
}

/** A point whose `value` getter throws: makes write() fail midway through a batch. */
function poisonedPoint(factoryId: number, deviceId: number, parameter: string, ts: number): SeriesPoint {
  return {
    factoryId,
    deviceId,
    parameter,
    ts,
    get value(): SeriesValue {
      throw new Error('poisoned point');
    },
  };
}

export function describeSeriesStoreContract(
  name: string,
  open: () => Promise<SeriesStoreHarness>,
  options: SeriesStoreContractOptions = {},
): void {
  const retention = options.retention ?? CONTRACT_DEFAULT_RETENTION;
  const rollups = options.rollups ?? true;
  // A fixed, hour-aligned "now" far from the epoch; every test works relative to it.
  const T0 = Date.UTC(2025, 0, 6, 0, 0, 0);

  describe(`SeriesStore contract: ${name}`, () => {
    let h: SeriesStoreHarness;
    let store: SeriesStore;

    beforeEach(async () => {
      h = await open();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('write then latest: newest value per parameter, even when points arrive out of order', async () => {
      await store.write([
        point(1, 10, 'temp', T0 + 2_000, 21.5),
        point(1, 10, 'temp', T0 + 1_000, 20.0),
        point(1, 10, 'pressure', T0 + 1_000, 1.013),
        point(1, 10, 'state', T0 + 1_500, 'RUN'),
        point(1, 11, 'temp', T0 + 5_000, 99),
      ]);
      // An older value arriving later must not replace the newest one.
      await store.write([point(1, 10, 'temp', T0 + 500, -5), point(1, 10, 'pressure', T0 + 3_000, 1.02)]);

      const all = await store.latest(1, 10);
      expect(byParameter(all)).toEqual([
        { parameter: 'pressure', ts: T0 + 3_000, value: 1.02 },
        { parameter: 'state', ts: T0 + 1_500, value: 'RUN' },
        { parameter: 'temp', ts: T0 + 2_000, value: 21.5 },
      ]);
      const some = await store.latest(1, 10, ['temp', 'nope']);
      expect(some).toEqual([{ parameter: 'temp', ts: T0 + 2_000, value: 21.5 }]);
      expect(await store.latest(1, 10, [])).toEqual([]);
      expect(await store.latest(1, 12)).toEqual([]);
      expect(await store.latest(2, 10)).toEqual([]);
    });

    it('range of an unknown series is empty, not an error', async () => {
      const r = await store.range(1, 999, 'nothing', T0, T0 + DAY, 100);
      expect(r.buckets).toEqual([]);
      expectWellFormed(r, T0, T0 + DAY, 100);
    });

    it('range agrees with a brute-force computation over random data, at raw and rollup resolutions', async () => {
      const rand = rng(0x5eed);
      const start = T0 - 4 * DAY + 12_345; // not aligned to anything
      const span = 4 * DAY;
      const seen = new Set<number>();
      const samples: Sample[] = [];
      while (samples.length < 20_000) {
        const ts = start + Math.floor(rand() * span);
        if (seen.has(ts)) continue;
        seen.add(ts);
        samples.push({ ts, value: Math.round((rand() * 200 - 100) * 1000) / 1000 });
      }
      // Another series of the same device, to make sure nothing leaks between series.
      const noise = samples.slice(0, 3_000).map((s) => point(3, 30, 'other', s.ts, 1e6));
      const points = shuffle([...samples.map((s) => point(3, 30, 'temp', s.ts, s.value)), ...noise], rand);
      await writeInBatches(store, points, 1_500);

      const cases: Array<[number, number, number]> = [
        [start, start + span, 40], // 1h
        [start, start + span, 1_000], // 1m
        [start, start + span, 100_000], // raw
        [start - DAY, start + span + DAY, 7],
        [start, start + span, 1],
        [start, start + span, 2],
      ];
      for (let i = 0; i < 24; i++) {
        const from = start - HOUR + Math.floor(rand() * (span + HOUR));
        const to = from + 1 + Math.floor(rand() * (start + span + HOUR - from));
        const maxPoints = [1, 3, 10, 50, 200, 999, 5_000, 100_000][i % 8]!;
        cases.push([from, to, maxPoints]);
      }
      const resolutions = new Set<SeriesResolution>();
      for (const [from, to, maxPoints] of cases) {
        const r = await store.range(3, 30, 'temp', from, to, maxPoints);
        expectWellFormed(r, from, to, maxPoints);
        expectMatchesReference(r, samples, from, to);
        if (rollups) expect(r.resolution, `resolution for [${from}, ${to}) / ${maxPoints}`).toBe(expectedResolution(from, to, maxPoints));
        resolutions.add(r.resolution);
      }
      if (rollups) expect([...resolutions].sort()).toEqual(['1h', '1m', 'raw']);
    }, 120_000); // many range() answers checked against a brute-force reduction: slow on a loaded 2-core machine

    it('a single spike survives reduction in max (and a dip in min)', async () => {
      const rand = rng(7);
      const start = T0 - DAY;
      const samples: Sample[] = [];
      for (let i = 0; i < 86_400; i++) samples.push({ ts: start + i * 1_000, value: rand() });
      const spikeAt = start + 51_234 * 1_000;
      const dipAt = start + 7_777 * 1_000;
      samples[51_234]!.value = 1_000;
      samples[7_777]!.value = -1_000;
      await writeInBatches(store, samples.map((s) => point(1, 1, 'vibration', s.ts, s.value)), 5_000);

      for (const maxPoints of [1, 10, 300, 2_000, 100_000]) {
        const r = await store.range(1, 1, 'vibration', start, start + DAY, maxPoints);
        expectWellFormed(r, start, start + DAY, maxPoints);
        const spikeBucket = r.buckets.find((b) => b.ts <= spikeAt && spikeAt < b.ts + r.bucketMs);
        const dipBucket = r.buckets.find((b) => b.ts <= dipAt && dipAt < b.ts + r.bucketMs);
        expect(spikeBucket?.max, `spike with maxPoints ${maxPoints}`).toBe(1_000);
        expect(dipBucket?.min, `dip with maxPoints ${maxPoints}`).toBe(-1_000);
        expect(Math.max(...r.buckets.map((b) => b.max as number))).toBe(1_000);
        expect(r.buckets.filter((b) => b.max === 1_000)).toHaveLength(1);
      }
    });

    it('gaps are not filled', async () => {
      const start = T0 - DAY;
      const samples: Sample[] = [];
      for (let ts = start; ts < start + 6 * HOUR; ts += 10_000) samples.push({ ts, value: 1 });
      for (let ts = start + 18 * HOUR; ts < start + DAY; ts += 10_000) samples.push({ ts, value: 2 });
      await writeInBatches(store, samples.map((s) => point(1, 2, 'flow', s.ts, s.value)));

      for (const maxPoints of [24, 288, 5_000, 100_000]) {
        const r = await store.range(1, 2, 'flow', start, start + DAY, maxPoints);
        expectWellFormed(r, start, start + DAY, maxPoints);
        expectMatchesReference(r, samples, start, start + DAY);
        const inGap = r.buckets.filter((b) => b.ts >= start + 6 * HOUR && b.ts + r.bucketMs <= start + 18 * HOUR);
        expect(inGap, `maxPoints ${maxPoints}`).toEqual([]);
        expect(r.buckets.length).toBeLessThan(Math.ceil(DAY / r.bucketMs));
      }
    });

    it('never returns more than maxPoints buckets', async () => {
      const start = T0 - 2 * DAY;
      const points: SeriesPoint[] = [];
      for (let ts = start; ts < T0; ts += 7_000) points.push(point(1, 3, 'rpm', ts, ts % 97));
      await writeInBatches(store, points);
      const rand = rng(42);
      const spans = [1, 2, 59_999, 60_001, 3_599_999, 3_600_001, DAY + 1, 2 * DAY];
      for (const span of spans) {
        for (const maxPoints of [1, 2, 3, 7, 60, 99, 1_000, 100_000]) {
          const from = start + Math.floor(rand() * (2 * DAY - span + 1));
          const r = await store.range(1, 3, 'rpm', from, from + span, maxPoints);
          expectWellFormed(r, from, from + span, maxPoints);
        }
      }
      const whole = await store.range(1, 3, 'rpm', start, T0, 1);
      expect(whole.buckets).toHaveLength(1);
      expect(whole.buckets[0]!.count).toBe(points.length);
    });

    it('a batch that fails midway stores nothing', async () => {
      await store.write([point(1, 4, 'existing', T0 - 10_000, 5)]);
      const batch: SeriesPoint[] = [];
      for (let i = 0; i < 1_000; i++) {
        batch.push(point(1, 4, `p${i % 20}`, T0 - 100_000 + i * 10, i));
        if (i % 50 === 0) batch.push(point(1, 4, 'existing', T0 - 5_000 + i, 1_000 + i));
      }
      batch.splice(700, 0, poisonedPoint(1, 4, 'p3', T0 - 1));
      await expect(store.write(batch)).rejects.toThrow();

      expect(await store.latest(1, 4)).toEqual([{ parameter: 'existing', ts: T0 - 10_000, value: 5 }]);
      for (const p of ['p0', 'p3', 'p19']) {
        expect((await store.range(1, 4, p, T0 - DAY, T0, 100)).buckets).toEqual([]);
        expect((await store.range(1, 4, p, T0 - DAY, T0, 100_000)).buckets).toEqual([]);
      }
      const existing = await store.range(1, 4, 'existing', T0 - DAY, T0, 10);
      expect(existing.buckets.map((b) => [b.count, b.max])).toEqual([[1, 5]]);

      // The store is still usable, and the series the failed batch would have created can be
      // created now (with another kind, even: the failed batch left no trace).
      await store.write([point(1, 4, 'p0', T0 - 1, 'text now'), point(1, 4, 'existing', T0 - 1, 6)]);
      expect(byParameter(await store.latest(1, 4, ['p0', 'existing']))).toEqual([
        { parameter: 'existing', ts: T0 - 1, value: 6 },
        { parameter: 'p0', ts: T0 - 1, value: 'text now' },
      ]);
    });

    it('redelivered points (same series and ts) are idempotent: counts and sums do not double', async () => {
      const rand = rng(99);
      const start = T0 - 3 * HOUR;
      const samples: Array<{ ts: number; value: number }> = [];
      for (let i = 0; i < 3_000; i++) samples.push({ ts: start + i * 3_000 + Math.floor(rand() * 3_000), value: rand() * 10 });
      const points = samples.map((s) => point(1, 5, 'level', s.ts, s.value));
      const strings = samples.slice(0, 500).map((s) => point(1, 5, 'mode', s.ts, `m${Math.floor(s.value)}`));
      await writeInBatches(store, [...points, ...strings], 1_000);
      // QoS 1 redelivery: the same batches again, then a batch holding each point twice.
      await writeInBatches(store, [...points, ...strings], 1_000);
      await store.write([...points.slice(0, 800), ...points.slice(0, 800), ...strings.slice(0, 100), ...strings.slice(0, 100)]);

      const end = start + 3 * HOUR + 10_000;
      for (const maxPoints of [1, 3, 100, 100_000]) {
        const r = await store.range(1, 5, 'level', start, end, maxPoints);
        expectMatchesReference(r, samples, start, end);
        const m = await store.range(1, 5, 'mode', start, end, maxPoints);
        expectMatchesReference(
          m,
          samples.slice(0, 500).map((s) => ({ ts: s.ts, value: `m${Math.floor(s.value)}` })),
          start,
          end,
        );
      }
      const one = await store.range(1, 5, 'level', start, end, 1);
      expect(one.buckets[0]!.count).toBe(3_000);
    });

    it('stores strings and booleans as last-value series', async () => {
      const rand = rng(5);
      const start = T0 - 2 * DAY;
      const states = ['IDLE', 'RUN', 'FAULT', '42', '', 'true'];
      const str: Sample[] = [];
      const bool: Sample[] = [];
      for (let i = 0; i < 5_000; i++) {
        const ts = start + i * 30_000 + Math.floor(rand() * 30_000);
        str.push({ ts, value: states[Math.floor(rand() * states.length)]! });
        bool.push({ ts, value: rand() < 0.5 });
      }
      const points = shuffle(
        [...str.map((s) => point(2, 6, 'state', s.ts, s.value)), ...bool.map((s) => point(2, 6, 'running', s.ts, s.value))],
        rand,
      );
      await writeInBatches(store, points);

      const latest = await store.latest(2, 6);
      const newest = (xs: Sample[]) => xs.reduce((a, b) => (b.ts > a.ts ? b : a));
      expect(byParameter(latest)).toEqual([
        { parameter: 'running', ...newest(bool) },
        { parameter: 'state', ...newest(str) },
      ]);
      for (const maxPoints of [5, 100, 2_000, 100_000]) {
        for (const [param, samples] of [['state', str], ['running', bool]] as const) {
          const from = start + 1_234;
          const to = start + 2 * DAY - 4_321;
          const r = await store.range(2, 6, param, from, to, maxPoints);
          expectWellFormed(r, from, to, maxPoints);
          expectMatchesReference(r, samples, from, to);
          for (const b of r.buckets) {
            expect(b.min).toBeNull();
            expect(b.max).toBeNull();
            expect(b.avg).toBeNull();
            expect(typeof b.last).toBe(param === 'state' ? 'string' : 'boolean');
          }
        }
      }
    });

    it('a value of the wrong kind neither fails the batch nor corrupts the series', async () => {
      await store.write([point(1, 7, 'temp', T0 - 3_000, 20), point(1, 7, 'state', T0 - 3_000, 'IDLE')]);
      await store.write([
        point(1, 7, 'temp', T0 - 2_000, 'hot'),
        point(1, 7, 'temp', T0 - 1_500, true),
        point(1, 7, 'state', T0 - 2_000, 3.5),
        point(1, 7, 'temp', T0 - 1_000, 22),
        point(1, 7, 'pressure', T0 - 1_000, 1.5),
      ]);
      const latest = await store.latest(1, 7);
      expect(byParameter(latest)).toEqual([
        { parameter: 'pressure', ts: T0 - 1_000, value: 1.5 },
        { parameter: 'state', ts: T0 - 3_000, value: 'IDLE' },
        { parameter: 'temp', ts: T0 - 1_000, value: 22 },
      ]);
      for (const maxPoints of [1, 100_000]) {
        const r = await store.range(1, 7, 'temp', T0 - HOUR, T0, maxPoints);
        expect(r.buckets.reduce((n, b) => n + b.count, 0)).toBe(2);
        for (const b of r.buckets) {
          expect(typeof b.min).toBe('number');
          expect(typeof b.max).toBe('number');
          expect(typeof b.avg).toBe('number');
          expect(typeof b.last).toBe('number');
        }
        const s = await store.range(1, 7, 'state', T0 - HOUR, T0, maxPoints);
        expect(s.buckets.map((b) => [b.count, b.last, b.min])).toEqual([[1, 'IDLE', null]]);
      }
    });

    it('two factories with the same deviceId and parameter never see each other', async () => {
      const a: SeriesPoint[] = [];
      const b: SeriesPoint[] = [];
      for (let i = 0; i < 100; i++) {
        a.push(point(1, 8, 'temp', T0 - 100_000 + i * 1_000, 1));
        b.push(point(2, 8, 'temp', T0 - 100_000 + i * 1_000 + 500, 2));
      }
      await store.write([...a, ...b, point(2, 8, 'only-in-2', T0 - 1, 'x'), point(1, 8, 'kind', T0 - 1, 1), point(2, 8, 'kind', T0 - 1, 'one')]);
      expect(await store.latest(1, 8, ['temp'])).toEqual([{ parameter: 'temp', ts: T0 - 1_000, value: 1 }]);
      expect(await store.latest(2, 8, ['temp'])).toEqual([{ parameter: 'temp', ts: T0 - 500, value: 2 }]);
      expect((await store.latest(1, 8)).map((l) => l.parameter).sort()).toEqual(['kind', 'temp']);
      expect(await store.latest(2, 8, ['kind'])).toEqual([{ parameter: 'kind', ts: T0 - 1, value: 'one' }]);
      for (const maxPoints of [1, 100_000]) {
        const r1 = await store.range(1, 8, 'temp', T0 - DAY, T0, maxPoints);
        const r2 = await store.range(2, 8, 'temp', T0 - DAY, T0, maxPoints);
        expect(r1.buckets.reduce((n, x) => n + x.count, 0)).toBe(100);
        expect(r2.buckets.reduce((n, x) => n + x.count, 0)).toBe(100);
        expect(new Set(r1.buckets.flatMap((x) => [x.min, x.max]))).toEqual(new Set([1]));
        expect(new Set(r2.buckets.flatMap((x) => [x.min, x.max]))).toEqual(new Set([2]));
      }
      expect((await store.range(1, 8, 'only-in-2', T0 - DAY, T0, 10)).buckets).toEqual([]);
    });

    it('rejects bad range arguments with a RangeError', async () => {
      const bad: Array<[number, number, number]> = [
        [T0, T0, 10],
        [T0 + 1, T0, 10],
        [Number.NaN, T0, 10],
        [T0, Number.POSITIVE_INFINITY, 10],
        [Number.NEGATIVE_INFINITY, T0, 10],
        [T0 - 1, T0, 0],
        [T0 - 1, T0, -5],
        [T0 - 1, T0, 1.5],
        [T0 - 1, T0, 100_001],
        [T0 - 1, T0, Number.NaN],
        [T0 - 1, T0, Number.POSITIVE_INFINITY],
      ];
      for (const [from, to, maxPoints] of bad) {
        await expect(async () => store.range(1, 1, 'temp', from, to, maxPoints), `${from}, ${to}, ${maxPoints}`).rejects.toBeInstanceOf(
          RangeError,
        );
      }
      await expect(store.range(1, 1, 'temp', T0 - 1, T0, 100_000)).resolves.toBeDefined();
      await expect(store.range(1, 1, 'temp', T0 - 1, T0, 1)).resolves.toBeDefined();
    });

    it('retention deletes exactly what is older than the policy; range then answers from the coarser resolution', async () => {
      const now = T0;
      const cutRaw = now - retention.rawMs;
      const cut1m = now - retention.oneMinuteMs;
      const cut1h = now - retention.oneHourMs;
      // One point on each side of every cutoff, each in its own minute and hour.
      const ts = [cut1h - 1, cut1h, cut1m - 1, cut1m, cutRaw - 1, cutRaw, now - 1_000];
      const values = [1, 2, 3, 4, 5, 6, 7];
      await store.write(ts.map((t, i) => point(1, 9, 'temp', t, values[i]!)));
      await store.write(ts.map((t, i) => point(1, 9, 'state', t, `s${values[i]}`)));

      const report = await store.applyRetention(now);
      const rawOlder = ts.filter((t) => t < cutRaw).length;
      const minuteOlder = new Set(ts.map((t) => t - (t % MINUTE)).filter((b) => b + MINUTE <= cut1m)).size;
      const hourOlder = new Set(ts.map((t) => t - (t % HOUR)).filter((b) => b + HOUR <= cut1h)).size;
      expect(report).toEqual({
        rawDeleted: 2 * rawOlder,
        oneMinuteDeleted: rollups ? 2 * minuteOlder : 0,
        oneHourDeleted: rollups ? 2 * hourOlder : 0,
      });
      // Idempotent.
      expect(await store.applyRetention(now)).toEqual({ rawDeleted: 0, oneMinuteDeleted: 0, oneHourDeleted: 0 });

      // Recent data at full resolution.
      const recent = await store.range(1, 9, 'temp', cutRaw, cutRaw + HOUR, 100_000);
      expect(recent.resolution).toBe('raw');
      expect(recent.buckets.map((b) => [b.ts, b.max])).toEqual([[cutRaw, 6]]);
      const recentAll = await store.range(1, 9, 'temp', cutRaw, now, 10);
      expect(recentAll.buckets.reduce((n, b) => n + b.count, 0)).toBe(2);

      if (rollups) {
        // Raw has aged out for `from`: a request that would use raw is answered from 1m rollups.
        const older = await store.range(1, 9, 'temp', cutRaw - HOUR, cutRaw + HOUR, 100_000);
        expect(older.resolution).toBe('1m');
        expectWellFormed(older, cutRaw - HOUR, cutRaw + HOUR, 100_000);
        expect(older.buckets.map((b) => [b.ts, b.max, b.count])).toEqual([
          [cutRaw - MINUTE, 5, 1],
          [cutRaw, 6, 1],
        ]);
        // Where 1m rollups have aged out too: from 1h rollups.
        const old = await store.range(1, 9, 'temp', cut1m - HOUR, cut1m + HOUR, 100_000);
        expect(old.resolution).toBe('1h');
        expect(old.buckets.map((b) => [b.ts, b.max, b.count])).toEqual([
          [cut1m - HOUR, 3, 1],
          [cut1m, 4, 1],
        ]);
        const oldest = await store.range(1, 9, 'temp', cut1h - DAY, now, 100_000);
        expect(oldest.resolution).toBe('1h');
        expectWellFormed(oldest, cut1h - DAY, now, 100_000);
        expect(oldest.buckets.map((b) => b.max)).toEqual([2, 3, 4, 5, 6, 7]);
        expect(oldest.buckets.map((b) => b.count)).toEqual([1, 1, 1, 1, 1, 1]);
        const strings = await store.range(1, 9, 'state', cut1h - DAY, now, 100_000);
        expect(strings.resolution).toBe('1h');
        expect(strings.buckets.map((b) => b.last)).toEqual(['s2', 's3', 's4', 's5', 's6', 's7']);
      }
      // Latest values are current state, not history: kept.
      expect(await store.latest(1, 9, ['temp'])).toEqual([{ parameter: 'temp', ts: now - 1_000, value: 7 }]);
    });

    it('data survives close and reopen', async (ctx) => {
      if (h.reopen === undefined) {
        ctx.skip();
        return;
      }
      const points: SeriesPoint[] = [];
      for (let i = 0; i < 5_000; i++) points.push(point(1, 12, `m${i % 5}`, T0 - DAY + i * 10_000, i));
      points.push(point(1, 12, 'label', T0 - 1, 'ok'), point(1, 12, 'flag', T0 - 1, false));
      await writeInBatches(store, points);
      const beforeLatest = await store.latest(1, 12);
      const beforeRange = await store.range(1, 12, 'm3', T0 - DAY, T0, 500);
      const beforeRaw = await store.range(1, 12, 'm3', T0 - DAY, T0, 100_000);
      await store.close();
      await store.close(); // idempotent

      store = await h.reopen();
      expect(byParameter(await store.latest(1, 12))).toEqual(byParameter(beforeLatest));
      expect(await store.range(1, 12, 'm3', T0 - DAY, T0, 500)).toEqual(beforeRange);
      expect(await store.range(1, 12, 'm3', T0 - DAY, T0, 100_000)).toEqual(beforeRaw);
      // Writing continues on the same series (and kinds are remembered).
      await store.write([point(1, 12, 'm3', T0, 1e9), point(1, 12, 'label', T0, 7), point(1, 12, 'label', T0 + 1, 'still text')]);
      expect(byParameter(await store.latest(1, 12, ['label', 'm3']))).toEqual([
        { parameter: 'label', ts: T0 + 1, value: 'still text' },
        { parameter: 'm3', ts: T0, value: 1e9 },
      ]);
      const after = await store.range(1, 12, 'm3', T0 - DAY, T0 + 1, 1);
      expect(after.buckets[0]!.max).toBe(1e9);
      expect(after.buckets[0]!.count).toBe(1_001);
    });
  });
}
