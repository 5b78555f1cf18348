/** The stream link's health for the banner ("disconnected since …") and for greying values. */
import { createStore, useStore } from 'zustand';
import type { LinkStatus } from '../api/stream-client.js';

export const linkStore = createStore<LinkStatus>()(() => ({ state: 'idle', since: Date.now(), attempt: 0, nextRetryAt: null, reason: null }));
export const useLink = <T>(select: (s: LinkStatus) => T): T => useStore(linkStore, select);

/** True when live values can be trusted as current. */
export function linkIsLive(): boolean {
  return linkStore.getState().state === 'open';
}
