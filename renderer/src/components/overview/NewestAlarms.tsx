/** The newest open alarms (live), compact, with a link to the console. */
import { useMemo } from 'react';
import { useAlarms } from '../../stores/alarm-store';
import { useNow } from '../../stores/clock-store';
import { AlarmTable } from '../alarms/AlarmTable';

export function NewestAlarms({ limit = 12 }: { limit?: number }) {
  const open = useAlarms((s) => s.open);
  const now = useNow();
  const newest = useMemo(() => [...open.values()].sort((a, b) => b.triggered_at - a.triggered_at).slice(0, limit), [open, limit]);
  return (
    <section className="fo-section" data-testid="newest-alarms">
      <div className="fo-section-head">
        Newest alarms <span className="fo-dim">{open.size} open</span>
        <span className="fo-spacer" />
        <a href="#/alarms" style={{ textTransform: 'none', fontWeight: 400 }}>
          Alarm console →
        </a>
      </div>
      <AlarmTable alarms={newest} now={now} compact emptyText="No open alarms." />
    </section>
  );
}
