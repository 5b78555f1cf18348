/**
 * Create or edit one rule: the whole form beside the condition builder. The server validates
 * (engine/rules); its 400 lists every problem with a path, and each message is shown at the
 * field or condition it names. Parameter warnings after a save (a parameter the scoped devices
 * do not report yet) are shown, not hidden.
 */
import { Alert, Button, Callout, Collapse, FormGroup, HTMLSelect, InputGroup, NonIdealState, Radio, RadioGroup, Spinner, Switch, TextArea } from '@blueprintjs/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { RULE_SEVERITIES, type RuleSeverity } from '../../../../engine/contract/rules.js';
import { ApiFailure, describeFailure } from '../../api/http';
import { rulesApi } from '../../api/rules-api';
import type { Rule, RuleWarning, User } from '../../api/types';
import { usersApi } from '../../api/users-api';
import { navigate } from '../../lib/router';
import { toastError, toastOk } from '../../lib/toaster';
import { useDevices } from '../../stores/devices-store';
import { loadRules, putRule } from '../../stores/rules-store';
import { useSession } from '../../stores/session-store';
import { ConditionBuilder } from './ConditionBuilder';
import { blankDraft, checkRequest, draftFromRule, draftToRequest, NO_ISSUES, splitIssues, type FormIssues, type RuleDraft } from './rule-form';
import { DevicePicker, Field, NotificationFields, ScheduleFields } from './RuleFields';
import { describeTree } from './rule-tree';
import { useRuleParameters } from './use-rule-parameters';
import { canEditRules } from './rule-permissions';
import { labelTestId } from './label-test-id';

export function RuleEditor({ ruleId }: { ruleId: number | 'new' }) {
  const user = useSession((s) => s.user);
  const canEdit = canEditRules(user);
  const devices = useDevices((s) => s.list);
  const [draft, setDraft] = useState<RuleDraft | null>(ruleId === 'new' ? blankDraft() : null);
  const [stored, setStored] = useState<Rule | null>(null);
  const [unreadable, setUnreadable] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [issues, setIssues] = useState<FormIssues>(NO_ISSUES);
  const [warnings, setWarnings] = useState<RuleWarning[]>([]);
  const [saving, setSaving] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [showJson, setShowJson] = useState(false);
  const [users, setUsers] = useState<User[] | null>(null);

  useEffect(() => {
    if (ruleId === 'new') return;
    let alive = true;
    rulesApi
      .get(ruleId)
      .then((rule) => {
        if (!alive) return;
        const read = draftFromRule(rule);
        setStored(rule);
        setDraft(read.draft);
        setUnreadable(read.unreadable);
      })
      .catch((error: unknown) => alive && setLoadError(describeFailure(error)));
    return () => {
      alive = false;
    };
  }, [ruleId]);

  // Users to pick as recipients: only super admins may list them; others type addresses.
  useEffect(() => {
    if (user?.role !== 'super_admin') return;
    usersApi
      .list()
      .then(setUsers)
      .catch(() => setUsers(null));
  }, [user?.role]);

  const set = useCallback((patch: Partial<RuleDraft>) => setDraft((d) => (d ? { ...d, ...patch } : d)), []);
  const setConditions = useCallback((conditions: RuleDraft['conditions']) => setDraft((d) => (d ? { ...d, conditions } : d)), []);
  const { options: parameters, loading: parametersLoading } = useRuleParameters(draft?.scope ?? 'device', draft?.deviceIds ?? EMPTY);
  const summary = useMemo(() => (draft ? describeTree(draft.conditions) : ''), [draft]);

  if (loadError) return <NonIdealState icon="error" title="Cannot open this rule" description={loadError} action={<Button text="Back to rules" onClick={() => navigate({ page: 'rules' })} />} />;
  if (!draft) return <Spinner size={30} />;

  const save = async () => {
    const { body, paths } = draftToRequest(draft);
    const local = checkRequest(body);
    if (local.length > 0) {
      setIssues(splitIssues(local, paths));
      return;
    }
    setSaving(true);
    setIssues(NO_ISSUES);
    try {
      const saved = ruleId === 'new' ? await rulesApi.create(body) : await rulesApi.update(ruleId, body);
      putRule(saved.data);
      setWarnings(saved.warnings);
      toastOk(`Rule "${saved.data.name}" saved.`);
      if (saved.warnings.length === 0) navigate({ page: 'rules' });
      else if (ruleId === 'new') navigate({ page: 'rule', id: saved.data.id });
    } catch (error) {
      if (error instanceof ApiFailure && error.fieldIssues.length > 0) {
        setIssues(splitIssues(error.fieldIssues, paths));
      } else {
        setIssues({ ...NO_ISSUES, general: [describeFailure(error)] });
      }
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    if (ruleId === 'new') return;
    try {
      const result = await rulesApi.remove(ruleId);
      toastOk(result?.note ?? 'Rule deleted.');
      await loadRules(true);
      navigate({ page: 'rules' });
    } catch (error) {
      toastError(describeFailure(error));
    }
  };

  const ro = !canEdit;
  const conditionProblems = issues.nodes.size;
  return (
    <div data-testid="rule-editor">
      <div className="fo-page-title">
        <Button variant="minimal" icon="arrow-left" onClick={() => navigate({ page: 'rules' })} data-testid="rule-back" />
        <h2>{ruleId === 'new' ? 'New rule' : `Rule: ${stored?.name ?? ''}`}</h2>
        {stored?.out_of_service && <span className="fo-badge fo-sev-medium">out of service: {stored.disabled_reason}</span>}
        <span className="fo-spacer" />
        {ruleId !== 'new' && canEdit && <Button intent="danger" variant="minimal" icon="trash" text="Delete" onClick={() => setConfirmDelete(true)} data-testid="rule-delete" />}
        <Button text="Cancel" onClick={() => navigate({ page: 'rules' })} data-testid="rule-cancel" />
        {canEdit && <Button intent="primary" icon="floppy-disk" text="Save rule" loading={saving} onClick={() => void save()} data-testid="rule-save" />}
      </div>
      {!canEdit && (
        <Callout intent="none" icon="lock" style={{ marginBottom: 8 }}>
          Read only: changing rules needs the admin role and the "create rules" permission.
        </Callout>
      )}
      {unreadable && (
        <Callout intent="warning" style={{ marginBottom: 8 }} data-testid="rule-unreadable">
          The stored conditions of this rule have a form the builder cannot show. Saving replaces them with what is built here.
          <pre className="fo-json">{JSON.stringify(stored?.conditions, null, 2)}</pre>
        </Callout>
      )}
      {issues.general.length > 0 && (
        <Callout intent="danger" style={{ marginBottom: 8 }} data-testid="rule-errors">
          {issues.general.map((m, i) => (
            <div key={i}>{m}</div>
          ))}
        </Callout>
      )}
      {conditionProblems > 0 && (
        <Callout intent="danger" style={{ marginBottom: 8 }} data-testid="rule-condition-errors">
          {conditionProblems === 1 ? 'One condition needs attention' : `${conditionProblems} conditions need attention`} (marked below).
        </Callout>
      )}
      {warnings.length > 0 && (
        <Callout intent="warning" title="Saved, with warnings" style={{ marginBottom: 8 }} data-testid="rule-warnings">
          {warnings.map((w, i) => (
            <div key={i}>
              {w.message}
              {w.devices.length > 0 && <span className="fo-dim"> — {w.devices.join(', ')}</span>}
              {w.suggestion && <span> (did you mean {w.suggestion}?)</span>}
            </div>
          ))}
        </Callout>
      )}
      <div className="fo-rule-form">
        <div>
          <section className="fo-section">
            <div className="fo-section-head">Rule</div>
            <div className="fo-section-body">
              <Field label="Name" issues={issues} issueKey="name">
                <InputGroup value={draft.name} readOnly={ro} onValueChange={(v) => set({ name: v })} placeholder="e.g. Feeder overvoltage" data-testid="rule-name" />
              </Field>
              <Field label="Description" issues={issues} issueKey="description">
                <TextArea fill rows={2} value={draft.description} readOnly={ro} onChange={(e) => set({ description: e.currentTarget.value })} data-testid="rule-description" />
              </Field>
              <div className="fo-inline-fields">
                <Field label="Severity" issues={issues} issueKey="severity">
                  <HTMLSelect value={draft.severity} disabled={ro} onChange={(e) => set({ severity: e.currentTarget.value as RuleSeverity })} data-testid="rule-severity" fill>
                    {RULE_SEVERITIES.map((s) => (
                      <option key={s} value={s}>
                        {s}
                      </option>
                    ))}
                  </HTMLSelect>
                </Field>
                <FormGroup label="State">
                  <Switch checked={draft.isActive} disabled={ro} label={draft.isActive ? 'Active' : 'Inactive'} onChange={(e) => set({ isActive: e.currentTarget.checked })} inputRef={labelTestId('rule-active')} />
                </FormGroup>
              </div>
            </div>
          </section>
          <section className="fo-section">
            <div className="fo-section-head">Scope</div>
            <div className="fo-section-body">
              <RadioGroup inline selectedValue={draft.scope} disabled={ro} onChange={(e) => set({ scope: e.currentTarget.value === 'global' ? 'global' : 'device' })}>
                <Radio value="device" label="Chosen devices" inputRef={labelTestId('rule-scope-device')} />
                <Radio value="global" label="Whole factory" inputRef={labelTestId('rule-scope-global')} />
              </RadioGroup>
              {draft.scope === 'device' ? (
                <Field label="" issues={issues} issueKey="device_ids">
                  <DevicePicker devices={devices} selected={draft.deviceIds} onChange={(ids) => set({ deviceIds: ids })} disabled={ro} />
                </Field>
              ) : (
                <div className="fo-muted">Applies to every device of the factory, including devices added later.</div>
              )}
            </div>
          </section>
          <section className="fo-section">
            <div className="fo-section-head">Timing</div>
            <div className="fo-section-body fo-inline-fields">
              <Field label="On-delay, s" issues={issues} issueKey="on_delay_seconds" help="True this long before raising.">
                <InputGroup size="small" value={draft.onDelaySeconds} readOnly={ro} onValueChange={(v) => set({ onDelaySeconds: v })} data-testid="rule-on-delay" />
              </Field>
              <Field label="Cooldown, min" issues={issues} issueKey="cooldown_minutes" help="Quiet time after an alarm clears.">
                <InputGroup size="small" value={draft.cooldownMinutes} readOnly={ro} onValueChange={(v) => set({ cooldownMinutes: v })} data-testid="rule-cooldown" />
              </Field>
              <Field label="Deadband" issues={issues} issueKey="deadband" help="Clears only this far back inside the limit.">
                <InputGroup size="small" value={draft.deadband} readOnly={ro} onValueChange={(v) => set({ deadband: v })} data-testid="rule-deadband" />
              </Field>
              <Field label="Escalate after, min" issues={issues} issueKey="escalation_minutes" help="Empty = never.">
                <InputGroup size="small" value={draft.escalationMinutes} readOnly={ro} onValueChange={(v) => set({ escalationMinutes: v })} data-testid="rule-escalation" />
              </Field>
            </div>
            <div className="fo-section-body" style={{ paddingTop: 0 }}>
              <ScheduleFields draft={draft} set={set} issues={issues} disabled={ro} />
            </div>
          </section>
          <section className="fo-section">
            <div className="fo-section-head">Notifications</div>
            <div className="fo-section-body">
              <NotificationFields draft={draft} set={set} issues={issues} disabled={ro} users={users} />
            </div>
          </section>
        </div>
        <section className="fo-section">
          <div className="fo-section-head">
            Conditions
            {parametersLoading && <Spinner size={12} />}
            <span className="fo-dim" style={{ fontWeight: 400 }}>
              {parameters.length} parameter(s) on the scoped devices{parameters.some((p) => p.partial) ? ' (* = not on every device)' : ''}
            </span>
            <span className="fo-spacer" />
            <Button size="small" variant="minimal" text={showJson ? 'Hide JSON' : 'JSON'} onClick={() => setShowJson((v) => !v)} data-testid="rule-show-json" />
          </div>
          <div className="fo-section-body">
            <div className="fo-mono fo-muted" style={{ marginBottom: 4 }} data-testid="rule-summary">
              {summary}
            </div>
            <ConditionBuilder value={draft.conditions} onChange={setConditions} parameters={parameters} issues={issues.nodes} readOnly={ro} />
            <Collapse isOpen={showJson}>
              <pre className="fo-json" data-testid="rule-json">
                {JSON.stringify(draftToRequest(draft).body.conditions, null, 2)}
              </pre>
            </Collapse>
          </div>
        </section>
      </div>
      <Alert
        isOpen={confirmDelete}
        intent="danger"
        icon="trash"
        confirmButtonText="Delete"
        cancelButtonText="Keep"
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => {
          setConfirmDelete(false);
          void remove();
        }}
      >
        Delete rule "{draft.name}"? A rule with alarm history is kept, switched off, for the record.
      </Alert>
    </div>
  );
}

const EMPTY: readonly number[] = [];
