/**
 * Delivers the notification outbox. Wakes every second (and at once on kick(), which the
 * alarm service calls after a transition commits), claims due rows with a lease, hands each
 * to its channel and records the outcome: sent, retried with backoff, failed for good, or
 * skipped (channel not set up). The first sent message of an alarm sets its
 * notification_sent, in the same transaction that marks the row sent.
 *
 * Delivery guarantee. A row is marked sent right after the channel accepted it, and a
 * claimed row is leased (leaseMs) so no second sender takes it meanwhile. That gives:
 * - restart, crash, channel outage: nothing is lost — an unsent row stays pending and is
 *   claimed again when its lease or backoff runs out; stop() gives back unattempted rows
 *   of the current batch at once, and a sole sender (resumeOnStart) takes up a dead
 *   process's leased rows at start instead of waiting the lease out;
 * - nothing sent twice, with one honest exception: if the process dies (or the database
 *   refuses the write) after the provider accepted a message but before its row was marked
 *   sent, that one row is delivered again once its lease runs out (at-least-once). E-mails
 *   carry a Message-ID and webhooks an X-FactoryOps-Delivery id per row, so receivers can
 *   drop such a repeat; SMS/WhatsApp cannot be deduplicated.
 */
import type { Logger } from '../observe/logger.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { OutboxMessage } from '../store/meta/repositories/outbox.js';
import { DEFAULT_RETRY_POLICY, nextAttemptAt, type RetryPolicy } from './backoff.js';
import { describeError, type ChannelSet, type DeliveryResult } from './channels/channel.js';

export interface OutboxSenderOptions {
  meta: MetaStore;
  channels: ChannelSet;
  logger: Logger;
  clock?: () => number;
  /** Jitter source, [0, 1). */
  random?: () => number;
  retry?: Partial<RetryPolicy>;
  /** How often the outbox is looked at without a kick(), ms (default 1000). */
  pollIntervalMs?: number;
  /** Deliveries in flight at once (default 4). */
  concurrency?: number;
  /**
   * Rows claimed per round (default = concurrency). Kept small on purpose: a claimed row's
   * lease starts at the claim, so rows waiting behind slow deliveries eat into it.
   */
  batchSize?: number;
  /** How long a claimed row is reserved for this sender, ms; longer than one delivery can take (default 2 min). */
  leaseMs?: number;
  /**
   * This is the only sender on the database (embedded SQLite, or one server on MySQL): on
   * start, rows a previous process had leased or was backing off are made due at once
   * instead of waiting out the lease. Never set it when several servers share the database.
   */
  resumeOnStart?: boolean;
  /** Called once per alarm when its first notification went out (notification_sent became true). */
  onNotified?: (factoryId: number, alertId: number) => void;
}

export interface SendRound {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
  /** Claimed but given back unattempted because the sender is stopping. */
  released: number;
}

const UNACKNOWLEDGED = new Set(['active_unacknowledged', 'cleared_unacknowledged']);

/** "operator@plant.example" → "ope***@plant.example", "+919876543210" → "+919***210" (seed style). */
export function maskRecipient(recipient: string): string {
  const at = recipient.indexOf('@');
  if (at > 0) return `${recipient.slice(0, Math.min(3, at))}***${recipient.slice(at)}`;
  if (/^\+?\d{7,}$/.test(recipient)) return `${recipient.slice(0, 4)}***${recipient.slice(-3)}`;
  return recipient;
}

export class OutboxSender {
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly policy: RetryPolicy;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private running = false;
  private stopping = false;
  private kicked = false;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  /** Rounds run one after another, whether from the loop or a direct processDue(). */
  private round: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: OutboxSenderOptions) {
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.batchSize = Math.max(1, options.batchSize ?? this.concurrency);
    this.leaseMs = options.leaseMs ?? 2 * 60_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.loopDone = this.loop();
  }

  /** Stops taking rows, waits for deliveries in flight, gives back the rest of the batch. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping = true;
    this.wake?.();
    await this.loopDone;
    this.loopDone = null;
    this.stopping = false;
  }

  /** Look at the outbox now (a transition just committed rows). */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** One round: claim due rows and deliver them. Tests drive the sender with this and a clock. */
  processDue(): Promise<SendRound> {
    const next = this.round.then(() => this.runRound());
    this.round = next.catch(() => undefined);
    return next;
  }

  private async loop(): Promise<void> {
    if (this.options.resumeOnStart) {
      try {
        const resumed = await this.options.meta.outbox.requeuePending(this.clock());
        if (resumed > 0) this.options.logger.info({ event: 'notification.resumed', count: resumed }, `${resumed} queued notification(s) due again after restart`);
      } catch (error) {
        this.options.logger.error({ event: 'notification.resume_failed', err: error }, 'could not resume queued notifications');
      }
    }
    while (this.running) {
      let claimed = 0;
      try {
        claimed = (await this.processDue()).claimed;
      } catch (error) {
        this.options.logger.error({ event: 'notification.round_failed', err: error }, 'notification round failed');
      }
      if (!this.running) break;
      if (claimed >= this.batchSize) continue;
      if (this.kicked) {
        this.kicked = false;
        continue;
      }
      await this.sleep(this.pollIntervalMs);
      this.kicked = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async runRound(): Promise<SendRound> {
    const round: SendRound = { claimed: 0, sent: 0, retried: 0, failed: 0, skipped: 0, released: 0 };
    const claimed = await this.options.meta.outbox.claimDue(this.clock(), this.leaseMs, this.batchSize);
    round.claimed = claimed.length;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < claimed.length && !this.stopping) {
        const message = claimed[next++];
        if (!message) continue;
        try {
          round[await this.deliver(message)] += 1;
        } catch (error) {
          // Recording the outcome failed (database busy or gone): the row keeps its lease and
          // comes round again when it runs out.
          this.options.logger.error({ event: 'notification.record_failed', outboxId: message.id, err: error }, 'could not record a notification outcome');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, claimed.length) }, worker));
    // Stopping mid-batch: rows never attempted go back now rather than when the lease ends.
    for (const message of claimed.slice(next)) {
      await this.options.meta.outbox.release(message.id, message.nextAttemptAt, this.clock()).catch((error: unknown) => {
        this.options.logger.warn({ event: 'notification.release_failed', outboxId: message.id, err: error }, 'could not give back a claimed notification');
      });
      round.released += 1;
    }
    return round;
  }

  private async attempt(message: OutboxMessage): Promise<DeliveryResult> {
    const channel = this.options.channels[message.channel];
    if (!channel) return { outcome: 'skipped', reason: `no ${message.channel} channel on this server` };
    if (message.kind === 'escalation') {
      // An escalation says "still unacknowledged": if someone acknowledged while it waited
      // (an SMTP outage, a restart), it would no longer be true.
      const alert = await this.options.meta.alerts.get(message.factoryId, message.alertId);
      if (alert && !UNACKNOWLEDGED.has(alert.state)) return { outcome: 'skipped', reason: `alarm is ${alert.state} now; escalation no longer applies` };
    }
    try {
      return await channel.deliver(message);
    } catch (error) {
      return { outcome: 'retry', error: describeError(error) };
    }
  }

  private async deliver(message: OutboxMessage): Promise<'sent' | 'retried' | 'failed' | 'skipped'> {
    const { logger, meta } = this.options;
    const result = await this.attempt(message);
    const now = this.clock();
    const fields = {
      factoryId: message.factoryId,
      alertId: message.alertId,
      outboxId: message.id,
      channel: message.channel,
      kind: message.kind,
      to: maskRecipient(message.recipient),
    };
    switch (result.outcome) {
      case 'sent': {
        const flipped = await meta.transaction(async (repos) => {
          await repos.outbox.markSent(message.id, now);
          const alert = await repos.alerts.get(message.factoryId, message.alertId);
          if (!alert || alert.notificationSent) return false;
          await repos.alerts.update(message.factoryId, message.alertId, { notificationSent: true });
          return true;
        });
        logger.info({ event: `notification.${message.channel}_sent`, ...fields, attempts: message.attempts + 1, providerId: result.providerId }, `${message.channel} notification sent`);
        if (flipped) this.options.onNotified?.(message.factoryId, message.alertId);
        return 'sent';
      }
      case 'retry': {
        const attempts = message.attempts + 1;
        const retryAt = nextAttemptAt(
          { failedAttempts: attempts, createdAt: message.createdAt, ...(result.retryAfterMs !== undefined && { retryAfterMs: result.retryAfterMs }) },
          now,
          this.policy,
          this.random,
        );
        await meta.outbox.markFailed(message.id, attempts, result.error, retryAt);
        if (retryAt === null) {
          logger.error({ event: 'notification.failed', ...fields, attempts, error: result.error }, `${message.channel} notification given up after ${attempts} attempts`);
          return 'failed';
        }
        logger.warn({ event: 'notification.retry', ...fields, attempts, retryInMs: retryAt - now, error: result.error }, `${message.channel} notification failed; will retry`);
        return 'retried';
      }
      case 'permanent': {
        await meta.outbox.markFailed(message.id, message.attempts + 1, result.error, null);
        logger.error({ event: 'notification.failed', ...fields, attempts: message.attempts + 1, error: result.error }, `${message.channel} notification failed permanently`);
        return 'failed';
      }
      case 'skipped': {
        await meta.outbox.markSkipped(message.id, result.reason);
        logger.warn({ event: 'notification.skipped', ...fields, reason: result.reason }, `${message.channel} notification skipped: ${result.reason}`);
        return 'skipped';
      }
    }
  }
}
