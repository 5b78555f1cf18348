/**
 * Electron main process of the FactoryOps desktop client. Reads as its boot sequence:
 * privileged scheme → flags → single instance → hardening of every web contents → (ready)
 * stores → windows → IPC → tray → auto-start → updates. Everything that can be decided
 * without Electron lives in core/ and is unit-tested there; electron/ only wires it.
 */
import { app, dialog, session } from 'electron';
import { join } from 'node:path';
import { AlarmNotificationFilter } from './core/alarm-notifications.js';
import { ArgsError, isWall, parseShellArgs, type ShellOptions } from './core/args.js';
import { createIpcDispatcher } from './core/ipc-dispatch.js';
import { createShellHandlers } from './core/ipc-handlers.js';
import { ProfileStore } from './core/profile-store.js';
import { TokenVault } from './core/token-vault.js';
import { WindowStateStore } from './core/window-state-store.js';
import { registerAppScheme } from './electron/app-protocol.js';
import { exportPdf, printWindow, saveTextFile } from './electron/exports.js';
import { registerIpc } from './electron/ipc.js';
import { showAlarmNotification } from './electron/notifications.js';
import { shellPaths } from './electron/paths.js';
import { denyAllPermissions, forgetSession } from './electron/profile-session.js';
import { StatusTray } from './electron/tray.js';
import { setupUpdates } from './electron/updates.js';
import { safeStorageCipher, vaultStatus } from './electron/vault-cipher.js';
import { WindowManager } from './electron/windows.js';

function log(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
}

function readFlags(argv: readonly string[]): ShellOptions {
  try {
    return parseShellArgs(argv);
  } catch (error) {
    if (!(error instanceof ArgsError)) throw error;
    dialog.showErrorBox('FactoryOps: invalid command line', `${error.message}.\n\nSee the desktop README for the flags (--kiosk, --display N, --layout overview|alarms|trends, --window LAYOUT@N, --profile ID).`);
    app.exit(2);
    throw error;
  }
}

function setupHardening(): void {
  // Any web contents (including ones we did not expect) gets no webviews and no new windows.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

function setupAutoStart(options: ShellOptions): void {
  if (options.autoStart === null || !app.isPackaged) return;
  // The wall's own flags are kept, so the session start brings back the same layout.
  const args = process.argv.slice(1).filter((arg) => arg !== '--auto-start');
  app.setLoginItemSettings({ openAtLogin: options.autoStart, args });
}

function openInitialWindows(windows: WindowManager, profiles: ProfileStore, options: ShellOptions): string | null {
  const profile = options.profileId ? profiles.get(options.profileId) : profiles.defaultProfile();
  if (options.profileId && !profile) log('profile.missing', { profileId: options.profileId });
  const profileId = profile?.id ?? null;
  if (profileId === null || options.windows.length === 0) {
    windows.open({ profileId, wall: null, kiosk: options.kiosk && profileId !== null });
  } else {
    for (const wall of options.windows) {
      windows.open({ profileId, wall: { ...wall, devices: options.devices, cycleSeconds: options.cycleSeconds }, kiosk: options.kiosk });
    }
  }
  if (profileId) profiles.markUsed(profileId);
  return profileId;
}

async function start(options: ShellOptions): Promise<void> {
  const paths = shellPaths();
  const profiles = new ProfileStore(paths.profilesFile);
  const vault = new TokenVault(paths.vaultDir, safeStorageCipher);
  denyAllPermissions(session.defaultSession);

  // The tray is made after the windows it lists; the window manager asks for it by then.
  const late: { tray?: StatusTray; manager?: WindowManager; updateFeed: string | null } = { updateFeed: null };
  const deps = { profiles, roots: paths.bundle, focusedWindow: () => late.manager?.focused(), log };
  const manager = new WindowManager({ ...deps, preload: paths.preload, states: new WindowStateStore(paths.windowStateFile), changed: () => late.tray?.refresh() });
  late.manager = manager;
  const windowOf = (id: number) => {
    const window = manager.get(id);
    if (!window) throw new Error('the window is gone');
    return window;
  };

  const handlers = createShellHandlers({
    profiles,
    vault,
    alarmFilter: new AlarmNotificationFilter(),
    clock: Date.now,
    shellVersion: app.getVersion(),
    appInfo: async () => ({
      productName: app.getName(),
      version: app.getVersion(),
      electron: process.versions.electron ?? '',
      chrome: process.versions.chrome ?? '',
      platform: `${process.platform}-${process.arch}`,
      ...(await vaultStatus()),
      updateFeed: late.updateFeed,
    }),
    session: (id) => manager.session(id),
    windowsOfProfile: (id) => manager.windowsOfProfile(id),
    openProfile: async (windowId, profileId, newWindow) => {
      forgetSession(profileId);
      if (newWindow) manager.open({ profileId, wall: null, kiosk: false });
      else manager.replace(windowId, profileId);
    },
    showNotification: (id, plan) => showAlarmNotification(windowOf(id), plan),
    connectionChanged: (id, state) => late.tray?.setState(id, state),
    print: (id) => printWindow(windowOf(id)),
    exportPdf: (id, name) => exportPdf(windowOf(id), name),
    saveFile: (id, file) => saveTextFile(windowOf(id), file),
  });
  registerIpc(createIpcDispatcher(handlers), log);

  const tray = new StatusTray(manager, profiles, join(paths.bundle.shell, 'tray.png'));
  late.tray = tray;
  const profileId = openInitialWindows(manager, profiles, options);
  tray.refresh();
  setupAutoStart(options);
  if (profileId) late.updateFeed = setupUpdates(profileId, deps);

  app.on('second-instance', (_event, argv) => {
    // A second launch (a desktop shortcut pressed again) focuses; a launch with wall flags adds those windows.
    let again: ShellOptions;
    try {
      again = parseShellArgs(argv);
    } catch (error) {
      log('shell.second_instance_flags', { error: (error as Error).message });
      manager.focused()?.show();
      return;
    }
    if (isWall(again)) openInitialWindows(manager, profiles, again);
    else manager.focused()?.show();
  });
  log('shell.started', { version: app.getVersion(), windows: manager.all().length, wall: isWall(options) });
}

// ---- boot ----
registerAppScheme();
setupHardening();
const options = readFlags(process.argv);
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app
    .whenReady()
    .then(() => start(options))
    .catch((error: unknown) => {
      dialog.showErrorBox('FactoryOps could not start', (error as Error).message);
      app.exit(1);
    });
}
