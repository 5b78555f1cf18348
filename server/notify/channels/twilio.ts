/**
 * WhatsApp and SMS through Twilio's Messages API, with the official SDK (twilio v6). The SDK
 * takes a custom `httpClient`; ours is the SDK's own RequestClient with every request's origin
 * swapped for `apiUrl` when one is set — a site-local relay for plants without direct
 * internet access, or a stand-in in tests. The SDK still does the form encoding, basic auth
 * and error parsing, so the stand-in sees exactly what Twilio would.
 */
import twilio from 'twilio';
import type SdkRequestClient from 'twilio/lib/base/RequestClient.js';
import type { TwilioConfig } from '../config.js';
import type { OutboxChannel, OutboxMessage } from '../../store/meta/repositories/outbox.js';
import { classifyHttpStatus, describeError, unconfiguredChannel, type DeliveryChannel, type DeliveryResult } from './channel.js';

/** The SDK's own HTTP client, sending every request to `apiUrl` (path and query kept). */
function rebasedRequestClient(apiUrl: string, timeoutMs: number): twilio.RequestClient {
  const client = new twilio.RequestClient({ timeout: timeoutMs, keepAlive: false });
  const send = client.request.bind(client);
  client.request = (<TData>(opts: SdkRequestClient.RequestOptions<TData>) => {
    const original = new URL(opts.uri);
    return send<TData>({ ...opts, uri: `${apiUrl}${original.pathname}${original.search}` });
  }) as typeof client.request;
  return client;
}

export interface TwilioChannelOptions {
  /** Per-request timeout, ms (default 15 s). */
  timeoutMs?: number;
}

/** Twilio's REST error: HTTP status plus Twilio's own error code (21211 = invalid 'To'). */
interface TwilioRestError {
  status?: number;
  code?: number;
  message?: string;
}

export function classifyTwilioError(error: unknown): DeliveryResult {
  const e = (typeof error === 'object' && error !== null ? error : {}) as TwilioRestError;
  if (typeof e.status !== 'number') return { outcome: 'retry', error: describeError(error) };
  const detail = `${e.code !== undefined ? `Twilio error ${e.code}: ` : ''}${e.message ?? 'no message'}`;
  // 401/403: wrong SID or token, a site setting someone can fix — keep the messages.
  if (e.status === 401 || e.status === 403) return { outcome: 'retry', error: `HTTP ${e.status}: ${detail}` };
  return classifyHttpStatus(e.status, detail);
}

/** "+91 98765-43210" → "+919876543210"; Twilio wants E.164. */
export function toE164(number: string): string {
  const digits = number.replace(/[\s\-().]/g, '');
  return digits.startsWith('+') ? digits : `+${digits.replace(/^00/, '')}`;
}

/**
 * The WhatsApp and SMS channels of one Twilio account. A missing sender makes that one
 * channel skip its messages (with the reason), not the other.
 */
export function createTwilioChannels(config: TwilioConfig, options: TwilioChannelOptions = {}): { whatsapp: DeliveryChannel; sms: DeliveryChannel } {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const client = twilio(config.accountSid, config.authToken, {
    timeout: timeoutMs,
    ...(config.apiUrl !== null && { httpClient: rebasedRequestClient(config.apiUrl, timeoutMs) }),
  });

  type Sender = { from: string } | { messagingServiceSid: string };
  const channel = (name: OutboxChannel, sender: Sender, address: (to: string) => string): DeliveryChannel => ({
    name,
    async deliver(message: OutboxMessage): Promise<DeliveryResult> {
      try {
        const sent = await client.messages.create({ ...sender, to: address(toE164(message.recipient)), body: message.body });
        return { outcome: 'sent', providerId: sent.sid };
      } catch (error) {
        return classifyTwilioError(error);
      }
    },
  });

  const whatsappFrom = config.whatsappFrom;
  const smsFrom = config.smsFrom;
  return {
    whatsapp:
      whatsappFrom === null
        ? unconfiguredChannel('whatsapp', 'WhatsApp not configured: TWILIO_WHATSAPP_FROM is not set')
        : channel('whatsapp', { from: `whatsapp:${toE164(whatsappFrom)}` }, (to) => `whatsapp:${to}`),
    sms:
      smsFrom === null
        ? unconfiguredChannel('sms', 'SMS not configured: TWILIO_SMS_FROM is not set')
        : channel('sms', /^MG[0-9a-f]{32}$/i.test(smsFrom) ? { messagingServiceSid: smsFrom } : { from: toE164(smsFrom) }, (to) => to),
  };
}
