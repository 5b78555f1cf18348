/**
 * The rule form: a stored rule → draft → request body and back, schedules and recipients in
 * their wire forms, and the server's issues split onto the form's fields. Bodies are checked
 * with the engine's validators (the ones the server's rule routes run).
 */
import { describe, expect, it } from 'vitest';
import type { RuleView } from '../../../engine/contract/rules.js';
import { validateRuleDefinition, validateSchedule } from '../../../engine/rules/index.js';
import { blankDraft, channelsOf, checkRequest, draftFromRule, draftToRequest, fieldIssue, splitIssues, splitList } from '../../../renderer/src/components/rules/rule-form.js';
import { leaves, newLeaf, type BuilderGroup } from '../../../renderer/src/components/rules/rule-tree.js';

function storedRule(overrides: Partial<RuleView> = {}): RuleView {
  return {
    id: 7,
    name: 'Overvoltage',
    description: 'Line 1 feeders',
    scope: 'device',
    device_ids: [5, 6],
    device_count: 2,
    conditions: { operator: 'OR', conditions: [{ parameter: 'voltage', operator: 'gt', value: 240 }, { parameter: 'voltage', operator: 'lt', value: 200 }] },
    severity: 'high',
    cooldown_minutes: 10,
    is_active: true,
    schedule_type: 'time_window',
    schedule_config: { start_time: '06:00', end_time: '22:00', days: [1, 2, 3, 4, 5] },
    notification_channels: { email: true, whatsapp: true },
    on_delay_seconds: 30,
    deadband: 1.5,
    escalation_minutes: 20,
    recipients: { user_ids: [3], emails: ['lead@plant.example'], phones: [] },
    out_of_service: false,
    disabled_reason: null,
    created_by: 1,
    created_at: '2026-02-01T08:00:00.000Z',
    updated_at: '2026-02-01T08:00:00.000Z',
    ...overrides,
  };
}

describe('rule form', () => {
  it('turns a stored rule into a draft and back into the same fields', () => {
    const rule = storedRule();
    const { draft, unreadable } = draftFromRule(rule);
    expect(unreadable).toBe(false);
    const { body } = draftToRequest(draft);
    expect(body).toEqual({
      name: 'Overvoltage',
      description: 'Line 1 feeders',
      scope: 'device',
      device_ids: [5, 6],
      conditions: rule.conditions,
      severity: 'high',
      is_active: true,
      cooldown_minutes: 10,
      on_delay_seconds: 30,
      deadband: 1.5,
      escalation_minutes: 20,
      schedule_type: 'time_window',
      schedule_config: { start_time: '06:00', end_time: '22:00', days: [1, 2, 3, 4, 5] },
      notification_channels: { email: true, whatsapp: true, sms: false, webhook: false },
      recipients: { user_ids: [3], emails: ['lead@plant.example'], phones: [] },
    });
    const definition = validateRuleDefinition({ conditions: body.conditions, deadband: body.deadband, on_delay_seconds: body.on_delay_seconds, cooldown_minutes: body.cooldown_minutes });
    expect(definition.ok).toBe(true);
    expect(validateSchedule(body.schedule_type, body.schedule_config).ok).toBe(true);
  });

  it('builds a valid request from a blank draft with one comparison', () => {
    const draft = blankDraft();
    const leaf = leaves(draft.conditions)[0];
    expect(leaf).toBeDefined();
    draft.name = 'Hot bearing';
    draft.deviceIds = [1];
    draft.conditions = { ...draft.conditions, children: [newLeaf({ parameter: 'temp', operator: 'gte', value: '90' })] } as BuilderGroup;
    const { body } = draftToRequest(draft);
    expect(body).toMatchObject({ name: 'Hot bearing', scope: 'device', device_ids: [1], schedule_type: 'always', schedule_config: null, recipients: null, escalation_minutes: null, description: null });
    expect(validateRuleDefinition({ conditions: body.conditions }).ok).toBe(true);
    expect(validateSchedule(body.schedule_type, body.schedule_config).ok).toBe(true);
  });

  it('sends the schedule in its wire form: every day omitted, no day an empty list, dates as typed', () => {
    const draft = blankDraft();
    draft.schedule = { ...draft.schedule, type: 'time_window', startTime: '22:00', endTime: '06:00' };
    expect(draftToRequest(draft).body.schedule_config).toEqual({ start_time: '22:00', end_time: '06:00' });
    draft.schedule.days = [5, 1, 5];
    expect(draftToRequest(draft).body.schedule_config).toEqual({ start_time: '22:00', end_time: '06:00', days: [1, 5] });
    draft.schedule.days = [];
    const none = validateSchedule('time_window', draftToRequest(draft).body.schedule_config);
    expect(none.ok ? [] : none.errors).toEqual([{ path: 'schedule_config.days', message: expect.stringMatching(/at least one day/) }]);
    draft.schedule = { ...draft.schedule, type: 'date_range', startDate: '2026-03-31', endDate: '2026-01-01' };
    const range = validateSchedule('date_range', draftToRequest(draft).body.schedule_config);
    expect(range.ok ? [] : range.errors.map((e) => e.path)).toEqual(['schedule_config.end_date']);
  });

  it('sends a global rule without devices, and numbers typed wrong as typed', () => {
    const draft = blankDraft();
    draft.scope = 'global';
    draft.deviceIds = [4];
    draft.cooldownMinutes = 'ten';
    draft.onDelaySeconds = '';
    const { body } = draftToRequest(draft);
    expect(body.device_ids).toEqual([]);
    expect(body.cooldown_minutes).toBe('ten');
    expect('on_delay_seconds' in body).toBe(false);
  });

  it('reads every stored channel form (null is e-mail only)', () => {
    expect(channelsOf(null)).toEqual({ email: true, whatsapp: false, sms: false, webhook: false });
    expect(channelsOf(['sms', 'webhook'])).toEqual({ email: false, whatsapp: false, sms: true, webhook: true });
    expect(channelsOf({ whatsapp: true })).toEqual({ email: false, whatsapp: true, sms: false, webhook: false });
  });

  it('splits address lists on lines, commas and semicolons', () => {
    expect(splitList(' a@x.io, b@y.io\n\nc@z.io; ')).toEqual(['a@x.io', 'b@y.io', 'c@z.io']);
  });

  it('flags a stored tree it cannot show instead of dropping it silently', () => {
    expect(draftFromRule(storedRule({ conditions: { type: 'and', conditions: [] } })).unreadable).toBe(true);
  });
});

describe('checking before sending', () => {
  it('lists every problem of a blank rule at once, with the server\'s paths and words', () => {
    const draft = blankDraft();
    const leaf = leaves(draft.conditions)[0] as { id: string };
    const { body, paths } = draftToRequest(draft);
    const issues = checkRequest(body);
    expect(issues).toEqual([
      { path: 'name', message: 'must not be blank' },
      { path: 'device_ids', message: 'must list at least one device for scope "device" (or use scope "global")' },
      { path: 'conditions.conditions[0].parameter', message: 'is required' },
      { path: 'conditions.conditions[0].value', message: 'is required' },
    ]);
    const split = splitIssues(issues, paths);
    expect(split.nodes.get(leaf.id)).toEqual({ parameter: 'is required', value: 'is required' });
    expect(split.fields).toEqual({ name: 'must not be blank', device_ids: expect.stringMatching(/at least one device/) });
  });

  it('passes a complete rule, and catches schedule and timing problems', () => {
    const draft = draftFromRule(storedRule()).draft;
    expect(checkRequest(draftToRequest(draft).body)).toEqual([]);
    draft.schedule.startTime = '25:00';
    draft.cooldownMinutes = 'ten';
    expect(checkRequest(draftToRequest(draft).body).map((i) => i.path)).toEqual(['cooldown_minutes', 'schedule_config.start_time']);
  });
});

describe('server issues on the form', () => {
  it('puts each issue at its field, condition issues at their node, and root issues on top', () => {
    const draft = blankDraft();
    const leaf = leaves(draft.conditions)[0] as { id: string };
    const { paths } = draftToRequest(draft);
    const issues = splitIssues(
      [
        { path: 'name', message: 'must not be blank' },
        { path: 'device_ids[1]', message: 'device 9 not found' },
        { path: 'schedule_config.start_time', message: 'must be HH:MM from 00:00 to 23:59' },
        { path: 'conditions.conditions[0].value', message: 'is required' },
        { path: '', message: 'send at least one field to change' },
      ],
      paths,
    );
    expect(issues.fields).toEqual({ name: 'must not be blank', device_ids: 'device 9 not found', 'schedule_config.start_time': 'must be HH:MM from 00:00 to 23:59' });
    expect(issues.nodes.get(leaf.id)).toEqual({ value: 'is required' });
    expect(issues.general).toEqual(['send at least one field to change']);
    expect(fieldIssue(issues, 'schedule_config')).toBe('must be HH:MM from 00:00 to 23:59');
    expect(fieldIssue(issues, 'recipients')).toBeUndefined();
  });
});
