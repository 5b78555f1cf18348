/**
 * The state behind one trend, outside React: which pens, which time window, the merged data,
 * history fetches and the live tail. The chart component subscribes and calls uPlot's setData
 * when it changes; 4 Hz live samples append in place and never re-render React.
 *
 * History for the visible window is fetched reduced to about one bucket per pixel
 * (max_points = plot width), so any span — 15 minutes or 30 days — costs the same, and a zoom
 * or pan fetches the new span at full detail. Samples that arrive while a fetch is running are
 * held and replayed on top of its answer, so the tail never loses a value.
 */
import { describeFailure } from '../../api/http';
import { telemetryApi } from '../../api/telemetry-api';
import type { History } from '../../api/types';
import type { DeviceValues } from '../../stores/live-store';
import { appendSample, gapThreshold, historyToPen, lowerBound, mergePens, trimBefore, type MergedSeries } from './trend-data';

export interface PenSpec {
  key: string;
  label: string;
  unit: string | null;
  color: string;
}

export interface TrendView {
  start: number;
  end: number;
  /** The window's end follows the clock and new samples extend the line. */
  live: boolean;
}

export interface TrendStatus {
  loading: boolean;
  error: string | null;
  /** Bucket width of the last history answer (largest across pens), ms. */
  bucketMs: number;
  points: number;
}

export type HistoryFetcher = (deviceId: number, parameter: string, start: number, end: number, maxPoints: number, signal: AbortSignal) => Promise<History>;

/** A plotted number for a stored value: booleans as 0/1 (running/stopped), text not plotted. */
export function plotValue(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

export class TrendModel {
  series: MergedSeries = { xs: [], pens: [] };
  view: TrendView;
  status: TrendStatus = { loading: false, error: null, bucketMs: 0, points: 0 };
  private pens: PenSpec[] = [];
  private gapMs: number[] = [];
  private widthPx = 800;
  private fetchedWidth = 0;
  private abort: AbortController | null = null;
  private held: Array<{ key: string; ts: number; value: number }> = [];
  private readonly listeners = new Set<() => void>();
  private generation = 0;

  constructor(
    private readonly deviceId: number,
    spanMs: number,
    private readonly fetcher: HistoryFetcher = (d, p, s, e, m, signal) => telemetryApi.history(d, p, s, e, m, signal),
    private readonly now: () => number = Date.now,
  ) {
    const t = now();
    this.view = { start: t - spanMs, end: t, live: true };
  }

  get penSpecs(): readonly PenSpec[] {
    return this.pens;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  /** New pens (empty series of the right shape at once); `load` false = the caller loads later. */
  setPens(pens: PenSpec[], load = true): void {
    this.pens = pens;
    this.series = { xs: [], pens: pens.map(() => []) };
    this.gapMs = pens.map(() => 60_000);
    if (load) void this.load();
  }

  /** The plot's pixel width; a much wider plot re-fetches at the finer resolution it can show. */
  setWidth(px: number): void {
    this.widthPx = Math.max(50, Math.round(px));
    if (this.fetchedWidth > 0 && this.widthPx > this.fetchedWidth * 1.5) void this.load();
  }

  showLive(spanMs: number): void {
    const t = this.now();
    this.view = { start: t - spanMs, end: t, live: true };
    void this.load();
  }

  showRange(start: number, end: number): void {
    if (!(end > start)) return;
    const t = this.now();
    // A window reaching the present keeps following it.
    this.view = end >= t ? { start: t - (end - start), end: t, live: true } : { start, end, live: false };
    void this.load();
  }

  /** Shifts the window by a fraction of its span (negative = back in time). */
  pan(fraction: number): void {
    const span = this.view.end - this.view.start;
    const shift = span * fraction;
    this.showRange(this.view.start + shift, this.view.end + shift);
  }

  /** Live samples of the device (the live store's map for it). */
  onValues(values: DeviceValues | undefined): void {
    if (!values || this.pens.length === 0) return;
    let changed = false;
    this.pens.forEach((pen, i) => {
      const sample = values[pen.key];
      if (!sample) return;
      const v = plotValue(sample.value);
      if (v === null) return;
      if (this.status.loading) {
        this.held.push({ key: pen.key, ts: sample.ts, value: v });
        return;
      }
      if (appendSample(this.series, i, sample.ts, v, this.gapMs[i] ?? 60_000)) changed = true;
    });
    if (changed && this.view.live) {
      this.slide();
      this.emit();
    }
  }

  /** Once a second: a live window moves with the clock even when no sample arrives. */
  tick(): void {
    if (!this.view.live) return;
    this.slide();
    this.emit();
  }

  private slide(): void {
    const t = Math.max(this.now(), this.series.xs[this.series.xs.length - 1] ?? 0);
    const span = this.view.end - this.view.start;
    this.view = { start: t - span, end: t, live: true };
    trimBefore(this.series, this.view.start - span);
  }

  async load(): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const generation = ++this.generation;
    const { start, end } = this.view;
    const pens = this.pens;
    this.status = { ...this.status, loading: true, error: null };
    this.held = [];
    this.emit();
    if (pens.length === 0) {
      this.status = { loading: false, error: null, bucketMs: 0, points: 0 };
      this.emit();
      return;
    }
    const width = this.widthPx;
    try {
      const answers = await Promise.all(pens.map((p) => this.fetcher(this.deviceId, p.key, start, end, width, abort.signal)));
      if (generation !== this.generation) return;
      const histories = answers.map((h) =>
        historyToPen(
          h.points.flatMap((p) => {
            const v = plotValue(p.value);
            const ts = Date.parse(p.timestamp);
            return v === null || !Number.isFinite(ts) ? [] : [{ ts, value: v }];
          }),
          h.bucket_ms,
        ),
      );
      this.gapMs = answers.map((h, i) => gapThreshold(h.bucket_ms, (histories[i] as { xs: number[] }).xs));
      this.series = mergePens(histories);
      this.fetchedWidth = width;
      this.status = { loading: false, error: null, bucketMs: Math.max(0, ...answers.map((h) => h.bucket_ms)), points: this.series.xs.length };
      // Replay what arrived during the fetch, in time order.
      const held = this.held.sort((a, b) => a.ts - b.ts);
      this.held = [];
      for (const s of held) {
        const i = this.pens.findIndex((p) => p.key === s.key);
        if (i >= 0) appendSample(this.series, i, s.ts, s.value, this.gapMs[i] ?? 60_000);
      }
      if (this.view.live) this.slide();
    } catch (error) {
      if (abort.signal.aborted || generation !== this.generation) return;
      this.status = { ...this.status, loading: false, error: describeFailure(error) };
    }
    this.emit();
  }

  /** Index range of rows inside the view (for tests and the benchmark). */
  visibleRows(): [number, number] {
    return [lowerBound(this.series.xs, this.view.start), lowerBound(this.series.xs, this.view.end + 1)];
  }

  /** Abandons a history fetch in flight; the model stays usable (load() again). */
  cancel(): void {
    if (!this.abort) return;
    this.abort.abort();
    this.abort = null;
    this.generation++;
    this.status = { ...this.status, loading: false };
  }

  dispose(): void {
    this.cancel();
    this.listeners.clear();
  }
}
