/** The journal of one alarm: every transition, who and when, with comments. */
import { Callout, Drawer, HTMLTable, Spinner } from '@blueprintjs/core';
import { useEffect, useState } from 'react';
import type { StreamAlarm } from '../../../../engine/contract/stream.js';
import { alertsApi, type JournalEntry } from '../../api/alerts-api';
import { describeFailure } from '../../api/http';
import { formatDateTime, formatTime, parseIso } from '../../lib/format';
import { useAlarms } from '../../stores/alarm-store';
import { stateText } from './alarm-labels';

export function JournalDrawer({ alarm, onClose }: { alarm: StreamAlarm | null; onClose: () => void }) {
  const [entries, setEntries] = useState<JournalEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Re-read when this alarm changes (a new transition arrived on the stream).
  const version = useAlarms((s) => (alarm ? s.open.get(alarm.id)?.state ?? 'closed' : null));
  useEffect(() => {
    if (!alarm) return;
    let cancelled = false;
    setError(null);
    alertsApi
      .journal(alarm.id)
      .then((list) => !cancelled && setEntries(list))
      .catch((e: unknown) => !cancelled && setError(describeFailure(e)));
    return () => {
      cancelled = true;
    };
  }, [alarm, version]);
  return (
    <Drawer isOpen={alarm !== null} onClose={onClose} size="min(720px, 92vw)" title={`Alarm ${alarm?.id ?? ''} journal`}>
      <div style={{ padding: 12, overflow: 'auto' }} data-testid="journal">
        <p className="fo-muted">{alarm?.message}</p>
        {error && <Callout intent="danger">{error}</Callout>}
        {!entries && !error && <Spinner size={24} />}
        {entries && (
          <HTMLTable compact className="fo-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Action</th>
                <th>State</th>
                <th>By</th>
                <th>Comment</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} data-testid="journal-entry" data-action={e.action}>
                  <td className="fo-mono" style={{ whiteSpace: 'nowrap' }} title={formatDateTime(parseIso(e.at))}>
                    {formatTime(parseIso(e.at))}
                  </td>
                  <td>{e.action}</td>
                  <td>
                    {e.from_state ? `${stateText(e.from_state)} → ` : ''}
                    {stateText(e.to_state)}
                  </td>
                  <td>{e.actor}</td>
                  <td>{e.comment ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </HTMLTable>
        )}
      </div>
    </Drawer>
  );
}
