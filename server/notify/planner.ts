/**
 * The NotificationPlanner (../alarms/ports.ts): turns a raised or escalated alarm into outbox
 * rows, one per (channel, recipient). It runs inside the alarm transition's transaction with
 * that transaction's repositories, so the rows commit with the alarm or not at all; it only
 * reads, and never calls the outer store (on SQLite that would wait on itself forever).
 */
import type { NotificationPlanner } from '../alarms/ports.js';
import type { Logger } from '../observe/logger.js';
import type { Alert } from '../store/meta/repositories/alerts.js';
import type { NewOutboxMessage } from '../store/meta/repositories/outbox.js';
import type { Rule } from '../store/meta/repositories/rules.js';
import type { MetaRepositories } from '../store/meta/meta-store.js';
import { emailText, smsText, webhookBody, whatsappText, type AlarmNotice } from './message-text.js';
import { enabledChannels, PERSON_CHANNELS, resolveRecipients, ruleRecipients } from './recipients.js';

export interface NotificationPlannerOptions {
  logger?: Logger;
}

/** Where a webhook row says it went: no query string, which may carry a token. */
function webhookLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'webhook';
  }
}

export function createNotificationPlanner(options: NotificationPlannerOptions = {}): NotificationPlanner {
  const logger = options.logger;
  return {
    async plan(repos: MetaRepositories, alert: Alert, rule: Rule, kind: 'raise' | 'escalation', now: number): Promise<NewOutboxMessage[]> {
      const factoryId = alert.factoryId;
      const log = { factoryId, alertId: alert.id, ruleId: rule.id, kind };
      if (rule.factoryId !== factoryId) {
        logger?.warn({ event: 'notification.plan_rule_mismatch', ...log }, 'rule belongs to another factory; nothing planned');
        return [];
      }
      const channels = enabledChannels(rule.notificationChannels);
      if (channels.size === 0) return [];
      const factory = await repos.factories.get(factoryId);
      if (!factory) return [];
      const device = (await repos.devices.get(factoryId, alert.deviceId)) ?? null;
      const parameters = await repos.parameters.listForDevice(factoryId, alert.deviceId);
      const units = new Map(parameters.filter((p) => p.unit).map((p) => [p.parameterKey, p.unit ?? '']));
      const notice: AlarmNotice = {
        kind,
        factory: { id: factory.id, slug: factory.slug, name: factory.name, timezone: factory.timezone },
        device: device && { id: device.id, deviceKey: device.deviceKey, name: device.name },
        rule: { id: rule.id, name: rule.name, escalationMinutes: rule.escalationMinutes },
        alert,
        units,
        now,
      };
      const email = emailText(notice);
      const messages: NewOutboxMessage[] = [];
      const add = (channel: NewOutboxMessage['channel'], recipient: string, body: string): void => {
        messages.push({ alertId: alert.id, kind, channel, recipient, subject: email.subject, body });
      };

      const personal = PERSON_CHANNELS.filter((c) => channels.has(c));
      if (personal.length > 0) {
        const users = await repos.users.listNotifiable(factoryId);
        const own = ruleRecipients(rule.recipients);
        for (const channel of personal) {
          const { addresses, invalid } = resolveRecipients(channel, users, own);
          if (invalid.length > 0) {
            logger?.warn({ event: 'notification.invalid_recipients', ...log, channel, count: invalid.length }, `rule lists ${invalid.length} unusable ${channel} address(es)`);
          }
          if (addresses.length === 0) {
            logger?.info({ event: 'notification.no_recipients', ...log, channel }, `no ${channel} recipients for this alarm`);
          }
          const body = channel === 'email' ? email.body : channel === 'whatsapp' ? whatsappText(notice) : smsText(notice);
          for (const address of addresses) add(channel, address, body);
        }
      }

      if (channels.has('webhook')) {
        const settings = await repos.factories.notificationSettings(factoryId);
        if (settings?.webhookUrl) add('webhook', webhookLabel(settings.webhookUrl), webhookBody(notice));
        else logger?.info({ event: 'notification.webhook_unconfigured', ...log }, 'rule enables the webhook but the factory has no webhook_url; skipped');
      }
      logger?.debug({ event: 'notification.planned', ...log, messages: messages.length }, 'notifications planned');
      return messages;
    },
  };
}
