/**
 * The site's channels from its configuration: e-mail when SMTP_HOST is set, WhatsApp/SMS
 * when the Twilio account is set, the webhook always (each factory brings its own URL and
 * secret). A channel that is not set up still exists: it skips its messages with the reason,
 * so the outbox records why nobody got a WhatsApp instead of silently dropping it.
 */
import type { SmtpConfig } from '../../config.js';
import type { FactoryNotificationSettings } from '../../store/meta/repositories/factories.js';
import type { TwilioConfig } from '../config.js';
import { unconfiguredChannel, type ChannelSet } from './channel.js';
import { createEmailChannel, type EmailChannelOptions } from './email.js';
import { createTwilioChannels, type TwilioChannelOptions } from './twilio.js';
import { createWebhookChannel } from './webhook.js';

export interface SiteChannelOptions {
  smtp: SmtpConfig | null;
  twilio: TwilioConfig | null;
  /** The factory's webhook settings, read at delivery (e.g. `(id) => meta.factories.notificationSettings(id)`). */
  webhookSettings(factoryId: number): Promise<FactoryNotificationSettings | null>;
  email?: EmailChannelOptions;
  twilioOptions?: TwilioChannelOptions;
  webhookTimeoutMs?: number;
  clock?: () => number;
}

export function createSiteChannels(options: SiteChannelOptions): ChannelSet {
  const twilioChannels = options.twilio
    ? createTwilioChannels(options.twilio, options.twilioOptions)
    : {
        whatsapp: unconfiguredChannel('whatsapp', 'WhatsApp not configured: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set'),
        sms: unconfiguredChannel('sms', 'SMS not configured: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set'),
      };
  return {
    email: options.smtp ? createEmailChannel(options.smtp, options.email) : unconfiguredChannel('email', 'e-mail not configured: SMTP_HOST is not set'),
    ...twilioChannels,
    webhook: createWebhookChannel({
      settings: options.webhookSettings,
      ...(options.webhookTimeoutMs !== undefined && { timeoutMs: options.webhookTimeoutMs }),
      ...(options.clock !== undefined && { clock: options.clock }),
    }),
  };
}
