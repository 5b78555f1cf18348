/** Every alarm, newest first, paged from GET /alerts (closed ones included). */
import { Button, Callout, HTMLSelect } from '@blueprintjs/core';
import { useEffect, useState } from 'react';
import type { StreamAlarm } from '../../../../engine/contract/stream.js';
import { alertsApi } from '../../api/alerts-api';
import { describeFailure } from '../../api/http';
import { useNow } from '../../stores/clock-store';
import { AlarmTable } from './AlarmTable';
import { alertToStream } from './alarm-actions';

export function AlarmHistory({ onJournal }: { onJournal: (a: StreamAlarm) => void }) {
  const now = useNow();
  const [page, setPage] = useState(1);
  const [pages, setPages] = useState(1);
  const [severity, setSeverity] = useState('');
  const [rows, setRows] = useState<StreamAlarm[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    alertsApi
      .list({ page, per_page: 50, ...(severity ? { severity } : {}) })
      .then((r) => {
        if (cancelled) return;
        setRows(r.data.map(alertToStream));
        setPages(Math.max(1, r.pagination.pages));
        setError(null);
      })
      .catch((e: unknown) => !cancelled && setError(describeFailure(e)));
    return () => {
      cancelled = true;
    };
  }, [page, severity]);
  return (
    <div>
      <div className="fo-toolbar" style={{ marginBottom: 8 }}>
        <HTMLSelect value={severity} onChange={(e) => (setSeverity(e.currentTarget.value), setPage(1))} aria-label="Severity">
          <option value="">All severities</option>
          <option value="critical">Critical</option>
          <option value="high">High</option>
          <option value="medium">Medium</option>
          <option value="low">Low</option>
        </HTMLSelect>
        <Button icon="chevron-left" disabled={page <= 1} onClick={() => setPage(page - 1)} />
        <span className="fo-muted">
          page {page} of {pages}
        </span>
        <Button icon="chevron-right" disabled={page >= pages} onClick={() => setPage(page + 1)} />
      </div>
      {error && <Callout intent="danger">{error}</Callout>}
      <section className="fo-section">
        <AlarmTable alarms={rows} now={now} onJournal={onJournal} emptyText="No alarms recorded." />
      </section>
    </div>
  );
}
