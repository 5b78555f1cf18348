// What the demo factory contains: twenty machines in three halls, with the names, makers and
// models an operator would see on the rating plates, and labels for every metric they publish.
// The server uses this to provision the demo devices and to name the parameters it discovers.
// Manufacturers are fictional; model numbers come from each machine's simulated rating plate
// (machines.ts `nameplate`), so "NL 75 VSD" really draws up to 75 kW.

import { nameplate, type MachineKind } from './machines.js';

export interface DemoMachineSpec {
  /** Device key: the MQTT username suffix and topic segment. */
  deviceKey: string;
  kind: MachineKind;
  /** Human name, e.g. "Compressor 1 — Hall A". */
  name: string;
  manufacturer: string;
  model: string;
  /** Where it stands: "Hall A", "Hall B" or "Hall C". */
  region: string;
}

export interface ParameterMeta {
  displayName: string;
  unit: string;
}

const KIND_LABEL: Record<MachineKind, { prefix: string; noun: string; manufacturer: string }> = {
  compressor: { prefix: 'CMP', noun: 'Compressor', manufacturer: 'Nordluft' },
  pump: { prefix: 'PMP', noun: 'Pump', manufacturer: 'Aquatek' },
  press: { prefix: 'PRS', noun: 'Press', manufacturer: 'Brandt Hydraulik' },
  chiller: { prefix: 'CHL', noun: 'Chiller', manufacturer: 'Polaris Cooling' },
};

/** Where each machine stands, in catalogue order per kind. */
const LAYOUT: Record<MachineKind, readonly string[]> = {
  compressor: ['Hall A', 'Hall A', 'Hall A', 'Hall B', 'Hall B', 'Hall C'],
  pump: ['Hall A', 'Hall A', 'Hall B', 'Hall B', 'Hall C', 'Hall C'],
  press: ['Hall B', 'Hall B', 'Hall C', 'Hall C'],
  chiller: ['Hall A', 'Hall B', 'Hall C', 'Hall C'],
};

function modelOf(kind: MachineKind, deviceKey: string): string {
  switch (kind) {
    case 'compressor': {
      const plate = nameplate('compressor', deviceKey);
      return `NL ${plate.ratedKw}${plate.control === 'vsd' ? ' VSD' : ''}`;
    }
    case 'pump': {
      const plate = nameplate('pump', deviceKey);
      return `HPX ${plate.ratedFlow}-${Math.round(plate.ratedPressure * 10)}`;
    }
    case 'press':
      return `HPD ${nameplate('press', deviceKey).tonnage}`;
    case 'chiller':
      return `PWC ${nameplate('chiller', deviceKey).capacityKw}`;
  }
}

function buildFleet(): DemoMachineSpec[] {
  const fleet: DemoMachineSpec[] = [];
  for (const kind of ['compressor', 'pump', 'press', 'chiller'] as const) {
    const label = KIND_LABEL[kind];
    LAYOUT[kind].forEach((region, index) => {
      const number = index + 1;
      const deviceKey = `${label.prefix}-${String(number).padStart(2, '0')}`;
      fleet.push({
        deviceKey,
        kind,
        name: `${label.noun} ${number} — ${region}`,
        manufacturer: label.manufacturer,
        model: modelOf(kind, deviceKey),
        region,
      });
    });
  }
  return fleet;
}

/** The demo fleet: CMP-01..06, PMP-01..06, PRS-01..04, CHL-01..04. */
export const DEMO_FLEET: readonly DemoMachineSpec[] = Object.freeze(buildFleet().map((spec) => Object.freeze(spec)));

/** Display names and units of every metric a demo machine publishes, keyed by parameter key. */
export const DEMO_PARAMETER_META: Readonly<Record<string, ParameterMeta>> = Object.freeze({
  // every kind
  running: { displayName: 'Running', unit: '' },
  power_kw: { displayName: 'Power', unit: 'kW' },
  energy_kwh: { displayName: 'Energy', unit: 'kWh' },
  // compressor
  load: { displayName: 'Load', unit: '%' },
  discharge_pressure: { displayName: 'Discharge pressure', unit: 'bar' },
  motor_current: { displayName: 'Motor current', unit: 'A' },
  temperature: { displayName: 'Airend temperature', unit: '°C' },
  // pump
  flow: { displayName: 'Flow', unit: 'm³/h' },
  pressure: { displayName: 'Discharge pressure', unit: 'bar' },
  vibration: { displayName: 'Vibration (RMS)', unit: 'mm/s' },
  bearing_temperature: { displayName: 'Bearing temperature', unit: '°C' },
  // press
  state: { displayName: 'State', unit: '' },
  strokes_per_min: { displayName: 'Stroke rate', unit: 'spm' },
  cycle_count: { displayName: 'Cycle count', unit: 'cycles' },
  hydraulic_pressure: { displayName: 'Hydraulic pressure', unit: 'bar' },
  oil_temperature: { displayName: 'Oil temperature', unit: '°C' },
  // chiller
  supply_temp: { displayName: 'Chilled water supply', unit: '°C' },
  return_temp: { displayName: 'Chilled water return', unit: '°C' },
  delta_t: { displayName: 'Water ΔT', unit: 'K' },
  cop: { displayName: 'COP', unit: '' },
  ambient_temp: { displayName: 'Ambient temperature', unit: '°C' },
});
