/**
 * The seam between the UI and its host. In a browser the UI talks to the server it was loaded
 * from (same-origin fetch, WebSocket to /api/v1/stream) and keeps the refresh token in
 * sessionStorage (per tab, gone when the tab closes; the access token stays in memory only).
 * Inside Electron the preload bridge `window.factoryops` (engine/contract/bridge.ts) names the
 * configured site server and keeps the refresh token in the OS vault (safeStorage).
 *
 * `initTransport()` runs once before the first render; `transport()` is synchronous after it.
 */
import { BRIDGE_GLOBAL, WALL_LAYOUTS, type FactoryOpsBridge, type HostInfo, type WallLayout } from '../../../engine/contract/bridge.js';
import { desktopCallsOf, type DesktopCalls } from '../lib/desktop-host.js';

declare global {
  interface Window {
    [BRIDGE_GLOBAL]?: FactoryOpsBridge;
  }
}

export interface Transport {
  readonly kind: 'browser' | 'electron';
  /** Where the server is, for messages ("cannot reach https://…"). */
  readonly serverLabel: string;
  /** The Electron profile's name (null in a browser). */
  readonly profileName: string | null;
  /** Full URL of an API path such as `/api/v1/devices`. */
  url(path: string): string;
  /** URL of the WebSocket stream. */
  streamUrl(): string;
  loadRefreshToken(): Promise<string | null>;
  saveRefreshToken(token: string | null): Promise<void>;
  /** Wall-mode settings the host asked for (Electron profile); null in a browser. */
  readonly hostWall: { layout: WallLayout | null; devices: number[]; cycleSeconds: number | null } | null;
  /** The desktop shell's optional calls (notifications, tray state); none in a browser. */
  readonly desktop: DesktopCalls;
}

const REFRESH_KEY = 'factoryops.refresh';

function browserTransport(): Transport {
  const origin = window.location.origin;
  return {
    kind: 'browser',
    serverLabel: window.location.host,
    profileName: null,
    url: (path) => `${origin}${path}`,
    streamUrl: () => `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}/api/v1/stream`,
    async loadRefreshToken() {
      try {
        return window.sessionStorage.getItem(REFRESH_KEY);
      } catch {
        return null; // storage disabled: the session lives as long as the page
      }
    },
    async saveRefreshToken(token) {
      try {
        if (token === null) window.sessionStorage.removeItem(REFRESH_KEY);
        else window.sessionStorage.setItem(REFRESH_KEY, token);
      } catch {
        // storage disabled: memory only
      }
    },
    hostWall: null,
    desktop: {},
  };
}

/** Validates what the bridge answered: the renderer trusts the shell, but not a typo in a profile. */
export function checkHostInfo(info: HostInfo): HostInfo {
  let url: URL;
  try {
    url = new URL(info.serverUrl);
  } catch {
    throw new Error(`The connection profile's server address "${info.serverUrl}" is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`The connection profile's server address must start with https:// (got ${url.protocol}).`);
  const layout = info.wallLayout && (WALL_LAYOUTS as readonly string[]).includes(info.wallLayout) ? info.wallLayout : null;
  return { ...info, serverUrl: url.origin, wallLayout: layout, wallDevices: (info.wallDevices ?? []).filter((n) => Number.isInteger(n) && n > 0) };
}

function electronTransport(bridge: FactoryOpsBridge, info: HostInfo): Transport {
  const base = info.serverUrl.replace(/\/+$/, '');
  const ws = base.replace(/^http/, 'ws');
  return {
    kind: 'electron',
    serverLabel: base.replace(/^https?:\/\//, ''),
    profileName: info.profileName || null,
    url: (path) => `${base}${path}`,
    streamUrl: () => `${ws}/api/v1/stream`,
    loadRefreshToken: () => bridge.loadRefreshToken(),
    saveRefreshToken: (token) => bridge.saveRefreshToken(token),
    hostWall: info.wallMode ? { layout: info.wallLayout, devices: info.wallDevices, cycleSeconds: info.wallCycleSeconds } : null,
    desktop: desktopCallsOf(bridge),
  };
}

let current: Transport | null = null;

/** Picks the host once at start-up (asks the Electron shell for its profile when present). */
export async function initTransport(): Promise<Transport> {
  const bridge = window[BRIDGE_GLOBAL];
  current = bridge ? electronTransport(bridge, checkHostInfo(await bridge.host())) : browserTransport();
  return current;
}

export function transport(): Transport {
  // Before initTransport (unit tests, early errors) the browser host is the safe default.
  current ??= browserTransport();
  return current;
}
