/**
 * `window.factoryops`: the whole surface the renderer gets from the desktop shell. Built from
 * an `ipcRenderer`-shaped object so the same code runs in the preload (real ipcRenderer) and
 * in the browser test (an IPC stand-in that calls main's real handlers). It forwards plain data
 * only — main validates every argument against engine/contract/ipc.ts — and never hands the
 * renderer ipcRenderer itself or an Electron event.
 */
import { IPC_CHANNEL_NAMES, IPC_EVENT_NAMES } from '../engine/contract/ipc-channels.js';
import type { DesktopBridge } from '../engine/contract/ipc.js';

/** The part of Electron's ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createBridge(ipc: IpcRendererLike): DesktopBridge {
  // One argument at most (or none), always a fresh plain value.
  const call = <T>(name: keyof typeof IPC_CHANNEL_NAMES, ...args: [] | [unknown]): Promise<T> => ipc.invoke(IPC_CHANNEL_NAMES[name], ...args) as Promise<T>;
  const bridge: DesktopBridge = {
    bridgeVersion: 1,
    host: () => call('hostInfo'),
    loadRefreshToken: () => call('loadRefreshToken'),
    saveRefreshToken: (token) => call('saveRefreshToken', token),
    appInfo: () => call('appInfo'),
    profiles: {
      list: () => call('listProfiles'),
      save: (profile) => call('saveProfile', profile.id === undefined ? { name: profile.name, serverUrl: profile.serverUrl } : { id: profile.id, name: profile.name, serverUrl: profile.serverUrl }),
      remove: (id) => call('removeProfile', { id }),
      open: (id, options) => call('openProfile', { id, newWindow: options?.newWindow === true }),
      forgetCertificate: (id) => call('forgetCertificate', { id }),
    },
    notifyAlarm: (alarm) => call('notifyAlarm', { alarmId: alarm.alarmId, severity: alarm.severity, title: alarm.title, body: alarm.body }),
    onAlarmFocus(listener) {
      if (typeof listener !== 'function') throw new TypeError('onAlarmFocus needs a function');
      const relay = (_event: unknown, payload: unknown) => {
        const alarmId = (payload as { alarmId?: unknown } | null)?.alarmId;
        if (typeof alarmId === 'number' && Number.isInteger(alarmId)) listener(alarmId);
      };
      ipc.on(IPC_EVENT_NAMES.alarmFocus, relay);
      return () => {
        ipc.removeListener(IPC_EVENT_NAMES.alarmFocus, relay);
      };
    },
    reportConnection: (state) => call('reportConnection', { state }),
    printPage: () => call('printPage'),
    exportPdf: (suggestedName) => call('exportPdf', { suggestedName }),
    saveFile: (file) => call('saveFile', { suggestedName: file.suggestedName, mimeType: file.mimeType, content: file.content }),
  };
  return bridge;
}
