/**
 * uPlot options for a trend: one scale (and axis) per unit so pens in °C and bar each keep
 * their own range, the x window taken from the model (zoom and pan go through the model and
 * fetch, uPlot never rescales x by itself), values at the cursor in the legend, alarm limits
 * drawn by a plugin.
 */
import uPlot from 'uplot';
import { formatDateTime, formatTick, formatValue } from '../../lib/format';
import type { AlarmLimit } from './alarm-limits';
import type { PenSpec, TrendModel } from './trend-model';

export const PEN_COLORS = ['#4c90f0', '#f0b726', '#72ca9b', '#e76a6e', '#bdadff', '#5ed3e6', '#f5a36a', '#d1f26d'];

export interface TrendCallbacks {
  onZoom(start: number, end: number): void;
}

export interface TrendTheme {
  axis: string;
  grid: string;
  text: string;
  severity: Record<string, string>;
}

export function readTheme(): TrendTheme {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    axis: v('--fo-muted', '#8a94a3'),
    grid: v('--fo-border', '#2c323b'),
    text: v('--fo-text', '#d8dde4'),
    severity: {
      critical: v('--fo-critical', '#e5484d'),
      high: v('--fo-high', '#f0883e'),
      medium: v('--fo-medium', '#e5c84a'),
      low: v('--fo-low', '#4ea5e6'),
    },
  };
}

/** Pens with the same unit share a scale; a pen without a unit gets its own. */
export function scaleKeyOf(pen: PenSpec): string {
  return pen.unit ? `u:${pen.unit}` : `p:${pen.key}`;
}

/** Text size of a trend: axes, their labels and the limit labels (a wall display reads larger). */
export interface TrendStyle {
  fontPx: number;
}

export const DEFAULT_TREND_STYLE: TrendStyle = { fontPx: 12 };

const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

let measureCtx: CanvasRenderingContext2D | null = null;

/** Width of a tick label in CSS px, so an axis is as wide as its longest value ("100.00", "-1,250"). */
function textWidth(text: string, font: string): number {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  if (!measureCtx) return text.length * 8;
  measureCtx.font = font;
  return measureCtx.measureText(text).width;
}

/** A y axis's width: the longest value plus tick and gap (uPlot's defaults, 10 + 5), at least 40 px. */
function yAxisSize(font: string): uPlot.Axis.Size {
  return (_u, values) => Math.ceil(Math.max(40, ...(values ?? []).map((v) => textWidth(String(v), font))) + 10 + 8);
}

function limitsPlugin(limits: ReadonlyMap<string, readonly AlarmLimit[]>, pens: readonly PenSpec[], theme: TrendTheme, style: TrendStyle): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const { ctx } = u;
        const { left, top, width, height } = u.bbox;
        const dpr = window.devicePixelRatio || 1;
        ctx.save();
        ctx.font = `${Math.round(style.fontPx * 0.92) * dpr}px ${FONT_FAMILY}`;
        ctx.textAlign = 'right';
        for (const pen of pens) {
          const scale = scaleKeyOf(pen);
          for (const limit of limits.get(pen.key) ?? []) {
            const color = theme.severity[limit.severity] ?? theme.axis;
            const y = u.valToPos(limit.value, scale, true);
            ctx.strokeStyle = color;
            ctx.fillStyle = color;
            if (!Number.isFinite(y)) continue;
            const text = `${pen.label} ${limit.label}`;
            if (y < top || y > top + height) {
              // Off-scale: say so at the edge instead of hiding it.
              const edge = y < top ? top + 12 * dpr : top + height - 4 * dpr;
              ctx.fillText(`${y < top ? '▲' : '▼'} ${text}`, left + width - 4 * dpr, edge);
              continue;
            }
            ctx.lineWidth = 1 * dpr;
            ctx.setLineDash([6 * dpr, 4 * dpr]);
            ctx.beginPath();
            ctx.moveTo(left, Math.round(y) + 0.5);
            ctx.lineTo(left + width, Math.round(y) + 0.5);
            ctx.stroke();
            ctx.fillText(text, left + width - 4 * dpr, y - 3 * dpr);
          }
        }
        ctx.restore();
      },
    },
  };
}

const two = (n: number) => String(n).padStart(2, '0');

/** An x-axis label: seconds for spans under a minute's ticks, the date for ticks a day apart. */
export function timeTick(ms: number, incrementMs: number): string {
  const d = new Date(ms);
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  if (incrementMs < 60_000) return `${hm}:${two(d.getSeconds())}`;
  if (incrementMs >= 86_400_000) return `${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  if (incrementMs >= 3 * 3_600_000 || (d.getHours() === 0 && d.getMinutes() === 0)) return `${two(d.getMonth() + 1)}-${two(d.getDate())} ${hm}`;
  return hm;
}

export function buildTrendOptions(
  model: TrendModel,
  pens: readonly PenSpec[],
  limits: ReadonlyMap<string, readonly AlarmLimit[]>,
  theme: TrendTheme,
  callbacks: TrendCallbacks,
  height: number,
  style: TrendStyle = DEFAULT_TREND_STYLE,
): uPlot.Options {
  const font = `${style.fontPx}px ${FONT_FAMILY}`;
  const labelFont = `bold ${style.fontPx}px ${FONT_FAMILY}`;
  const scales: uPlot.Scales = {
    x: { time: true, range: () => [model.view.start, model.view.end] },
  };
  const axes: uPlot.Axis[] = [
    {
      stroke: theme.axis,
      font,
      // uPlot's default height (50) for 12 px, growing with the text.
      size: 50 + Math.max(0, style.fontPx - 12) * 2,
      // 24-hour clock, as control rooms read time; the date where the span needs it.
      values: (_u, splits, _axis, _space, increment) => splits.map((v) => timeTick(v, increment)),
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1 },
    },
  ];
  const scaleKeys: string[] = [];
  for (const pen of pens) {
    const key = scaleKeyOf(pen);
    if (scaleKeys.includes(key)) continue;
    scaleKeys.push(key);
    scales[key] = { auto: true, range: (_u, min, max) => uPlot.rangeNum(min ?? 0, max ?? 1, 0.1, true) as uPlot.Range.MinMax };
    const i = scaleKeys.length - 1;
    axes.push({
      scale: key,
      side: i % 2 === 0 ? 3 : 1,
      label: pen.unit ?? pen.label,
      labelSize: Math.round(style.fontPx * 1.5),
      labelFont,
      font,
      stroke: pens.filter((p) => scaleKeyOf(p) === key).length === 1 ? pen.color : theme.axis,
      grid: { show: i === 0, stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1 },
      size: yAxisSize(font),
      values: (_u, splits, _axis, _space, increment) => splits.map((v) => formatTick(v, increment)),
    });
  }
  return {
    width: 800,
    height,
    ms: 1,
    pxAlign: 0,
    scales,
    axes,
    series: [
      { label: 'Time', value: (_u, v) => (v === null ? '—' : formatDateTime(v)) },
      ...pens.map(
        (pen): uPlot.Series => ({
          label: pen.unit ? `${pen.label} (${pen.unit})` : pen.label,
          stroke: pen.color,
          width: 1.5,
          scale: scaleKeyOf(pen),
          spanGaps: false,
          value: (_u, v) => (v === null || v === undefined ? '—' : formatValue(v)),
        }),
      ),
    ],
    cursor: { drag: { x: true, y: false, setScale: false }, focus: { prox: 16 } },
    legend: { live: true },
    plugins: [limitsPlugin(limits, pens, theme, style)],
    hooks: {
      setSelect: [
        (u) => {
          const { left, width } = u.select;
          if (width > 4) {
            const start = u.posToVal(left, 'x');
            const end = u.posToVal(left + width, 'x');
            callbacks.onZoom(start, end);
          }
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        },
      ],
    },
  };
}
