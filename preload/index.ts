/**
 * The preload script (sandboxed, context-isolated): exposes the bridge as `window.factoryops`.
 * Bundled to one CommonJS file (dist/electron/preload.cjs) because a sandboxed preload can
 * require only `electron` and a few Node shims.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_GLOBAL } from '../engine/contract/bridge.js';
import type { DesktopBridge } from '../engine/contract/ipc.js';
import { createBridge } from './bridge.js';

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, createBridge(ipcRenderer) satisfies DesktopBridge);
