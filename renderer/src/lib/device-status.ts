/**
 * Whether a device is online, as the console shows it: a status pushed by the server wins;
 * otherwise the newest of its last stored contact and the last live sample decides, against
 * the offline threshold (the server's --offline-after default).
 */
import type { Device } from '../api/types';
import type { LiveState } from '../stores/live-store';
import { parseIso } from './format';

export type DeviceState = 'online' | 'offline' | 'never_seen' | 'inactive';

export interface DeviceLiveStatus {
  state: DeviceState;
  lastSeen: number | null;
}

export function deviceLiveStatus(device: Device, live: LiveState, now: number, offlineAfterMs: number): DeviceLiveStatus {
  if (!device.is_active) return { state: 'inactive', lastSeen: parseIso(device.last_seen) };
  const pushed = live.pushedStatus[device.id];
  const sample = live.lastSample[device.id] ?? null;
  const stored = parseIso(device.last_seen);
  const lastSeen = Math.max(sample ?? 0, stored ?? 0, pushed?.lastSeen ?? 0) || null;
  if (pushed && (pushed.lastSeen ?? 0) >= (sample ?? 0)) return { state: pushed.status, lastSeen };
  if (lastSeen === null) return { state: 'never_seen', lastSeen: null };
  return { state: now - lastSeen <= offlineAfterMs ? 'online' : 'offline', lastSeen };
}

export const STATE_LABEL: Record<DeviceState, string> = {
  online: 'Online',
  offline: 'Offline',
  never_seen: 'Never seen',
  inactive: 'Inactive',
};
