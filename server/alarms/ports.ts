/**
 * The contracts between the alarm pieces: the evaluator and operator actions (alarm-service),
 * the notification planner (notify/), the API routes and the stream. Implementations receive
 * each other through app.ts only.
 */
import type { Alert, AlertState } from '../store/meta/repositories/alerts.js';
import type { NewOutboxMessage } from '../store/meta/repositories/outbox.js';
import type { MetaRepositories } from '../store/meta/meta-store.js';
import type { Rule } from '../store/meta/repositories/rules.js';
import type { AlarmHealthOptions, AlarmHealthReport } from './alarm-health.js';

export type { AlarmHealthOptions, AlarmHealthReport };

/** Who made a transition: a person (user id + e-mail) or the system. */
export interface Actor {
  userId: number | null;
  name: string;
}

export const SYSTEM_ACTOR: Actor = { userId: null, name: 'system' };

/** One alarm transition as pushed to clients and journalled: ordered per factory by `seq`. */
export interface AlarmDelta {
  factoryId: number;
  seq: number;
  action: string;
  fromState: AlertState | null;
  toState: AlertState;
  actor: string;
  comment: string | null;
  at: number;
  alert: Alert;
}

/** Operator actions on alarms; errors are AlarmActionError. */
export interface AlarmActions {
  acknowledge(factoryId: number, alertId: number, actor: Actor, comment: string | null): Promise<Alert>;
  shelve(factoryId: number, alertId: number, actor: Actor, minutes: number, reason: string): Promise<Alert>;
  unshelve(factoryId: number, alertId: number, actor: Actor): Promise<Alert>;
  resolve(factoryId: number, alertId: number, actor: Actor, comment: string | null): Promise<Alert>;
  /** Re-reads rules, maintenance windows and devices of a factory after a change through the API. */
  reload(factoryId: number): Promise<void>;
}

/** Alarm-system health for the API (flood, chattering, standing, most frequent); AlarmService implements it. */
export interface AlarmHealthReader {
  alarmHealth(factoryId: number, now: number, options?: AlarmHealthOptions): Promise<AlarmHealthReport>;
}

export class AlarmActionError extends Error {
  constructor(
    readonly code: 'ALERT_NOT_FOUND' | 'INVALID_TRANSITION',
    message: string,
  ) {
    super(message);
    this.name = 'AlarmActionError';
  }
}

/**
 * Decides who is told about an alarm and how, at raise and at escalation. Called inside the
 * transition's transaction (with that transaction's repositories) so the outbox rows commit
 * together with the alarm, or not at all.
 */
export interface NotificationPlanner {
  plan(repos: MetaRepositories, alert: Alert, rule: Rule, kind: 'raise' | 'escalation', now: number): Promise<NewOutboxMessage[]>;
}
