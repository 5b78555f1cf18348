/**
 * The durable notification outbox. Rows are written in the same transaction as the alarm
 * transition that needs them; a sender claims due rows, delivers, and records the outcome.
 * A row is claimed by moving its next_attempt_at forward (a lease), so a crashed sender's
 * rows become due again and a second sender never takes a row that is being delivered.
 */
import type { Kysely } from 'kysely';
import type { MetaDatabase } from '../tables.js';
import { toMs, toMsRequired } from './convert.js';

export type OutboxChannel = 'email' | 'whatsapp' | 'sms' | 'webhook';
export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'skipped';

export interface OutboxMessage {
  id: number;
  factoryId: number;
  alertId: number;
  kind: string;
  channel: OutboxChannel;
  recipient: string;
  subject: string;
  body: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
}

export type NewOutboxMessage = Pick<OutboxMessage, 'alertId' | 'kind' | 'channel' | 'recipient' | 'subject' | 'body'>;

function toMessage(r: Record<string, unknown>): OutboxMessage {
  return {
    id: Number(r.id),
    factoryId: Number(r.factory_id),
    alertId: Number(r.alert_id),
    kind: String(r.kind),
    channel: String(r.channel) as OutboxChannel,
    recipient: String(r.recipient),
    subject: String(r.subject),
    body: String(r.body),
    status: String(r.status) as OutboxStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: toMsRequired(r.next_attempt_at as number),
    lastError: (r.last_error as string | null) ?? null,
    createdAt: toMsRequired(r.created_at as number),
    sentAt: toMs(r.sent_at as number | null),
  };
}

export class OutboxRepository {
  constructor(private readonly db: Kysely<MetaDatabase>) {}

  async enqueue(factoryId: number, messages: readonly NewOutboxMessage[], now: number): Promise<void> {
    if (messages.length === 0) return;
    await this.db
      .insertInto('notification_outbox')
      .values(
        messages.map((m) => ({
          factory_id: factoryId,
          alert_id: m.alertId,
          kind: m.kind,
          channel: m.channel,
          recipient: m.recipient.slice(0, 255),
          subject: m.subject,
          body: m.body,
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          last_error: null,
          created_at: now,
          sent_at: null,
        })),
      )
      .execute();
  }

  /**
   * Claims up to `limit` due messages (any factory: the sender serves the whole site) by
   * leasing them until now + leaseMs. Returns only the rows this call won.
   */
  async claimDue(now: number, leaseMs: number, limit: number): Promise<OutboxMessage[]> {
    const due = await this.db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    const won: OutboxMessage[] = [];
    for (const row of due) {
      const result = await this.db
        .updateTable('notification_outbox')
        .set({ next_attempt_at: now + leaseMs })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '=', row.next_attempt_at)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) won.push(toMessage({ ...row, next_attempt_at: now + leaseMs }));
    }
    return won;
  }

  async markSent(id: number, now: number): Promise<void> {
    await this.db.updateTable('notification_outbox').set({ status: 'sent', sent_at: now, last_error: null }).where('id', '=', id).execute();
  }

  /** A failed attempt: try again at `retryAt`, or give up (status failed) when retryAt is null. */
  async markFailed(id: number, attempts: number, error: string, retryAt: number | null): Promise<void> {
    await this.db
      .updateTable('notification_outbox')
      .set({ attempts, last_error: error.slice(0, 1000), ...(retryAt === null ? { status: 'failed' } : { next_attempt_at: retryAt }) })
      .where('id', '=', id)
      .execute();
  }

  async markSkipped(id: number, reason: string): Promise<void> {
    await this.db.updateTable('notification_outbox').set({ status: 'skipped', last_error: reason.slice(0, 1000) }).where('id', '=', id).execute();
  }

  async listForAlert(factoryId: number, alertId: number): Promise<OutboxMessage[]> {
    const rows = await this.db.selectFrom('notification_outbox').selectAll().where('factory_id', '=', factoryId).where('alert_id', '=', alertId).orderBy('id').execute();
    return rows.map((r) => toMessage(r));
  }

  /** Whether every message of an alarm has reached a final state, and whether any was sent. */
  async outcome(factoryId: number, alertId: number): Promise<{ pending: number; sent: number; failed: number; skipped: number }> {
    const rows = await this.db
      .selectFrom('notification_outbox')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('factory_id', '=', factoryId)
      .where('alert_id', '=', alertId)
      .groupBy('status')
      .execute();
    const counts = { pending: 0, sent: 0, failed: 0, skipped: 0 };
    for (const r of rows) if (r.status in counts) counts[r.status as keyof typeof counts] = Number(r.n);
    return counts;
  }

  /**
   * Gives back a claimed message that was not attempted (a sender stopping mid-batch), so the
   * next sender takes it at once instead of waiting for the lease to run out. `leasedUntil`
   * is the claim's next_attempt_at: a row another sender has claimed since is left alone.
   */
  async release(id: number, leasedUntil: number, at: number): Promise<void> {
    await this.db
      .updateTable('notification_outbox')
      .set({ next_attempt_at: at })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', leasedUntil)
      .execute();
  }

  /**
   * Makes every pending row due at `now`, leased or backing off, and returns how many. Only
   * for a server that is the sole sender on this database, at start: any lease then belongs
   * to a process that is gone, so waiting for it to run out would only delay the messages.
   */
  async requeuePending(now: number): Promise<number> {
    const result = await this.db
      .updateTable('notification_outbox')
      .set({ next_attempt_at: now })
      .where('status', '=', 'pending')
      .where('next_attempt_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
