/**
 * What each bridge call does, written against small services rather than Electron, so the
 * same handler map runs in the app and in tests (unit tests and the Chromium bridge test).
 * The window that asked is the context: a window can reach the vault of its own profile only.
 */
import type { HostInfo } from '../../engine/contract/bridge.js';
import type { AppInfo, ConnectionState, ExportResult, ProfileView, SaveFileRequest } from '../../engine/contract/ipc.js';
import type { AlarmNotificationFilter, NotificationPlan } from './alarm-notifications.js';
import type { IpcHandlers } from './ipc-dispatch.js';
import type { ProfileStore, StoredProfile } from './profile-store.js';
import type { TokenVault } from './token-vault.js';
import type { WallLayout } from '../../engine/contract/bridge.js';

export interface WindowContext {
  windowId: number;
}

/** What a window was opened with. */
export interface WindowSession {
  profileId: string | null;
  wall: { layout: WallLayout; devices: number[]; cycleSeconds: number | null } | null;
}

export interface ShellServices {
  profiles: ProfileStore;
  vault: TokenVault;
  alarmFilter: AlarmNotificationFilter;
  clock: () => number;
  shellVersion: string;
  appInfo(): Promise<AppInfo>;
  session(windowId: number): WindowSession | undefined;
  /** Windows showing this profile (a profile in use is not removed under them). */
  windowsOfProfile(profileId: string): number[];
  openProfile(windowId: number, profileId: string, newWindow: boolean): Promise<void>;
  showNotification(windowId: number, plan: NotificationPlan): void;
  connectionChanged(windowId: number, state: ConnectionState): void;
  print(windowId: number): Promise<void>;
  exportPdf(windowId: number, suggestedName: string): Promise<ExportResult>;
  saveFile(windowId: number, file: SaveFileRequest): Promise<ExportResult>;
}

export class ShellRequestError extends Error {
  override readonly name = 'ShellRequestError';
}

export function profileView(profile: StoredProfile, vault: TokenVault): ProfileView {
  return {
    id: profile.id,
    name: profile.name,
    serverUrl: profile.serverUrl,
    pinnedFingerprint: profile.pin?.fingerprint ?? null,
    pinnedAt: profile.pin?.pinnedAt ?? null,
    hasToken: vault.has(profile.id),
  };
}

export function createShellHandlers(services: ShellServices): IpcHandlers<WindowContext> {
  const sessionOf = (ctx: WindowContext): WindowSession => {
    const session = services.session(ctx.windowId);
    if (!session) throw new ShellRequestError('this window is not one of the app windows');
    return session;
  };
  const profileOf = (ctx: WindowContext): StoredProfile => {
    const { profileId } = sessionOf(ctx);
    const profile = profileId === null ? undefined : services.profiles.get(profileId);
    if (!profile) throw new ShellRequestError('this window has no connection profile; choose one first');
    return profile;
  };

  return {
    async hostInfo(ctx) {
      const session = sessionOf(ctx);
      const profile = profileOf(ctx);
      const info: HostInfo = {
        serverUrl: profile.serverUrl,
        profileName: profile.name,
        wallMode: session.wall !== null,
        wallLayout: session.wall?.layout ?? null,
        wallDevices: session.wall?.devices ?? [],
        wallCycleSeconds: session.wall?.cycleSeconds ?? null,
        shellVersion: services.shellVersion,
      };
      return info;
    },
    async loadRefreshToken(ctx) {
      return services.vault.load(profileOf(ctx).id);
    },
    async saveRefreshToken(ctx, token) {
      await services.vault.save(profileOf(ctx).id, token);
    },
    async appInfo() {
      return services.appInfo();
    },
    async listProfiles(ctx) {
      return { profiles: services.profiles.list().map((p) => profileView(p, services.vault)), currentId: sessionOf(ctx).profileId };
    },
    async saveProfile(_ctx, input) {
      const existing = input.id === undefined ? undefined : services.profiles.get(input.id);
      const saved = services.profiles.save(input);
      // A profile moved to another server must not send the old server's token there.
      if (existing && existing.serverUrl !== saved.serverUrl) await services.vault.save(saved.id, null);
      return profileView(saved, services.vault);
    },
    async removeProfile(_ctx, { id }) {
      if (services.windowsOfProfile(id).length > 0) throw new ShellRequestError('this profile is open in a window; switch or close that window first');
      services.profiles.remove(id);
      await services.vault.save(id, null);
    },
    async openProfile(ctx, { id, newWindow }) {
      if (!services.profiles.get(id)) throw new ShellRequestError(`no profile "${id}"`);
      services.profiles.markUsed(id);
      await services.openProfile(ctx.windowId, id, newWindow);
    },
    async forgetCertificate(_ctx, { id }) {
      services.profiles.forgetPin(id);
    },
    async notifyAlarm(ctx, notice) {
      sessionOf(ctx);
      const plan = services.alarmFilter.consider(notice, services.clock());
      if (plan) services.showNotification(ctx.windowId, plan);
    },
    async reportConnection(ctx, { state }) {
      sessionOf(ctx);
      services.connectionChanged(ctx.windowId, state);
    },
    async printPage(ctx) {
      sessionOf(ctx);
      await services.print(ctx.windowId);
    },
    async exportPdf(ctx, { suggestedName }) {
      sessionOf(ctx);
      return services.exportPdf(ctx.windowId, suggestedName);
    },
    async saveFile(ctx, file) {
      sessionOf(ctx);
      return services.saveFile(ctx.windowId, file);
    },
  };
}
