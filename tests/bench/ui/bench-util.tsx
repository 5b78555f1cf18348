/** Small helpers of the bench pages. */

/** Resolves after the next frame has been produced (rAF, then the task after it: paint is done). */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/** Deterministic pseudo-random numbers (mulberry32), so every run draws the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Live updates of a scenario: `update` applies one; the probe starts them when the driver asks. */
export type LiveUpdate = () => void;

/**
 * Runs `update` at `hz` for `durationMs` and records each one's synchronous cost: from the
 * call to the end of the microtasks it queued (uPlot and React both finish their render in a
 * microtask). An update slower than the period delays the next; none starts after the end.
 */
export function runLive(hz: number, durationMs: number, update: LiveUpdate, record: (ms: number) => void, done: () => void): void {
  const started = performance.now();
  const timer = setInterval(() => {
    if (performance.now() - started >= durationMs) {
      clearInterval(timer);
      done();
      return;
    }
    const t0 = performance.now();
    update();
    queueMicrotask(() => record(performance.now() - t0));
  }, 1000 / hz);
}
