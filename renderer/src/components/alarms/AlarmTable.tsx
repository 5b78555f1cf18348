/**
 * The alarm list with ISA-18.2 state styling: active-unacknowledged flashes in its severity
 * colour, active-acknowledged is steady, cleared-unacknowledged is dim and flashes slowly,
 * shelved is grey italic. Rows are selectable (checkbox) and one row holds the keyboard cursor.
 */
import { Button, Checkbox, HTMLTable } from '@blueprintjs/core';
import { useEffect } from 'react';
import type { StreamAlarm } from '../../../../engine/contract/stream.js';
import { formatTime } from '../../lib/format';
import { deviceLabel, useDevices } from '../../stores/devices-store';
import { ensureRulesKnown, useRules } from '../../stores/rules-store';
import { needsAck, stateText } from './alarm-labels';

export interface AlarmTableProps {
  alarms: readonly StreamAlarm[];
  now: number;
  /** Checkbox selection; omit for a read-only list. */
  selected?: ReadonlySet<number>;
  onToggle?: (id: number) => void;
  onToggleAll?: (on: boolean) => void;
  cursor?: number | null;
  onCursor?: (id: number) => void;
  onAcknowledge?: (alarm: StreamAlarm) => void;
  onShelve?: (alarm: StreamAlarm) => void;
  onUnshelve?: (alarm: StreamAlarm) => void;
  onJournal?: (alarm: StreamAlarm) => void;
  canOperate?: boolean;
  compact?: boolean;
  emptyText?: string;
}

export function AlarmTable(props: AlarmTableProps) {
  const { alarms, now, selected, cursor, canOperate = false, compact = false } = props;
  const devices = useDevices((s) => s.byId);
  const rules = useRules((s) => s.byId);
  useEffect(() => ensureRulesKnown(alarms.map((a) => a.rule_id)), [alarms]);
  // Exactly the header's columns: a wider span would add phantom columns to a fixed layout (wall).
  const columnCount = (selected ? 1 : 0) + 5 + (compact ? 0 : 3);
  const allSelected = selected !== undefined && alarms.length > 0 && alarms.every((a) => selected.has(a.id));
  return (
    <HTMLTable compact className={`fo-table fo-alarm-table${compact ? ' fo-compact' : ''}`} data-testid="alarm-table">
      <thead>
        <tr>
          {selected && (
            <th style={{ width: 28 }}>
              <Checkbox checked={allSelected} onChange={(e) => props.onToggleAll?.(e.currentTarget.checked)} style={{ margin: 0 }} aria-label="Select all" />
            </th>
          )}
          <th className="fo-col-severity">Severity</th>
          <th className="fo-col-state">State</th>
          <th className="fo-col-device">Device</th>
          {!compact && <th>Rule</th>}
          <th className="fo-col-message">Message</th>
          <th className="fo-num fo-col-raised">Raised</th>
          {!compact && <th>Note</th>}
          {!compact && <th />}
        </tr>
      </thead>
      <tbody>
        {alarms.map((a) => {
          const device = devices.get(a.device_id);
          const rule = rules.get(a.rule_id);
          return (
            <tr
              key={a.id}
              className={`fo-alarm-row fo-st-${a.state} fo-sev-${a.severity}${cursor === a.id ? ' fo-selected' : ''}`}
              onClick={() => props.onCursor?.(a.id)}
              data-testid={`alarm-row-${a.id}`}
              data-state={a.state}
            >
              {selected && (
                <td onClick={(e) => e.stopPropagation()}>
                  <Checkbox checked={selected.has(a.id)} onChange={() => props.onToggle?.(a.id)} style={{ margin: 0 }} aria-label={`Select alarm ${a.id}`} />
                </td>
              )}
              <td>
                <span className={`fo-sev fo-sev-${a.severity}`}>{a.severity}</span>
              </td>
              <td className="fo-state">{stateText(a.state)}</td>
              <td>
                <a href={`#/devices/${a.device_id}`} onClick={(e) => e.stopPropagation()}>
                  {device ? deviceLabel(device) : `device ${a.device_id}`}
                </a>
              </td>
              {!compact && <td>{rule?.name ?? `rule ${a.rule_id}`}</td>}
              <td style={{ maxWidth: 420, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={a.message ?? ''}>
                {a.message ?? '—'}
              </td>
              <td className="fo-num">{formatTime(a.triggered_at, now)}</td>
              {!compact && (
                <td className="fo-muted" style={{ whiteSpace: 'nowrap' }}>
                  {a.state === 'shelved' && a.shelved_until ? `until ${formatTime(a.shelved_until, now)} · ${a.shelve_reason ?? ''}` : ''}
                  {a.acknowledged_at && a.state !== 'shelved' ? `acked ${formatTime(a.acknowledged_at, now)}` : ''}
                </td>
              )}
              {!compact && (
                <td style={{ whiteSpace: 'nowrap', textAlign: 'right' }} onClick={(e) => e.stopPropagation()}>
                  {canOperate && needsAck(a.state) && (
                    <Button size="small" intent="primary" text="Ack" onClick={() => props.onAcknowledge?.(a)} data-testid={`ack-${a.id}`} />
                  )}{' '}
                  {canOperate && a.state !== 'shelved' && <Button size="small" variant="minimal" icon="time" title="Shelve" onClick={() => props.onShelve?.(a)} data-testid={`shelve-${a.id}`} />}
                  {canOperate && a.state === 'shelved' && <Button size="small" variant="minimal" text="Unshelve" onClick={() => props.onUnshelve?.(a)} data-testid={`unshelve-${a.id}`} />}
                  <Button size="small" variant="minimal" icon="history" title="Journal" onClick={() => props.onJournal?.(a)} data-testid={`journal-${a.id}`} />
                </td>
              )}
            </tr>
          );
        })}
        {alarms.length === 0 && (
          <tr>
            <td colSpan={columnCount} className="fo-muted">
              {props.emptyText ?? 'No alarms.'}
            </td>
          </tr>
        )}
      </tbody>
    </HTMLTable>
  );
}
