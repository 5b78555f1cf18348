/**
 * The desktop shell's preload bridge in a Chromium page: preload/bridge.ts itself (bundled by
 * esbuild) builds `window.factoryops`, and its ipcRenderer is stood in for by a Playwright
 * binding answered in the test (`answer`). `emit` plays main sending an event to the window
 * (a clicked notification). This is the renderer's side of the IPC contract; main's handlers
 * are proven by tests/e2e/bridge.test.ts.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT } from './ui-build.js';

export interface IpcCall {
  channel: string;
  arg: unknown;
}

async function preloadScript(): Promise<string> {
  const bundled = await build({ entryPoints: [join(REPO_ROOT, 'preload', 'bridge.ts')], bundle: true, format: 'iife', globalName: '__foPreload', write: false, platform: 'browser', target: 'chrome120', logLevel: 'silent' });
  return `${bundled.outputFiles[0]?.text ?? ''}
(() => {
  const listeners = new Map();
  const ipc = {
    invoke: (channel, ...args) => window.__foIpcInvoke(channel, args),
    on: (channel, listener) => { (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)).add(listener); },
    removeListener: (channel, listener) => { listeners.get(channel)?.delete(listener); },
  };
  window.__foIpcEmit = (channel, payload) => { for (const l of listeners.get(channel) ?? []) l({}, payload); };
  const bridge = __foPreload.createBridge(ipc);
  window.factoryops = Object.freeze({ ...bridge, profiles: Object.freeze({ ...bridge.profiles }) });
})();`;
}

/** Installs the bridge in every page of `context`; every call is recorded in `calls` and answered by `answer`. */
export async function installDesktopBridge(context: BrowserContext, answer: (call: IpcCall) => unknown): Promise<{ calls: IpcCall[]; emit(page: Page, channel: string, payload: unknown): Promise<void> }> {
  const calls: IpcCall[] = [];
  await context.exposeBinding('__foIpcInvoke', async (_source, channel: string, args: unknown[]) => {
    const call = { channel, arg: args[0] };
    calls.push(call);
    return answer(call);
  });
  await context.addInitScript({ content: await preloadScript() });
  return {
    calls,
    emit: (page, channel, payload) => page.evaluate(([c, p]) => (window as unknown as { __foIpcEmit(c: unknown, p: unknown): void }).__foIpcEmit(c, p), [channel, payload] as const),
  };
}
