/**
 * The one component that owns a uPlot instance (the Grafana habit): new options → destroy and
 * rebuild, a size change → setSize, new data → setData. Data does not pass through React
 * props: the component subscribes to its TrendModel and hands each change to uPlot directly,
 * so a 4 Hz live tail costs one setData and no render.
 *
 * Interaction beyond uPlot's own: drag selects a span to zoom into (through the model, which
 * fetches it), Shift+drag pans, Ctrl+wheel zooms around the cursor, double-click returns to
 * the live window.
 */
import { useEffect, useLayoutEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { TrendModel } from './trend-model';

export interface UPlotChartProps {
  model: TrendModel;
  options: uPlot.Options;
  onResetZoom(): void;
  /** Test hook: the instance, for the e2e test to read scales and data. */
  testId?: string;
}

function frameData(model: TrendModel): uPlot.AlignedData {
  return [model.series.xs, ...model.series.pens] as uPlot.AlignedData;
}

export function UPlotChart({ model, options, onResetZoom, testId }: UPlotChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const resetRef = useRef(onResetZoom);
  resetRef.current = onResetZoom;

  // New config → rebuild (with the current data, so nothing flickers empty).
  useLayoutEffect(() => {
    const el = container.current;
    if (!el) return;
    const u = new uPlot({ ...options, width: Math.max(200, el.clientWidth) }, frameData(model), el);
    plot.current = u;
    model.setWidth(u.bbox.width / (window.devicePixelRatio || 1));
    const detach = attachPanAndWheel(u, model, () => resetRef.current());
    (el as HTMLDivElement & { __uplot?: uPlot }).__uplot = u;
    return () => {
      detach();
      u.destroy();
      plot.current = null;
    };
  }, [model, options]);

  // New data → setData (also rescales y; x comes from the model's window).
  useEffect(
    () =>
      model.subscribe(() => {
        plot.current?.setData(frameData(model));
      }),
    [model],
  );

  // Size change → setSize.
  useLayoutEffect(() => {
    const el = container.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      const u = plot.current;
      if (!u) return;
      const width = Math.max(200, el.clientWidth);
      if (width === u.width) return;
      u.setSize({ width, height: options.height });
      model.setWidth(u.bbox.width / (window.devicePixelRatio || 1));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [model, options.height]);

  return <div ref={container} className="fo-trend-plot" data-testid={testId} />;
}

function attachPanAndWheel(u: uPlot, model: TrendModel, onReset: () => void): () => void {
  const over = u.over;
  let drag: { x0: number; start: number; end: number } | null = null;
  const onDown = (e: MouseEvent) => {
    if (!e.shiftKey || e.button !== 0) return;
    // Shift: pan instead of uPlot's drag-to-select.
    e.stopPropagation();
    e.preventDefault();
    drag = { x0: e.clientX, start: model.view.start, end: model.view.end };
    window.addEventListener('mousemove', onMove);
    window.addEventListener('mouseup', onUp, { once: true });
  };
  const shifted = (e: MouseEvent) => {
    if (!drag) return null;
    const plotWidth = over.clientWidth || 1;
    const dt = ((e.clientX - drag.x0) / plotWidth) * (drag.end - drag.start);
    return { start: drag.start - dt, end: drag.end - dt };
  };
  const onMove = (e: MouseEvent) => {
    const next = shifted(e);
    if (!next) return;
    // Preview the pan at once with the data already held; the fetch happens on release.
    model.view = { ...next, live: false };
    u.setData(u.data);
  };
  const onUp = (e: MouseEvent) => {
    const next = shifted(e);
    drag = null;
    window.removeEventListener('mousemove', onMove);
    if (next) model.showRange(next.start, next.end);
  };
  let wheelTimer: ReturnType<typeof setTimeout> | null = null;
  const onWheel = (e: WheelEvent) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    const rect = over.getBoundingClientRect();
    const at = u.posToVal(e.clientX - rect.left, 'x');
    const factor = e.deltaY < 0 ? 0.8 : 1.25;
    const start = at - (at - model.view.start) * factor;
    const end = at + (model.view.end - at) * factor;
    model.view = { start, end, live: false };
    u.setData(u.data);
    if (wheelTimer) clearTimeout(wheelTimer);
    wheelTimer = setTimeout(() => model.showRange(model.view.start, model.view.end), 250);
  };
  const onDbl = () => onReset();
  over.addEventListener('mousedown', onDown, { capture: true });
  over.addEventListener('wheel', onWheel, { passive: false });
  over.addEventListener('dblclick', onDbl);
  return () => {
    over.removeEventListener('mousedown', onDown, { capture: true });
    over.removeEventListener('wheel', onWheel);
    over.removeEventListener('dblclick', onDbl);
    window.removeEventListener('mousemove', onMove);
    if (wheelTimer) clearTimeout(wheelTimer);
  };
}
