/**
 * "Show this alarm": a request from outside the alarm console (a clicked desktop notification)
 * that the console takes up when it is on screen: it selects the alarm, or opens the journal
 * of one that has closed meanwhile.
 */
import { createStore, useStore } from 'zustand';

export interface AlarmFocusState {
  /** The alarm to show; `seq` tells two requests for the same alarm apart. */
  request: { alarmId: number; seq: number } | null;
}

export const alarmFocusStore = createStore<AlarmFocusState>()(() => ({ request: null }));
export const useAlarmFocus = <T>(select: (s: AlarmFocusState) => T): T => useStore(alarmFocusStore, select);

let seq = 0;

export function requestAlarmFocus(alarmId: number): void {
  alarmFocusStore.setState({ request: { alarmId, seq: ++seq } });
}

/** The console took the request up. */
export function clearAlarmFocus(): void {
  alarmFocusStore.setState({ request: null });
}
