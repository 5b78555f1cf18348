/**
 * Device metadata (names, keys, parameters) read over HTTP after sign-in and after changes.
 * Live state (values, last sample) lives in the live store; this store changes rarely.
 */
import { createStore, useStore } from 'zustand';
import { devicesApi } from '../api/devices-api.js';
import type { Device } from '../api/types.js';

export interface DevicesState {
  list: Device[];
  byId: ReadonlyMap<number, Device>;
  loaded: boolean;
  error: string | null;
}

export const devicesStore = createStore<DevicesState>()(() => ({ list: [], byId: new Map(), loaded: false, error: null }));
export const useDevices = <T>(select: (s: DevicesState) => T): T => useStore(devicesStore, select);

function setList(list: Device[]): void {
  const sorted = [...list].sort((a, b) => deviceLabel(a).localeCompare(deviceLabel(b), undefined, { numeric: true }));
  devicesStore.setState({ list: sorted, byId: new Map(sorted.map((d) => [d.id, d])), loaded: true, error: null });
}

export async function loadDevices(): Promise<void> {
  try {
    setList(await devicesApi.all());
  } catch (error) {
    devicesStore.setState({ error: error instanceof Error ? error.message : String(error) });
  }
}

export function upsertDevice(device: Device): void {
  const others = devicesStore.getState().list.filter((d) => d.id !== device.id);
  setList([...others, device]);
}

export function resetDevices(): void {
  devicesStore.setState({ list: [], byId: new Map(), loaded: false, error: null });
}

export function deviceLabel(d: Pick<Device, 'name' | 'device_key'>): string {
  return d.name?.trim() || d.device_key;
}
