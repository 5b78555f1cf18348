/**
 * What an alarm notification says, per channel: a full e-mail, a compact WhatsApp text
 * (WhatsApp's *bold*), a plain SMS (no emoji: one would switch the whole text to UCS-2 and
 * cut a segment from 160 to 70 characters), and the webhook's JSON. Times are shown in the
 * factory's time zone, the way the people on site read a clock.
 */
import type { Alert } from '../store/meta/repositories/alerts.js';

export interface AlarmNotice {
  kind: 'raise' | 'escalation';
  factory: { id: number; slug: string; name: string; timezone: string };
  device: { id: number; deviceKey: string; name: string | null } | null;
  rule: { id: number; name: string; escalationMinutes: number | null };
  alert: Alert;
  /** Parameter key → unit, for the snapshot values. */
  units: ReadonlyMap<string, string>;
  now: number;
}

const MAX_SNAPSHOT_VALUES = 40;

function validZone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone;
  } catch {
    return 'UTC';
  }
}

/** "2026-02-19 16:05:00 Asia/Kolkata (GMT+05:30)"; plain "… UTC" for UTC. */
export function formatLocalTime(ms: number, timezone: string, withSeconds = true): string {
  const zone = validZone(timezone);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const time = `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}${withSeconds ? `:${part('second')}` : ''}`;
  if (zone === 'UTC' || zone === 'Etc/UTC') return `${time} UTC`;
  return `${time} ${zone} (${part('timeZoneName')})`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(10)));
  if (typeof value === 'string') return value.length > 80 ? `${value.slice(0, 79)}…` : value;
  if (value === null) return 'null';
  return String(value);
}

/**
 * The snapshot as (name, value-with-unit) pairs. Accepts the seed's flat `{"voltage": 245.2}`
 * and nested shapes (`{"metrics": {…}}` is shown without the `metrics.` prefix).
 */
export function snapshotValues(snapshot: unknown, units: ReadonlyMap<string, string>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) walk(child, path ? `${path}.${key}` : key);
      return;
    }
    if (path === '') return;
    const name = path.replace(/^(metrics|values)\./, '');
    const unit = units.get(name);
    const text = Array.isArray(value) ? JSON.stringify(value).slice(0, 80) : formatValue(value);
    out.push([name, unit && typeof value === 'number' ? `${text} ${unit}` : text]);
  };
  walk(snapshot, '');
  return out;
}

function deviceLabel(notice: AlarmNotice): string {
  const d = notice.device;
  if (!d) return `device #${notice.alert.deviceId}`;
  return d.name && d.name !== d.deviceKey ? `${d.name} (${d.deviceKey})` : d.deviceKey;
}

function severity(notice: AlarmNotice): string {
  return notice.alert.severity.toUpperCase();
}

function minutes(n: number): string {
  return n === 1 ? '1 minute' : `${n} minutes`;
}

/** "still unacknowledged after 15 minutes" for escalations, with the rule's threshold. */
function escalationPhrase(notice: AlarmNotice): string {
  const n = notice.rule.escalationMinutes ?? Math.max(1, Math.round((notice.now - notice.alert.triggeredAt) / 60_000));
  return `still unacknowledged after ${minutes(n)}`;
}

const STATE_TEXT: Record<string, string> = {
  active_unacknowledged: 'active, unacknowledged',
  active_acknowledged: 'active, acknowledged',
  cleared_unacknowledged: 'cleared, unacknowledged',
  shelved: 'shelved',
  normal: 'normal',
};

export function emailText(notice: AlarmNotice): { subject: string; body: string } {
  const { alert, factory, rule } = notice;
  const where = deviceLabel(notice);
  const subject =
    notice.kind === 'escalation'
      ? `[${severity(notice)}] Escalation: ${rule.name} on ${where} ${escalationPhrase(notice)}`
      : `[${severity(notice)}] Alarm: ${rule.name} on ${where}`;
  const values = snapshotValues(alert.telemetrySnapshot, notice.units);
  const shown = values.slice(0, MAX_SNAPSHOT_VALUES);
  const width = Math.max(0, ...shown.map(([name]) => name.length));
  const lines = [
    notice.kind === 'escalation'
      ? `ESCALATION: this ${severity(notice)} alarm is ${escalationPhrase(notice)}.`
      : `A ${severity(notice)} alarm was raised at ${factory.name}.`,
    '',
    `Factory:   ${factory.name} (${factory.slug})`,
    `Device:    ${where}`,
    `Rule:      ${rule.name}`,
    `Severity:  ${severity(notice)}`,
    `Triggered: ${formatLocalTime(alert.triggeredAt, factory.timezone)}`,
    `State:     ${STATE_TEXT[alert.state] ?? alert.state}`,
    `Alarm ID:  ${alert.id}`,
    '',
    'Message:',
    alert.message ?? `${rule.name} on ${where}`,
    '',
    'Telemetry snapshot:',
    ...(shown.length === 0 ? ['  (none recorded)'] : shown.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`)),
    ...(values.length > shown.length ? [`  … and ${values.length - shown.length} more`] : []),
    '',
    '--',
    notice.kind === 'escalation'
      ? 'FactoryOps control room. Nobody has acknowledged this alarm yet: please check the console.'
      : 'FactoryOps control room. Acknowledge the alarm in the console so it is not escalated.',
  ];
  return { subject, body: lines.join('\n') };
}

function compactValues(notice: AlarmNotice, max: number): string {
  const values = snapshotValues(notice.alert.telemetrySnapshot, notice.units);
  const shown = values.slice(0, max).map(([name, value]) => `${name}=${value}`);
  return shown.join(', ') + (values.length > max ? ', …' : '');
}

export function whatsappText(notice: AlarmNotice): string {
  const { alert, factory, rule } = notice;
  const values = compactValues(notice, 12);
  const lines = [
    notice.kind === 'escalation'
      ? `⏰ *ESCALATION — ${severity(notice)} alarm ${escalationPhrase(notice)}*`
      : `🚨 *${severity(notice)} ALARM*`,
    '',
    `*Factory:* ${factory.name}`,
    `*Rule:* ${rule.name}`,
    `*Device:* ${deviceLabel(notice)}`,
    `*Time:* ${formatLocalTime(alert.triggeredAt, factory.timezone)}`,
    '',
    alert.message ?? rule.name,
    ...(values ? ['', `*Values:* ${values}`] : []),
  ];
  return lines.join('\n').slice(0, 1500);
}

export function smsText(notice: AlarmNotice): string {
  const { alert, factory, rule } = notice;
  const head =
    notice.kind === 'escalation'
      ? `ESCALATION ${severity(notice)} alarm ${escalationPhrase(notice)}`
      : `${severity(notice)} alarm`;
  const values = compactValues(notice, 6);
  const text = [
    `${head} at ${factory.name}: ${rule.name} on ${deviceLabel(notice)}, ${formatLocalTime(alert.triggeredAt, factory.timezone, false)}.`,
    alert.message ?? '',
    values,
  ]
    .filter((s) => s !== '')
    .join(' ');
  // Three GSM segments at most: a pager message, not a report.
  return text.length > 459 ? `${text.slice(0, 458)}…` : text;
}

/** The webhook's JSON body (signed as sent, byte for byte). */
export function webhookBody(notice: AlarmNotice): string {
  const { alert, factory, rule, device } = notice;
  const { subject, body } = emailText(notice);
  return JSON.stringify({
    event: notice.kind === 'escalation' ? 'alarm.escalated' : 'alarm.raised',
    createdAt: new Date(notice.now).toISOString(),
    factory: { id: factory.id, slug: factory.slug, name: factory.name, timezone: factory.timezone },
    alert: {
      id: alert.id,
      state: alert.state,
      severity: alert.severity,
      message: alert.message,
      triggeredAt: new Date(alert.triggeredAt).toISOString(),
      triggeredAtLocal: formatLocalTime(alert.triggeredAt, factory.timezone),
      telemetrySnapshot: alert.telemetrySnapshot ?? null,
      escalatedAfterMinutes: notice.kind === 'escalation' ? rule.escalationMinutes : null,
    },
    rule: { id: rule.id, name: rule.name },
    device: device ? { id: device.id, key: device.deviceKey, name: device.name } : { id: alert.deviceId, key: null, name: null },
    subject,
    text: body,
  });
}
