/**
 * Trend: 4 pens × 100,000 points, then one new sample per pen at 4 Hz.
 *
 * uPlot goes through the real renderer's parts: TrendModel (fed the same History answers the
 * API sends, through an injected fetcher), buildTrendOptions (one scale per unit, legend,
 * limit plugin) and UPlotChart (setData on every model change); live samples go through the
 * live store as the stream's would. Recharts gets the same History answers turned into the row
 * objects it needs, drawn as the seed design did (LineChart, one Line per parameter), with the
 * settings most favourable to it: linear lines, no dots, no animation.
 */
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { useLayoutEffect, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { History } from '../../../renderer/src/api/types';
import { TrendModel, type PenSpec } from '../../../renderer/src/components/trend/trend-model';
import { buildTrendOptions, PEN_COLORS, readTheme } from '../../../renderer/src/components/trend/trend-options';
import { UPlotChart } from '../../../renderer/src/components/trend/UPlotChart';
import { applySamples, subscribeDevice } from '../../../renderer/src/stores/live-store';
import { nextFrame, seededRandom, type LiveUpdate } from './bench-util';
import { LIVE_HZ, TREND_PENS, TREND_POINTS, type BenchProbe } from './probe';

const STEP_MS = 1000 / LIVE_HZ;
const END = Date.UTC(2026, 0, 15, 12, 0, 0);
const WIDTH = 1500;
const HEIGHT = 420;
const DEVICE = 1;

const PENS: PenSpec[] = [
  { key: 'voltage_l1', label: 'Voltage L1', unit: 'V', color: PEN_COLORS[0] as string },
  { key: 'voltage_l2', label: 'Voltage L2', unit: 'V', color: PEN_COLORS[1] as string },
  { key: 'current', label: 'Current', unit: 'A', color: PEN_COLORS[2] as string },
  { key: 'temperature', label: 'Temperature', unit: '°C', color: PEN_COLORS[3] as string },
].slice(0, TREND_PENS);

const BASE: Record<string, number> = { voltage_l1: 230, voltage_l2: 231, current: 40, temperature: 60 };

/** A random walk around a base with a slow wave: realistic enough that no line is flat. */
function signal(seed: number, base: number) {
  const random = seededRandom(seed);
  let v = base;
  let i = 0;
  return () => {
    v += (random() - 0.5) * base * 0.004 + (base - v) * 0.001;
    i++;
    return Math.round((v + Math.sin(i / 2000) * base * 0.02) * 100) / 100;
  };
}

/** The API's answers for the window: one History per pen, ISO timestamps as on the wire. */
function makeHistories(): { histories: Map<string, History>; next: Map<string, () => number> } {
  const stamps = Array.from({ length: TREND_POINTS }, (_, i) => new Date(END - (TREND_POINTS - 1 - i) * STEP_MS).toISOString());
  const histories = new Map<string, History>();
  const next = new Map<string, () => number>();
  PENS.forEach((pen, p) => {
    const gen = signal(p + 1, BASE[pen.key] ?? 100);
    const points = stamps.map((timestamp) => {
      const value = gen();
      return { timestamp, value, min: value, max: value, count: 1 };
    });
    histories.set(pen.key, { parameter: pen.key, interval: 'raw', bucket_ms: STEP_MS, resolution: 'raw', points });
    next.set(pen.key, gen);
  });
  return { histories, next };
}

export async function runTrend(root: HTMLElement, scenario: 'trend-uplot' | 'trend-recharts', probe: BenchProbe): Promise<LiveUpdate> {
  const { histories, next } = makeHistories();
  await nextFrame();
  const container = document.createElement('div');
  container.style.width = `${WIDTH}px`;
  root.appendChild(container);
  const reactRoot = createRoot(container);
  let clock = END;
  const sample = () => {
    clock += STEP_MS;
    return Object.fromEntries(PENS.map((pen) => [pen.key, { ts: clock, value: (next.get(pen.key) as () => number)() }]));
  };

  if (scenario === 'trend-uplot') {
    const model = new TrendModel(DEVICE, TREND_POINTS * STEP_MS, async (_device, parameter) => histories.get(parameter) as History, () => clock);
    let drawn: () => void = () => {};
    const firstDraw = new Promise<void>((resolve) => (drawn = resolve));
    const options = buildTrendOptions(model, PENS, new Map(), readTheme(), { onZoom: () => {} }, HEIGHT);
    options.plugins = [...(options.plugins ?? []), { hooks: { draw: [(u) => (u.data[0].length > 0 ? drawn() : undefined)] } }];
    const t0 = performance.now();
    model.setPens(PENS);
    reactRoot.render(<UPlotChart model={model} options={options} onResetZoom={() => {}} />);
    await firstDraw;
    await nextFrame();
    probe.firstDrawMs = performance.now() - t0;
    probe.drawnItems = model.series.xs.length * PENS.length;
    // Live samples reach the model the way the device page wires it: live store → model.
    subscribeDevice(DEVICE, (values) => model.onValues(values));
    return () => applySamples({ [DEVICE]: sample() });
  }

  let setRows: (update: (rows: Row[]) => Row[]) => void = () => {};
  let committed: () => void = () => {};
  const firstCommit = new Promise<void>((resolve) => (committed = resolve));
  const t0 = performance.now();
  const rows: Row[] = (histories.get(PENS[0]?.key ?? '') as History).points.map((point, i) => {
    const row: Row = { t: Date.parse(point.timestamp) };
    for (const pen of PENS) row[pen.key] = (histories.get(pen.key) as History).points[i]?.value as number;
    return row;
  });
  reactRoot.render(<RechartsTrend initial={rows} expose={(set) => (setRows = set)} onCommit={() => committed()} />);
  await firstCommit;
  await linesDrawn(container);
  await nextFrame();
  probe.firstDrawMs = performance.now() - t0;
  probe.drawnItems = rows.length * PENS.length;
  return () => {
    const s = sample();
    const row: Row = { t: clock };
    for (const pen of PENS) row[pen.key] = s[pen.key]?.value as number;
    // The window slides: the oldest row leaves as the new one arrives (as the live tail does).
    flushSync(() => setRows((prev) => [...prev.slice(1), row]));
    void container.offsetHeight; // style and layout of the new SVG, inside the measured time
  };
}

type Row = { t: number } & Record<string, number>;

/** Resolves when Recharts has put a path with points for every pen into the DOM. */
function linesDrawn(container: HTMLElement): Promise<void> {
  const done = () => {
    const paths = container.querySelectorAll('path.recharts-line-curve');
    return paths.length === PENS.length && [...paths].every((p) => (p.getAttribute('d') ?? '').length > 100);
  };
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (!done()) return;
      observer.disconnect();
      resolve();
    });
    observer.observe(container, { subtree: true, childList: true, attributes: true });
  });
}

const AXIS_OF: Record<string, string> = { V: 'V', A: 'A', '°C': 'C' };

function RechartsTrend({ initial, expose, onCommit }: { initial: Row[]; expose(set: (update: (rows: Row[]) => Row[]) => void): void; onCommit(): void }) {
  const [rows, setRows] = useState(initial);
  expose(setRows);
  useLayoutEffect(() => onCommit());
  const theme = readTheme();
  return (
    <LineChart width={WIDTH} height={HEIGHT} data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
      <CartesianGrid stroke={theme.grid} />
      <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale="time" stroke={theme.axis} tickFormatter={(t: number) => new Date(t).toISOString().slice(11, 19)} />
      <YAxis yAxisId="V" stroke={theme.axis} domain={['auto', 'auto']} />
      <YAxis yAxisId="A" orientation="right" stroke={theme.axis} domain={['auto', 'auto']} />
      <YAxis yAxisId="C" orientation="right" stroke={theme.axis} domain={['auto', 'auto']} />
      <Tooltip />
      <Legend />
      {PENS.map((pen) => (
        <Line key={pen.key} yAxisId={AXIS_OF[pen.unit ?? ''] ?? 'V'} type="linear" dataKey={pen.key} name={`${pen.label} (${pen.unit})`} stroke={pen.color} strokeWidth={1.5} dot={false} isAnimationActive={false} />
      ))}
    </LineChart>
  );
}
