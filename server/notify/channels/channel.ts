/**
 * A delivery channel takes one outbox message to one recipient and says how it went. The
 * outbox sender turns the answer into the row's outcome: sent, retried later, failed for
 * good, or skipped (the channel is not set up on this site).
 */
import type { OutboxChannel, OutboxMessage } from '../../store/meta/repositories/outbox.js';

export type DeliveryResult =
  /** The provider accepted the message (SMTP 250, Twilio 201, webhook 2xx). */
  | { outcome: 'sent'; providerId?: string }
  /** Worth trying again later: connection refused, timeout, 4xx SMTP, 5xx HTTP, 429. */
  | { outcome: 'retry'; error: string; retryAfterMs?: number }
  /** Will never work as it stands: recipient rejected, invalid number, webhook 4xx. */
  | { outcome: 'permanent'; error: string }
  /** Not attempted: the channel is not configured (no SMTP host, no Twilio sender, …). */
  | { outcome: 'skipped'; reason: string };

export interface DeliveryChannel {
  readonly name: OutboxChannel;
  /** Never throws: every failure comes back as a result. */
  deliver(message: OutboxMessage): Promise<DeliveryResult>;
  close?(): void | Promise<void>;
}

export type ChannelSet = Partial<Record<OutboxChannel, DeliveryChannel>>;

/** A channel the site has not set up: every message is skipped with the same reason. */
export function unconfiguredChannel(name: OutboxChannel, reason: string): DeliveryChannel {
  return {
    name,
    async deliver() {
      return { outcome: 'skipped', reason };
    },
  };
}

/** One line for a log or the outbox's last_error, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** HTTP status → outcome, shared by the Twilio and webhook channels. */
export function classifyHttpStatus(status: number, detail: string, retryAfterMs?: number): DeliveryResult {
  if (status >= 200 && status < 300) return { outcome: 'sent' };
  // 408 Request Timeout and 429 Too Many Requests are the receiver asking for a later try.
  if (status === 408 || status === 429 || status >= 500) {
    return { outcome: 'retry', error: `HTTP ${status}: ${detail}`, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
  return { outcome: 'permanent', error: `HTTP ${status}: ${detail}` };
}

/** Retry-After in seconds or as an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
