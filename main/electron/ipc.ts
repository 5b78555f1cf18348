/**
 * Registers the bridge's channels with ipcMain — the only place raw ipcMain is used. A call
 * from a frame that is not our bundle (an iframe, a navigated-away page) or from a window we
 * did not open is refused before validation; everything else goes through the dispatcher,
 * which validates against engine/contract/ipc.ts.
 */
import { BrowserWindow, ipcMain } from 'electron';
import type { IpcDispatcher } from '../core/ipc-dispatch.js';
import type { WindowContext } from '../core/ipc-handlers.js';
import { isTrustedSender } from '../core/navigation.js';
import { APP_ORIGIN } from '../core/origins.js';

export function registerIpc(dispatcher: IpcDispatcher<WindowContext>, log: (event: string, fields: Record<string, unknown>) => void): void {
  for (const { channel } of dispatcher.channels) {
    ipcMain.handle(channel, async (event, ...args: unknown[]) => {
      const window = BrowserWindow.fromWebContents(event.sender);
      if (!window || !isTrustedSender(event.senderFrame?.url, APP_ORIGIN)) {
        log('ipc.untrusted_sender', { channel, url: event.senderFrame?.url });
        throw new Error('refused: not an app window');
      }
      try {
        return await dispatcher.dispatch(channel, { windowId: window.id }, args);
      } catch (error) {
        log('ipc.failed', { channel, error: (error as Error).message });
        throw error;
      }
    });
  }
}
