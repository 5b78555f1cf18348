/**
 * The parameters a rule can name: those discovered on the devices in its scope (the chosen
 * devices, or every active device for a factory-wide rule), read from GET /devices/:id through
 * the parameters store. A parameter reported by only some of the scoped devices is marked, so
 * the person sees why the server warns after saving.
 */
import { useEffect, useMemo } from 'react';
import { useStore } from 'zustand';
import type { Device } from '../../api/types';
import { deviceLabel, useDevices } from '../../stores/devices-store';
import { ensureParameters, parameterLabel, parametersStore } from '../../stores/parameters-store';

export interface ParameterOption {
  key: string;
  label: string;
  unit: string | null;
  dataType: string;
  /** Not every scoped device reports it. */
  partial: boolean;
  /** "3 of 4 devices: press-1, press-2, press-3" — shown as the option's tooltip. */
  coverage: string;
}

export function scopedDevices(devices: readonly Device[], scope: 'device' | 'global', deviceIds: readonly number[]): Device[] {
  if (scope === 'global') return devices.filter((d) => d.is_active);
  const wanted = new Set(deviceIds);
  return devices.filter((d) => wanted.has(d.id));
}

export function useRuleParameters(scope: 'device' | 'global', deviceIds: readonly number[]): { options: ParameterOption[]; loading: boolean } {
  const devices = useDevices((s) => s.list);
  const byDevice = useStore(parametersStore, (s) => s.byDevice);
  const scoped = useMemo(() => scopedDevices(devices, scope, deviceIds), [devices, scope, deviceIds]);

  useEffect(() => {
    void ensureParameters(scoped.map((d) => d.id));
  }, [scoped]);

  return useMemo(() => {
    const found = new Map<string, { option: ParameterOption; devices: string[] }>();
    let loading = false;
    for (const device of scoped) {
      const parameters = byDevice.get(device.id);
      if (!parameters) {
        loading = true;
        continue;
      }
      for (const p of parameters) {
        const entry = found.get(p.parameter_key) ?? {
          option: { key: p.parameter_key, label: parameterLabel(p), unit: p.unit, dataType: p.data_type, partial: false, coverage: '' },
          devices: [],
        };
        entry.devices.push(deviceLabel(device));
        found.set(p.parameter_key, entry);
      }
    }
    const options = [...found.values()]
      .map(({ option, devices: names }) => ({
        ...option,
        partial: names.length < scoped.length,
        coverage: `${names.length} of ${scoped.length} device(s): ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}`,
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
    return { options, loading };
  }, [scoped, byDevice]);
}
