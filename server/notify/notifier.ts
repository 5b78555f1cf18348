/**
 * The notification pieces assembled for app.ts: the planner (handed to the alarm service),
 * the site's channels, the outbox sender and the escalation monitor. app.ts calls start()
 * after the metadata store is open and stop() before it closes it.
 */
import type { AlarmDelta, NotificationPlanner } from '../alarms/ports.js';
import type { SmtpConfig } from '../config.js';
import type { Logger } from '../observe/logger.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { ChannelSet } from './channels/channel.js';
import type { EmailChannelOptions } from './channels/email.js';
import { createSiteChannels } from './channels/site-channels.js';
import type { TwilioConfig } from './config.js';
import { EscalationMonitor, type EscalationMonitorOptions } from './escalation.js';
import { OutboxSender, type OutboxSenderOptions } from './outbox-sender.js';
import { createNotificationPlanner } from './planner.js';

export interface NotifierOptions {
  meta: MetaStore;
  logger: Logger;
  smtp: SmtpConfig | null;
  twilio: TwilioConfig | null;
  clock?: () => number;
  /** E-mail channel options, e.g. { verifyStartTls: smtpVerifyStartTlsFromEnv(env) }. */
  email?: EmailChannelOptions;
  /** Replaces the channels built from smtp/twilio (tests, or a site with its own relay). */
  channels?: ChannelSet;
  /** An alarm's first notification went out (its notification_sent is now true). */
  onNotified?: (factoryId: number, alertId: number) => void;
  /** An escalation committed: publish the delta like any other transition. */
  onEscalated?: (delta: AlarmDelta) => void;
  sender?: Partial<Omit<OutboxSenderOptions, 'meta' | 'channels' | 'logger' | 'clock' | 'onNotified'>>;
  escalation?: Partial<Omit<EscalationMonitorOptions, 'meta' | 'planner' | 'logger' | 'clock' | 'onEscalated'>>;
}

export interface Notifier {
  readonly planner: NotificationPlanner;
  readonly sender: OutboxSender;
  readonly escalation: EscalationMonitor;
  /** Call after a transition that enqueued messages has committed. */
  kick(): void;
  start(): void;
  /** Stops both loops, waits for deliveries in flight, closes channel connections. */
  stop(): Promise<void>;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { meta, logger } = options;
  const clock = options.clock ?? Date.now;
  const planner = createNotificationPlanner({ logger });
  const channels =
    options.channels ??
    createSiteChannels({
      smtp: options.smtp,
      twilio: options.twilio,
      webhookSettings: (factoryId) => meta.factories.notificationSettings(factoryId),
      ...(options.email && { email: options.email }),
      clock,
    });
  if (!options.channels) {
    const unconfigured = [
      ...(options.smtp ? [] : ['email']),
      ...(options.twilio?.whatsappFrom ? [] : ['whatsapp']),
      ...(options.twilio?.smsFrom ? [] : ['sms']),
    ];
    if (unconfigured.length > 0) {
      logger.info({ event: 'notification.channels_unconfigured', channels: unconfigured }, `${unconfigured.join(', ')} notifications will be skipped: not configured`);
    }
  }
  const sender = new OutboxSender({ ...options.sender, meta, channels, logger, clock, ...(options.onNotified && { onNotified: options.onNotified }) });
  const escalation = new EscalationMonitor({
    ...options.escalation,
    meta,
    planner,
    logger,
    clock,
    onEscalated: (delta, messages) => {
      if (messages > 0) sender.kick();
      options.onEscalated?.(delta);
    },
  });
  return {
    planner,
    sender,
    escalation,
    kick: () => sender.kick(),
    start() {
      sender.start();
      escalation.start();
    },
    async stop() {
      await escalation.stop();
      await sender.stop();
      for (const channel of Object.values(channels)) await channel?.close?.();
    },
  };
}
