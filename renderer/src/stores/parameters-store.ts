/**
 * Discovered parameters per device (display names, units, KPI selection), read from
 * GET /devices/:id on demand and cached for the session. The overview asks for all devices
 * at a gentle concurrency; the device page refreshes its own.
 */
import { createStore, useStore } from 'zustand';
import { devicesApi } from '../api/devices-api';
import type { Parameter } from '../api/types';

export interface ParametersState {
  byDevice: ReadonlyMap<number, readonly Parameter[]>;
}

export const parametersStore = createStore<ParametersState>()(() => ({ byDevice: new Map() }));
export const useParameters = (deviceId: number): readonly Parameter[] | undefined => useStore(parametersStore, (s) => s.byDevice.get(deviceId));

const pending = new Set<number>();

function put(deviceId: number, parameters: readonly Parameter[]): void {
  const byDevice = new Map(parametersStore.getState().byDevice);
  byDevice.set(deviceId, [...parameters].sort((a, b) => a.parameter_key.localeCompare(b.parameter_key)));
  parametersStore.setState({ byDevice });
}

/** Parameters read elsewhere (the device page's GET /devices/:id). */
export function setParameters(deviceId: number, parameters: readonly Parameter[]): void {
  put(deviceId, parameters);
}

export async function refreshParameters(deviceId: number): Promise<void> {
  const detail = await devicesApi.get(deviceId);
  put(deviceId, detail.parameters);
}

/** Loads parameters of devices not cached yet, four requests at a time. */
export async function ensureParameters(deviceIds: readonly number[]): Promise<void> {
  const { byDevice } = parametersStore.getState();
  const todo = deviceIds.filter((id) => !byDevice.has(id) && !pending.has(id));
  for (const id of todo) pending.add(id);
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const id = todo[next++] as number;
      try {
        await refreshParameters(id);
      } catch {
        // a device deleted meanwhile, or a network blip: the grid falls back to raw keys
      } finally {
        pending.delete(id);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

export function replaceParameter(deviceId: number, parameter: Parameter): void {
  const list = parametersStore.getState().byDevice.get(deviceId) ?? [];
  put(deviceId, [...list.filter((p) => p.id !== parameter.id), parameter]);
}

export function resetParameters(): void {
  pending.clear();
  parametersStore.setState({ byDevice: new Map() });
}

/** The parameters a tile or grid cell shows: the KPI selection, else the first few by name. */
export function keyParameters(parameters: readonly Parameter[] | undefined, limit: number): Parameter[] {
  if (!parameters) return [];
  const kpis = parameters.filter((p) => p.is_kpi_selected);
  return (kpis.length > 0 ? kpis : parameters.filter((p) => p.data_type === 'float' || p.data_type === 'int')).slice(0, limit);
}

export function parameterLabel(p: Pick<Parameter, 'display_name' | 'parameter_key'>): string {
  return p.display_name?.trim() || p.parameter_key;
}
