/**
 * The demo machine models (server/demo/machines.ts): deterministic for a seed and a clock,
 * physically consistent (energy integrates power, power follows load, temperatures lag),
 * inside physical ranges while healthy, and showing the right symptoms during a fault.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PAYLOAD_LIMITS, isParameterKey, parseTelemetryPayload } from '../../../engine/telemetry/index.js';
import { DEMO_PARAMETER_META } from '../../../server/demo/catalog.js';
import {
  createMachine,
  FAULT_BY_KIND,
  MACHINE_KINDS,
  nameplate,
  step,
  type Machine,
  type MachineKind,
  type MachineOptions,
  type MetricRecord,
} from '../../../server/demo/machines.js';
import { gaussian, happens, hashString, mulberry32, type Random } from '../../../server/demo/random.js';

/** 2026-03-02T00:00:00Z */
const T0 = Date.UTC(2026, 2, 2);
const HOUR = 3_600_000;
const HEALTHY: MachineOptions = { faultRatePerHour: 0, glitchRatePerHour: 0 };

interface Run {
  machine: Machine;
  samples: MetricRecord[];
  times: number[];
  dts: number[];
  faulted: boolean[];
  glitched: (string | null)[];
}

/** Steps a machine `count` times with step lengths from `dtOf`, recording everything. */
function run(machine: Machine, count: number, dtOf: (i: number) => number, start = T0): Run {
  const result: Run = { machine, samples: [], times: [], dts: [], faulted: [], glitched: [] };
  let now = start;
  for (let i = 0; i < count; i++) {
    const dt = i === 0 ? 0 : dtOf(i);
    now += dt;
    result.samples.push(step(machine, now, dt));
    result.times.push(now);
    result.dts.push(dt);
    result.faulted.push(machine.fault !== null);
    result.glitched.push(machine.glitch);
  }
  return result;
}

function num(sample: MetricRecord | undefined, key: string): number {
  const value = sample?.[key];
  if (typeof value !== 'number') throw new Error(`${key} is not a number: ${String(value)}`);
  return value;
}

function series(r: Run, key: string): number[] {
  return r.samples.map((s) => num(s, key));
}

/** A seeded source that returns 0 (so every Poisson event fires) while `forced` is set. */
function forcible(seed: number): { rng: Random; force(on: boolean): void } {
  const seeded = mulberry32(seed);
  let forced = false;
  return {
    rng: () => (forced ? 0 : seeded()),
    force(on) {
      forced = on;
    },
  };
}

describe('random', () => {
  it('mulberry32 repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seqA = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(seqA);
    expect(Array.from({ length: 1000 }, c)).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = seqA.reduce((s, x) => s + x, 0) / seqA.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('gaussian is finite for a source that returns 0, and has unit spread', () => {
    expect(Math.abs(gaussian(() => 0))).toBe(0);
    const rng = mulberry32(7);
    const xs = Array.from({ length: 20_000 }, () => gaussian(rng));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(variance).toBeGreaterThan(0.9);
    expect(variance).toBeLessThan(1.1);
  });

  it('happens() never fires at rate 0 or dt 0, and always fires for a source stuck at 0', () => {
    expect(happens(() => 0, 0, 1000)).toBe(false);
    expect(happens(() => 0, 10, 0)).toBe(false);
    expect(happens(() => 0, 0.001, 1)).toBe(true);
    expect(happens(() => 0.999_999, 1, 1000)).toBe(false);
  });

  it('hashString is stable', () => {
    expect(hashString('CMP-01')).toBe(hashString('CMP-01'));
    expect(hashString('CMP-01')).not.toBe(hashString('CMP-02'));
  });
});

describe.each(MACHINE_KINDS)('%s', (kind: MachineKind) => {
  it('gives the same telemetry for the same seed and the same times', () => {
    const jitter = (i: number) => 500 + ((i * 7919) % 2500);
    const a = run(createMachine(kind, 'M-01', mulberry32(11)), 2_000, jitter);
    const b = run(createMachine(kind, 'M-01', mulberry32(11)), 2_000, jitter);
    const c = run(createMachine(kind, 'M-01', mulberry32(12)), 2_000, jitter);
    expect(b.samples).toEqual(a.samples);
    expect(c.samples).not.toEqual(a.samples);
  });

  it('publishes running (boolean), power_kw and energy_kwh, all labelled and valid for ingest', () => {
    const r = run(createMachine(kind, 'M-02', mulberry32(5)), 200, () => 1000);
    for (const [i, sample] of r.samples.entries()) {
      expect(typeof sample.running).toBe('boolean');
      expect(typeof sample.power_kw).toBe('number');
      expect(typeof sample.energy_kwh).toBe('number');
      for (const [key, value] of Object.entries(sample)) {
        expect(isParameterKey(key), key).toBe(true);
        expect(DEMO_PARAMETER_META[key], `no label for ${key}`).toBeDefined();
        if (typeof value === 'number') expect(Number.isFinite(value), key).toBe(true);
      }
      const parsed = parseTelemetryPayload(
        JSON.stringify({ metrics: sample, timestamp: r.times[i] }),
        DEFAULT_PAYLOAD_LIMITS,
        r.times[i] ?? T0,
      );
      expect(parsed.ok).toBe(true);
    }
  });

  it('integrates power into a monotonic energy meter', () => {
    // Faults, glitches and stops on at high rates, irregular steps: the meter must still add up.
    const machine = createMachine(kind, 'M-03', mulberry32(21), {
      faultRatePerHour: 2,
      glitchRatePerHour: 20,
      stopRatePerHour: 2,
    });
    const r = run(machine, 8 * 3_600, (i) => 400 + ((i * 613) % 1_700));
    const energy = series(r, 'energy_kwh');
    const power = series(r, 'power_kw');
    for (let i = 1; i < energy.length; i++) expect(energy[i]).toBeGreaterThanOrEqual(energy[i - 1] ?? 0);

    // Right-hand rule: each reading is taken at the end of its interval.
    let integral = 0;
    for (let i = 1; i < power.length; i++) integral += ((power[i] ?? 0) * (r.dts[i] ?? 0)) / HOUR;
    const metered = (energy.at(-1) ?? 0) - (energy[0] ?? 0);
    expect(metered).toBeGreaterThan(0);
    expect(Math.abs(metered - integral)).toBeLessThan(0.01 * metered + 0.01);
  });

  it('keeps the meter consistent across a long gap between steps', () => {
    const machine = createMachine(kind, 'M-04', mulberry32(3), HEALTHY);
    const first = step(machine, T0, 0);
    const later = step(machine, T0 + HOUR, HOUR);
    const gained = num(later, 'energy_kwh') - num(first, 'energy_kwh');
    expect(gained).toBeGreaterThanOrEqual(0);
    // No more than the machine's largest plausible draw for an hour.
    expect(gained).toBeLessThan(400);
    // Non-finite and negative steps advance nothing.
    const again = step(machine, T0 + HOUR, Number.NaN);
    expect(num(again, 'energy_kwh')).toBe(num(later, 'energy_kwh'));
    const back = step(machine, T0, -5_000);
    expect(num(back, 'energy_kwh')).toBe(num(later, 'energy_kwh'));
  });

  it('starts its meters from the clock, so a restarted demo does not reset them', () => {
    const a = step(createMachine(kind, 'M-05', mulberry32(1), HEALTHY), T0, 0);
    const b = step(createMachine(kind, 'M-05', mulberry32(99), HEALTHY), T0 + 24 * HOUR, 0);
    expect(num(a, 'energy_kwh')).toBeGreaterThan(1_000);
    expect(num(b, 'energy_kwh')).toBeGreaterThan(num(a, 'energy_kwh'));
  });

  it('develops its fault when the random source forces one, and recovers afterwards', () => {
    const source = forcible(8);
    const machine = createMachine(kind, 'M-06', source.rng, { glitchRatePerHour: 0, stopRatePerHour: 0 });
    const before = run(machine, 60, () => 1000);
    const baseline = before.samples.at(-1) ?? {};
    expect(machine.fault).toBeNull();

    source.force(true);
    let now = (before.times.at(-1) ?? T0) + 1000;
    step(machine, now, 1000);
    source.force(false);
    expect(machine.fault?.type).toBe(FAULT_BY_KIND[kind]);
    const durationMs = machine.fault?.durationMs ?? 0;
    expect(durationMs).toBeGreaterThanOrEqual(3 * 60_000);

    const during: MetricRecord[] = [];
    while (machine.fault) {
      now += 1000;
      during.push(step(machine, now, 1000));
    }
    expect(during.length).toBeGreaterThan(150);
    const worst = (key: string, pick: (...values: number[]) => number) => pick(...during.map((s) => num(s, key)));

    switch (kind) {
      case 'compressor':
        expect(worst('temperature', Math.max)).toBeGreaterThan(95);
        expect(num(baseline, 'temperature')).toBeLessThan(90);
        break;
      case 'pump':
        expect(worst('vibration', Math.max)).toBeGreaterThan(4.5);
        expect(worst('flow', Math.min)).toBeLessThan(0.8 * num(baseline, 'flow'));
        break;
      case 'press':
        expect(during.every((s) => s.state === 'running')).toBe(true);
        expect(worst('hydraulic_pressure', Math.min)).toBeLessThan(0.6 * num(baseline, 'hydraulic_pressure'));
        expect(worst('strokes_per_min', Math.min)).toBeLessThan(0.8 * num(baseline, 'strokes_per_min'));
        break;
      case 'chiller':
        expect(worst('supply_temp', Math.max)).toBeGreaterThan(10);
        expect(num(baseline, 'supply_temp')).toBeLessThan(8.5);
        break;
    }

    // Twenty minutes later the symptoms are gone.
    const after = run(machine, 1_200, () => 1000, now);
    const settled = after.samples.at(-1) ?? {};
    if (kind === 'compressor') expect(num(settled, 'temperature')).toBeLessThan(90);
    if (kind === 'pump') expect(num(settled, 'vibration')).toBeLessThan(4.5);
    if (kind === 'chiller') expect(num(settled, 'supply_temp')).toBeLessThan(8.5);
  });

  it('has faults rarely at the default rate', () => {
    let faultSteps = 0;
    let faults = 0;
    let steps = 0;
    for (const id of ['R-01', 'R-02', 'R-03', 'R-04', 'R-05', 'R-06']) {
      const r = run(createMachine(kind, id, mulberry32(hashString(id))), 24 * 720, () => 5_000);
      steps += r.faulted.length;
      faultSteps += r.faulted.filter(Boolean).length;
      faults += r.faulted.filter((f, i) => f && !r.faulted[i - 1]).length;
    }
    // 6 machines × 24 h at 1/8 h while running: a handful, not zero, not constant.
    expect(faults).toBeGreaterThan(0);
    expect(faultSteps / steps).toBeLessThan(0.15);
  });

  it('spikes one sensor reading in a glitch and leaves meters alone', () => {
    const machine = createMachine(kind, 'M-07', mulberry32(4), { faultRatePerHour: 0, glitchRatePerHour: 3_600_000 });
    const calm = createMachine(kind, 'M-07', mulberry32(4), HEALTHY);
    step(machine, T0, 0);
    const sample = step(machine, T0 + 1000, 1000);
    expect(machine.glitch).not.toBeNull();
    const metric = machine.glitch ?? '';
    expect(['power_kw', 'energy_kwh', 'cycle_count', 'running', 'state']).not.toContain(metric);
    step(calm, T0, 0);
    const normal = step(calm, T0 + 1000, 1000);
    expect(num(sample, metric)).toBeGreaterThan(1.5 * Math.abs(num(normal, metric)));

    const rare = run(createMachine(kind, 'M-08', mulberry32(4)), 3_600, () => 1000);
    expect(rare.glitched.filter((g) => g !== null).length).toBeLessThan(10);
  });
});

describe('physical ranges and correlations while healthy', () => {
  // Tens of thousands of samples: collect violations and assert once (expect() per sample is slow).
  let violations: string[] = [];
  const check = (ok: boolean, what: string): void => {
    if (!ok && violations.length < 20) violations.push(what);
  };
  beforeEach(() => {
    violations = [];
  });
  afterEach(() => {
    expect(violations).toEqual([]);
  });

  const SEEDS = [1, 2, 3];
  const twelveHours = (kind: MachineKind, seed: number, options: MachineOptions = HEALTHY) =>
    run(createMachine(kind, `H-${seed}`, mulberry32(seed), options), 12 * 1_800, () => 2_000);

  it('compressor: pressure, temperature and current stay plausible; power and current follow load', () => {
    for (const seed of SEEDS) {
      const r = twelveHours('compressor', seed, { ...HEALTHY, stopRatePerHour: 0.5 });
      const plate = nameplate('compressor', `H-${seed}`);
      const idle = plate.control === 'vsd' ? 0.1 : 0.25;
      let stoppedSamples = 0;
      for (const [i, s] of r.samples.entries()) {
        const at = `seed ${seed} sample ${i}: ${JSON.stringify(s)}`;
        const load = num(s, 'load');
        const power = num(s, 'power_kw');
        const current = num(s, 'motor_current');
        const temperature = num(s, 'temperature');
        const pressure = num(s, 'discharge_pressure');
        check(load >= 0 && load <= 100, `load ${at}`);
        check(temperature > 15 && temperature < 92, `temperature ${at}`);
        check(pressure < 8.8, `pressure ${at}`);
        check(power <= plate.ratedKw * 1.05, `power ${at}`);
        if (s.running === true) {
          check(pressure > 5.5, `running pressure ${at}`);
          const expected = plate.ratedKw * (idle + (1 - idle) * (load / 100));
          check(Math.abs(power - expected) < 0.03 * plate.ratedKw + 1, `power ∝ load ${at}`);
          // I = P / (√3 · U · cos φ) at 400 V: between 1.4 and 2.5 A per kW.
          check(current / power > 1.4 && current / power < 2.5, `current ∝ power ${at}`);
        } else {
          stoppedSamples += 1;
        }
      }
      expect(stoppedSamples).toBeGreaterThan(0);
    }
  });

  it('compressor: temperature lags power after a stop', () => {
    const machine = createMachine('compressor', 'LAG-1', mulberry32(9), { ...HEALTHY, stopRatePerHour: 0 });
    const warm = run(machine, 1_800, () => 1000).samples.at(-1) ?? {};
    machine.running = false;
    machine.stopRemainingMs = 60 * 60_000;
    let now = T0 + 1_800_000;
    let sample: MetricRecord = {};
    for (let i = 0; i < 30; i++) sample = step(machine, (now += 1000), 1000);
    expect(sample.running).toBe(false);
    expect(num(sample, 'power_kw')).toBe(0);
    expect(num(sample, 'motor_current')).toBe(0);
    expect(num(sample, 'temperature')).toBeGreaterThan(num(warm, 'temperature') - 5);
    for (let i = 0; i < 40 * 60; i++) sample = step(machine, (now += 1000), 1000);
    expect(num(sample, 'temperature')).toBeLessThan(num(warm, 'temperature') - 20);
  });

  it('pump: flow, pressure, vibration and bearing temperature stay plausible; pressure falls as flow rises', () => {
    for (const seed of SEEDS) {
      const r = twelveHours('pump', seed);
      const plate = nameplate('pump', `H-${seed}`);
      const running = r.samples.filter((s) => s.running === true);
      expect(running.length).toBeGreaterThan(r.samples.length / 2);
      for (const [i, s] of r.samples.entries()) {
        const at = `seed ${seed} sample ${i}: ${JSON.stringify(s)}`;
        check(num(s, 'flow') <= plate.ratedFlow * 1.1, `flow ${at}`);
        check(num(s, 'pressure') <= plate.ratedPressure * 1.4, `pressure ${at}`);
        check(num(s, 'vibration') < 4.5, `vibration ${at}`); // ISO 10816 zone C starts at 4.5 mm/s
        check(num(s, 'bearing_temperature') < 70, `bearing ${at}`);
        check(num(s, 'power_kw') < plate.ratedKw * 1.1, `power ${at}`);
      }
      const flows = running.map((s) => num(s, 'flow'));
      const pressures = running.map((s) => num(s, 'pressure'));
      expect(correlation(flows, pressures)).toBeLessThan(-0.5);
      expect(correlation(flows, running.map((s) => num(s, 'power_kw')))).toBeGreaterThan(0.5);
    }
  });

  it('press: cycles through running, idle and setup with realistic dwell times', () => {
    const machine = createMachine('press', 'PRS-T', mulberry32(17), HEALTHY);
    const r = run(machine, 48 * 720, () => 5_000);
    const states = r.samples.map((s) => s.state);
    expect(new Set(states)).toEqual(new Set(['running', 'idle', 'setup']));

    // Dwell segments (the first is cut short by the start of the run).
    const segments: { state: unknown; ms: number }[] = [];
    for (let i = 0; i < states.length; i++) {
      if (i === 0 || states[i] !== states[i - 1]) segments.push({ state: states[i], ms: 0 });
      else (segments.at(-1) ?? { ms: 0 }).ms += r.dts[i] ?? 0;
    }
    const minimum = { running: 8, idle: 2, setup: 10 } as Record<string, number>;
    expect(segments.length).toBeGreaterThan(20);
    for (const segment of segments.slice(1, -1)) {
      check(segment.ms + 5_000 >= (minimum[String(segment.state)] ?? 0) * 60_000, `dwell ${JSON.stringify(segment)}`);
    }

    const cycles = series(r, 'cycle_count');
    for (let i = 1; i < cycles.length; i++) {
      check(Number.isInteger(cycles[i]) && (cycles[i] ?? 0) >= (cycles[i - 1] ?? 0), `cycle_count at ${i}`);
    }
    for (let i = 12; i < r.samples.length; i++) {
      const s = r.samples[i] ?? {};
      const at = `sample ${i}: ${JSON.stringify(s)}`;
      check(s.running === (s.state === 'running'), `running ${at}`);
      check(num(s, 'hydraulic_pressure') < 265, `hydraulic ${at}`);
      check(num(s, 'oil_temperature') < 60, `oil ${at}`);
      // A minute after leaving 'running' the ram is still and the counter stands.
      const quietMinute = r.samples.slice(i - 12, i + 1).every((q) => q.state !== 'running');
      if (quietMinute) {
        check(num(s, 'strokes_per_min') === 0 && cycles[i] === cycles[i - 1], `still ${at}`);
      }
    }
    const running = r.samples.filter((s) => s.state === 'running').map((s) => num(s, 'power_kw'));
    const idle = r.samples.filter((s) => s.state === 'idle').map((s) => num(s, 'power_kw'));
    expect(mean(running)).toBeGreaterThan(2 * mean(idle));
  });

  it('chiller: ΔT is return minus supply, COP and temperatures are plausible, ambient follows the day', () => {
    for (const seed of SEEDS) {
      const r = run(createMachine('chiller', `H-${seed}`, mulberry32(seed), { ...HEALTHY, stopRatePerHour: 0 }), 24 * 720, () => 5_000);
      const byHour = new Map<number, number[]>();
      for (const [i, s] of r.samples.entries()) {
        const supply = num(s, 'supply_temp');
        const ret = num(s, 'return_temp');
        const at = `seed ${seed} sample ${i}: ${JSON.stringify(s)}`;
        check(Math.abs(ret - supply - num(s, 'delta_t')) < 0.011, `ΔT ${at}`);
        check(supply > 5 && supply < 9, `supply ${at}`);
        check(ret < 14, `return ${at}`);
        check(num(s, 'delta_t') > 0, `ΔT sign ${at}`);
        check(num(s, 'cop') > 2 && num(s, 'cop') < 9, `COP ${at}`);
        check(num(s, 'ambient_temp') > -5 && num(s, 'ambient_temp') < 35, `ambient ${at}`);
        const hour = new Date(r.times[i] ?? T0).getUTCHours();
        byHour.set(hour, [...(byHour.get(hour) ?? []), num(s, 'ambient_temp')]);
      }
      expect(mean(byHour.get(15) ?? [])).toBeGreaterThan(mean(byHour.get(3) ?? []) + 8);
      // Warmer hours, more compressor power.
      const power = (h: number) => mean(r.samples.filter((_, i) => new Date(r.times[i] ?? T0).getUTCHours() === h).map((s) => num(s, 'power_kw')));
      expect(power(15)).toBeGreaterThan(power(3));
    }
  });
});

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
}

function correlation(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = (xs[i] ?? 0) - mx;
    const dy = (ys[i] ?? 0) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}
