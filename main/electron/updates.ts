/**
 * Updates from the site server (plants often have no internet): electron-updater's generic
 * provider pointed at `<server>/api/v1/updates`, the feed served by server/api/routes/updates.ts.
 * The feed is fetched through the updater's own session, which gets the same certificate pin
 * as the profile. What is installed must be signed: on Windows electron-updater checks the
 * installer's Authenticode publisher against the app's (verifyUpdateCodeSignature), on macOS
 * Squirrel checks the code signature, and every artifact's SHA-512 must match latest.yml.
 */
import { app, session as electronSession } from 'electron';
import electronUpdater from 'electron-updater';
import { updateFeedUrl } from '../core/update-feed.js';
import { pinCertificates, type SessionDeps } from './profile-session.js';

/** electron-updater fetches with this partition (its ElectronHttpExecutor). */
const UPDATER_PARTITION = 'electron-updater';

export function setupUpdates(profileId: string, deps: SessionDeps): string | null {
  const profile = deps.profiles.get(profileId);
  if (!app.isPackaged || !profile) return null;
  const url = updateFeedUrl(profile.serverUrl);
  if (url === null) return null;
  pinCertificates(electronSession.fromPartition(UPDATER_PARTITION, { cache: false }), deps, () => [profileId]);
  const { autoUpdater } = electronUpdater;
  autoUpdater.setFeedURL({ provider: 'generic', url });
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = true;
  autoUpdater.allowDowngrade = false;
  autoUpdater.on('error', (error) => deps.log('update.failed', { error: error.message }));
  autoUpdater.on('update-downloaded', (info) => deps.log('update.downloaded', { version: info.version }));
  void autoUpdater.checkForUpdates().catch((error: unknown) => deps.log('update.failed', { error: (error as Error).message }));
  const timer = setInterval(() => void autoUpdater.checkForUpdates().catch(() => {}), 4 * 3_600_000);
  timer.unref();
  return url;
}
