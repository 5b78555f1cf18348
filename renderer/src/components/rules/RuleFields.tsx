/** Small form pieces of the rule editor: a labelled field with the server's message, devices, schedule, notifications. */
import { Checkbox, FormGroup, HTMLSelect, InputGroup, Radio, RadioGroup, TextArea } from '@blueprintjs/core';
import { useMemo, useState, type ReactNode } from 'react';
import type { Device, User } from '../../api/types';
import { deviceLabel } from '../../stores/devices-store';
import { ALL_DAYS, CHANNELS, fieldIssue, type Channel, type FormIssues, type RuleDraft, type ScheduleKind } from './rule-form';
import { labelTestId } from './label-test-id';

/** A labelled field; the server's message for `issueKey` (or any field under it) shows beneath, in red. */
export function Field({ label, issues, issueKey, help, children }: { label: string; issues: FormIssues; issueKey: string; help?: ReactNode; children: ReactNode }) {
  const problem = fieldIssue(issues, issueKey);
  return (
    <FormGroup
      label={label}
      intent={problem ? 'danger' : 'none'}
      helperText={
        problem ? (
          <span className="fo-field-error" data-testid={`rule-error-${issueKey}`}>
            {problem}
          </span>
        ) : (
          help
        )
      }
    >
      {children}
    </FormGroup>
  );
}

export function DevicePicker({ devices, selected, onChange, disabled }: { devices: readonly Device[]; selected: readonly number[]; onChange(ids: number[]): void; disabled: boolean }) {
  const [filter, setFilter] = useState('');
  const chosen = useMemo(() => new Set(selected), [selected]);
  const q = filter.trim().toLowerCase();
  const shown = devices.filter((d) => !q || d.device_key.toLowerCase().includes(q) || (d.name ?? '').toLowerCase().includes(q) || (d.region ?? '').toLowerCase().includes(q));
  const toggle = (id: number, on: boolean) => onChange(on ? [...selected, id] : selected.filter((x) => x !== id));
  return (
    <div>
      <div className="fo-toolbar" style={{ marginBottom: 4 }}>
        <InputGroup size="small" leftIcon="search" placeholder="Filter devices" value={filter} onValueChange={setFilter} data-testid="rule-device-filter" style={{ width: 180 }} />
        <span className="fo-dim">{selected.length} chosen</span>
        {!disabled && shown.length > 0 && (
          <a onClick={() => onChange([...new Set([...selected, ...shown.map((d) => d.id)])])} data-testid="rule-devices-all">
            all shown
          </a>
        )}
        {!disabled && selected.length > 0 && (
          <a onClick={() => onChange([])} data-testid="rule-devices-none">
            none
          </a>
        )}
      </div>
      <div className="fo-device-pick" data-testid="rule-devices">
        {shown.map((d) => (
          <Checkbox
            key={d.id}
            checked={chosen.has(d.id)}
            disabled={disabled}
            onChange={(e) => toggle(d.id, e.currentTarget.checked)}
            inputRef={labelTestId(`rule-device-${d.device_key}`)}
            labelElement={
              <span>
                {deviceLabel(d)} {d.name && <span className="fo-dim fo-mono">{d.device_key}</span>}
                {!d.is_active && <span className="fo-dim"> (inactive)</span>}
              </span>
            }
          />
        ))}
        {shown.length === 0 && <div className="fo-muted">{devices.length === 0 ? 'No devices yet.' : 'No device matches.'}</div>}
      </div>
    </div>
  );
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export function ScheduleFields({ draft, set, issues, disabled }: { draft: RuleDraft; set(patch: Partial<RuleDraft>): void; issues: FormIssues; disabled: boolean }) {
  const s = draft.schedule;
  const setSchedule = (patch: Partial<RuleDraft['schedule']>) => set({ schedule: { ...s, ...patch } });
  const days = new Set(s.days);
  return (
    <>
      <Field label="Schedule" issues={issues} issueKey="schedule_type" help="Times and dates are the factory's local time.">
        <HTMLSelect value={s.type} disabled={disabled} onChange={(e) => setSchedule({ type: e.currentTarget.value as ScheduleKind })} data-testid="rule-schedule-type" fill>
          <option value="always">Always</option>
          <option value="time_window">Time window (days and hours)</option>
          <option value="date_range">Date range</option>
        </HTMLSelect>
      </Field>
      {s.type === 'time_window' && (
        <>
          <div className="fo-inline-fields">
            <Field label="From" issues={issues} issueKey="schedule_config.start_time">
              <InputGroup size="small" value={s.startTime} placeholder="HH:MM" disabled={disabled} onValueChange={(v) => setSchedule({ startTime: v })} data-testid="rule-start-time" />
            </Field>
            <Field label="Until" issues={issues} issueKey="schedule_config.end_time" help="Before From = over midnight.">
              <InputGroup size="small" value={s.endTime} placeholder="HH:MM or 24:00" disabled={disabled} onValueChange={(v) => setSchedule({ endTime: v })} data-testid="rule-end-time" />
            </Field>
          </div>
          <Field label="On days" issues={issues} issueKey="schedule_config.days" help="Days the window starts on.">
            <div className="fo-days">
              {ALL_DAYS.map((d) => (
                <Checkbox
                  key={d}
                  inline
                  label={DAY_NAMES[d - 1]}
                  checked={days.has(d)}
                  disabled={disabled}
                  onChange={(e) => setSchedule({ days: e.currentTarget.checked ? [...s.days, d] : s.days.filter((x) => x !== d) })}
                  inputRef={labelTestId(`rule-day-${d}`)}
                />
              ))}
            </div>
          </Field>
        </>
      )}
      {s.type === 'date_range' && (
        <div className="fo-inline-fields">
          <Field label="From date" issues={issues} issueKey="schedule_config.start_date">
            <InputGroup size="small" type="date" value={s.startDate} disabled={disabled} onValueChange={(v) => setSchedule({ startDate: v })} data-testid="rule-start-date" />
          </Field>
          <Field label="To date (inclusive)" issues={issues} issueKey="schedule_config.end_date">
            <InputGroup size="small" type="date" value={s.endDate} disabled={disabled} onValueChange={(v) => setSchedule({ endDate: v })} data-testid="rule-end-date" />
          </Field>
        </div>
      )}
      {fieldIssue(issues, 'schedule_config') && !['start_time', 'end_time', 'days', 'start_date', 'end_date'].some((k) => issues.fields[`schedule_config.${k}`]) && (
        <div className="fo-field-error" data-testid="rule-error-schedule_config">
          {fieldIssue(issues, 'schedule_config')}
        </div>
      )}
    </>
  );
}

const CHANNEL_LABEL: Record<Channel, string> = { email: 'E-mail', whatsapp: 'WhatsApp', sms: 'SMS', webhook: 'Webhook' };

export function NotificationFields({ draft, set, issues, disabled, users }: { draft: RuleDraft; set(patch: Partial<RuleDraft>): void; issues: FormIssues; disabled: boolean; users: readonly User[] | null }) {
  const chosenUsers = new Set(draft.recipientUserIds);
  return (
    <>
      <Field label="Channels" issues={issues} issueKey="notification_channels">
        <div>
          {CHANNELS.map((c) => (
            <Checkbox
              key={c}
              inline
              label={CHANNEL_LABEL[c]}
              checked={draft.channels[c]}
              disabled={disabled}
              onChange={(e) => set({ channels: { ...draft.channels, [c]: e.currentTarget.checked } })}
              inputRef={labelTestId(`rule-channel-${c}`)}
            />
          ))}
        </div>
      </Field>
      <Field label="Recipients" issues={issues} issueKey="recipients">
        <RadioGroup
          inline
          selectedValue={draft.recipientMode}
          disabled={disabled}
          onChange={(e) => set({ recipientMode: e.currentTarget.value === 'listed' ? 'listed' : 'everyone' })}
        >
          <Radio value="everyone" label="Every active user" inputRef={labelTestId('rule-recipients-everyone')} />
          <Radio value="listed" label="Only these" inputRef={labelTestId('rule-recipients-listed')} />
        </RadioGroup>
        {draft.recipientMode === 'listed' && (
          <>
            {users ? (
              <div className="fo-device-pick" style={{ maxHeight: 120, marginBottom: 6 }}>
                {users
                  .filter((u) => u.is_active)
                  .map((u) => (
                    <Checkbox
                      key={u.id}
                      label={`${u.email} (${u.role})`}
                      checked={chosenUsers.has(u.id)}
                      disabled={disabled}
                      onChange={(e) => set({ recipientUserIds: e.currentTarget.checked ? [...draft.recipientUserIds, u.id] : draft.recipientUserIds.filter((x) => x !== u.id) })}
                      inputRef={labelTestId(`rule-recipient-user-${u.id}`)}
                    />
                  ))}
              </div>
            ) : (
              draft.recipientUserIds.length > 0 && <div className="fo-dim">Users {draft.recipientUserIds.join(', ')} (only super admins can list users)</div>
            )}
            <TextArea
              fill
              rows={2}
              value={draft.recipientEmails}
              disabled={disabled}
              placeholder="E-mail addresses, one per line"
              onChange={(e) => set({ recipientEmails: e.currentTarget.value })}
              data-testid="rule-recipient-emails"
            />
            <TextArea
              fill
              rows={2}
              value={draft.recipientPhones}
              disabled={disabled}
              placeholder="Phone numbers (SMS/WhatsApp), one per line"
              onChange={(e) => set({ recipientPhones: e.currentTarget.value })}
              data-testid="rule-recipient-phones"
              style={{ marginTop: 4 }}
            />
          </>
        )}
      </Field>
    </>
  );
}
