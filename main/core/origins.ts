/**
 * The two origins a window may deal with: the app bundle (served by our custom protocol)
 * and the site server of its connection profile. Everything else is foreign.
 */

/** The custom scheme the renderer bundle is served from (registered as standard + secure). */
export const APP_SCHEME = 'factoryops';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export interface WindowOrigins {
  app: string;
  /** Origin of the profile's site server, e.g. "https://plant-1.local:8443". */
  server: string;
}

/** The origin of a URL, or null when it is not a URL (or has no origin, e.g. data:). */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === `${APP_SCHEME}:`) return `${APP_SCHEME}://${parsed.host}`;
    return parsed.origin === 'null' ? null : parsed.origin;
  } catch {
    return null;
  }
}

/** ws(s):// origin that matches an http(s):// server origin. */
export function streamOriginOf(serverOrigin: string): string {
  return serverOrigin.replace(/^http/, 'ws');
}
