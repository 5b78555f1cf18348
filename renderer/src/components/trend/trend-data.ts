/**
 * Trend data for uPlot: one shared time axis, one value array per pen. Pure functions, tested
 * without a browser.
 *
 * Gaps: uPlot draws `null` as a break in the line and bridges `undefined` (an alignment
 * artefact where another pen has a sample). A real gap — consecutive samples farther apart
 * than the gap threshold — gets an explicit `null` row between them, so an outage is never
 * drawn as a straight line across it.
 */

/** A pen's value at each x; undefined = no sample at this x (bridged), null = gap (broken line). */
export type PenValues = Array<number | null | undefined>;

export interface MergedSeries {
  xs: number[];
  pens: PenValues[];
}

export interface PenHistory {
  xs: number[];
  ys: Array<number | null>;
}

/** Median spacing between consecutive timestamps (0 when fewer than 2). */
export function medianSpacing(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const diffs: number[] = [];
  for (let i = 1; i < xs.length; i++) diffs.push((xs[i] as number) - (xs[i - 1] as number));
  diffs.sort((a, b) => a - b);
  return diffs[Math.floor(diffs.length / 2)] as number;
}

/**
 * The distance beyond which two samples are not joined: about two bucket widths, but never
 * less than 2.5 × the usual spacing of the data itself — a device that reports once a minute,
 * viewed at 1-second buckets, is not "missing" between its reports.
 */
export function gapThreshold(bucketMs: number, xs: readonly number[]): number {
  return Math.max(2 * bucketMs, 2.5 * medianSpacing(xs), 1);
}

/** History points (bucket start, value) → a pen with nulls inserted in the gaps. */
export function historyToPen(points: ReadonlyArray<{ ts: number; value: number }>, bucketMs: number): PenHistory {
  const raw = points.map((p) => p.ts);
  const gapMs = gapThreshold(bucketMs, raw);
  const xs: number[] = [];
  const ys: Array<number | null> = [];
  let prev: number | null = null;
  for (const p of points) {
    if (prev !== null && p.ts - prev > gapMs) {
      xs.push(prev + Math.min(bucketMs, (p.ts - prev) / 2));
      ys.push(null);
    }
    xs.push(p.ts);
    ys.push(p.value);
    prev = p.ts;
  }
  return { xs, ys };
}

/**
 * K-way merge of sorted pens onto one sorted time axis. Equal timestamps share a row; where a
 * pen has no sample its value is `undefined` (bridged). O(total points × pens).
 */
export function mergePens(pens: readonly PenHistory[]): MergedSeries {
  if (pens.length === 0) return { xs: [], pens: [] };
  const first = pens[0] as PenHistory;
  if (pens.every((p) => sameAxis(p.xs, first.xs))) {
    return { xs: first.xs.slice(), pens: pens.map((p) => p.ys.slice()) };
  }
  const idx = pens.map(() => 0);
  const xs: number[] = [];
  const out: PenValues[] = pens.map(() => []);
  for (;;) {
    let next = Infinity;
    for (let p = 0; p < pens.length; p++) {
      const pen = pens[p] as PenHistory;
      const i = idx[p] as number;
      if (i < pen.xs.length && (pen.xs[i] as number) < next) next = pen.xs[i] as number;
    }
    if (next === Infinity) break;
    xs.push(next);
    for (let p = 0; p < pens.length; p++) {
      const pen = pens[p] as PenHistory;
      const i = idx[p] as number;
      if (i < pen.xs.length && pen.xs[i] === next) {
        (out[p] as PenValues).push(pen.ys[i]);
        idx[p] = i + 1;
      } else {
        (out[p] as PenValues).push(undefined);
      }
    }
  }
  return { xs, pens: out };
}

function sameAxis(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Last x at which `pen` has a real value (not null/undefined), or null. */
export function lastValueX(series: MergedSeries, pen: number): number | null {
  const ys = series.pens[pen];
  if (!ys) return null;
  for (let i = ys.length - 1; i >= 0; i--) if (ys[i] !== null && ys[i] !== undefined) return series.xs[i] as number;
  return null;
}

/** Index of the first x >= t (binary search). */
export function lowerBound(xs: readonly number[], t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertRow(series: MergedSeries, at: number, x: number): void {
  series.xs.splice(at, 0, x);
  for (const ys of series.pens) ys.splice(at, 0, undefined);
}

/**
 * Appends one live sample of `pen` in place (amortised O(1): samples arrive in time order).
 * A sample not newer than the pen's last value is ignored; one after a silence longer than
 * `gapMs` gets a null before it. Returns true when the series changed.
 */
export function appendSample(series: MergedSeries, pen: number, ts: number, value: number, gapMs: number): boolean {
  const ys = series.pens[pen];
  if (!ys) return false;
  const last = lastValueX(series, pen);
  if (last !== null && ts <= last) return false;
  if (last !== null && ts - last > gapMs) {
    const gapX = last + Math.min(gapMs / 2, (ts - last) / 2);
    const at = lowerBound(series.xs, gapX);
    if (series.xs[at] !== gapX) insertRow(series, at, gapX);
    ys[at] = null;
  }
  const at = lowerBound(series.xs, ts);
  if (series.xs[at] !== ts) insertRow(series, at, ts);
  ys[at] = value;
  return true;
}

/** Drops rows before `t` once they are a sizeable part of the series (keeps memory bounded during a long live tail). */
export function trimBefore(series: MergedSeries, t: number): void {
  const cut = lowerBound(series.xs, t);
  if (cut < 1024 && cut < series.xs.length / 4) return;
  series.xs.splice(0, cut);
  for (const ys of series.pens) ys.splice(0, cut);
}
