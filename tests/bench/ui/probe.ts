/**
 * What a bench page reports to the driver (tests/bench/ui.bench.ts) through `window.__bench`.
 * Types only: shared by the page (browser) and the driver (Node).
 */
export interface BenchProbe {
  phase: 'loading' | 'live' | 'error';
  error: string | null;
  /** Data in hand → first frame with the chart drawn, ms (trend scenarios). */
  firstDrawMs: number | null;
  /** Rows or points drawn (to confirm the scenario did what it says). */
  drawnItems: number;
  /** Synchronous cost of each live update since the last reset, ms. */
  updateMs: number[];
  /** requestAnimationFrame callbacks since the last reset. */
  frames: number;
  /** Long tasks (> 50 ms) since the last reset, and their total duration. */
  longTasks: number;
  longTaskMs: number;
  /** Set when the live updates have stopped (the driver's window is over). */
  liveDone: boolean;
  /** Starts the live updates at LIVE_HZ for `durationMs` (an update in flight at the end completes). */
  startLive(durationMs: number): void;
  reset(): void;
}

export type Scenario = 'trend-uplot' | 'trend-recharts' | 'grid-transient' | 'grid-react';
export const SCENARIOS: readonly Scenario[] = ['trend-uplot', 'trend-recharts', 'grid-transient', 'grid-react'];

/** Live updates per second in every scenario (the stream's rate). */
export const LIVE_HZ = 4;
export const TREND_PENS = 4;
export const TREND_POINTS = 100_000;
export const GRID_DEVICES = 500;
