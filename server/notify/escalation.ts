/**
 * Escalation: a second notification when an alarm is still unacknowledged a rule-set number
 * of minutes (rules.escalation_minutes) after it was raised. A periodic check finds such
 * alarms; each one is escalated in ONE transaction — escalated_at set (only if still due, so
 * an acknowledge racing in or a second node wins cleanly), a journal entry (action
 * `escalate`, actor system), and the planner's escalation messages in the outbox — then the
 * sender is kicked. An alarm is escalated at most once.
 *
 * Only active, unacknowledged alarms escalate by default: one that cleared by itself no
 * longer needs someone on site now (escalateCleared: true changes that).
 */
import { SYSTEM_ACTOR, type AlarmDelta, type NotificationPlanner } from '../alarms/ports.js';
import type { Logger } from '../observe/logger.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { Alert, AlertState } from '../store/meta/repositories/alerts.js';

export interface EscalationMonitorOptions {
  meta: MetaStore;
  planner: NotificationPlanner;
  logger: Logger;
  clock?: () => number;
  /** How often to look, ms (default 30 s). */
  intervalMs?: number;
  /** Also escalate cleared-but-unacknowledged alarms (default false). */
  escalateCleared?: boolean;
  /** Called after each escalation commits: kick the outbox sender, publish the delta. */
  onEscalated?: (delta: AlarmDelta, messages: number) => void;
}

export class EscalationMonitor {
  private readonly clock: () => number;
  private readonly intervalMs: number;
  private readonly states: readonly AlertState[];
  private running = false;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private check: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EscalationMonitorOptions) {
    this.clock = options.clock ?? Date.now;
    this.intervalMs = options.intervalMs ?? 30_000;
    this.states = options.escalateCleared ? ['active_unacknowledged', 'cleared_unacknowledged'] : ['active_unacknowledged'];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops the timer and waits for a check in progress. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loopDone;
    this.loopDone = null;
  }

  /** Escalates every alarm due now; returns how many were escalated. */
  checkNow(): Promise<number> {
    const next = this.check.then(() => this.runCheck());
    this.check = next.catch(() => undefined);
    return next;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.checkNow();
      } catch (error) {
        this.options.logger.error({ event: 'alarm.escalation_check_failed', err: error }, 'escalation check failed');
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
        const timer = setTimeout(done, this.intervalMs);
        this.wake = done;
      });
    }
  }

  private async runCheck(): Promise<number> {
    const { meta, logger } = this.options;
    const now = this.clock();
    let escalated = 0;
    for (const factory of await meta.factories.list()) {
      const due = await meta.alerts.listEscalationDue(factory.id, now, this.states);
      for (const alert of due) {
        try {
          const outcome = await this.escalate(alert, now);
          if (!outcome) continue;
          escalated += 1;
          logger.info(
            { event: 'alarm.escalated', factoryId: alert.factoryId, alertId: alert.id, ruleId: alert.ruleId, seq: outcome.delta.seq, messages: outcome.messages },
            'alarm escalated: still unacknowledged',
          );
          this.options.onEscalated?.(outcome.delta, outcome.messages);
        } catch (error) {
          logger.error({ event: 'alarm.escalation_failed', factoryId: alert.factoryId, alertId: alert.id, err: error }, 'could not escalate alarm');
        }
      }
    }
    return escalated;
  }

  private escalate(candidate: Alert, now: number): Promise<{ delta: AlarmDelta; messages: number } | null> {
    const { planner } = this.options;
    const factoryId = candidate.factoryId;
    return this.options.meta.transaction(async (repos) => {
      const alert = await repos.alerts.get(factoryId, candidate.id);
      const rule = await repos.rules.get(factoryId, candidate.ruleId);
      if (!alert || !rule || rule.outOfService || !rule.escalationMinutes) return null;
      if (!(await repos.alerts.markEscalated(factoryId, alert.id, now, this.states))) return null;
      const seq = await repos.alerts.nextSeq(factoryId);
      const comment = `still unacknowledged after ${rule.escalationMinutes} minutes`;
      await repos.alerts.addJournal(factoryId, seq, {
        alertId: alert.id,
        fromState: alert.state,
        toState: alert.state,
        action: 'escalate',
        userId: SYSTEM_ACTOR.userId,
        actor: SYSTEM_ACTOR.name,
        comment,
        createdAt: now,
      });
      const updated = (await repos.alerts.update(factoryId, alert.id, { lastSeq: seq })) ?? { ...alert, escalatedAt: now, lastSeq: seq };
      const messages = await planner.plan(repos, updated, rule, 'escalation', now);
      await repos.outbox.enqueue(factoryId, messages, now);
      const delta: AlarmDelta = {
        factoryId,
        seq,
        action: 'escalate',
        fromState: alert.state,
        toState: alert.state,
        actor: SYSTEM_ACTOR.name,
        comment,
        at: now,
        alert: updated,
      };
      return { delta, messages: messages.length };
    });
  }
}
