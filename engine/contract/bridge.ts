/**
 * The Electron preload bridge as the renderer expects it: `window.factoryops`, exposed by
 * preload/ with `contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge satisfies FactoryOpsBridge)`.
 * Declared once here; preload implements it, renderer/src/api/transport.ts consumes it.
 *
 * What stays outside the bridge on purpose: the API and the stream. The renderer calls
 * `fetch(serverUrl + '/api/v1/…')` and opens `new WebSocket(wss://…/api/v1/stream)` itself,
 * exactly as in a browser. The shell makes that work for its window: it trusts the profile's
 * pinned certificate (setCertificateVerifyProc) and lets the bundle's origin reach the site
 * server (CORS headers / preflight answered for that origin). The bridge carries only what a
 * browser tab cannot have: the configured server, the wall flags, and a vault for the
 * refresh token (safeStorage). The access token never leaves renderer memory.
 *
 * Every call is async (IPC); every argument is plain data the main process validates.
 */

/** The name of the global the preload exposes (`window.factoryops`). */
export const BRIDGE_GLOBAL = 'factoryops';

export const WALL_LAYOUTS = ['overview', 'alarms', 'trends'] as const;
export type WallLayout = (typeof WALL_LAYOUTS)[number];

/** The connection profile the window was opened with. */
export interface HostInfo {
  /** Base URL of the site server, e.g. "https://plant-1.local:8443" (no trailing slash needed). */
  serverUrl: string;
  /** Human name of the profile, shown on the sign-in screen ("Plant 1 control room"). */
  profileName: string;
  /** Wall display: large type, no chrome, never a sign-in prompt while the refresh token is valid. */
  wallMode: boolean;
  /** Wall layout; null = overview. */
  wallLayout: WallLayout | null;
  /** Device ids for the "trends" layout (at most 4 are shown at once). */
  wallDevices: number[];
  /** Rotate through overview → alarms → trends every N seconds; null = no cycling. */
  wallCycleSeconds: number | null;
  /** Version of the desktop shell, for the about line and support. */
  shellVersion: string;
}

export interface FactoryOpsBridge {
  /** Bump when a method is added or changes meaning. */
  readonly bridgeVersion: 1;
  /** The connection profile of this window. Called once at start-up. */
  host(): Promise<HostInfo>;
  /** The refresh token kept for this profile in the OS vault, or null. */
  loadRefreshToken(): Promise<string | null>;
  /** Stores (or with null, forgets) the refresh token for this profile. */
  saveRefreshToken(token: string | null): Promise<void>;
}
