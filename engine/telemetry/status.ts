// Freshness of values and devices, computed from timestamps and an explicit `now` so the
// server, the workers and the renderer agree on the answer for the same inputs.

/** A value older than this is shown as stale. */
export const DEFAULT_STALE_AFTER_MS = 10 * 60 * 1000;
/** A device silent for longer than this is offline. */
export const DEFAULT_OFFLINE_AFTER_MS = 10 * 60 * 1000;

export type DeviceStatus = 'online' | 'offline' | 'never_seen';

/**
 * Whether a value stamped `ts` is older than `staleAfterMs` at `now`. Exactly `staleAfterMs`
 * old is still fresh; a timestamp ahead of `now` (device clock skew) is fresh; a non-finite
 * timestamp is stale, since nothing can vouch for it.
 */
export function isStale(ts: number, now: number, staleAfterMs: number = DEFAULT_STALE_AFTER_MS): boolean {
  // Written as a negation so NaN anywhere answers "stale".
  return !(now - ts <= staleAfterMs);
}

/** 'never_seen' before the first message, then online until `offlineAfterMs` of silence. */
export function deviceStatus(
  lastSeen: number | null,
  now: number,
  offlineAfterMs: number = DEFAULT_OFFLINE_AFTER_MS,
): DeviceStatus {
  if (lastSeen === null) return 'never_seen';
  return isStale(lastSeen, now, offlineAfterMs) ? 'offline' : 'online';
}
