/**
 * Where the desktop app looks for updates: the site server's feed. Only over HTTPS (a pinned
 * certificate); a loopback http:// profile (tests, a proxy on the same machine) gets no updates.
 */
export const UPDATE_FEED_PATH = '/api/v1/updates';

export function updateFeedUrl(serverOrigin: string): string | null {
  const url = new URL(serverOrigin);
  if (url.protocol !== 'https:') return null;
  return `${url.origin}${UPDATE_FEED_PATH}`;
}
