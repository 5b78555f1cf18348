// The alarm life cycle of one (rule, device), after ISA-18.2 (ANSI/ISA-18.2-2016 §11, the
// alarm state transition diagram): a pure transition(memory, event, policy) that returns the
// next memory and the effects the server must carry out. The memory is a plain JSON object
// the server persists per (rule, device) and restores exactly after a restart.
//
//   normal ──condition true for on_delay, armed, not in cooldown──▶ active_unacknowledged
//   active_unacknowledged ──ack──▶ active_acknowledged ──condition false──▶ normal (closed)
//   active_unacknowledged ──condition false──▶ cleared_unacknowledged ──ack──▶ normal (closed)
//   cleared_unacknowledged ──condition true for on_delay──▶ active_unacknowledged (same alarm)
//   any open state ──resolve (operator)──▶ normal (closed)
//   any but out_of_service ──shelve(until, reason)──▶ shelved (open alarm closed)
//   shelved ──unshelve / expiry──▶ normal, then raised at once if the condition still holds
//   any ──out_of_service(rule|device)──▶ out_of_service ──return_to_service (all scopes)──▶ normal
//
// Decisions worth knowing:
// - "armed": raising consumes it, seeing the condition false re-arms. So a still-true
//   condition never opens a second alarm, even after an operator resolves the first one by
//   hand; unshelve and return to service re-arm, so an alarm hidden while still true is
//   annunciated again when it comes back.
// - Cooldown counts from the last raise (the `rule_cooldowns.last_triggered` of the
//   reference); a condition that is still true when the cooldown ends raises then.
// - Shelved alarms are still evaluated (condition and on-delay tracked, nothing annunciated).
//   Out-of-service alarms are not: the condition memory is reset, and counts afresh on return.
// - A `condition` event on a shelved alarm whose shelving has run out expires it first, so the
//   server needs no separate timer; `shelve_expired` exists for a server that has one.
// - On-delay and cooldown are judged when events arrive: the server should evaluate on a tick
//   (it must anyway, for no_data) as well as on telemetry.

import type { AlarmPolicy } from './compile.js';

export type AlarmState =
  | 'normal'
  | 'active_unacknowledged'
  | 'active_acknowledged'
  | 'cleared_unacknowledged'
  | 'shelved'
  | 'out_of_service';

export const ALARM_STATES: readonly AlarmState[] = [
  'normal',
  'active_unacknowledged',
  'active_acknowledged',
  'cleared_unacknowledged',
  'shelved',
  'out_of_service',
];

/** States in which an alarm record is open (not yet closed). */
export const OPEN_ALARM_STATES: readonly AlarmState[] = [
  'active_unacknowledged',
  'active_acknowledged',
  'cleared_unacknowledged',
];

export type ServiceScope = 'rule' | 'device';

/** Who did it: the server's user id, and a name for the journal if it has one. */
export interface Actor {
  id: number | string;
  name?: string;
}

export interface Shelving {
  at: number;
  until: number;
  reason: string;
  by: Actor;
}

export interface OutOfServiceMark {
  at: number;
  reason: string;
  by: Actor;
}

/** Everything the state machine remembers for one (rule, device). JSON-safe. */
export interface AlarmMemory {
  /** Format version, for restoring memories written by an older server. */
  v: 1;
  state: AlarmState;
  /** The condition at the last evaluation; also selects the deadband-shifted thresholds. */
  condition: boolean;
  /** When the current run of true evaluations began (on-delay); null while false. */
  conditionSince: number | null;
  /** May a new alarm be raised? Cleared by raising, set by a false condition (see above). */
  armed: boolean;
  /** When the open alarm was raised; null when no alarm is open. */
  openSince: number | null;
  /** When an alarm was last raised, for the cooldown; survives closing. */
  lastRaisedAt: number | null;
  shelving: Shelving | null;
  outOfService: { rule: OutOfServiceMark | null; device: OutOfServiceMark | null };
}

export type AlarmEvent =
  | { type: 'condition'; value: boolean; now: number }
  | { type: 'acknowledge'; now: number; by: Actor; comment?: string }
  | { type: 'shelve'; now: number; by: Actor; until: number; reason: string }
  | { type: 'unshelve'; now: number; by: Actor; comment?: string }
  | { type: 'shelve_expired'; now: number }
  | { type: 'out_of_service'; scope: ServiceScope; now: number; by: Actor; reason: string }
  | { type: 'return_to_service'; scope: ServiceScope; now: number; by: Actor; comment?: string }
  | { type: 'resolve'; now: number; by: Actor; comment?: string };

export type JournalCause =
  | 'raised'
  | 'cleared'
  | 'reactivated'
  | 'acknowledged'
  | 'resolved'
  | 'shelved'
  | 'reshelved'
  | 'unshelved'
  | 'shelve_expired'
  | 'out_of_service'
  | 'returned_to_service';

export interface JournalEntry {
  at: number;
  from: AlarmState;
  to: AlarmState;
  cause: JournalCause;
  /** null for transitions the system made (raise, clear, expiry). */
  by: Actor | null;
  comment: string | null;
  /** Shelving end, on shelve entries. */
  until?: number;
  /** Which out-of-service mark, on out_of_service / returned_to_service entries. */
  scope?: ServiceScope;
}

export type CloseReason = 'cleared' | 'acknowledged' | 'resolved' | 'shelved' | 'out_of_service';

/** What the server must do, in this order. */
export type AlarmEffect =
  /** Create the alarm record (alerts row) with triggered_at = at. */
  | { type: 'open_alarm'; at: number }
  /** Append to the alarm journal. */
  | { type: 'journal'; entry: JournalEntry }
  /** Queue notifications on the rule's channels (through the durable outbox). */
  | { type: 'notify'; kind: 'raised'; at: number }
  /** Close the open alarm record (resolved_at = at). */
  | { type: 'close_alarm'; at: number; reason: CloseReason };

export type RefusalCode =
  | 'NOTHING_TO_ACKNOWLEDGE'
  | 'ALREADY_ACKNOWLEDGED'
  | 'ALARM_SHELVED'
  | 'ALARM_OUT_OF_SERVICE'
  | 'NO_OPEN_ALARM'
  | 'NOT_SHELVED'
  | 'SHELVE_NOT_EXPIRED'
  | 'SHELVE_UNTIL_NOT_IN_FUTURE'
  | 'SHELVE_TOO_LONG'
  | 'REASON_REQUIRED'
  | 'ALREADY_OUT_OF_SERVICE'
  | 'NOT_OUT_OF_SERVICE';

export interface TransitionResult {
  /** The next memory; the same object as the input when nothing changed. */
  memory: AlarmMemory;
  effects: readonly AlarmEffect[];
  /** Set when the event is not allowed in this state; memory is then unchanged, effects empty. */
  refused: { code: RefusalCode; message: string } | null;
}

/** Longest shelve reason / comment kept. */
export const MAX_REASON_LENGTH = 500;

const NO_EFFECTS: readonly AlarmEffect[] = Object.freeze([]);

export function initialAlarmMemory(): AlarmMemory {
  return {
    v: 1,
    state: 'normal',
    condition: false,
    conditionSince: null,
    armed: true,
    openSince: null,
    lastRaisedAt: null,
    shelving: null,
    outOfService: { rule: null, device: null },
  };
}

export function isAlarmOpen(state: AlarmState): boolean {
  return state === 'active_unacknowledged' || state === 'active_acknowledged' || state === 'cleared_unacknowledged';
}

function refuse(memory: AlarmMemory, code: RefusalCode, message: string): TransitionResult {
  return { memory, effects: NO_EFFECTS, refused: { code, message } };
}

function text(s: string | undefined): string | null {
  if (s === undefined) return null;
  const t = s.trim();
  return t === '' ? null : t.slice(0, MAX_REASON_LENGTH);
}

/** Collects effects while a transition is worked out. */
class Step {
  readonly effects: AlarmEffect[] = [];

  constructor(public memory: AlarmMemory) {}

  set(patch: Partial<AlarmMemory>): void {
    this.memory = { ...this.memory, ...patch };
  }

  /** Moves to `to` and journals it. */
  move(to: AlarmState, at: number, cause: JournalCause, by: Actor | null, comment: string | null, extra: Partial<JournalEntry> = {}): void {
    const from = this.memory.state;
    if (from !== to) this.set({ state: to });
    this.effects.push({ type: 'journal', entry: { at, from, to, cause, by, comment, ...extra } });
  }

  close(at: number, reason: CloseReason): void {
    this.effects.push({ type: 'close_alarm', at, reason });
    this.set({ openSince: null });
  }

  result(): TransitionResult {
    return { memory: this.memory, effects: this.effects.length > 0 ? this.effects : NO_EFFECTS, refused: null };
  }
}

/** Raises (from normal) or reactivates (from cleared_unacknowledged) when everything allows it. */
function activateIfDue(step: Step, now: number, policy: AlarmPolicy): void {
  const m = step.memory;
  if (!m.condition || m.conditionSince === null || now - m.conditionSince < policy.onDelayMs) return;
  if (m.state === 'normal') {
    if (!m.armed) return;
    if (m.lastRaisedAt !== null && now - m.lastRaisedAt < policy.cooldownMs) return;
    step.effects.push({ type: 'open_alarm', at: now });
    step.set({ openSince: now, lastRaisedAt: now, armed: false });
    step.move('active_unacknowledged', now, 'raised', null, null);
    step.effects.push({ type: 'notify', kind: 'raised', at: now });
  } else if (m.state === 'cleared_unacknowledged') {
    // The same alarm comes back before anyone acknowledged it: no new record, no new message.
    step.set({ armed: false });
    step.move('active_unacknowledged', now, 'reactivated', null, null);
  }
}

function onCondition(memory: AlarmMemory, value: boolean, now: number, policy: AlarmPolicy): TransitionResult {
  if (memory.state === 'out_of_service') return { memory, effects: NO_EFFECTS, refused: null };
  const step = new Step(memory);
  if (memory.state === 'shelved' && memory.shelving !== null && now >= memory.shelving.until) {
    step.set({ shelving: null, armed: true });
    step.move('normal', now, 'shelve_expired', null, null);
  }
  if (!value) {
    const m = step.memory;
    if (m.condition || m.conditionSince !== null || !m.armed) step.set({ condition: false, conditionSince: null, armed: true });
    if (m.state === 'active_unacknowledged') {
      step.move('cleared_unacknowledged', now, 'cleared', null, null);
    } else if (m.state === 'active_acknowledged') {
      step.move('normal', now, 'cleared', null, null);
      step.close(now, 'cleared');
    }
  } else {
    if (!step.memory.condition) step.set({ condition: true, conditionSince: now });
    activateIfDue(step, now, policy);
  }
  return step.result();
}

/**
 * Applies one event. Pure: the input memory is never modified. A refused event returns the
 * input memory, no effects and the reason (for a 409 from the API).
 */
export function transition(memory: AlarmMemory, event: AlarmEvent, policy: AlarmPolicy): TransitionResult {
  const { state } = memory;
  switch (event.type) {
    case 'condition':
      return onCondition(memory, event.value, event.now, policy);

    case 'acknowledge': {
      if (state === 'active_unacknowledged') {
        const step = new Step(memory);
        step.move('active_acknowledged', event.now, 'acknowledged', event.by, text(event.comment));
        return step.result();
      }
      if (state === 'cleared_unacknowledged') {
        const step = new Step(memory);
        step.move('normal', event.now, 'acknowledged', event.by, text(event.comment));
        step.close(event.now, 'acknowledged');
        return step.result();
      }
      if (state === 'active_acknowledged') return refuse(memory, 'ALREADY_ACKNOWLEDGED', 'the alarm is already acknowledged');
      if (state === 'shelved') return refuse(memory, 'ALARM_SHELVED', 'a shelved alarm has nothing to acknowledge');
      if (state === 'out_of_service') return refuse(memory, 'ALARM_OUT_OF_SERVICE', 'the alarm is out of service');
      return refuse(memory, 'NOTHING_TO_ACKNOWLEDGE', 'no alarm is open');
    }

    case 'resolve': {
      if (!isAlarmOpen(state)) return refuse(memory, 'NO_OPEN_ALARM', 'no alarm is open to resolve');
      const step = new Step(memory);
      // `armed` stays as it is: if the condition still holds, no new alarm until it clears.
      step.move('normal', event.now, 'resolved', event.by, text(event.comment));
      step.close(event.now, 'resolved');
      return step.result();
    }

    case 'shelve': {
      if (state === 'out_of_service') return refuse(memory, 'ALARM_OUT_OF_SERVICE', 'an out-of-service alarm cannot be shelved');
      const reason = text(event.reason);
      if (reason === null) return refuse(memory, 'REASON_REQUIRED', 'shelving needs a reason');
      if (!Number.isFinite(event.until) || event.until <= event.now) {
        return refuse(memory, 'SHELVE_UNTIL_NOT_IN_FUTURE', 'shelving must end in the future');
      }
      if (event.until - event.now > policy.maxShelveMs) {
        return refuse(memory, 'SHELVE_TOO_LONG', `shelving may last at most ${Math.floor(policy.maxShelveMs / 60_000)} minutes`);
      }
      const step = new Step(memory);
      const reshelve = state === 'shelved';
      if (isAlarmOpen(state)) step.close(event.now, 'shelved');
      step.set({ shelving: { at: event.now, until: event.until, reason, by: event.by } });
      step.move('shelved', event.now, reshelve ? 'reshelved' : 'shelved', event.by, reason, { until: event.until });
      return step.result();
    }

    case 'unshelve':
    case 'shelve_expired': {
      if (state !== 'shelved' || memory.shelving === null) return refuse(memory, 'NOT_SHELVED', 'the alarm is not shelved');
      if (event.type === 'shelve_expired' && event.now < memory.shelving.until) {
        return refuse(memory, 'SHELVE_NOT_EXPIRED', 'the shelving has not run out yet');
      }
      const step = new Step(memory);
      step.set({ shelving: null, armed: true });
      if (event.type === 'unshelve') step.move('normal', event.now, 'unshelved', event.by, text(event.comment));
      else step.move('normal', event.now, 'shelve_expired', null, null);
      activateIfDue(step, event.now, policy);
      return step.result();
    }

    case 'out_of_service': {
      if (memory.outOfService[event.scope] !== null) {
        return refuse(memory, 'ALREADY_OUT_OF_SERVICE', `the ${event.scope} is already out of service`);
      }
      const reason = text(event.reason);
      if (reason === null) return refuse(memory, 'REASON_REQUIRED', 'taking out of service needs a reason');
      const step = new Step(memory);
      if (isAlarmOpen(state)) step.close(event.now, 'out_of_service');
      step.set({
        outOfService: { ...memory.outOfService, [event.scope]: { at: event.now, reason, by: event.by } },
        shelving: null,
        condition: false,
        conditionSince: null,
      });
      step.move('out_of_service', event.now, 'out_of_service', event.by, reason, { scope: event.scope });
      return step.result();
    }

    case 'return_to_service': {
      if (memory.outOfService[event.scope] === null) {
        return refuse(memory, 'NOT_OUT_OF_SERVICE', `the ${event.scope} is not out of service`);
      }
      const step = new Step(memory);
      const outOfService = { ...memory.outOfService, [event.scope]: null };
      const stillOut = outOfService.rule !== null || outOfService.device !== null;
      step.set(stillOut ? { outOfService } : { outOfService, armed: true, condition: false, conditionSince: null });
      step.move(stillOut ? 'out_of_service' : 'normal', event.now, 'returned_to_service', event.by, text(event.comment), {
        scope: event.scope,
      });
      return step.result();
    }
  }
}

export class AlarmMemoryError extends Error {
  constructor(message: string) {
    super(`invalid alarm memory: ${message}`);
    this.name = 'AlarmMemoryError';
  }
}

/** The memory as a string for storage (it is plain JSON; this only fixes the encoding). */
export function serializeAlarmMemory(memory: AlarmMemory): string {
  return JSON.stringify(memory);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function restoreActor(input: unknown, path: string): Actor {
  if (!isRecord(input)) throw new AlarmMemoryError(`${path} must be an actor object`);
  const { id, name } = input;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))) {
    throw new AlarmMemoryError(`${path}.id must be a number or string`);
  }
  if (name !== undefined && typeof name !== 'string') throw new AlarmMemoryError(`${path}.name must be a string`);
  return name === undefined ? { id } : { id, name };
}

/**
 * Restores a memory written by serializeAlarmMemory (a string, or the parsed object), checking
 * every field and the invariants between them, so a corrupt row fails loudly at start-up
 * instead of misbehaving later. Returns a fresh object equal to what was saved.
 */
export function restoreAlarmMemory(input: unknown): AlarmMemory {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch {
      throw new AlarmMemoryError('not JSON');
    }
  }
  if (!isRecord(raw)) throw new AlarmMemoryError('must be an object');
  if (raw['v'] !== 1) throw new AlarmMemoryError(`unknown version ${String(raw['v'])}`);
  const state = raw['state'];
  if (typeof state !== 'string' || !(ALARM_STATES as readonly string[]).includes(state)) {
    throw new AlarmMemoryError('state is not an alarm state');
  }
  const bool = (key: string): boolean => {
    const v = raw[key];
    if (typeof v !== 'boolean') throw new AlarmMemoryError(`${key} must be a boolean`);
    return v;
  };
  const time = (obj: Record<string, unknown>, key: string, path: string): number => {
    const v = obj[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new AlarmMemoryError(`${path} must be a finite number`);
    return v;
  };
  const timeOrNull = (key: string): number | null => (raw[key] === null ? null : time(raw, key, key));
  const reason = (obj: Record<string, unknown>, path: string): string => {
    const v = obj['reason'];
    if (typeof v !== 'string') throw new AlarmMemoryError(`${path}.reason must be a string`);
    return v;
  };
  const mark = (v: unknown, path: string): OutOfServiceMark | null => {
    if (v === null) return null;
    if (!isRecord(v)) throw new AlarmMemoryError(`${path} must be an object or null`);
    return { at: time(v, 'at', `${path}.at`), reason: reason(v, path), by: restoreActor(v['by'], `${path}.by`) };
  };

  const shelvingRaw = raw['shelving'];
  let shelving: Shelving | null = null;
  if (shelvingRaw !== null) {
    if (!isRecord(shelvingRaw)) throw new AlarmMemoryError('shelving must be an object or null');
    shelving = {
      at: time(shelvingRaw, 'at', 'shelving.at'),
      until: time(shelvingRaw, 'until', 'shelving.until'),
      reason: reason(shelvingRaw, 'shelving'),
      by: restoreActor(shelvingRaw['by'], 'shelving.by'),
    };
  }
  const oos = raw['outOfService'];
  if (!isRecord(oos)) throw new AlarmMemoryError('outOfService must be an object');

  const memory: AlarmMemory = {
    v: 1,
    state: state as AlarmState,
    condition: bool('condition'),
    conditionSince: timeOrNull('conditionSince'),
    armed: bool('armed'),
    openSince: timeOrNull('openSince'),
    lastRaisedAt: timeOrNull('lastRaisedAt'),
    shelving,
    outOfService: { rule: mark(oos['rule'], 'outOfService.rule'), device: mark(oos['device'], 'outOfService.device') },
  };

  if (memory.condition !== (memory.conditionSince !== null)) {
    throw new AlarmMemoryError('conditionSince must be set exactly when condition is true');
  }
  if (isAlarmOpen(memory.state) !== (memory.openSince !== null)) {
    throw new AlarmMemoryError('openSince must be set exactly when an alarm is open');
  }
  if ((memory.state === 'shelved') !== (memory.shelving !== null)) {
    throw new AlarmMemoryError('shelving must be set exactly when the state is shelved');
  }
  const outOfService = memory.outOfService.rule !== null || memory.outOfService.device !== null;
  if ((memory.state === 'out_of_service') !== outOfService) {
    throw new AlarmMemoryError('an out-of-service mark must be set exactly when the state is out_of_service');
  }
  return memory;
}
