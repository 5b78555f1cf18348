/**
 * Real shell services for tests (profile store and token vault on a temp dir, the real alarm
 * filter) with the Electron-only parts (windows, dialogs, notifications) recorded instead of
 * shown. Shared by the IPC unit tests and the Chromium bridge test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionState } from '../../../engine/contract/ipc.js';
import { AlarmNotificationFilter, type NotificationPlan } from '../../../main/core/alarm-notifications.js';
import { createIpcDispatcher, type IpcDispatcher } from '../../../main/core/ipc-dispatch.js';
import { createShellHandlers, type ShellServices, type WindowContext, type WindowSession } from '../../../main/core/ipc-handlers.js';
import { ProfileStore } from '../../../main/core/profile-store.js';
import { TokenVault } from '../../../main/core/token-vault.js';
import { AesTestCipher } from './test-cipher.js';

export interface TestShell {
  dir: string;
  profiles: ProfileStore;
  vault: TokenVault;
  cipher: AesTestCipher;
  sessions: Map<number, WindowSession>;
  notifications: Array<{ windowId: number; plan: NotificationPlan }>;
  connection: Array<{ windowId: number; state: ConnectionState }>;
  opened: Array<{ windowId: number; profileId: string; newWindow: boolean }>;
  now: { ms: number };
  dispatcher: IpcDispatcher<WindowContext>;
  close(): void;
}

export function createTestShell(): TestShell {
  const dir = mkdtempSync(join(tmpdir(), 'fo-shell-'));
  const cipher = new AesTestCipher();
  const shell: Omit<TestShell, 'dispatcher'> = {
    dir,
    profiles: new ProfileStore(join(dir, 'profiles.json')),
    vault: new TokenVault(join(dir, 'vault'), cipher),
    cipher,
    sessions: new Map(),
    notifications: [],
    connection: [],
    opened: [],
    now: { ms: Date.parse('2025-03-01T08:00:00Z') },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
  const services: ShellServices = {
    profiles: shell.profiles,
    vault: shell.vault,
    alarmFilter: new AlarmNotificationFilter(),
    clock: () => shell.now.ms,
    shellVersion: '0.1.0-test',
    appInfo: async () => ({ productName: 'FactoryOps', version: '0.1.0-test', electron: 'n/a', chrome: 'n/a', platform: `${process.platform}-${process.arch}`, vault: 'os', vaultWarning: null, updateFeed: null }),
    session: (id) => shell.sessions.get(id),
    windowsOfProfile: (id) => [...shell.sessions.entries()].filter(([, s]) => s.profileId === id).map(([windowId]) => windowId),
    openProfile: async (windowId, profileId, newWindow) => {
      shell.opened.push({ windowId, profileId, newWindow });
    },
    showNotification: (windowId, plan) => shell.notifications.push({ windowId, plan }),
    connectionChanged: (windowId, state) => shell.connection.push({ windowId, state }),
    print: async () => {},
    exportPdf: async () => ({ saved: false, fileName: null }),
    saveFile: async (_id, file) => ({ saved: true, fileName: file.suggestedName }),
  };
  return { ...shell, dispatcher: createIpcDispatcher(createShellHandlers(services)) };
}
