/**
 * Bench page entry: `?scenario=trend-uplot|trend-recharts|grid-transient|grid-react`. Sets up
 * the probe the driver reads (frames, long tasks, update costs), then runs the scenario.
 * Built by Vite in production mode, like the real renderer.
 */
import '@blueprintjs/core/lib/css/blueprint.css';
import 'uplot/dist/uPlot.min.css';
import '../../../renderer/src/styles/app.css';
import type { BenchProbe, Scenario } from './probe';
import { LIVE_HZ, SCENARIOS } from './probe';
import { runLive, type LiveUpdate } from './bench-util';
import { runGrid } from './grid-bench';
import { runTrend } from './trend-bench';

declare global {
  interface Window {
    __bench?: BenchProbe;
  }
}

/** The scenario's live update, set once it has drawn. */
let live: LiveUpdate | null = null;

function createProbe(): BenchProbe {
  const probe: BenchProbe = {
    phase: 'loading',
    error: null,
    firstDrawMs: null,
    drawnItems: 0,
    updateMs: [],
    frames: 0,
    longTasks: 0,
    longTaskMs: 0,
    liveDone: false,
    startLive(durationMs) {
      if (!live) throw new Error('the scenario has not started');
      runLive(LIVE_HZ, durationMs, live, (ms) => probe.updateMs.push(ms), () => (probe.liveDone = true));
    },
    reset() {
      probe.updateMs = [];
      probe.frames = 0;
      probe.longTasks = 0;
      probe.longTaskMs = 0;
    },
  };
  const frame = () => {
    probe.frames++;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      probe.longTasks++;
      probe.longTaskMs += entry.duration;
    }
  }).observe({ type: 'longtask', buffered: false });
  return probe;
}

async function start(): Promise<void> {
  const probe = createProbe();
  window.__bench = probe;
  const scenario = new URLSearchParams(window.location.search).get('scenario') as Scenario | null;
  const root = document.getElementById('root');
  try {
    if (!root || !scenario || !SCENARIOS.includes(scenario)) throw new Error(`unknown scenario ${String(scenario)}`);
    live = scenario === 'trend-uplot' || scenario === 'trend-recharts' ? await runTrend(root, scenario, probe) : await runGrid(root, scenario, probe);
    probe.phase = 'live';
  } catch (error) {
    probe.phase = 'error';
    probe.error = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  }
}

void start();
