/**
 * Open alarms of the factory, kept in step with the server by the stream's ordered deltas.
 * Every transition carries a per-factory `seq`; a delta that skips a number means one was
 * missed (a reconnect, a dropped socket), so the store asks for `alarm_resync` from its last
 * seq and applies the answer: the missed deltas in order (`alarm_changes`) or, when too many
 * were missed, the whole open set (`alarm_snapshot`). Deltas arriving meanwhile are held and
 * replayed on top.
 */
import { createStore, useStore } from 'zustand';
import type { StreamAlarm, StreamAlarmDelta } from '../../../engine/contract/stream.js';

export type AlarmSeverity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITY_ORDER: readonly AlarmSeverity[] = ['critical', 'high', 'medium', 'low'];

export interface AlarmStoreState {
  /** Last applied sequence number (0 = nothing yet). */
  seq: number;
  /** True once the store matches the server (after the first resync answer). */
  synced: boolean;
  /** Open alarms (anything but normal), by id. */
  open: ReadonlyMap<number, StreamAlarm>;
  /** Raise times seen (epoch ms), newest last, for the flood indicator. */
  raisedAt: readonly number[];
  /** Transitions seen live, newest first (bounded), for "newest alarms". */
  recent: readonly StreamAlarmDelta[];
}

const RECENT_LIMIT = 200;
const RAISES_KEPT_MS = 60 * 60_000;

export const alarmStore = createStore<AlarmStoreState>()(() => ({ seq: 0, synced: false, open: new Map(), raisedAt: [], recent: [] }));
export const useAlarms = <T>(select: (s: AlarmStoreState) => T): T => useStore(alarmStore, select);

let resyncPending = false;
let held: StreamAlarmDelta[] = [];
/** The store matched the server once this session: later resyncs recover missed transitions. */
let everSynced = false;
const liveListeners = new Set<(delta: StreamAlarmDelta) => void>();

/**
 * Called for each transition that is new to this console: those arriving live, and those a
 * resync recovers after a reconnect or a gap (missed while the link was down, still news to
 * the operator). Not for the first sync after sign-in, which is history. For sound, toasts and
 * desktop notifications; listeners check the alarm is still open before interrupting anyone.
 */
export function onLiveAlarm(listener: (delta: StreamAlarmDelta) => void): () => void {
  liveListeners.add(listener);
  return () => liveListeners.delete(listener);
}

function isOpen(alarm: StreamAlarm): boolean {
  return alarm.state !== 'normal';
}

function applyInOrder(deltas: readonly StreamAlarmDelta[]): void {
  const state = alarmStore.getState();
  let seq = state.seq;
  const open = new Map(state.open);
  let raisedAt = [...state.raisedAt];
  let recent = [...state.recent];
  for (const delta of deltas) {
    if (delta.seq <= seq) continue;
    seq = delta.seq;
    if (isOpen(delta.alarm)) open.set(delta.alarm.id, delta.alarm);
    else open.delete(delta.alarm.id);
    if (delta.action === 'raised') raisedAt.push(delta.at);
    recent.unshift(delta);
  }
  const cutoff = Date.now() - RAISES_KEPT_MS;
  raisedAt = raisedAt.filter((t) => t > cutoff);
  if (recent.length > RECENT_LIMIT) recent = recent.slice(0, RECENT_LIMIT);
  alarmStore.setState({ seq, open, raisedAt, recent });
}

/**
 * A live delta. Returns the seq to resync from when a gap was found (the caller sends
 * `alarm_resync`), or null.
 */
export function receiveDelta(delta: StreamAlarmDelta): number | null {
  const { seq, synced } = alarmStore.getState();
  // Until the first resync answer (or while one is awaited) deltas are held, so a delta that
  // races ahead of `subscribed` cannot move seq past transitions not yet seen.
  if (resyncPending || !synced) {
    held.push(delta);
    return null;
  }
  if (delta.seq <= seq) return null; // already applied (a resync answer covered it)
  if (delta.seq !== seq + 1) {
    resyncPending = true;
    held.push(delta);
    return seq;
  }
  applyInOrder([delta]);
  for (const listener of liveListeners) listener(delta);
  return null;
}

/** After (re)subscribing: `alarm_seq` is the server's current seq. Returns the seq to resync from, or null. */
export function receiveSubscribed(serverSeq: number): number | null {
  const { seq, synced } = alarmStore.getState();
  if (synced && serverSeq === seq) return null;
  if (resyncPending) return null;
  resyncPending = true;
  return seq;
}

/** A resync answer with the missed deltas. Returns a seq to resync from again, or null. */
export function receiveChanges(deltas: readonly StreamAlarmDelta[], serverSeq: number): number | null {
  const before = alarmStore.getState().seq;
  const recovered = everSynced ? [...deltas].filter((d) => d.seq > before).sort((a, b) => a.seq - b.seq) : [];
  applyInOrder(deltas);
  for (const delta of recovered) for (const listener of liveListeners) listener(delta);
  return finishResync(serverSeq);
}

/** A resync answer with the whole open set. Returns a seq to resync from again, or null. */
export function receiveSnapshot(open: readonly StreamAlarm[], serverSeq: number): number | null {
  alarmStore.setState({ seq: serverSeq, open: new Map(open.filter(isOpen).map((a) => [a.id, a])) });
  return finishResync(serverSeq);
}

function finishResync(serverSeq: number): number | null {
  resyncPending = false;
  everSynced = true;
  const state = alarmStore.getState();
  if (state.seq < serverSeq) alarmStore.setState({ seq: serverSeq });
  alarmStore.setState({ synced: true });
  const replay = held.filter((d) => d.seq > alarmStore.getState().seq).sort((a, b) => a.seq - b.seq);
  held = [];
  // Deltas held while waiting: apply those that follow on; a gap among them asks again.
  for (let i = 0; i < replay.length; i++) {
    const delta = replay[i] as StreamAlarmDelta;
    const seq = alarmStore.getState().seq;
    if (delta.seq !== seq + 1) {
      resyncPending = true;
      held = replay.slice(i);
      return seq;
    }
    applyInOrder([delta]);
    for (const listener of liveListeners) listener(delta);
  }
  return null;
}

/** Replaces one alarm after an operator action answered over HTTP (the delta may follow). */
export function upsertAlarm(alarm: StreamAlarm): void {
  const open = new Map(alarmStore.getState().open);
  if (isOpen(alarm)) open.set(alarm.id, alarm);
  else open.delete(alarm.id);
  alarmStore.setState({ open });
}

/** A socket dropped: the next subscribe decides whether a resync is needed. */
export function markAlarmLinkLost(): void {
  resyncPending = false;
  held = [];
  alarmStore.setState({ synced: false });
}

export function resetAlarms(): void {
  resyncPending = false;
  everSynced = false;
  held = [];
  alarmStore.setState({ seq: 0, synced: false, open: new Map(), raisedAt: [], recent: [] });
}

export interface AlarmCounts {
  bySeverity: Record<AlarmSeverity, number>;
  unacknowledged: number;
  shelved: number;
  total: number;
}

export function countAlarms(open: ReadonlyMap<number, StreamAlarm>): AlarmCounts {
  const bySeverity: Record<AlarmSeverity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  let unacknowledged = 0;
  let shelved = 0;
  for (const a of open.values()) {
    if (a.state === 'shelved') {
      shelved++;
      continue;
    }
    if (a.severity in bySeverity) bySeverity[a.severity as AlarmSeverity]++;
    if (a.state === 'active_unacknowledged' || a.state === 'cleared_unacknowledged') unacknowledged++;
  }
  return { bySeverity, unacknowledged, shelved, total: open.size };
}
