/** The factory's rules in one dense table; the switch turns a rule on or off (PATCH is_active). */
import { Button, HTMLTable, InputGroup, Switch } from '@blueprintjs/core';
import { useMemo, useState } from 'react';
import { describeFailure } from '../../api/http';
import { rulesApi } from '../../api/rules-api';
import type { Rule } from '../../api/types';
import { formatDateTime, parseIso } from '../../lib/format';
import { navigate } from '../../lib/router';
import { toastError } from '../../lib/toaster';
import { deviceLabel, useDevices } from '../../stores/devices-store';
import { putRule, useRules } from '../../stores/rules-store';
import { channelsOf, CHANNELS } from './rule-form';
import { describeTree, treeFromJson } from './rule-tree';
import './rule-builder.css';
import { labelTestId } from './label-test-id';

const SCHEDULE_LABEL: Record<Rule['schedule_type'], string> = { always: 'always', time_window: 'time window', date_range: 'date range' };

function conditionText(rule: Rule): string {
  const tree = treeFromJson(rule.conditions);
  return tree ? describeTree(tree) : JSON.stringify(rule.conditions);
}

function ActiveSwitch({ rule, canEdit }: { rule: Rule; canEdit: boolean }) {
  const [busy, setBusy] = useState(false);
  const toggle = async (on: boolean) => {
    setBusy(true);
    try {
      const saved = await rulesApi.update(rule.id, { is_active: on });
      putRule(saved.data);
    } catch (error) {
      toastError(`Rule "${rule.name}": ${describeFailure(error)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Switch
      checked={rule.is_active}
      disabled={!canEdit || busy}
      onChange={(e) => void toggle(e.currentTarget.checked)}
      style={{ margin: 0 }}
      aria-label={rule.is_active ? 'Active' : 'Inactive'}
      inputRef={labelTestId(`rule-active-${rule.id}`)}
    />
  );
}

export function RuleList({ canEdit }: { canEdit: boolean }) {
  const rules = useRules((s) => s.list);
  const loaded = useRules((s) => s.loaded);
  const error = useRules((s) => s.error);
  const devicesById = useDevices((s) => s.byId);
  const [filter, setFilter] = useState('');
  const [onlyActive, setOnlyActive] = useState(false);

  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    return rules
      .filter((r) => !onlyActive || r.is_active)
      .filter((r) => !q || r.name.toLowerCase().includes(q) || conditionText(r).toLowerCase().includes(q) || (r.description ?? '').toLowerCase().includes(q));
  }, [rules, filter, onlyActive]);

  const scopeText = (rule: Rule) => {
    if (rule.scope === 'global') return 'whole factory';
    const names = rule.device_ids.map((id) => devicesById.get(id)).map((d, i) => (d ? deviceLabel(d) : `#${rule.device_ids[i]}`));
    return names.length <= 2 ? names.join(', ') : `${names.slice(0, 2).join(', ')} +${names.length - 2}`;
  };

  return (
    <section className="fo-section">
      <div className="fo-section-head">
        Rules <span className="fo-dim">{shown.length}</span>
        <span className="fo-spacer" />
        <Switch checked={onlyActive} label="Active only" onChange={(e) => setOnlyActive(e.currentTarget.checked)} style={{ margin: 0, fontWeight: 400 }} />
        <InputGroup size="small" leftIcon="search" placeholder="Filter rules" value={filter} onValueChange={setFilter} style={{ width: 200 }} data-testid="rules-filter" />
      </div>
      <div className="fo-scroll">
        <HTMLTable compact className="fo-table" data-testid="rules-table">
          <thead>
            <tr>
              <th style={{ width: 50 }}>On</th>
              <th>Name</th>
              <th>Condition</th>
              <th>Severity</th>
              <th>Scope</th>
              <th>Schedule</th>
              <th>Timing</th>
              <th>Channels</th>
              <th>Changed</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              const channels = channelsOf(r.notification_channels);
              return (
                <tr key={r.id} className="fo-click" onClick={() => navigate({ page: 'rule', id: r.id })} data-testid={`rule-row-${r.id}`} data-name={r.name}>
                  {/* The switch is not a click on the row (which opens the rule). */}
                  <td onClick={(e) => e.stopPropagation()}>
                    <ActiveSwitch rule={r} canEdit={canEdit} />
                  </td>
                  <td>
                    <strong>{r.name}</strong>
                    {r.out_of_service && (
                      <span className="fo-dim" title={r.disabled_reason ?? ''}>
                        {' '}
                        (out of service)
                      </span>
                    )}
                  </td>
                  <td className="fo-mono" style={{ maxWidth: 420, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={conditionText(r)}>
                    {conditionText(r)}
                  </td>
                  <td>
                    <span className={`fo-sev fo-sev-${r.severity}`}>{r.severity}</span>
                  </td>
                  <td>{scopeText(r)}</td>
                  <td>{SCHEDULE_LABEL[r.schedule_type]}</td>
                  <td className="fo-dim">
                    {r.on_delay_seconds > 0 ? `delay ${r.on_delay_seconds} s · ` : ''}cooldown {r.cooldown_minutes} min{r.deadband > 0 ? ` · db ${r.deadband}` : ''}
                  </td>
                  <td className="fo-dim">{CHANNELS.filter((c) => channels[c]).join(', ') || '—'}</td>
                  <td className="fo-dim fo-num">{formatDateTime(parseIso(r.updated_at))}</td>
                </tr>
              );
            })}
            {loaded && shown.length === 0 && (
              <tr>
                <td colSpan={9} className="fo-muted">
                  {error ? `Rules could not be read: ${error}` : rules.length === 0 ? 'No rules yet.' : 'No rule matches.'}
                  {canEdit && rules.length === 0 && !error && <Button variant="minimal" intent="primary" text="Create the first rule" onClick={() => navigate({ page: 'rule', id: 'new' })} />}
                </td>
              </tr>
            )}
          </tbody>
        </HTMLTable>
      </div>
    </section>
  );
}
