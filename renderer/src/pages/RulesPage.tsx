/**
 * Rules: the list with active toggles (`#/rules`) and the rule editor (`#/rules/new`,
 * `#/rules/12`) with the nested AND/OR condition builder.
 *
 * Test ids (stable; e2e tests drive the page with them):
 *   list      rules-new (button), rules-table, rules-filter, rule-row-{id} (row, data-name=rule name),
 *             rule-active-{id} (switch: PATCH is_active)
 *   editor    rule-editor (page root), rule-name, rule-description, rule-severity (select low|medium|high|critical),
 *             rule-active (switch), rule-scope-device / rule-scope-global (radios), rule-device-filter,
 *             rule-devices (list), rule-device-{device_key} (checkbox), rule-devices-all, rule-devices-none,
 *             rule-on-delay, rule-cooldown, rule-deadband, rule-escalation,
 *             rule-schedule-type (select always|time_window|date_range), rule-start-time, rule-end-time,
 *             rule-day-{1..7} (ISO weekday checkboxes, 1 = Monday), rule-start-date, rule-end-date,
 *             rule-channel-{email|whatsapp|sms|webhook} (checkboxes), rule-recipients-everyone /
 *             rule-recipients-listed (radios), rule-recipient-user-{id}, rule-recipient-emails, rule-recipient-phones,
 *             rule-save, rule-cancel, rule-back, rule-delete, rule-show-json, rule-json, rule-summary (one-line text)
 *   builder   rule-conditions (root), rule-group (each group, data-path=server path), rule-group-operator (select AND|OR),
 *             rule-add-condition, rule-add-group (per group; the root group's come first in DOM order),
 *             rule-condition (each comparison, data-path e.g. "conditions.conditions[0]"), and inside it:
 *             rule-parameter (select of discovered parameter keys; "__other__" shows rule-parameter-custom),
 *             rule-operator (select gt|gte|lt|lte|eq|neq|between|outside|rate_of_change|no_data),
 *             rule-value (the value; the low bound for between/outside), rule-value-high, rule-value-kind
 *             (eq/neq: number|text|boolean), rule-compare + rule-window + rule-absolute (rate_of_change),
 *             rule-seconds (no_data), rule-leaf-deadband, rule-remove-node
 *             A new rule starts with one empty comparison in an AND group, so the simplest rule is:
 *             fill rule-name, tick rule-device-{key}, select rule-parameter, rule-operator, fill rule-value,
 *             select rule-severity, click rule-save (the page returns to the list on success).
 *   errors    rule-error-{field} (e.g. rule-error-name, rule-error-device_ids, rule-error-schedule_config.start_time),
 *             rule-condition-error (inside the rule-condition or rule-group it concerns), rule-condition-errors
 *             (count callout), rule-errors (messages without a field), rule-warnings (saved with parameter warnings)
 */
import { Button } from '@blueprintjs/core';
import { useEffect } from 'react';
import { RuleEditor } from '../components/rules/RuleEditor';
import { RuleList } from '../components/rules/RuleList';
import { canEditRules } from '../components/rules/rule-permissions';
import { navigate, type Route } from '../lib/router';
import { loadRules } from '../stores/rules-store';
import { useSession } from '../stores/session-store';

export function RulesPage({ route }: { route: Route }) {
  const user = useSession((s) => s.user);
  const canEdit = canEditRules(user);
  useEffect(() => void loadRules(true), []);

  if (route.page === 'rule') return <RuleEditor key={String(route.id)} ruleId={route.id} />;
  return (
    <div>
      <div className="fo-page-title">
        <h2>Rules</h2>
        <span className="fo-spacer" />
        <Button icon="refresh" variant="minimal" title="Read the rules again" onClick={() => void loadRules(true)} data-testid="rules-refresh" />
        {canEdit && <Button intent="primary" icon="add" text="New rule" onClick={() => navigate({ page: 'rule', id: 'new' })} data-testid="rules-new" />}
      </div>
      <RuleList canEdit={canEdit} />
    </div>
  );
}
