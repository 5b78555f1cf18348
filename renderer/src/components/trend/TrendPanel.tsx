/**
 * A trend of one device: several pens (own axis per unit), the standard ranges and a custom
 * one, zoom (drag), pan (Shift+drag or the arrows), back to live, alarm limits from the
 * device's rules, values at the cursor in the legend. History comes reduced for the visible
 * span; the live tail comes from the stream through the live store (no polling).
 */
import { Button, ButtonGroup, FormGroup, NonIdealState, PopoverNext, Spinner } from '@blueprintjs/core';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { Rule } from '../../api/types';
import { formatDateTime, formatSpan } from '../../lib/format';
import { clockStore } from '../../stores/clock-store';
import { subscribeDevice } from '../../stores/live-store';
import { usePreferences } from '../../stores/preferences-store';
import { limitsOf, type AlarmLimit } from './alarm-limits';
import { buildTrendOptions, DEFAULT_TREND_STYLE, readTheme } from './trend-options';
import { TrendModel, type PenSpec, type TrendView } from './trend-model';
import { UPlotChart } from './UPlotChart';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export const TREND_RANGES = [
  { label: '15m', ms: 15 * MIN },
  { label: '1h', ms: HOUR },
  { label: '8h', ms: 8 * HOUR },
  { label: '24h', ms: DAY },
  { label: '7d', ms: 7 * DAY },
  { label: '30d', ms: 30 * DAY },
] as const;

export interface TrendPanelProps {
  deviceId: number;
  pens: readonly PenSpec[];
  rules: readonly Rule[];
  height?: number;
  initialSpanMs?: number;
  /** Wall mode: no toolbar, the live window only. */
  bare?: boolean;
  /** Axis text size in px (a wall display reads from across the room). */
  fontPx?: number;
}

/** `<input type="datetime-local">` value for a time, in local time. */
function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * MIN);
  return d.toISOString().slice(0, 16);
}

function CustomRange({ view, onApply }: { view: TrendView; onApply: (start: number, end: number) => void }) {
  const [from, setFrom] = useState(toLocalInput(view.start));
  const [to, setTo] = useState(toLocalInput(view.end));
  const start = Date.parse(from);
  const end = Date.parse(to);
  const error = !Number.isFinite(start) || !Number.isFinite(end) ? 'Both times are needed.' : end <= start ? 'The end must be after the start.' : null;
  return (
    <div style={{ padding: 12, width: 260 }} data-testid="custom-range">
      <FormGroup label="From">
        <input className="bp6-input bp6-fill" type="datetime-local" value={from} onChange={(e) => setFrom(e.currentTarget.value)} data-testid="range-from" />
      </FormGroup>
      <FormGroup label="To">
        <input className="bp6-input bp6-fill" type="datetime-local" value={to} onChange={(e) => setTo(e.currentTarget.value)} data-testid="range-to" />
      </FormGroup>
      {error && <div className="fo-field-error">{error}</div>}
      <Button intent="primary" text="Show" disabled={error !== null} onClick={() => onApply(start, end)} className="bp6-popover-dismiss" data-testid="range-apply" />
    </div>
  );
}

/** Re-renders only when what the toolbar shows changes (not on every live sample). */
function useTrendHeadline(model: TrendModel) {
  const key = useSyncExternalStore(
    (listener) => model.subscribe(listener),
    () => `${model.status.loading}|${model.status.error ?? ''}|${model.view.live}|${Math.round(model.view.end - model.view.start)}|${model.status.bucketMs}`,
  );
  const [loading, error, live, span, bucket] = key.split('|');
  return { loading: loading === 'true', error: error || null, live: live === 'true', spanMs: Number(span), bucketMs: Number(bucket) };
}

export function TrendPanel({ deviceId, pens, rules, height = 320, initialSpanMs = HOUR, bare = false, fontPx = DEFAULT_TREND_STYLE.fontPx }: TrendPanelProps) {
  const theme = usePreferences((p) => p.theme);
  const lastView = useRef<TrendView | null>(null);
  const penKey = pens.map((p) => `${p.key}:${p.unit ?? ''}:${p.label}:${p.color}`).join('|');

  // One model per device and pen set; a new pen set keeps the window the person was looking
  // at. Built without side effects (the chart below needs its shape at once); the history
  // fetch starts in the effect, which also cancels it when the model is replaced.
  const model = useMemo(() => {
    const m = new TrendModel(deviceId, initialSpanMs);
    const previous = lastView.current;
    if (previous) m.view = previous.live ? { ...m.view, start: m.view.end - (previous.end - previous.start) } : { ...previous };
    m.setPens([...pens], false);
    return m;
    // penKey stands for `pens`.
  }, [deviceId, penKey]);
  useEffect(() => {
    void model.load();
    return () => {
      lastView.current = model.view;
      model.cancel();
    };
  }, [model]);

  // Live tail and the moving window.
  useEffect(() => subscribeDevice(deviceId, (values) => model.onValues(values)), [deviceId, model]);
  useEffect(() => clockStore.subscribe(() => model.tick()), [model]);

  const limits = useMemo(() => {
    const map = new Map<string, readonly AlarmLimit[]>();
    for (const pen of pens) map.set(pen.key, limitsOf(rules, pen.key));
    return map;
  }, [pens, rules]);

  const options = useMemo(
    () => buildTrendOptions(model, pens, limits, readTheme(), { onZoom: (start, end) => model.showRange(start, end) }, height, { fontPx }),
    // theme: the colours are read from CSS variables, which change with it.
    [model, pens, limits, height, theme, fontPx],
  );

  const headline = useTrendHeadline(model);
  const pointsEl = useRef<HTMLSpanElement>(null);
  const panelEl = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    // Written to the DOM, not through React: the count changes with every live sample. The
    // panel carries it too, for a bare (wall) trend that has no toolbar to show it in.
    const paint = () => {
      const points = model.series.xs.length;
      if (pointsEl.current) pointsEl.current.textContent = `${points.toLocaleString('en-US')} pts`;
      if (panelEl.current) panelEl.current.dataset.points = String(points);
    };
    paint();
    return model.subscribe(paint);
  }, [model]);

  if (pens.length === 0) {
    return <NonIdealState icon="timeline-line-chart" title="No pens" description="Tick parameters in the table below to draw them." />;
  }

  const activeRange = headline.live ? TREND_RANGES.find((r) => Math.abs(r.ms - headline.spanMs) < 1000)?.label : undefined;
  return (
    <div ref={panelEl} className="fo-trend" data-testid="trend-panel" data-loading={headline.loading} data-live={headline.live}>
      {!bare && (
        <div className="fo-toolbar fo-trend-toolbar">
          <ButtonGroup>
            {TREND_RANGES.map((r) => (
              <Button key={r.label} size="small" text={r.label} active={activeRange === r.label} onClick={() => model.showLive(r.ms)} data-testid={`range-${r.label}`} />
            ))}
            <PopoverNext placement="bottom-start" content={<CustomRange view={model.view} onApply={(s, e) => model.showRange(s, e)} />}>
              <Button size="small" text="Custom…" active={!headline.live} endIcon="caret-down" data-testid="range-custom" />
            </PopoverNext>
          </ButtonGroup>
          <ButtonGroup>
            <Button size="small" icon="chevron-left" title="Back in time (half a window)" onClick={() => model.pan(-0.5)} data-testid="pan-back" />
            <Button size="small" icon="zoom-out" title="Zoom out" onClick={() => zoomOut(model)} data-testid="zoom-out" />
            <Button size="small" icon="chevron-right" title="Forward in time" disabled={headline.live} onClick={() => model.pan(0.5)} data-testid="pan-forward" />
          </ButtonGroup>
          <Button
            size="small"
            icon={headline.live ? 'record' : 'fast-forward'}
            intent={headline.live ? 'success' : 'none'}
            variant={headline.live ? 'minimal' : 'solid'}
            text={headline.live ? 'Live' : 'Back to live'}
            disabled={headline.live}
            onClick={() => model.showLive(headline.spanMs)}
            data-testid="trend-live"
          />
          <span className="fo-spacer" style={{ flex: 1 }} />
          <span className="fo-dim" data-testid="trend-window">
            {headline.live ? `last ${formatSpan(headline.spanMs)}` : `${formatDateTime(model.view.start)} → ${formatDateTime(model.view.end)}`}
            {headline.bucketMs > 1000 ? ` · ${formatSpan(headline.bucketMs)} buckets` : ''} · <span ref={pointsEl} data-testid="trend-points" />
          </span>
          {headline.loading && <Spinner size={14} />}
        </div>
      )}
      {headline.error && <div className="fo-field-error">History could not be read: {headline.error}</div>}
      <UPlotChart model={model} options={options} onResetZoom={() => model.showLive(headline.live ? headline.spanMs : HOUR)} testId="trend-plot" />
      {!bare && <div className="fo-dim fo-trend-hint">Drag to zoom · Shift+drag to pan · Ctrl+wheel to zoom · double-click for live</div>}
    </div>
  );
}

function zoomOut(model: TrendModel): void {
  const { start, end } = model.view;
  const span = end - start;
  model.showRange(start - span / 2, end + span / 2);
}
