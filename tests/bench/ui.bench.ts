/**
 * UI benchmark (`npm run bench:ui`), in real Chromium (playwright-core, /usr/bin/chromium,
 * headless).
 *
 * The bench pages (tests/bench/ui/) are built by Vite in production mode into a temp folder
 * and served from 127.0.0.1 by a small static server here. Each scenario gets a fresh browser
 * context, a 1600×900 viewport and its own page:
 *
 * - trend: 4 pens × 100,000 points (4 Hz data, ~7 h) — time from the data in hand (the API's
 *   History answers) to the first frame with the chart drawn, then one new sample per pen at
 *   4 Hz. uPlot through the renderer's own TrendModel + buildTrendOptions + UPlotChart, against
 *   the same data in Recharts (the seed design's chart) in the same run.
 * - grid: the overview's device grid with 500 devices × 4 key values, every device getting new
 *   values at 4 Hz. The renderer's DeviceStatusGrid (cells painted from store subscriptions)
 *   against the same rows rendered through React on every update.
 *
 * Figures per scenario, over a measuring window after a warm-up:
 * - update cost: synchronous time of each live update (the call plus the render microtasks it
 *   queued), median and p95 — measured in the page;
 * - main-thread time per update and main-thread busy %: CDP Performance.getMetrics
 *   TaskDuration (all main-thread work: script, style, layout, paint) over the window;
 * - frame rate: requestAnimationFrame callbacks per second; long tasks (> 50 ms).
 *
 * Environment: BENCH_UI_MEASURE_MS (default 5000), BENCH_UI_KEEP=1 keeps the built pages.
 * The machine is shared (2 cores): the load average is printed with the figures.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { GRID_DEVICES, LIVE_HZ, TREND_PENS, TREND_POINTS, type BenchProbe, type Scenario } from './ui/probe.js';

const here = dirname(fileURLToPath(import.meta.url));
const MEASURE_MS = Number(process.env.BENCH_UI_MEASURE_MS ?? 5000);
/** Idle time after the first draw (garbage collection, late layout) before measuring. */
const WARMUP_MS = 1000;
/**
 * CDP's clock for TaskDuration: 'threadTicks' counts the main thread's CPU time (what the page
 * costs, independent of other processes on a shared machine); 'timeTicks' counts wall time.
 */
const TIME_DOMAIN = process.env.BENCH_UI_TIME_DOMAIN === 'timeTicks' ? 'timeTicks' : 'threadTicks';
/** Only the scenarios whose name contains this (e.g. "grid"). */
const ONLY = process.env.BENCH_UI_ONLY ?? '';
/** Recharts with 400,000 points may take long to draw; beyond this the figure is "more than". */
const FIRST_DRAW_LIMIT_MS = 75_000;
/** The longest one live update may take before the scenario is given up. */
const UPDATE_LIMIT_MS = 60_000;

// ---------------------------------------------------------------------------------- build + serve

async function buildPages(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'factoryops-bench-ui-'));
  await build({
    root: join(here, 'ui'),
    configFile: false,
    logLevel: 'warn',
    mode: 'production',
    base: './',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false, chunkSizeWarningLimit: 10_000 },
  });
  return outDir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
};

function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep)) {
      response.writeHead(403).end();
      return;
    }
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    resolve({ server, url: `http://127.0.0.1:${port}/` });
  }));
}

// ---------------------------------------------------------------------------------- measure

interface Measured {
  scenario: Scenario;
  error: string | null;
  firstDrawMs: number | null;
  drawnItems: number;
  updates: number;
  updateMedianMs: number;
  updateP95Ms: number;
  /** Main-thread time per applied update (CDP TaskDuration / updates), ms. */
  mainPerUpdateMs: number;
  busyPercent: number;
  fps: number;
  updatesPerSecond: number;
  longTasks: number;
  longTaskMs: number;
}

const NOT_RUN: Measured = {
  scenario: 'trend-uplot',
  error: null,
  firstDrawMs: null,
  drawnItems: 0,
  updates: 0,
  updateMedianMs: NaN,
  updateP95Ms: NaN,
  mainPerUpdateMs: NaN,
  busyPercent: NaN,
  fps: NaN,
  updatesPerSecond: NaN,
  longTasks: 0,
  longTaskMs: 0,
};

type ProbeData = Omit<BenchProbe, 'reset' | 'startLive'>;

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(browser: Browser, baseUrl: string, scenario: Scenario): Promise<Measured> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const failed = (error: string): Measured => ({ ...NOT_RUN, scenario, error });
  try {
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: TIME_DOMAIN });
    await page.goto(`${baseUrl}?scenario=${scenario}`);
    try {
      await page.waitForFunction(() => (window as unknown as { __bench?: ProbeData }).__bench?.phase !== 'loading', undefined, { timeout: FIRST_DRAW_LIMIT_MS, polling: 200 });
    } catch {
      return { ...failed(`no first draw within ${FIRST_DRAW_LIMIT_MS / 1000} s${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`), firstDrawMs: Infinity };
    }
    const started = await page.evaluate(() => {
      const b = (window as unknown as { __bench: ProbeData }).__bench;
      return { phase: b.phase, error: b.error };
    });
    if (started.phase === 'error') return failed(started.error ?? 'page error');

    await sleep(WARMUP_MS);
    const metrics = async () => {
      const { metrics: list } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
      const get = (name: string) => list.find((m) => m.name === name)?.value ?? NaN;
      return { task: get('TaskDuration'), at: get('Timestamp') };
    };
    await page.evaluate(() => (window as unknown as { __bench: BenchProbe }).__bench.reset());
    const m0 = await metrics();
    await page.evaluate((duration) => (window as unknown as { __bench: BenchProbe }).__bench.startLive(duration), MEASURE_MS);
    // The window ends when the page stops updating: after MEASURE_MS, or after the one update
    // in flight then (a chart whose update takes 30 s gets a 30 s window with one update).
    await page.waitForFunction(() => (window as unknown as { __bench: ProbeData }).__bench.liveDone, undefined, { timeout: MEASURE_MS + UPDATE_LIMIT_MS, polling: 100 });
    const m1 = await metrics();
    const probe = await page.evaluate(() => {
      const { reset: _reset, startLive: _start, ...data } = (window as unknown as { __bench: BenchProbe }).__bench;
      return data as ProbeData;
    });
    const seconds = m1.at - m0.at;
    const busySeconds = m1.task - m0.task;
    const updates = probe.updateMs.length;
    return {
      scenario,
      error: pageErrors.length ? pageErrors.join('; ') : null,
      firstDrawMs: probe.firstDrawMs,
      drawnItems: probe.drawnItems,
      updates,
      updateMedianMs: quantile(probe.updateMs, 0.5),
      updateP95Ms: quantile(probe.updateMs, 0.95),
      mainPerUpdateMs: updates > 0 ? (busySeconds * 1000) / updates : NaN,
      busyPercent: (100 * busySeconds) / seconds,
      fps: probe.frames / seconds,
      updatesPerSecond: updates / seconds,
      longTasks: probe.longTasks,
      longTaskMs: probe.longTaskMs,
    };
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------- report

const ms = (v: number | null) => (v === Infinity ? `> ${FIRST_DRAW_LIMIT_MS / 1000} s` : v === null || !Number.isFinite(v) ? '—' : v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(v >= 10 ? 1 : 2)} ms`);
const num = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

function table(title: string, heads: [string, string], a: Measured, b: Measured): void {
  const rows: Array<[string, string, string, string]> = [
    ['time to first draw', ms(a.firstDrawMs), ms(b.firstDrawMs), 'data in hand → first frame with it drawn'],
    ['update cost, median', ms(a.updateMedianMs), ms(b.updateMedianMs), 'sync JS + render of one live update'],
    ['update cost, p95', ms(a.updateP95Ms), ms(b.updateP95Ms), ''],
    ['main thread per update', ms(a.mainPerUpdateMs), ms(b.mainPerUpdateMs), 'CDP TaskDuration ÷ updates (incl. style/layout/paint)'],
    ['main thread busy', `${num(a.busyPercent)} %`, `${num(b.busyPercent)} %`, `at ${LIVE_HZ} Hz`],
    ['updates applied', `${num(a.updatesPerSecond)} /s`, `${num(b.updatesPerSecond)} /s`, `${LIVE_HZ} /s asked`],
    ['frame rate', `${num(a.fps)} fps`, `${num(b.fps)} fps`, 'requestAnimationFrame callbacks'],
    ['long tasks (> 50 ms)', `${a.longTasks} (${Math.round(a.longTaskMs)} ms)`, `${b.longTasks} (${Math.round(b.longTaskMs)} ms)`, 'in the window'],
    ['items drawn', String(a.drawnItems), String(b.drawnItems), ''],
  ];
  const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(heads[0].length, ...rows.map((r) => r[1].length)), Math.max(heads[1].length, ...rows.map((r) => r[2].length))] as const;
  console.log(`\n${title}`);
  console.log(`${''.padEnd(w[0])}  ${heads[0].padStart(w[1])}  ${heads[1].padStart(w[2])}  note`);
  for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2].padStart(w[2])}  ${r[3]}`);
  for (const m of [a, b]) if (m.error) console.log(`  ! ${m.scenario}: ${m.error.split('\n')[0]}`);
}

async function main(): Promise<void> {
  const began = Date.now();
  console.log(`building bench pages (vite, production)…`);
  const outDir = await buildPages();
  const { server, url } = await serve(outDir);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions'],
  });
  try {
    console.log(`Chromium ${browser.version()}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; window ${MEASURE_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up`);
    const results = new Map<Scenario, Measured>();
    for (const scenario of ['trend-uplot', 'trend-recharts', 'grid-transient', 'grid-react'] as const) {
      process.stdout.write(`  ${scenario}… `);
      if (!scenario.includes(ONLY)) {
        console.log('skipped');
        continue;
      }
      const result = await measure(browser, url, scenario);
      results.set(scenario, result);
      console.log(result.error && (result.firstDrawMs === null || result.firstDrawMs === Infinity) ? `failed: ${result.error.split('\n')[0]}` : 'done');
    }
    const get = (s: Scenario): Measured => results.get(s) ?? { ...NOT_RUN, scenario: s };
    table(`Trend: ${TREND_PENS} pens × ${TREND_POINTS.toLocaleString('en-US')} points, +1 sample per pen at ${LIVE_HZ} Hz`, ['uPlot (ours)', 'Recharts (seed)'], get('trend-uplot'), get('trend-recharts'));
    table(`Overview grid: ${GRID_DEVICES} devices × 4 live values, all updated at ${LIVE_HZ} Hz`, ['transient (ours)', 'React re-render'], get('grid-transient'), get('grid-react'));
    console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; total ${((Date.now() - began) / 1000).toFixed(0)} s`);
  } finally {
    await browser.close();
    server.close();
    if (process.env.BENCH_UI_KEEP === '1') console.log(`bench pages kept in ${outDir}`);
    else rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
