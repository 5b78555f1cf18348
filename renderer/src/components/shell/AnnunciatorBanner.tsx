/**
 * The annunciator: always on screen. Open alarms by severity (flashing while any is
 * unacknowledged), the flood state (ISA-18.2: more than 10 alarms in 10 minutes), and the
 * newest unacknowledged alarm. A click opens the alarm console.
 */
import { useMemo } from 'react';
import { floodState } from '../../../../engine/rules/alarm-health.js';
import { formatTime } from '../../lib/format';
import { navigate } from '../../lib/router';
import { SEVERITY_ORDER, countAlarms, useAlarms } from '../../stores/alarm-store';
import { useNow } from '../../stores/clock-store';
import { deviceLabel, useDevices } from '../../stores/devices-store';
import { alarmOrder, needsAck } from '../alarms/alarm-labels';

export function AnnunciatorBanner() {
  const open = useAlarms((s) => s.open);
  const raisedAt = useAlarms((s) => s.raisedAt);
  const synced = useAlarms((s) => s.synced);
  const byId = useDevices((s) => s.byId);
  const now = useNow();
  const counts = useMemo(() => countAlarms(open), [open]);
  const unackedBySeverity = useMemo(() => {
    const set = new Set<string>();
    for (const a of open.values()) if (needsAck(a.state)) set.add(a.severity);
    return set;
  }, [open]);
  const newest = useMemo(() => [...open.values()].filter((a) => needsAck(a.state)).sort((a, b) => b.triggered_at - a.triggered_at || alarmOrder(a, b))[0], [open]);
  const flood = floodState(raisedAt, now);
  const device = newest ? byId.get(newest.device_id) : undefined;
  return (
    <div className="fo-annunciator" onClick={() => navigate({ page: 'alarms' })} data-testid="annunciator" title="Open the alarm console">
      {SEVERITY_ORDER.map((severity) => {
        const n = counts.bySeverity[severity];
        return (
          <div
            key={severity}
            className={`fo-ann-count fo-sev-${severity}${n === 0 ? ' fo-zero' : ''}${unackedBySeverity.has(severity) ? ' fo-unacked' : ''}`}
            data-testid={`ann-${severity}`}
          >
            <span>{severity.toUpperCase()}</span>
            <span className="fo-ann-n">{n}</span>
          </div>
        );
      })}
      <div className={`fo-ann-flood${flood.flooding ? ' fo-flooding' : ''}`} title={`${flood.count} raised in the last 10 min (flood above ${flood.limit.maxAlarms})`}>
        {flood.flooding ? `FLOOD ${flood.count}/10 min` : `${flood.count}/10 min`}
      </div>
      <div className="fo-ann-newest" data-testid="ann-newest">
        {!synced ? (
          <span className="fo-muted">Alarm list syncing…</span>
        ) : newest ? (
          <>
            <span className={`fo-sev fo-sev-${newest.severity}`}>{newest.severity}</span>{' '}
            <strong>{device ? deviceLabel(device) : `device ${newest.device_id}`}</strong> · {newest.message ?? 'alarm'} ·{' '}
            <span className="fo-muted">{formatTime(newest.triggered_at, now)}</span>
          </>
        ) : (
          <span className="fo-muted">No unacknowledged alarms{counts.shelved > 0 ? ` · ${counts.shelved} shelved` : ''}</span>
        )}
      </div>
    </div>
  );
}
