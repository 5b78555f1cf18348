/**
 * The preload's bridge wired to main's real dispatcher and handlers (an ipcRenderer stand-in
 * that delivers to the dispatcher, as Electron's IPC would, structured-cloning the arguments).
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPC_EVENT_NAMES } from '../../../engine/contract/ipc-channels.js';
import type { DesktopBridge } from '../../../engine/contract/ipc.js';
import { createBridge, type IpcRendererLike } from '../../../preload/bridge.js';
import { createTestShell, type TestShell } from '../main/shell-services.js';

function ipcFor(shell: TestShell, windowId: number): IpcRendererLike & { events: EventEmitter; invoked: string[] } {
  const events = new EventEmitter();
  const invoked: string[] = [];
  return {
    events,
    invoked,
    invoke: (channel, ...args) => {
      invoked.push(channel);
      return shell.dispatcher.dispatch(channel, { windowId }, structuredClone(args));
    },
    on: (channel, listener) => events.on(channel, listener),
    removeListener: (channel, listener) => events.removeListener(channel, listener),
  };
}

describe('preload bridge', () => {
  let shell: TestShell;
  let ipc: ReturnType<typeof ipcFor>;
  let bridge: DesktopBridge;

  beforeEach(() => {
    shell = createTestShell();
    const { id } = shell.profiles.save({ name: 'Plant 1', serverUrl: 'https://plant-1.example:8443' });
    shell.sessions.set(1, { profileId: id, wall: null });
    ipc = ipcFor(shell, 1);
    bridge = createBridge(ipc);
  });
  afterEach(() => shell.close());

  it('implements the renderer bridge: host, and the vault round trip', async () => {
    expect(bridge.bridgeVersion).toBe(1);
    expect((await bridge.host()).serverUrl).toBe('https://plant-1.example:8443');
    await bridge.saveRefreshToken('rt_abcdefghijklmnop');
    expect(await bridge.loadRefreshToken()).toBe('rt_abcdefghijklmnop');
    expect(ipc.invoked).toEqual(['factoryops:host-info', 'factoryops:vault-save', 'factoryops:vault-load']);
  });

  it('sends only the contract fields, so a stray property cannot ride along', async () => {
    const saved = await bridge.profiles.save({ name: 'Plant 2', serverUrl: 'https://plant-2.example', evil: true } as never);
    expect(saved.name).toBe('Plant 2');
    await bridge.notifyAlarm({ alarmId: 5, severity: 'critical', title: 'Oven 2', body: 'temperature', extra: 'x' } as never);
    expect(shell.notifications).toHaveLength(1);
  });

  it("lets main's validation refuse bad values with a clear message", async () => {
    await expect(bridge.saveRefreshToken(42 as never)).rejects.toThrow('saveRefreshToken: invalid argument');
    await expect(bridge.profiles.open('NOT AN ID')).rejects.toThrow('openProfile: invalid argument at /id');
    await expect(bridge.saveFile({ suggestedName: 'a/b.csv', mimeType: 'text/csv', content: '' })).rejects.toThrow('at /suggestedName');
  });

  it('relays notification clicks to listeners, only with an integer alarm id, until unsubscribed', () => {
    const seen: number[] = [];
    const off = bridge.onAlarmFocus((alarmId) => seen.push(alarmId));
    ipc.events.emit(IPC_EVENT_NAMES.alarmFocus, {}, { alarmId: 12 });
    ipc.events.emit(IPC_EVENT_NAMES.alarmFocus, {}, { alarmId: '13' });
    off();
    ipc.events.emit(IPC_EVENT_NAMES.alarmFocus, {}, { alarmId: 14 });
    expect(seen).toEqual([12]);
    expect(ipc.events.listenerCount(IPC_EVENT_NAMES.alarmFocus)).toBe(0);
  });
});
