/**
 * SQLite SeriesStore benchmark (`npx tsx tests/bench/series-store.bench.ts`, or
 * `npm run bench -- series`).
 *
 * Figures, each beside a baseline measured in the same run on the same machine:
 * - write throughput for batches shaped like real traffic: 200 devices × 50 metrics per
 *   message, 40 messages (2 000 values) per write(), every device once a second, 3 M values;
 *   vs the same values as bare per-value INSERTs into a plain rowid table
 *   (factory_id, device_id, parameter, ts, value), one transaction per batch, no rollups;
 *   plus the write() latency per batch (p50/p99/max), which is what the hot path waits for, and
 *   how long the event loop is held between batches (compaction runs there);
 * - history: 30 days of 1 Hz for one parameter (2 592 000 values) reduced to 2 000 points,
 *   median and p95 of 20 range() calls (target <= 50 ms); vs the same reduction computed from
 *   the raw values (the store's own rangeAt('raw', …): every raw chunk of the month decoded);
 * - process RSS after loading, vs the RSS before anything was opened.
 *
 * Environment: SERIES_BENCH_VALUES (default 3 000 000) scales the write test.
 * Database files live in a temp directory that is deleted at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { SeriesPoint } from '../../server/store/series/series-store.js';
import { openSqliteSeriesStore } from '../../server/store/series/sqlite/sqlite-series-store.js';

const DEVICES = 200;
const METRICS = 50;
const BATCH_MESSAGES = 40; // 40 × 50 = 2 000 values per write()
const TOTAL_VALUES = Number(process.env.SERIES_BENCH_VALUES ?? 3_000_000);
const HISTORY_DAYS = 30;
const HISTORY_POINTS = 2_000;
const HISTORY_CALLS = 20;
const HISTORY_BATCH = 3_600; // one hour of 1 Hz per write()
const TARGET_HISTORY_MS = 50;

const DAY = 86_400_000;
const T_START = Date.UTC(2025, 0, 1);

// ------------------------------------------------------------------------------------ helpers

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

function mb(bytes: number): string {
  return `${fmt(bytes / 1_048_576)} MB`;
}

interface Row {
  what: string;
  figure: string;
  baseline: string;
  note: string;
}

function printTable(rows: Row[]): void {
  const headers: Row = { what: 'measure', figure: 'measured', baseline: 'baseline (same run)', note: 'note' };
  const all = [headers, ...rows];
  const width = (k: keyof Row) => Math.max(...all.map((r) => r[k].length));
  const line = (r: Row) =>
    `${r.what.padEnd(width('what'))}  ${r.figure.padStart(width('figure'))}  ${r.baseline.padStart(width('baseline'))}  ${r.note}`;
  console.log(line(headers));
  console.log('-'.repeat(line(headers).length));
  for (const r of rows) console.log(line(r));
}

/** Real-traffic-shaped batches: message = one device's 50 metrics at one ts; 40 messages a batch. */
function* trafficBatches(total: number): Generator<SeriesPoint[]> {
  const names = Array.from({ length: METRICS }, (_, i) => `metric_${i}`);
  let device = 0;
  let ts = T_START;
  let produced = 0;
  let seed = 12345;
  while (produced < total) {
    const batch: SeriesPoint[] = [];
    for (let m = 0; m < BATCH_MESSAGES && produced + batch.length < total; m++) {
      for (let k = 0; k < METRICS; k++) {
        seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
        batch.push({ factoryId: 1, deviceId: device + 1, parameter: names[k] as string, ts, value: seed / 21_474_836.47 });
      }
      device++;
      if (device === DEVICES) {
        device = 0;
        ts += 1_000;
      }
    }
    produced += batch.length;
    yield batch;
  }
}

// ------------------------------------------------------------------------------------ scenarios

async function storeWrite(dir: string): Promise<{ valuesPerSec: number; lat: number[]; held: number[]; seconds: number }> {
  const store = openSqliteSeriesStore({ file: join(dir, 'write.db') });
  const lat: number[] = [];
  const held: number[] = [];
  let values = 0;
  const started = performance.now();
  for (const batch of trafficBatches(TOTAL_VALUES)) {
    const t = performance.now();
    await store.write(batch);
    lat.push(performance.now() - t);
    values += batch.length;
    // Yield like a server between batches: timers fire and compaction chunks run here. The
    // time away is how long the event loop was held by them.
    const y = performance.now();
    await new Promise<void>((resolve) => setImmediate(resolve));
    held.push(performance.now() - y);
  }
  // Throughput counts the compaction of everything written, not just the log commits.
  await store.compact();
  const seconds = (performance.now() - started) / 1000;
  const stats = store.stats();
  if (stats.inserted !== values) throw new Error(`store inserted ${stats.inserted} of ${values} values`);
  await store.close();
  lat.sort((a, b) => a - b);
  held.sort((a, b) => a - b);
  return { valuesPerSec: values / seconds, lat, held, seconds };
}

async function baselineWrite(dir: string): Promise<{ valuesPerSec: number; lat: number[] }> {
  const db = new Database(join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE samples (factory_id INTEGER, device_id INTEGER, parameter TEXT, ts INTEGER, value REAL)');
  const insert = db.prepare('INSERT INTO samples (factory_id, device_id, parameter, ts, value) VALUES (?, ?, ?, ?, ?)');
  const tx = db.transaction((batch: readonly SeriesPoint[]) => {
    for (const p of batch) insert.run(p.factoryId, p.deviceId, p.parameter, p.ts, p.value);
  });
  const lat: number[] = [];
  let values = 0;
  let busy = 0;
  for (const batch of trafficBatches(TOTAL_VALUES)) {
    const t = performance.now();
    tx.immediate(batch);
    const dt = performance.now() - t;
    busy += dt;
    lat.push(dt);
    values += batch.length;
  }
  db.close();
  lat.sort((a, b) => a - b);
  return { valuesPerSec: values / (busy / 1000), lat };
}

async function history(dir: string): Promise<{
  loadPerSec: number;
  store: number[];
  baseline: number[];
  resolution: string;
  bucketMs: number;
  rssAfterLoad: number;
}> {
  const store = openSqliteSeriesStore({ file: join(dir, 'history.db') });
  const total = HISTORY_DAYS * 86_400;
  const from = T_START;
  const to = from + HISTORY_DAYS * DAY;
  const loadStarted = performance.now();
  for (let i = 0; i < total; i += HISTORY_BATCH) {
    const points: SeriesPoint[] = [];
    for (let j = i; j < Math.min(total, i + HISTORY_BATCH); j++) {
      points.push({ factoryId: 1, deviceId: 1, parameter: 'flow', ts: from + j * 1_000, value: 50 + 20 * Math.sin(j / 3_600) + ((j * 7_919) % 100) / 50 });
    }
    await store.write(points);
  }
  // Thirty days of history are long compacted in a running store: the figure is the query on
  // the per-series tables, not on a just-written backlog still in memory (merged in JS).
  await store.compact();
  const loadPerSec = total / ((performance.now() - loadStarted) / 1000);
  const rssAfterLoad = process.memoryUsage().rss;

  // Each call shifts the window by a minute, so no call repeats the previous one exactly.
  const timeIt = async (f: (from: number, to: number) => Promise<unknown>): Promise<number[]> => {
    await f(from, to); // warm-up, not counted
    const times: number[] = [];
    for (let i = 0; i < HISTORY_CALLS; i++) {
      const shift = i * 60_000;
      const t = performance.now();
      await f(from + shift, to + shift);
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b);
  };
  const answer = await store.range(1, 1, 'flow', from, to, HISTORY_POINTS);
  const raw = await store.rangeAt('raw', 1, 1, 'flow', from, to, HISTORY_POINTS);
  // Same data either way: the reductions must agree on the totals and the extremes.
  const sum = (r: typeof answer, k: 'count' | 'max' | 'min') =>
    k === 'count' ? r.buckets.reduce((n, b) => n + b.count, 0) : (k === 'max' ? Math.max : Math.min)(...r.buckets.map((b) => b[k] as number));
  for (const k of ['count', 'max', 'min'] as const) {
    if (sum(answer, k) !== sum(raw, k)) throw new Error(`history: ${k} differs between rollups and raw`);
  }
  if (answer.buckets.length > HISTORY_POINTS) throw new Error('history: more buckets than maxPoints');
  const storeTimes = await timeIt((f, t) => store.range(1, 1, 'flow', f, t, HISTORY_POINTS));
  const baselineTimes = await timeIt((f, t) => store.rangeAt('raw', 1, 1, 'flow', f, t, HISTORY_POINTS));
  await store.close();
  return { loadPerSec, store: storeTimes, baseline: baselineTimes, resolution: answer.resolution, bucketMs: answer.bucketMs, rssAfterLoad };
}

// ------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const started = performance.now();
  const rssStart = process.memoryUsage().rss;
  const dir = mkdtempSync(join(tmpdir(), 'factoryops-series-bench-'));
  console.log(
    `series store benchmark: ${fmt(TOTAL_VALUES)} values as ${DEVICES} devices × ${METRICS} metrics, ` +
      `${BATCH_MESSAGES * METRICS} values per write(); ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
  );
  try {
    console.log('write: series store …');
    const w = await storeWrite(dir);
    const rssAfterWrite = process.memoryUsage().rss;
    console.log('write: baseline (plain rowid table) …');
    const b = await baselineWrite(dir);
    console.log(`history: loading ${HISTORY_DAYS} days of 1 Hz, then ${HISTORY_CALLS} range() calls each way …`);
    const hist = await history(dir);

    const histMedian = quantile(hist.store, 0.5);
    console.log('');
    printTable([
      {
        what: 'write throughput (values/s)',
        figure: fmt(w.valuesPerSec),
        baseline: fmt(b.valuesPerSec),
        note: `${fmt((100 * w.valuesPerSec) / b.valuesPerSec)}% of bare rowid INSERTs (log + raw + 1m + 1h rollups + latest, compaction included)`,
      },
      {
        what: 'write() per 2 000-value batch p50',
        figure: `${fmt(quantile(w.lat, 0.5), 1)} ms`,
        baseline: `${fmt(quantile(b.lat, 0.5), 1)} ms`,
        note: '',
      },
      {
        what: 'write() per 2 000-value batch p99 / max',
        figure: `${fmt(quantile(w.lat, 0.99), 1)} / ${fmt(w.lat.at(-1) ?? Number.NaN)} ms`,
        baseline: `${fmt(quantile(b.lat, 0.99), 1)} / ${fmt(b.lat.at(-1) ?? Number.NaN)} ms`,
        note: 'the hot path waits this long for a commit (ingest log row)',
      },
      {
        what: 'event loop held between batches p99 / max',
        figure: `${fmt(quantile(w.held, 0.99), 1)} / ${fmt(w.held.at(-1) ?? Number.NaN, 1)} ms`,
        baseline: '',
        note: `compaction chunks into raw + rollups run here (${fmt(w.seconds, 1)} s in all)`,
      },
      {
        what: `history ${HISTORY_DAYS} d of 1 Hz → ${fmt(HISTORY_POINTS)} pts, median`,
        figure: `${fmt(histMedian, 1)} ms`,
        baseline: `${fmt(quantile(hist.baseline, 0.5), 1)} ms`,
        note: `${histMedian <= TARGET_HISTORY_MS ? 'ok' : 'MISS'} (target <= ${TARGET_HISTORY_MS} ms); from ${hist.resolution}, ${fmt(hist.bucketMs / 60_000)}-min buckets; baseline: every raw value (chunks decoded)`,
      },
      {
        what: `history p95 (${HISTORY_CALLS} calls)`,
        figure: `${fmt(quantile(hist.store, 0.95), 1)} ms`,
        baseline: `${fmt(quantile(hist.baseline, 0.95), 1)} ms`,
        note: '',
      },
      {
        what: 'history load + compaction (values/s, 3 600 per write())',
        figure: fmt(hist.loadPerSec),
        baseline: '',
        note: 'one series, time-ordered',
      },
      {
        what: 'process RSS after loading',
        figure: mb(Math.max(rssAfterWrite, hist.rssAfterLoad)),
        baseline: mb(rssStart),
        note: 'baseline = RSS before anything was opened',
      },
    ]);
    console.log(`\n(total ${fmt((performance.now() - started) / 1000, 1)} s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
