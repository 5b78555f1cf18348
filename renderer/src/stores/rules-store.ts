/** Rules of the factory (names for alarm rows, limits for trends, the rules page). */
import { createStore, useStore } from 'zustand';
import { rulesApi } from '../api/rules-api';
import type { Rule } from '../api/types';

export interface RulesState {
  list: Rule[];
  byId: ReadonlyMap<number, Rule>;
  loaded: boolean;
  /** Set when the server has no rules API (older server) or the read failed. */
  error: string | null;
}

export const rulesStore = createStore<RulesState>()(() => ({ list: [], byId: new Map(), loaded: false, error: null }));
export const useRules = <T>(select: (s: RulesState) => T): T => useStore(rulesStore, select);

let loading: Promise<void> | null = null;

export function loadRules(force = false): Promise<void> {
  if (loading) return loading;
  if (rulesStore.getState().loaded && !force) return Promise.resolve();
  loading = rulesApi
    .list()
    .then((list) => {
      const sorted = [...list].sort((a, b) => a.name.localeCompare(b.name));
      rulesStore.setState({ list: sorted, byId: new Map(sorted.map((r) => [r.id, r])), loaded: true, error: null });
    })
    .catch((error: unknown) => {
      rulesStore.setState({ loaded: true, error: error instanceof Error ? error.message : String(error) });
    })
    .finally(() => {
      loading = null;
    });
  return loading;
}

let lastMissReload = 0;

/**
 * Alarm rows name their rule; an alarm of a rule created after the list was read (by someone
 * else, or over the API) makes the list be read again, at most every 10 s.
 */
export function ensureRulesKnown(ruleIds: Iterable<number>): void {
  const { loaded, byId } = rulesStore.getState();
  if (!loaded || loading) return;
  for (const id of ruleIds) {
    if (byId.has(id)) continue;
    if (Date.now() - lastMissReload < 10_000) return;
    lastMissReload = Date.now();
    void loadRules(true);
    return;
  }
}

export function putRule(rule: Rule): void {
  const list = [...rulesStore.getState().list.filter((r) => r.id !== rule.id), rule].sort((a, b) => a.name.localeCompare(b.name));
  rulesStore.setState({ list, byId: new Map(list.map((r) => [r.id, r])) });
}

export function resetRules(): void {
  rulesStore.setState({ list: [], byId: new Map(), loaded: false, error: null });
}
