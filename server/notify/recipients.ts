/**
 * Who gets an alarm on which channel. A rule names its channels (`notification_channels`,
 * the seed's `{"email": true, "whatsapp": false}`) and optionally its own recipients
 * (`{"user_ids":[…],"emails":[…],"phones":[…]}`); without those, the factory's active users
 * are told on every enabled channel they have an address for, unless their notify_channels
 * preference leaves that channel out.
 */
import type { OutboxChannel } from '../store/meta/repositories/outbox.js';
import type { NotifiableUser } from '../store/meta/repositories/users.js';

export const PERSON_CHANNELS = ['email', 'whatsapp', 'sms'] as const;
export type PersonChannel = (typeof PERSON_CHANNELS)[number];
const ALL_CHANNELS: readonly OutboxChannel[] = [...PERSON_CHANNELS, 'webhook'];

function isChannel(value: string): value is OutboxChannel {
  return (ALL_CHANNELS as readonly string[]).includes(value);
}

/**
 * Enabled channels of a rule: `{"email": true, "sms": true}` or `["email", "sms"]`. A rule
 * that never said (null) gets e-mail, the seed's default; unknown names are ignored.
 */
export function enabledChannels(notificationChannels: unknown): Set<OutboxChannel> {
  if (notificationChannels === null || notificationChannels === undefined) return new Set(['email']);
  if (Array.isArray(notificationChannels)) {
    return new Set(notificationChannels.filter((c): c is OutboxChannel => typeof c === 'string' && isChannel(c)));
  }
  if (typeof notificationChannels === 'object') {
    return new Set(
      Object.entries(notificationChannels as Record<string, unknown>)
        .filter(([name, on]) => on === true && isChannel(name))
        .map(([name]) => name as OutboxChannel),
    );
  }
  return new Set();
}

export interface RuleRecipients {
  userIds: number[];
  emails: string[];
  phones: string[];
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The rule's own recipients, or null when it names none (then the factory's users are told). */
export function ruleRecipients(recipients: unknown): RuleRecipients | null {
  if (typeof recipients !== 'object' || recipients === null || Array.isArray(recipients)) return null;
  const r = recipients as Record<string, unknown>;
  const parsed: RuleRecipients = {
    userIds: list(r.user_ids ?? r.userIds).filter((id): id is number => typeof id === 'number' && Number.isSafeInteger(id)),
    emails: list(r.emails).filter((e): e is string => typeof e === 'string'),
    phones: list(r.phones).filter((p): p is string => typeof p === 'string'),
  };
  return parsed.userIds.length + parsed.emails.length + parsed.phones.length === 0 ? null : parsed;
}

export function normalizeEmailAddress(value: string): string | null {
  const email = value.trim().toLowerCase();
  return /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/.test(email) ? email : null;
}

/** "+91 98765-43210" → "+919876543210"; null when it cannot be a phone number. */
export function normalizePhone(value: string): string | null {
  const compact = value.trim().replace(/^whatsapp:/i, '').replace(/[\s\-().]/g, '');
  const e164 = compact.startsWith('00') ? `+${compact.slice(2)}` : compact.startsWith('+') ? compact : `+${compact}`;
  return /^\+[1-9]\d{6,14}$/.test(e164) ? e164 : null;
}

/** Whether a person's preference allows a channel: no stated preference allows all. */
function wants(user: NotifiableUser, channel: PersonChannel): boolean {
  return user.notifyChannels === null || user.notifyChannels.includes(channel);
}

function address(user: NotifiableUser, channel: PersonChannel): string | null {
  if (channel === 'email') return normalizeEmailAddress(user.email);
  return normalizePhone((channel === 'whatsapp' ? user.whatsappNumber : user.phoneNumber) ?? '');
}

export interface ResolvedRecipients {
  /** Unique addresses, in a stable order (users first, by id; then the rule's own). */
  addresses: string[];
  /** Addresses on the rule that could not be used, for the log. */
  invalid: string[];
}

/**
 * The addresses for one channel. `users` are the factory's active users (so an id of a
 * deactivated user or of another factory's user simply finds nobody).
 */
export function resolveRecipients(channel: PersonChannel, users: readonly NotifiableUser[], rule: RuleRecipients | null): ResolvedRecipients {
  const chosen = rule === null ? users : users.filter((u) => rule.userIds.includes(u.id));
  const addresses = new Set<string>();
  const invalid: string[] = [];
  for (const user of chosen) {
    if (!wants(user, channel)) continue;
    const a = address(user, channel);
    if (a !== null) addresses.add(a);
  }
  if (rule !== null) {
    const extra = channel === 'email' ? rule.emails : rule.phones;
    for (const raw of extra) {
      const a = channel === 'email' ? normalizeEmailAddress(raw) : normalizePhone(raw);
      if (a === null) invalid.push(raw);
      else addresses.add(a);
    }
  }
  return { addresses: [...addresses], invalid };
}
