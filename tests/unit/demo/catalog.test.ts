/** The demo catalogue: twenty labelled machines whose metrics all have names and units. */
import { describe, expect, it } from 'vitest';
import { isDeviceKey } from '../../../engine/telemetry/index.js';
import { DEMO_FLEET, DEMO_PARAMETER_META } from '../../../server/demo/catalog.js';
import { createMachine, nameplate, step } from '../../../server/demo/machines.js';
import { mulberry32 } from '../../../server/demo/random.js';

describe('DEMO_FLEET', () => {
  it('holds 6 compressors, 6 pumps, 4 presses and 4 chillers with unique, valid device keys', () => {
    const count = (kind: string) => DEMO_FLEET.filter((m) => m.kind === kind).length;
    expect(DEMO_FLEET).toHaveLength(20);
    expect([count('compressor'), count('pump'), count('press'), count('chiller')]).toEqual([6, 6, 4, 4]);
    const keys = DEMO_FLEET.map((m) => m.deviceKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((key) => isDeviceKey(key))).toBe(true);
    expect(keys).toContain('CMP-01');
    expect(keys).toContain('CHL-04');
  });

  it('names each machine with its number and hall, and a maker and model', () => {
    for (const machine of DEMO_FLEET) {
      expect(['Hall A', 'Hall B', 'Hall C']).toContain(machine.region);
      expect(machine.name).toMatch(new RegExp(`^[A-Z][a-z]+ \\d+ — ${machine.region}$`));
      expect(machine.manufacturer.length).toBeGreaterThan(0);
      expect(machine.model.length).toBeGreaterThan(0);
    }
    expect(DEMO_FLEET.find((m) => m.deviceKey === 'CMP-01')?.name).toBe('Compressor 1 — Hall A');
  });

  it('prints model numbers that match the simulated rating plates', () => {
    for (const machine of DEMO_FLEET.filter((m) => m.kind === 'compressor')) {
      expect(machine.model).toContain(String(nameplate('compressor', machine.deviceKey).ratedKw));
    }
    for (const machine of DEMO_FLEET.filter((m) => m.kind === 'chiller')) {
      expect(machine.model).toContain(String(nameplate('chiller', machine.deviceKey).capacityKw));
    }
  });

  it('labels every metric the fleet publishes, and nothing it does not', () => {
    const published = new Set<string>();
    for (const machine of DEMO_FLEET) {
      const sample = step(createMachine(machine.kind, machine.deviceKey, mulberry32(1)), Date.UTC(2026, 0, 1), 0);
      for (const key of Object.keys(sample)) published.add(key);
    }
    expect(new Set(Object.keys(DEMO_PARAMETER_META))).toEqual(published);
    for (const meta of Object.values(DEMO_PARAMETER_META)) {
      expect(meta.displayName.length).toBeGreaterThan(0);
      expect(meta.unit.length).toBeLessThanOrEqual(50); // parameters.unit is varchar(50)
    }
    expect(DEMO_PARAMETER_META.power_kw?.unit).toBe('kW');
    expect(DEMO_PARAMETER_META.energy_kwh?.unit).toBe('kWh');
  });
});
