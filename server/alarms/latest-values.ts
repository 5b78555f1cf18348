/**
 * What the rule evaluator knows of each device: the latest value and timestamp per parameter,
 * and a short history for the parameters that rate_of_change leaves read (only as long as
 * the longest window that needs it). Fed from committed ingest batches, so nothing here ever
 * waits on the series store; turned into plain, structured-clone friendly snapshots for the
 * worker threads.
 */
import type { ParameterValue, RateSample } from '../../engine/rules/index.js';
import type { EvaluationSnapshot } from '../jobs/workers/rule-evaluator.js';

/** Samples kept per parameter at most, whatever the window (a flood of fast samples stays bounded). */
export const MAX_HISTORY_SAMPLES = 10_000;

export interface SnapshotNeeds {
  /** Parameters the rule reads. */
  readonly parameters: readonly string[];
  /** For each rate_of_change parameter: every window (ms) a leaf asks for. */
  readonly rateWindows: ReadonlyMap<string, readonly number[]>;
}

interface DeviceValues {
  latest: Map<string, { value: ParameterValue; ts: number }>;
  history: Map<string, RateSample[]>;
}

export class LatestValues {
  private readonly devices = new Map<number, DeviceValues>();
  /** Per factory: parameter → longest rate window (ms) any of its rules needs. */
  private readonly windows = new Map<number, ReadonlyMap<string, number>>();

  /** Called by the rule cache whenever a factory's rules change. */
  setHistoryWindows(factoryId: number, windows: ReadonlyMap<string, number>): void {
    this.windows.set(factoryId, windows);
  }

  /**
   * Records one committed sample. Returns true when it became the parameter's latest value
   * (an older sample arriving late changes only the history).
   */
  record(factoryId: number, deviceId: number, parameter: string, ts: number, value: ParameterValue): boolean {
    let device = this.devices.get(deviceId);
    if (device === undefined) {
      device = { latest: new Map(), history: new Map() };
      this.devices.set(deviceId, device);
    }
    const windowMs = this.windows.get(factoryId)?.get(parameter);
    if (windowMs !== undefined && typeof value === 'number' && Number.isFinite(value)) {
      let samples = device.history.get(parameter);
      if (samples === undefined) {
        samples = [];
        device.history.set(parameter, samples);
      }
      insertSample(samples, { ts, value });
      prune(samples, windowMs);
    }
    const current = device.latest.get(parameter);
    if (current === undefined) {
      device.latest.set(parameter, { value, ts });
      return true;
    }
    if (current.ts > ts) return false;
    // In place: every committed value passes here (snapshot() copies what it hands out).
    current.value = value;
    current.ts = ts;
    return true;
  }

  /** Whether the device has reported any of `parameters`. */
  hasAny(deviceId: number, parameters: readonly string[]): boolean {
    const device = this.devices.get(deviceId);
    if (device === undefined) return false;
    for (const p of parameters) if (device.latest.has(p)) return true;
    return false;
  }

  /**
   * The values a rule needs of one device at `now`. History is reduced to the samples the
   * rate computation actually uses — the newest at or before `now` and, per window, the
   * oldest inside it — which gives the same rate as the full history (see
   * rateOfChangePerMinute) at a fraction of the copying.
   */
  snapshot(deviceId: number, needs: SnapshotNeeds, now: number): EvaluationSnapshot {
    const device = this.devices.get(deviceId);
    const latest: EvaluationSnapshot['latest'] = {};
    if (device === undefined) return { latest };
    for (const p of needs.parameters) {
      const v = device.latest.get(p);
      if (v !== undefined) latest[p] = { value: v.value, ts: v.ts };
    }
    if (needs.rateWindows.size === 0) return { latest };
    const history: Record<string, RateSample[]> = {};
    for (const [p, windows] of needs.rateWindows) {
      const samples = device.history.get(p);
      if (samples !== undefined && samples.length > 0) history[p] = reduceForRate(samples, windows, now);
    }
    return { latest, history };
  }

  forgetDevice(deviceId: number): void {
    this.devices.delete(deviceId);
  }
}

/** Inserts in ascending ts order (samples nearly always arrive in order: append). */
function insertSample(samples: RateSample[], sample: RateSample): void {
  const last = samples[samples.length - 1];
  if (last === undefined || last.ts <= sample.ts) {
    samples.push(sample);
    return;
  }
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((samples[mid] as RateSample).ts <= sample.ts) lo = mid + 1;
    else hi = mid;
  }
  samples.splice(lo, 0, sample);
}

/** Drops samples older than the window before the newest one, and any beyond the cap. */
function prune(samples: RateSample[], windowMs: number): void {
  const newest = samples[samples.length - 1];
  if (newest === undefined) return;
  const from = newest.ts - windowMs;
  let drop = 0;
  while (drop < samples.length && (samples[drop] as RateSample).ts < from) drop++;
  drop = Math.max(drop, samples.length - MAX_HISTORY_SAMPLES);
  if (drop > 0) samples.splice(0, drop);
}

function reduceForRate(samples: readonly RateSample[], windows: readonly number[], now: number): RateSample[] {
  // Newest usable sample: the last one at or before `now`.
  let newestIndex = samples.length - 1;
  while (newestIndex >= 0 && (samples[newestIndex] as RateSample).ts > now) newestIndex--;
  if (newestIndex < 0) return [];
  const picked = new Set<number>([newestIndex]);
  for (const windowMs of windows) {
    const from = now - windowMs;
    // First sample with ts >= from (binary search over the ascending list).
    let lo = 0;
    let hi = newestIndex + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((samples[mid] as RateSample).ts < from) lo = mid + 1;
      else hi = mid;
    }
    if (lo <= newestIndex) picked.add(lo);
  }
  return [...picked].sort((a, b) => a - b).map((i) => {
    const s = samples[i] as RateSample;
    return { ts: s.ts, value: s.value };
  });
}
