/** Per-workstation preferences, kept in localStorage (not secrets: theme, sound, thresholds). */
import { createStore, useStore } from 'zustand';

export interface Preferences {
  theme: 'dark' | 'light';
  /** Beep on a new critical alarm (off by default: control rooms have their own horns). */
  audibleCritical: boolean;
  /** A value older than this is shown greyed as stale, s. */
  staleAfterSeconds: number;
  /** A device silent for this long counts as offline (the server's default --offline-after), s. */
  offlineAfterSeconds: number;
}

const KEY = 'factoryops.preferences';
const DEFAULTS: Preferences = { theme: 'dark', audibleCritical: false, staleAfterSeconds: 60, offlineAfterSeconds: 600 };

function load(): Preferences {
  try {
    const raw = window.localStorage.getItem(KEY);
    const parsed = raw ? (JSON.parse(raw) as Partial<Preferences>) : {};
    return {
      theme: parsed.theme === 'light' ? 'light' : 'dark',
      audibleCritical: parsed.audibleCritical === true,
      staleAfterSeconds: positive(parsed.staleAfterSeconds, DEFAULTS.staleAfterSeconds),
      offlineAfterSeconds: positive(parsed.offlineAfterSeconds, DEFAULTS.offlineAfterSeconds),
    };
  } catch {
    return DEFAULTS;
  }
}

function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

export const preferencesStore = createStore<Preferences>()(() => load());
export const usePreferences = <T>(select: (p: Preferences) => T): T => useStore(preferencesStore, select);

export function setPreference<K extends keyof Preferences>(key: K, value: Preferences[K]): void {
  preferencesStore.setState({ [key]: value } as Pick<Preferences, K>);
  try {
    window.localStorage.setItem(KEY, JSON.stringify(preferencesStore.getState()));
  } catch {
    // storage disabled: the preference lasts for this page
  }
}
