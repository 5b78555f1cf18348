/**
 * Wall mode: a wall-mounted display with large type and no chrome. Asked for by the URL
 * (`?wall=1&layout=alarms&cycle=30&devices=3,7`) or by the Electron profile (transport's
 * hostWall). Read once at start: a wall display does not change its mind mid-shift.
 */
import { WALL_LAYOUTS, type WallLayout } from '../../../engine/contract/bridge.js';

export interface WallConfig {
  /** The layout shown first (and the only one without cycling). */
  layout: WallLayout;
  /** Devices for the trends layout; empty = the first devices of the factory. */
  devices: number[];
  /** Rotate through the layouts every N seconds; null = stay. */
  cycleSeconds: number | null;
}

const MIN_CYCLE_SECONDS = 5;

function parseLayout(value: string | null): WallLayout {
  return value && (WALL_LAYOUTS as readonly string[]).includes(value) ? (value as WallLayout) : 'overview';
}

function parseCycle(value: string | number | null | undefined): number | null {
  const n = typeof value === 'number' ? value : value ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.max(MIN_CYCLE_SECONDS, Math.round(n)) : null;
}

/** The wall configuration from the URL's query and the host, or null for the normal console. */
/** What the Electron profile asked for (transport().hostWall), or null in a browser. */
export type HostWall = { layout: WallLayout | null; devices: number[]; cycleSeconds: number | null } | null;

export function wallConfigOf(search: string, host: HostWall): WallConfig | null {
  const params = new URLSearchParams(search);
  const wanted = params.get('wall');
  const fromUrl = wanted === '1' || wanted === 'true';
  if (!fromUrl && !host) return null;
  const devices = (params.get('devices') ?? '')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  return {
    layout: params.get('layout') ? parseLayout(params.get('layout')) : (host?.layout ?? 'overview'),
    devices: devices.length > 0 ? devices : (host?.devices ?? []),
    cycleSeconds: params.get('cycle') ? parseCycle(params.get('cycle')) : parseCycle(host?.cycleSeconds),
  };
}

export { WALL_LAYOUTS };
