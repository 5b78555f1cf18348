// Simulated machines for the demo fleet (`factoryops serve --demo`). Each machine is a small
// state machine with first-order physics: power follows load, energy integrates power over
// time, temperatures lag power, pressures and flows follow simple control loops. Faults and
// sensor glitches are rare Poisson events drawn from the injected random source.
//
// Pure apart from mutating the machine it is given: time (`now`, `dtMs`) and randomness (`rng`)
// are arguments, so the same seed and the same timestamps always give the same telemetry.

import { gaussian, hashString, happens, mulberry32, uniform, type Random } from './random.js';

export const MACHINE_KINDS = ['compressor', 'pump', 'press', 'chiller'] as const;
export type MachineKind = (typeof MACHINE_KINDS)[number];

/** The one fault each kind can develop. */
export const FAULT_BY_KIND = {
  compressor: 'overheating',
  pump: 'cavitation',
  press: 'hydraulic_pressure_loss',
  chiller: 'high_supply_temperature',
} as const satisfies Record<MachineKind, string>;
export type FaultType = (typeof FAULT_BY_KIND)[MachineKind];

export type MetricValue = number | string | boolean;
export type MetricRecord = Record<string, MetricValue>;

export type PressState = 'running' | 'idle' | 'setup';

export interface ActiveFault {
  readonly type: FaultType;
  readonly durationMs: number;
  elapsedMs: number;
}

export interface MachineOptions {
  /** Mean faults per running machine-hour. Default DEFAULT_FAULT_RATE_PER_HOUR; 0 disables. */
  faultRatePerHour?: number;
  /** Mean one-sample sensor spikes per machine-hour. Default DEFAULT_GLITCH_RATE_PER_HOUR; 0 disables. */
  glitchRatePerHour?: number;
  /**
   * Mean unplanned stops per running machine-hour (sequencer standby, duty/standby swap).
   * Presses ignore it: their running/idle/setup cycle is their own. 0 disables.
   */
  stopRatePerHour?: number;
}

/** About one fault per machine every 8 running hours: a 20-machine fleet shows one every ~25 min. */
export const DEFAULT_FAULT_RATE_PER_HOUR = 0.125;
export const DEFAULT_GLITCH_RATE_PER_HOUR = 0.25;

const DEFAULT_STOP_RATE_PER_HOUR: Record<MachineKind, number> = {
  compressor: 0.15,
  pump: 0.1,
  press: 0,
  chiller: 0.04,
};

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** Energy meters and stroke counters are read as if installed on this date, so a restarted demo continues near where it was. */
const METER_EPOCH_MS = Date.UTC(2024, 0, 1);
const PUMP_PEAK_EFFICIENCY = 0.75;
const MOTOR_EFFICIENCY = 0.93;
const LINE_VOLTAGE = 400;
const SQRT3 = Math.sqrt(3);
/** Internal integration step: events and dynamics advance at most this far at once. */
const MAX_SUBSTEP_MS = 1_000;
/** Most substeps per call; a longer gap is integrated in coarser substeps. */
const MAX_SUBSTEPS = 3_600;

const FAULT_DURATION_MS: Record<MachineKind, readonly [number, number]> = {
  compressor: [4 * MINUTE_MS, 10 * MINUTE_MS],
  pump: [3 * MINUTE_MS, 8 * MINUTE_MS],
  press: [3 * MINUTE_MS, 10 * MINUTE_MS],
  chiller: [5 * MINUTE_MS, 15 * MINUTE_MS],
};

const STOP_DURATION_MS: Record<MachineKind, readonly [number, number]> = {
  compressor: [5 * MINUTE_MS, 25 * MINUTE_MS],
  pump: [10 * MINUTE_MS, 40 * MINUTE_MS],
  press: [0, 0],
  chiller: [10 * MINUTE_MS, 30 * MINUTE_MS],
};

/** Analog sensors that can glitch. Meters and counters (power_kw, energy_kwh, cycle_count) do not. */
const GLITCHABLE: Record<MachineKind, readonly string[]> = {
  compressor: ['discharge_pressure', 'temperature', 'motor_current'],
  pump: ['flow', 'pressure', 'vibration', 'bearing_temperature'],
  press: ['hydraulic_pressure', 'oil_temperature'],
  chiller: ['supply_temp', 'return_temp', 'ambient_temp'],
};

/** Press dwell times per state, [min, max] ms. */
const PRESS_DWELL_MS: Record<PressState, readonly [number, number]> = {
  running: [8 * MINUTE_MS, 40 * MINUTE_MS],
  idle: [2 * MINUTE_MS, 8 * MINUTE_MS],
  setup: [10 * MINUTE_MS, 25 * MINUTE_MS],
};

// ---------------------------------------------------------------------------------------------
// Nameplates: fixed per machine id (hashed), independent of the run's seed, so CMP-03 is the
// same compressor on every run and the catalogue can print a matching model name.

export interface CompressorNameplate {
  kind: 'compressor';
  ratedKw: number;
  control: 'vsd' | 'load-unload';
  setpointBar: number;
}
export interface PumpNameplate {
  kind: 'pump';
  /** Flow at the best-efficiency point, m³/h. */
  ratedFlow: number;
  /** Discharge pressure at rated flow, bar. */
  ratedPressure: number;
  ratedKw: number;
  baseVibration: number;
}
export interface PressNameplate {
  kind: 'press';
  ratedKw: number;
  tonnage: number;
  strokesPerMin: number;
  nominalPressureBar: number;
}
export interface ChillerNameplate {
  kind: 'chiller';
  capacityKw: number;
  copNominal: number;
  setpointC: number;
  /** Where this unit's ambient sensor sits relative to the site mean, K. */
  ambientOffset: number;
}
export type Nameplate = CompressorNameplate | PumpNameplate | PressNameplate | ChillerNameplate;
type NameplateOf<K extends MachineKind> = Extract<Nameplate, { kind: K }>;

function pick<T>(rng: Random, values: readonly T[]): T {
  return values[Math.min(values.length - 1, Math.floor(rng() * values.length))] as T;
}

/** The rating plate of machine `id`: deterministic in (kind, id) alone. */
export function nameplate<K extends MachineKind>(kind: K, id: string): NameplateOf<K>;
export function nameplate(kind: MachineKind, id: string): Nameplate {
  const rng = mulberry32(hashString(`${kind}:${id}`));
  switch (kind) {
    case 'compressor':
      return {
        kind,
        ratedKw: pick(rng, [37, 45, 55, 75, 90]),
        control: rng() < 0.5 ? 'vsd' : 'load-unload',
        setpointBar: pick(rng, [7, 7.5]),
      };
    case 'pump': {
      const ratedFlow = pick(rng, [60, 90, 120, 160, 220]);
      const ratedPressure = round(uniform(rng, 3, 5), 1);
      return {
        kind,
        ratedFlow,
        ratedPressure,
        ratedKw: round(hydraulicKw(ratedFlow, ratedPressure) / PUMP_PEAK_EFFICIENCY / MOTOR_EFFICIENCY, 1),
        baseVibration: round(uniform(rng, 1.1, 1.9), 2),
      };
    }
    case 'press': {
      const tonnage = pick(rng, [250, 400, 630, 800]);
      return {
        kind,
        tonnage,
        ratedKw: tonnage <= 250 ? 30 : tonnage <= 400 ? 45 : tonnage <= 630 ? 55 : 75,
        strokesPerMin: Math.round(uniform(rng, 12, 28)),
        nominalPressureBar: Math.round(uniform(rng, 180, 250)),
      };
    }
    case 'chiller':
      return {
        kind,
        capacityKw: pick(rng, [350, 500, 700, 900]),
        copNominal: round(uniform(rng, 4.6, 5.8), 2),
        setpointC: pick(rng, [6.5, 7, 7.5]),
        ambientOffset: round(uniform(rng, -1, 1), 2),
      };
  }
}

// ---------------------------------------------------------------------------------------------
// Machine state

interface MachineBase {
  readonly id: string;
  readonly rng: Random;
  readonly faultRatePerHour: number;
  readonly glitchRatePerHour: number;
  readonly stopRatePerHour: number;
  running: boolean;
  /** Time left in an unplanned stop (compressor, pump, chiller). */
  stopRemainingMs: number;
  fault: ActiveFault | null;
  /** The metric that carried a sensor spike in the last sample, or null. */
  glitch: string | null;
  /** True power draw, kW (the sample adds meter noise). */
  powerKw: number;
  /** Cumulative energy, kWh; null until the first step sets the meter from `now`. */
  energyKwh: number | null;
}

export interface CompressorMachine extends MachineBase {
  readonly kind: 'compressor';
  readonly plate: CompressorNameplate;
  readonly demandMean: number;
  /** Air drawn by the network as a fraction of this compressor's capacity. */
  demand: number;
  /** Load, % of capacity. */
  load: number;
  /** Load/unload control: whether the compressor is currently loaded. */
  loaded: boolean;
  pressure: number;
  temperature: number;
}

export interface PumpMachine extends MachineBase {
  readonly kind: 'pump';
  readonly plate: PumpNameplate;
  readonly valveMean: number;
  /** Opening of the process valve downstream, 0..1. */
  valve: number;
  flow: number;
  pressure: number;
  bearingTemperature: number;
}

export interface PressMachine extends MachineBase {
  readonly kind: 'press';
  readonly plate: PressNameplate;
  state: PressState;
  dwellRemainingMs: number;
  strokesPerMin: number;
  hydraulicPressure: number;
  oilTemperature: number;
  /** Strokes counted since the meter epoch, fractional; null until the first step. */
  strokes: number | null;
}

export interface ChillerMachine extends MachineBase {
  readonly kind: 'chiller';
  readonly plate: ChillerNameplate;
  /** Slow weather deviation from the seasonal day curve, K. */
  weather: number;
  /** Process cooling demand, fraction of capacity. */
  load: number;
  supplyTemp: number;
  /** Return minus supply temperature, K. */
  deltaT: number;
}

export type Machine = CompressorMachine | PumpMachine | PressMachine | ChillerMachine;

// ---------------------------------------------------------------------------------------------
// Small numeric helpers

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/** First-order lag towards `target` with time constant `tauMs`; exact for any step length. */
function lag(value: number, target: number, tauMs: number, dtMs: number): number {
  return target + (value - target) * Math.exp(-dtMs / tauMs);
}

/**
 * Ornstein–Uhlenbeck step: mean-reverting random walk with stationary standard deviation
 * `sigma` and correlation time `tauMs`; exact for any step length.
 */
function drift(value: number, mean: number, tauMs: number, sigma: number, dtMs: number, rng: Random): number {
  const a = Math.exp(-dtMs / tauMs);
  return mean + (value - mean) * a + sigma * Math.sqrt(1 - a * a) * gaussian(rng);
}

/** Sensor reading: true value plus Gaussian noise, rounded to the sensor's resolution. */
function reading(rng: Random, value: number, sigma: number, decimals: number, min = 0): number {
  return round(Math.max(min, value + sigma * gaussian(rng)), decimals);
}

/** Hydraulic power of a flow (m³/h) against a pressure (bar), kW. */
function hydraulicKw(flowM3h: number, pressureBar: number): number {
  return (flowM3h * pressureBar) / 36;
}

/** Sinusoidal day curve of the outdoor temperature (UTC hours; warmest at 15:00). */
function dayCurve(now: number): number {
  const hour = (((now % 86_400_000) + 86_400_000) % 86_400_000) / HOUR_MS;
  return 16 + 7 * Math.cos((2 * Math.PI * (hour - 15)) / 24);
}

/** Mean power used to set a meter's starting reading from `now`. */
function meanKw(machine: Machine): number {
  switch (machine.kind) {
    case 'compressor':
      return machine.plate.ratedKw * 0.65;
    case 'pump':
      return machine.plate.ratedKw * 0.8;
    case 'press':
      return machine.plate.ratedKw * 0.5;
    case 'chiller':
      return (machine.plate.capacityKw * 0.5) / machine.plate.copNominal;
  }
}

// ---------------------------------------------------------------------------------------------
// Creation

/**
 * A new machine in a plausible running state. The rng is kept and used for every later step;
 * the rating plate comes from `nameplate(kind, id)`.
 */
export function createMachine(kind: MachineKind, id: string, rng: Random, options: MachineOptions = {}): Machine {
  const base = {
    id,
    rng,
    faultRatePerHour: options.faultRatePerHour ?? DEFAULT_FAULT_RATE_PER_HOUR,
    glitchRatePerHour: options.glitchRatePerHour ?? DEFAULT_GLITCH_RATE_PER_HOUR,
    stopRatePerHour: options.stopRatePerHour ?? DEFAULT_STOP_RATE_PER_HOUR[kind],
    running: true,
    stopRemainingMs: 0,
    fault: null,
    glitch: null,
    energyKwh: null,
  };
  switch (kind) {
    case 'compressor': {
      const plate = nameplate('compressor', id);
      const demandMean = uniform(rng, 0.45, 0.75);
      const load = plate.control === 'vsd' ? demandMean * 100 : 100;
      const powerKw = compressorPower(plate, load);
      return {
        ...base,
        kind,
        plate,
        demandMean,
        demand: demandMean,
        load,
        loaded: true,
        pressure: plate.setpointBar + (plate.control === 'vsd' ? 0 : uniform(rng, -0.5, 0.5)),
        temperature: compressorTemperatureTarget(plate, powerKw),
        powerKw,
      };
    }
    case 'pump': {
      const plate = nameplate('pump', id);
      const valveMean = uniform(rng, 0.65, 0.95);
      const flow = plate.ratedFlow * valveMean;
      const pressure = pumpPressure(plate, flow);
      const powerKw = pumpPower(plate, flow, pressure);
      return {
        ...base,
        kind,
        plate,
        valveMean,
        valve: valveMean,
        flow,
        pressure,
        bearingTemperature: pumpBearingTarget(plate, powerKw),
        powerKw,
      };
    }
    case 'press': {
      const plate = nameplate('press', id);
      const [, maxDwell] = PRESS_DWELL_MS.running;
      const powerKw = pressPower(plate, 'running', plate.strokesPerMin, plate.nominalPressureBar);
      return {
        ...base,
        kind,
        plate,
        state: 'running',
        dwellRemainingMs: uniform(rng, MINUTE_MS, maxDwell),
        strokesPerMin: plate.strokesPerMin,
        hydraulicPressure: plate.nominalPressureBar,
        oilTemperature: pressOilTarget(plate, powerKw),
        strokes: null,
        powerKw,
      };
    }
    case 'chiller': {
      const plate = nameplate('chiller', id);
      const load = uniform(rng, 0.45, 0.7);
      const deltaT = 5 * load;
      return {
        ...base,
        kind,
        plate,
        weather: 2 * gaussian(rng),
        load,
        supplyTemp: plate.setpointC,
        deltaT,
        powerKw: (plate.capacityKw * load) / plate.copNominal,
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Stepping

/**
 * Advances `machine` by `dtMs` ending at `now` (epoch ms) and returns its telemetry sample.
 * A first call with dtMs = 0 just reads the initial state. Non-finite or negative dtMs counts
 * as 0.
 */
export function step(machine: Machine, now: number, dtMs: number): MetricRecord {
  const dt = Number.isFinite(dtMs) && dtMs > 0 ? dtMs : 0;
  if (machine.energyKwh === null) {
    const hours = Math.max(0, now - dt - METER_EPOCH_MS) / HOUR_MS;
    // A per-machine offset so meters of identical machines do not read the same.
    machine.energyKwh = meanKw(machine) * hours + (hashString(machine.id) % 5_000);
  }
  if (machine.kind === 'press' && machine.strokes === null) {
    const hours = Math.max(0, now - dt - METER_EPOCH_MS) / HOUR_MS;
    machine.strokes = Math.floor(machine.plate.strokesPerMin * 60 * 0.5 * hours);
  }

  if (dt > 0) {
    const substep = Math.max(MAX_SUBSTEP_MS, dt / MAX_SUBSTEPS);
    let done = 0;
    while (done < dt) {
      const sub = Math.min(substep, dt - done);
      done += sub;
      advance(machine, now - dt + done, sub);
    }
  }

  const sample = sampleOf(machine, now);
  machine.glitch = null;
  if (happens(machine.rng, machine.glitchRatePerHour, dt)) {
    const metric = pick(machine.rng, GLITCHABLE[machine.kind]);
    const value = sample[metric];
    if (typeof value === 'number') {
      // A spike: an electrical transient or a bad conversion on one reading.
      sample[metric] = round(Math.abs(value) * uniform(machine.rng, 1.8, 3.5) + uniform(machine.rng, 5, 20), 2);
      machine.glitch = metric;
    }
  }
  return sample;
}

function canFault(machine: Machine): boolean {
  return machine.running && (machine.kind !== 'press' || machine.state === 'running');
}

/** One substep: events first (faults, stops), then the physics, then the energy meter. */
function advance(machine: Machine, now: number, dt: number): void {
  const { rng } = machine;
  if (machine.fault) {
    machine.fault.elapsedMs += dt;
    if (machine.fault.elapsedMs >= machine.fault.durationMs) machine.fault = null;
  } else if (canFault(machine) && happens(rng, machine.faultRatePerHour, dt)) {
    const [min, max] = FAULT_DURATION_MS[machine.kind];
    const durationMs = uniform(rng, min, max);
    machine.fault = { type: FAULT_BY_KIND[machine.kind], durationMs, elapsedMs: 0 };
    // The operators keep a failing press on its job rather than idling it at once, so the
    // pressure loss shows on a running machine.
    if (machine.kind === 'press') machine.dwellRemainingMs = Math.max(machine.dwellRemainingMs, durationMs);
  }

  if (machine.kind !== 'press') {
    if (!machine.running) {
      machine.stopRemainingMs -= dt;
      if (machine.stopRemainingMs <= 0) {
        machine.running = true;
        machine.stopRemainingMs = 0;
      }
    } else if (!machine.fault && happens(rng, machine.stopRatePerHour, dt)) {
      const [min, max] = STOP_DURATION_MS[machine.kind];
      machine.running = false;
      machine.stopRemainingMs = uniform(rng, min, max);
    }
  }

  switch (machine.kind) {
    case 'compressor':
      advanceCompressor(machine, dt);
      break;
    case 'pump':
      advancePump(machine, dt);
      break;
    case 'press':
      advancePress(machine, dt);
      break;
    case 'chiller':
      advanceChiller(machine, now, dt);
      break;
  }

  machine.energyKwh = (machine.energyKwh ?? 0) + (machine.powerKw * dt) / HOUR_MS;
}

/** How far into its fault a machine is, 0..1 over the first `rampMs`. */
function faultRamp(machine: Machine, rampMs: number): number {
  return machine.fault ? Math.min(1, machine.fault.elapsedMs / rampMs) : 0;
}

// Compressor -----------------------------------------------------------------------------------

function compressorPower(plate: CompressorNameplate, load: number): number {
  // A VSD's power falls almost in proportion to speed; a fixed-speed machine still draws about
  // a quarter of full power while unloaded.
  const idle = plate.control === 'vsd' ? 0.1 : 0.25;
  return plate.ratedKw * (idle + (1 - idle) * (load / 100));
}

function compressorTemperatureTarget(plate: CompressorNameplate, powerKw: number): number {
  return 60 + 26 * (powerKw / plate.ratedKw);
}

function advanceCompressor(m: CompressorMachine, dt: number): void {
  const { plate } = m;
  m.demand = clamp(drift(m.demand, m.demandMean, 5 * MINUTE_MS, 0.12, dt, m.rng), 0.1, 0.98);
  if (m.running) {
    let target: number;
    if (plate.control === 'vsd') {
      // Proportional speed control on the pressure error, feed-forward of the demand.
      target = clamp(m.demand + 1.5 * (plate.setpointBar - m.pressure), 0.2, 1) * 100;
    } else {
      if (m.pressure >= plate.setpointBar + 0.5) m.loaded = false;
      else if (m.pressure <= plate.setpointBar - 0.5) m.loaded = true;
      target = m.loaded ? 100 : 0;
    }
    m.load = lag(m.load, target, 2_000, dt);
    // Receiver pressure integrates the difference between delivered and drawn air.
    m.pressure = clamp(m.pressure + 0.025 * (m.load / 100 - m.demand) * (dt / 1000), 0, 10);
    m.powerKw = compressorPower(plate, m.load);
  } else {
    m.load = lag(m.load, 0, 1_000, dt);
    m.loaded = true;
    // Stopped: the receiver sensor settles at network pressure held up by the other compressors.
    m.pressure = lag(m.pressure, plate.setpointBar - 0.8, 30_000, dt);
    m.powerKw = lag(m.powerKw, 0, 1_000, dt);
  }
  let target = m.running ? compressorTemperatureTarget(plate, m.powerKw) : 24;
  // Overheating: a fouled oil cooler or a failed fan; the temperature climbs well past 95 °C.
  if (m.fault) target += 45 * faultRamp(m, MINUTE_MS);
  m.temperature = lag(m.temperature, target, m.running ? 180_000 : 600_000, dt);
}

// Pump -----------------------------------------------------------------------------------------

function pumpPressure(plate: PumpNameplate, flow: number): number {
  // Pump curve: shut-off head 30 % above the rated point, falling with the square of flow.
  const q = flow / plate.ratedFlow;
  return plate.ratedPressure * 1.3 * (1 - 0.23 * q * q);
}

function pumpPower(plate: PumpNameplate, flow: number, pressure: number): number {
  const q = flow / plate.ratedFlow;
  const efficiency = Math.max(0.3, PUMP_PEAK_EFFICIENCY * (1 - 0.9 * (q - 0.95) ** 2));
  return hydraulicKw(flow, pressure) / efficiency / MOTOR_EFFICIENCY;
}

function pumpBearingTarget(plate: PumpNameplate, powerKw: number): number {
  return 35 + 22 * (powerKw / plate.ratedKw);
}

function advancePump(m: PumpMachine, dt: number): void {
  const { plate } = m;
  m.valve = clamp(drift(m.valve, m.valveMean, 10 * MINUTE_MS, 0.08, dt, m.rng), 0.4, 1);
  if (m.running) {
    // Cavitation: vapour bubbles at the impeller eye; delivered flow and head collapse.
    const ramp = faultRamp(m, 20_000);
    m.flow = lag(m.flow, plate.ratedFlow * m.valve * (1 - 0.45 * ramp), 5_000, dt);
    m.pressure = pumpPressure(plate, m.flow) * (1 - 0.2 * ramp);
    m.powerKw = lag(m.powerKw, pumpPower(plate, m.flow, m.pressure), 2_000, dt);
    m.bearingTemperature = lag(m.bearingTemperature, pumpBearingTarget(plate, m.powerKw), 15 * MINUTE_MS, dt);
  } else {
    m.flow = lag(m.flow, 0, 3_000, dt);
    m.pressure = lag(m.pressure, 0.2, 3_000, dt);
    m.powerKw = lag(m.powerKw, 0, 1_000, dt);
    m.bearingTemperature = lag(m.bearingTemperature, 24, 30 * MINUTE_MS, dt);
  }
}

// Press ----------------------------------------------------------------------------------------

function pressPower(plate: PressNameplate, state: PressState, spm: number, pressure: number): number {
  if (state === 'setup') return plate.ratedKw * 0.05; // hydraulic pump off: lights, controls
  const p = pressure / plate.nominalPressureBar;
  return plate.ratedKw * (0.1 + 0.1 * p + 0.75 * (spm / plate.strokesPerMin) * p);
}

function pressOilTarget(plate: PressNameplate, powerKw: number): number {
  return 30 + 25 * (powerKw / plate.ratedKw);
}

function nextPressState(state: PressState, rng: Random): PressState {
  const r = rng();
  switch (state) {
    case 'running':
      return r < 0.75 ? 'idle' : 'setup'; // waiting for parts, or a die change
    case 'idle':
      return r < 0.85 ? 'running' : 'setup';
    case 'setup':
      return 'running';
  }
}

function advancePress(m: PressMachine, dt: number): void {
  const { plate } = m;
  m.dwellRemainingMs -= dt;
  if (m.dwellRemainingMs <= 0) {
    m.state = nextPressState(m.state, m.rng);
    const [min, max] = PRESS_DWELL_MS[m.state];
    m.dwellRemainingMs = uniform(m.rng, min, max);
  }
  m.running = m.state === 'running';
  // Hydraulic pressure loss: a leaking seal or a worn pump; the press slows to what it can hold.
  const loss = faultRamp(m, 30_000);
  const pressureTarget =
    plate.nominalPressureBar * (m.state === 'running' ? 1 : m.state === 'idle' ? 0.3 : 0.1) * (1 - 0.55 * loss);
  m.hydraulicPressure = lag(m.hydraulicPressure, pressureTarget, 4_000, dt);
  const spmTarget = m.state === 'running' ? plate.strokesPerMin * (1 - 0.4 * loss) : 0;
  m.strokesPerMin = lag(m.strokesPerMin, spmTarget, 4_000, dt);
  m.strokes = (m.strokes ?? 0) + (m.strokesPerMin * dt) / MINUTE_MS;
  m.powerKw = lag(m.powerKw, pressPower(plate, m.state, m.strokesPerMin, m.hydraulicPressure), 2_000, dt);
  m.oilTemperature = lag(m.oilTemperature, pressOilTarget(plate, m.powerKw), 20 * MINUTE_MS, dt);
}

// Chiller --------------------------------------------------------------------------------------

function chillerAmbient(m: ChillerMachine, now: number): number {
  return dayCurve(now) + m.weather + m.plate.ambientOffset;
}

function advanceChiller(m: ChillerMachine, now: number, dt: number): void {
  const { plate } = m;
  m.weather = drift(m.weather, 0, 6 * HOUR_MS, 2, dt, m.rng);
  const ambient = chillerAmbient(m, now);
  // Warmer afternoons need more cooling.
  const loadMean = clamp(0.55 + 0.025 * (ambient - 16), 0.3, 0.95);
  m.load = clamp(drift(m.load, loadMean, 20 * MINUTE_MS, 0.06, dt, m.rng), 0.15, 1);
  if (m.running) {
    // High supply temperature: refrigerant loss or a tripped stage; the unit removes less heat
    // than the process adds and the loop warms up.
    const ramp = faultRamp(m, 3 * MINUTE_MS);
    m.deltaT = lag(m.deltaT, 5 * m.load * (1 - 0.4 * ramp), MINUTE_MS, dt);
    const supplyTarget = plate.setpointC + 0.6 * (m.load - 0.5) + 6.5 * ramp;
    m.supplyTemp = lag(m.supplyTemp, supplyTarget, 90_000, dt);
    const coolingKw = plate.capacityKw * (m.deltaT / 5);
    const cop = clamp(
      plate.copNominal * (1 - 0.022 * (ambient - 20)) * (1 - 0.35 * (m.load - 0.75) ** 2) * (1 - 0.3 * ramp),
      1.5,
      8,
    );
    m.powerKw = lag(m.powerKw, coolingKw / cop, 20_000, dt);
  } else {
    // No refrigeration: the loop through this unit drifts towards plant-room temperature.
    m.deltaT = lag(m.deltaT, 0, MINUTE_MS, dt);
    m.supplyTemp = lag(m.supplyTemp, 20, 30 * MINUTE_MS, dt);
    m.powerKw = lag(m.powerKw, 0, 5_000, dt);
  }
}

// ---------------------------------------------------------------------------------------------
// Samples: sensor readings of the true state, with noise and resolution

function powerReading(m: Machine): number {
  // The meter reads 0 once the drive is off rather than noise around 0.
  if (m.powerKw < 0.05) return 0;
  return reading(m.rng, m.powerKw, 0.004 * m.powerKw + 0.05, 2);
}

function sampleOf(m: Machine, now: number): MetricRecord {
  const { rng } = m;
  const energy = round(m.energyKwh ?? 0, 3);
  switch (m.kind) {
    case 'compressor': {
      const power = powerReading(m);
      const powerFactor = 0.6 + 0.26 * (m.load / 100);
      return {
        running: m.running,
        load: round(clamp(m.load + (m.running ? 0.3 * gaussian(rng) : 0), 0, 100), 1),
        discharge_pressure: reading(rng, m.pressure, 0.02, 2),
        motor_current: power === 0 ? 0 : reading(rng, (power * 1000) / (SQRT3 * LINE_VOLTAGE * powerFactor), 0.3, 1),
        power_kw: power,
        energy_kwh: energy,
        temperature: reading(rng, m.temperature, 0.15, 1, -40),
      };
    }
    case 'pump': {
      const cavitating = m.fault !== null && m.running;
      const q = m.flow / m.plate.ratedFlow;
      // Vibration: lowest near the best-efficiency point; cavitation adds violent broadband spikes.
      const vibration = m.running
        ? m.plate.baseVibration * (1 + 1.5 * (q - 0.95) ** 2) +
          (cavitating ? faultRamp(m, 20_000) * (4.5 + 2.5 * Math.abs(gaussian(rng))) : 0)
        : 0.05;
      return {
        running: m.running,
        flow: reading(rng, m.flow, m.running ? m.flow * (cavitating ? 0.06 : 0.01) : 0, 1),
        pressure: reading(rng, m.pressure, cavitating ? 0.12 : 0.02, 2),
        power_kw: powerReading(m),
        energy_kwh: energy,
        vibration: reading(rng, vibration, m.running ? 0.08 : 0.01, 2),
        bearing_temperature: reading(rng, m.bearingTemperature, 0.1, 1, -40),
      };
    }
    case 'press':
      return {
        running: m.running,
        state: m.state,
        strokes_per_min: m.strokesPerMin < 0.05 ? 0 : reading(rng, m.strokesPerMin, 0.3, 1),
        cycle_count: Math.floor(m.strokes ?? 0),
        hydraulic_pressure: reading(rng, m.hydraulicPressure, 2, 1),
        power_kw: powerReading(m),
        energy_kwh: energy,
        oil_temperature: reading(rng, m.oilTemperature, 0.1, 1, -40),
      };
    case 'chiller': {
      const supply = reading(rng, m.supplyTemp, 0.03, 2, -40);
      const delta = reading(rng, m.deltaT, 0.03, 2);
      const returnTemp = round(supply + delta, 2);
      const power = powerReading(m);
      const coolingKw = m.plate.capacityKw * (m.deltaT / 5);
      return {
        running: m.running,
        supply_temp: supply,
        return_temp: returnTemp,
        delta_t: round(returnTemp - supply, 2),
        power_kw: power,
        energy_kwh: energy,
        cop: power > 1 ? round(clamp(coolingKw / power, 0, 12), 2) : 0,
        ambient_temp: reading(rng, chillerAmbient(m, now), 0.1, 1, -60),
      };
    }
  }
}
