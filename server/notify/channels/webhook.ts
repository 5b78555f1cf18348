/**
 * A factory's alarm webhook: POST of the outbox row's JSON body, signed with the factory's
 * secret so the receiver can tell it came from this server:
 *
 *   X-FactoryOps-Signature: sha256=<hex HMAC-SHA256 of the raw body, key = webhook_secret>
 *   X-FactoryOps-Timestamp: <unix seconds of this attempt>
 *   X-FactoryOps-Delivery:  <outbox row id, the same on every retry — dedupe on it>
 *
 * The secret is read at delivery time (never stored in the outbox), so rotating it takes
 * effect for queued messages too. 2xx = sent; 408, 429, 5xx and network errors are retried;
 * any other status is final.
 */
import { createHmac } from 'node:crypto';
import type { FactoryNotificationSettings } from '../../store/meta/repositories/factories.js';
import type { OutboxMessage } from '../../store/meta/repositories/outbox.js';
import { classifyHttpStatus, describeError, parseRetryAfter, type DeliveryChannel, type DeliveryResult } from './channel.js';

export const SIGNATURE_HEADER = 'X-FactoryOps-Signature';
export const TIMESTAMP_HEADER = 'X-FactoryOps-Timestamp';
export const DELIVERY_HEADER = 'X-FactoryOps-Delivery';

export function signWebhookBody(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex')}`;
}

export interface WebhookChannelOptions {
  /** The factory's current webhook settings (secret included). */
  settings(factoryId: number): Promise<FactoryNotificationSettings | null>;
  /** Per-request timeout, ms (default 10 s). */
  timeoutMs?: number;
  clock?: () => number;
}

export function createWebhookChannel(options: WebhookChannelOptions): DeliveryChannel {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clock = options.clock ?? Date.now;
  return {
    name: 'webhook',
    async deliver(message: OutboxMessage): Promise<DeliveryResult> {
      const settings = await options.settings(message.factoryId);
      if (!settings?.webhookUrl) return { outcome: 'skipped', reason: 'webhook not configured: the factory has no webhook_url' };
      if (!settings.webhookSecret) return { outcome: 'skipped', reason: 'webhook not configured: the factory has no webhook_secret to sign with' };
      // The row records where the message was meant to go; a URL changed since wins.
      const url = settings.webhookUrl;
      if (!/^https?:\/\//i.test(url)) return { outcome: 'permanent', error: `webhook_url is not an http(s) URL` };
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'FactoryOps-Webhook/1',
            [SIGNATURE_HEADER]: signWebhookBody(settings.webhookSecret, message.body),
            [TIMESTAMP_HEADER]: String(Math.floor(clock() / 1000)),
            [DELIVERY_HEADER]: String(message.id),
          },
          body: message.body,
          // A redirected POST may turn into a GET elsewhere; report it instead of following.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        // Read the answer either way, so the connection is released.
        const detail = (await response.text().catch(() => '')).slice(0, 200) || response.statusText;
        if (response.status >= 300 && response.status < 400) return { outcome: 'permanent', error: `HTTP ${response.status}: webhook redirects, not followed` };
        return classifyHttpStatus(response.status, detail, parseRetryAfter(response.headers.get('retry-after'), clock()));
      } catch (error) {
        const text = error instanceof Error && error.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : describeError(error);
        const cause = error instanceof Error && error.cause !== undefined ? ` (${describeError(error.cause)})` : '';
        return { outcome: 'retry', error: `${text}${cause}` };
      }
    },
  };
}
