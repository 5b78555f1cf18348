/**
 * One shared 1 Hz tick. Staleness ("last value 3 min ago", greying) depends on time passing,
 * not on new data, so tiles re-check on this tick through `subscribe`, without React renders.
 */
import { createStore, useStore } from 'zustand';

export const clockStore = createStore<{ now: number }>()(() => ({ now: Date.now() }));
export const useNow = (): number => useStore(clockStore, (s) => s.now);

let timer: ReturnType<typeof setInterval> | null = null;

export function startClock(): void {
  if (timer) return;
  timer = setInterval(() => clockStore.setState({ now: Date.now() }), 1000);
}
