/**
 * Web permissions of the app windows: all denied (camera, microphone, geolocation, HID,
 * notifications through the web API — OS notifications go through the bridge instead), except
 * the one the app needs: reaching its site server on the plant network. Chromium's Local
 * Network Access checks treat a connection from the app origin to a private or loopback
 * address (where site servers live) as needing permission; it is granted to the app origin
 * only, and only in a session that has a site server.
 */
export const NETWORK_PERMISSIONS = ['local-network-access', 'local-network', 'loopback-network'] as const;

export function permissionDecision(permission: string, requestingOrigin: string | null, context: { appOrigin: string; hasServer: boolean }): boolean {
  if (!(NETWORK_PERMISSIONS as readonly string[]).includes(permission)) return false;
  return context.hasServer && requestingOrigin === context.appOrigin;
}
