/**
 * Live values pushed by the stream. React never re-renders for them: tiles, cells and trends
 * read the store with `subscribe` (transient updates) and write to the DOM or the chart
 * themselves. Each device's value map is replaced (not mutated) when it changes, so a
 * per-device subscriber compares one reference and ignores pushes for other devices.
 */
import { createStore } from 'zustand';
import type { StreamValue } from '../../../engine/contract/stream.js';
import type { Summary } from '../api/types';

export type DeviceValues = Readonly<Record<string, StreamValue>>;

export interface LiveState {
  values: Readonly<Record<number, DeviceValues>>;
  /** Newest sample time per device (from samples), epoch ms. */
  lastSample: Readonly<Record<number, number>>;
  /** Status pushed by the server (device_status); absent until one arrives. */
  pushedStatus: Readonly<Record<number, { status: 'online' | 'offline'; lastSeen: number | null }>>;
  summary: Summary | null;
}

export const liveStore = createStore<LiveState>()(() => ({ values: {}, lastSample: {}, pushedStatus: {}, summary: null }));

export function applySamples(devices: Record<string, Record<string, StreamValue>>): void {
  const state = liveStore.getState();
  let values: Record<number, DeviceValues> | null = null;
  let lastSample: Record<number, number> | null = null;
  for (const [key, incoming] of Object.entries(devices)) {
    const id = Number(key);
    const before = state.values[id];
    let merged: Record<string, StreamValue> | null = null;
    let newest = state.lastSample[id] ?? 0;
    for (const [param, value] of Object.entries(incoming)) {
      const old = before?.[param];
      if (old && old.ts > value.ts) continue; // an older value never replaces a newer one
      merged ??= { ...before };
      merged[param] = value;
      if (value.ts > newest) newest = value.ts;
    }
    if (!merged) continue;
    values ??= { ...state.values };
    values[id] = merged;
    if (newest !== state.lastSample[id]) {
      lastSample ??= { ...state.lastSample };
      lastSample[id] = newest;
    }
  }
  if (values) liveStore.setState({ values, ...(lastSample ? { lastSample } : {}) });
}

export function applyDeviceStatus(deviceId: number, status: 'online' | 'offline', lastSeen: number | null): void {
  const { pushedStatus } = liveStore.getState();
  liveStore.setState({ pushedStatus: { ...pushedStatus, [deviceId]: { status, lastSeen } } });
}

export function applySummary(data: Record<string, number>): void {
  liveStore.setState({ summary: data as unknown as Summary });
}

export function resetLive(): void {
  liveStore.setState({ values: {}, lastSample: {}, pushedStatus: {}, summary: null });
}

/**
 * Calls `listener` whenever one device's values change (and once now). For cells and tiles:
 * they update their own DOM, React is not involved.
 */
export function subscribeDevice(deviceId: number, listener: (values: DeviceValues | undefined) => void): () => void {
  let last = liveStore.getState().values[deviceId];
  listener(last);
  return liveStore.subscribe((state) => {
    const next = state.values[deviceId];
    if (next === last) return;
    last = next;
    listener(next);
  });
}
