/**
 * The seam between the UI and its host. In a browser the UI talks to the server it was loaded
 * from and keeps the refresh token in sessionStorage (per tab, gone when the tab closes; the
 * access token stays in memory only). Inside Electron the preload bridge provides the
 * configured site server and keeps the refresh token in the OS vault (safeStorage).
 */

/**
 * What the Electron preload is expected to expose as `window.factoryopsHost`. It belongs in
 * engine/contract once the shell lands; it is declared here so the renderer compiles today.
 */
export interface FactoryOpsHostBridge {
  /** Base URL of the site server, e.g. https://plant-1.local:8443 */
  serverUrl: string;
  /** Set by the shell on wall-mounted displays (same as `?wall=1`). */
  wallMode?: boolean;
  /** Wall layout chosen in the shell's profile: overview, alarms or trends. */
  wallLayout?: string;
  loadRefreshToken(): Promise<string | null>;
  saveRefreshToken(token: string | null): Promise<void>;
}

declare global {
  interface Window {
    factoryopsHost?: FactoryOpsHostBridge;
  }
}

export interface Transport {
  readonly kind: 'browser' | 'electron';
  /** Where the server is, for messages ("cannot reach https://…"). */
  readonly serverLabel: string;
  /** Full URL of an API path such as `/api/v1/devices`. */
  url(path: string): string;
  /** URL of the WebSocket stream. */
  streamUrl(): string;
  loadRefreshToken(): Promise<string | null>;
  saveRefreshToken(token: string | null): Promise<void>;
  /** The host asked for wall mode (Electron profile flag). */
  readonly hostWallMode: boolean;
  readonly hostWallLayout: string | null;
}

const REFRESH_KEY = 'factoryops.refresh';

function browserTransport(): Transport {
  const origin = window.location.origin;
  return {
    kind: 'browser',
    serverLabel: window.location.host,
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
    hostWallMode: false,
    hostWallLayout: null,
  };
}

function electronTransport(bridge: FactoryOpsHostBridge): Transport {
  const base = bridge.serverUrl.replace(/\/+$/, '');
  const ws = base.replace(/^http/, 'ws');
  return {
    kind: 'electron',
    serverLabel: base.replace(/^https?:\/\//, ''),
    url: (path) => `${base}${path}`,
    streamUrl: () => `${ws}/api/v1/stream`,
    loadRefreshToken: () => bridge.loadRefreshToken(),
    saveRefreshToken: (token) => bridge.saveRefreshToken(token),
    hostWallMode: bridge.wallMode === true,
    hostWallLayout: bridge.wallLayout ?? null,
  };
}

let current: Transport | null = null;

export function transport(): Transport {
  current ??= window.factoryopsHost ? electronTransport(window.factoryopsHost) : browserTransport();
  return current;
}
