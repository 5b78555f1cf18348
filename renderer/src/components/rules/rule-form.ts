/**
 * The whole rule form, free of React: a draft (text as typed) made from a stored rule or
 * blank, the request body it becomes, and the server's issues split into the field each
 * belongs to (`schedule_config.start_time` → the start-time input, `conditions…` → the tree).
 */
import type { RuleCreateRequest, RuleSeverity, RuleView } from '../../../../engine/contract/rules.js';
import { validateRuleDefinition, validateSchedule } from '../../../../engine/rules/index.js';
import { issuesByNode, newTree, numberOrText, treeFromJson, treeToJson, type BuilderGroup, type Issue, type NodeIssues } from './rule-tree.js';

export type ScheduleKind = 'always' | 'time_window' | 'date_range';
export const CHANNELS = ['email', 'whatsapp', 'sms', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface RuleDraft {
  name: string;
  description: string;
  scope: 'device' | 'global';
  deviceIds: number[];
  severity: RuleSeverity;
  isActive: boolean;
  cooldownMinutes: string;
  onDelaySeconds: string;
  deadband: string;
  /** '' = never escalate. */
  escalationMinutes: string;
  schedule: {
    type: ScheduleKind;
    startTime: string;
    endTime: string;
    /** ISO weekdays 1 (Mon) … 7 (Sun); all seven = every day. */
    days: number[];
    startDate: string;
    endDate: string;
  };
  channels: Record<Channel, boolean>;
  /** 'everyone' = the factory's active users with an address (recipients null). */
  recipientMode: 'everyone' | 'listed';
  recipientUserIds: number[];
  /** Free text, one address per line or comma separated. */
  recipientEmails: string;
  recipientPhones: string;
  conditions: BuilderGroup;
}

export const ALL_DAYS = [1, 2, 3, 4, 5, 6, 7] as const;

export function blankDraft(): RuleDraft {
  return {
    name: '',
    description: '',
    scope: 'device',
    deviceIds: [],
    severity: 'medium',
    isActive: true,
    cooldownMinutes: '15',
    onDelaySeconds: '0',
    deadband: '0',
    escalationMinutes: '',
    schedule: { type: 'always', startTime: '08:00', endTime: '18:00', days: [...ALL_DAYS], startDate: '', endDate: '' },
    channels: { email: true, whatsapp: false, sms: false, webhook: false },
    recipientMode: 'everyone',
    recipientUserIds: [],
    recipientEmails: '',
    recipientPhones: '',
    conditions: newTree(),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Stored channels: null means e-mail only (the server's default); arrays and objects are both stored forms. */
export function channelsOf(stored: unknown): Record<Channel, boolean> {
  const out: Record<Channel, boolean> = { email: false, whatsapp: false, sms: false, webhook: false };
  if (stored === null || stored === undefined) return { ...out, email: true };
  for (const c of CHANNELS) {
    if (Array.isArray(stored)) out[c] = stored.includes(c);
    else if (isRecord(stored)) out[c] = stored[c] === true;
  }
  return out;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A draft of a stored rule, or null with the reason when its conditions cannot be shown. */
export function draftFromRule(rule: RuleView): { draft: RuleDraft; unreadable: boolean } {
  const blank = blankDraft();
  const tree = treeFromJson(rule.conditions);
  const schedule = isRecord(rule.schedule_config) ? rule.schedule_config : {};
  const recipients = isRecord(rule.recipients) ? rule.recipients : null;
  const days = Array.isArray(schedule.days) ? schedule.days.filter((d): d is number => typeof d === 'number') : [...ALL_DAYS];
  return {
    unreadable: tree === null,
    draft: {
      name: rule.name,
      description: rule.description ?? '',
      scope: rule.scope,
      deviceIds: [...rule.device_ids],
      severity: rule.severity,
      isActive: rule.is_active,
      cooldownMinutes: String(rule.cooldown_minutes),
      onDelaySeconds: String(rule.on_delay_seconds),
      deadband: String(rule.deadband),
      escalationMinutes: rule.escalation_minutes === null ? '' : String(rule.escalation_minutes),
      schedule: {
        type: rule.schedule_type,
        startTime: typeof schedule.start_time === 'string' ? schedule.start_time : blank.schedule.startTime,
        endTime: typeof schedule.end_time === 'string' ? schedule.end_time : blank.schedule.endTime,
        days,
        startDate: typeof schedule.start_date === 'string' ? schedule.start_date : '',
        endDate: typeof schedule.end_date === 'string' ? schedule.end_date : '',
      },
      channels: channelsOf(rule.notification_channels),
      recipientMode: recipients ? 'listed' : 'everyone',
      recipientUserIds: recipients && Array.isArray(recipients.user_ids) ? recipients.user_ids.filter((v): v is number => typeof v === 'number') : [],
      recipientEmails: strings(recipients?.emails).join('\n'),
      recipientPhones: strings(recipients?.phones).join('\n'),
      conditions: tree ?? blank.conditions,
    },
  };
}

/** "a@x, b@y\nc@z" → ["a@x", "b@y", "c@z"]. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function scheduleConfigOf(draft: RuleDraft): unknown {
  const s = draft.schedule;
  switch (s.type) {
    case 'always':
      return null;
    case 'time_window': {
      const days = [...new Set(s.days)].sort((a, b) => a - b);
      // All seven days is the same as none listed; an empty list is sent so the server says so.
      return { start_time: s.startTime.trim(), end_time: s.endTime.trim(), ...(days.length === 7 ? {} : { days }) };
    }
    case 'date_range':
      return { start_date: s.startDate.trim(), end_date: s.endDate.trim() };
  }
}

/** Numbers where the text is a number, else the text (the server names the field), '' left out. */
function numberField(body: Record<string, unknown>, key: string, textValue: string): void {
  const v = numberOrText(textValue);
  if (v !== undefined) body[key] = v;
}

export interface RuleRequest {
  /** Valid as POST /rules and PATCH /rules/:id (every field sent; PATCH then rewrites them all). */
  body: RuleCreateRequest;
  /** Server paths of the condition nodes → builder node ids. */
  paths: Map<string, string>;
}

export function draftToRequest(draft: RuleDraft): RuleRequest {
  const { conditions, paths } = treeToJson(draft.conditions);
  const body: Record<string, unknown> = {
    name: draft.name,
    description: draft.description.trim() === '' ? null : draft.description,
    scope: draft.scope,
    device_ids: draft.scope === 'global' ? [] : [...new Set(draft.deviceIds)],
    conditions,
    severity: draft.severity,
    is_active: draft.isActive,
    schedule_type: draft.schedule.type,
    schedule_config: scheduleConfigOf(draft),
    notification_channels: { ...draft.channels },
    escalation_minutes: draft.escalationMinutes.trim() === '' ? null : numberOrText(draft.escalationMinutes),
    recipients:
      draft.recipientMode === 'everyone'
        ? null
        : {
            user_ids: [...new Set(draft.recipientUserIds)],
            emails: splitList(draft.recipientEmails),
            phones: splitList(draft.recipientPhones),
          },
  };
  numberField(body, 'cooldown_minutes', draft.cooldownMinutes);
  numberField(body, 'on_delay_seconds', draft.onDelaySeconds);
  numberField(body, 'deadband', draft.deadband);
  // The type is the contract's; values the person typed wrong are sent as typed on purpose.
  return { body: body as RuleCreateRequest, paths };
}

/**
 * The checks the server's rule route runs, run here first with the same engine functions, so
 * every problem shows at once (the server's schema check stops at the first) with the same
 * paths and words. The server stays the judge: what passes here is still validated there, and
 * its answer (unknown devices, limits) is shown the same way.
 */
export function checkRequest(body: RuleCreateRequest): Issue[] {
  const issues: Issue[] = [];
  if (typeof body.name !== 'string' || body.name.trim() === '') issues.push({ path: 'name', message: 'must not be blank' });
  if (body.scope !== 'global' && (body.device_ids ?? []).length === 0) {
    issues.push({ path: 'device_ids', message: 'must list at least one device for scope "device" (or use scope "global")' });
  }
  const definition = validateRuleDefinition({
    conditions: body.conditions,
    deadband: body.deadband,
    on_delay_seconds: body.on_delay_seconds,
    cooldown_minutes: body.cooldown_minutes,
  });
  if (!definition.ok) issues.push(...definition.errors);
  const schedule = validateSchedule(body.schedule_type, body.schedule_config);
  if (!schedule.ok) issues.push(...schedule.errors);
  // The engine joins a root path as `conditions.`; the server shows it as `conditions`.
  return issues.map((i) => (i.path.endsWith('.') ? { ...i, path: i.path.slice(0, -1) } : i));
}

export interface FormIssues {
  /** Messages for the form's own fields, keyed by field path without list indexes (`device_ids`, `schedule_config.days`). */
  fields: Record<string, string>;
  /** Messages for condition nodes. */
  nodes: NodeIssues;
  /** Anything without a field (shown above the form). */
  general: string[];
}

export const NO_ISSUES: FormIssues = { fields: {}, nodes: new Map(), general: [] };

/** Where each server issue goes. `device_ids[2]: device 9 not found` lands on `device_ids`. */
export function splitIssues(issues: readonly Issue[], paths: ReadonlyMap<string, string>): FormIssues {
  const tree = issues.filter((i) => i.path === 'conditions' || i.path.startsWith('conditions.') || i.path.startsWith('conditions['));
  const { byNode, rest } = issuesByNode(tree, paths);
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const issue of [...rest, ...issues.filter((i) => !tree.includes(i))]) {
    if (issue.path === '') {
      general.push(issue.message);
      continue;
    }
    const key = issue.path.replace(/\[\d+\]/g, '');
    fields[key] = fields[key] ? `${fields[key]}; ${issue.message}` : issue.message;
  }
  return { fields, nodes: byNode, general };
}

/** The first message for `prefix` or any field under it (`schedule_config` catches `schedule_config.start_time`). */
export function fieldIssue(issues: FormIssues, prefix: string): string | undefined {
  if (issues.fields[prefix]) return issues.fields[prefix];
  const key = Object.keys(issues.fields).find((k) => k.startsWith(`${prefix}.`));
  return key ? issues.fields[key] : undefined;
}
