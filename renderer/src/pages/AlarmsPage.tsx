/**
 * The alarm console: open alarms live from the alarm store (stream deltas), acknowledge one,
 * the selected or all visible, shelve with duration and reason, the journal of an alarm,
 * closed-alarm history, and alarm-system health. Keyboard: ↑/↓ move the cursor, A
 * acknowledges the alarm under the cursor, J opens its journal, X toggles its selection.
 */
import { Button, HTMLSelect, InputGroup, Tab, Tabs } from '@blueprintjs/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { roleAtLeast } from '../../../engine/contract/roles.js';
import type { StreamAlarm } from '../../../engine/contract/stream.js';
import { alertsApi } from '../api/alerts-api';
import { describeFailure } from '../api/http';
import { AlarmHealthPanel } from '../components/alarms/AlarmHealthPanel';
import { AlarmHistory } from '../components/alarms/AlarmHistory';
import { AlarmTable } from '../components/alarms/AlarmTable';
import { acknowledgeMany, acknowledgeOne, alertToStream, shelveOne, unshelveOne } from '../components/alarms/alarm-actions';
import { alarmOrder, needsAck } from '../components/alarms/alarm-labels';
import { JournalDrawer } from '../components/alarms/JournalDrawer';
import { ShelveDialog } from '../components/alarms/ShelveDialog';
import { toastError, toastOk } from '../lib/toaster';
import { clearAlarmFocus, useAlarmFocus } from '../stores/alarm-focus-store';
import { alarmStore, useAlarms } from '../stores/alarm-store';
import { useNow } from '../stores/clock-store';
import { deviceLabel, devicesStore } from '../stores/devices-store';
import { loadRules } from '../stores/rules-store';
import { useSession } from '../stores/session-store';

type StateFilter = 'all' | 'unacked' | 'active' | 'shelved';

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function AlarmsPage() {
  const open = useAlarms((s) => s.open);
  const now = useNow();
  const role = useSession((s) => s.user?.role ?? 'viewer');
  const canOperate = roleAtLeast(role, 'operator');
  const [tab, setTab] = useState<string>('open');
  const [severity, setSeverity] = useState('all');
  const [stateFilter, setStateFilter] = useState<StateFilter>('all');
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [cursor, setCursor] = useState<number | null>(null);
  const [shelving, setShelving] = useState<StreamAlarm | null>(null);
  const [journal, setJournal] = useState<StreamAlarm | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => void loadRules(), []);

  // "Show this alarm" (a clicked desktop notification): select it with every filter cleared so
  // it is visible; one that has closed meanwhile shows its journal instead.
  const focus = useAlarmFocus((s) => s.request);
  useEffect(() => {
    if (!focus) return;
    clearAlarmFocus();
    setTab('open');
    const alarm = alarmStore.getState().open.get(focus.alarmId);
    if (alarm) {
      setSeverity('all');
      setStateFilter('all');
      setSearch('');
      setCursor(alarm.id);
      return;
    }
    alertsApi
      .get(focus.alarmId)
      .then((a) => setJournal(alertToStream(a)))
      .catch((e: unknown) => toastError(`Alarm ${focus.alarmId} cannot be shown: ${describeFailure(e)}`));
  }, [focus]);

  // The row under the cursor stays in view (keyboard moves, a focused alarm far down the list).
  useEffect(() => {
    if (cursor !== null) document.querySelector(`[data-testid="alarm-row-${cursor}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [cursor]);

  const visible = useMemo(() => {
    const q = search.trim().toLowerCase();
    const byId = devicesStore.getState().byId;
    return [...open.values()]
      .filter((a) => severity === 'all' || a.severity === severity)
      .filter((a) => {
        if (stateFilter === 'unacked') return needsAck(a.state);
        if (stateFilter === 'active') return a.state === 'active_unacknowledged' || a.state === 'active_acknowledged';
        if (stateFilter === 'shelved') return a.state === 'shelved';
        return true;
      })
      .filter((a) => {
        if (!q) return true;
        const d = byId.get(a.device_id);
        return (a.message ?? '').toLowerCase().includes(q) || (d ? deviceLabel(d).toLowerCase().includes(q) || d.device_key.toLowerCase().includes(q) : false);
      })
      .sort(alarmOrder);
  }, [open, severity, stateFilter, search]);

  // Keep the selection to alarms still visible (an acknowledged-and-cleared alarm leaves the list).
  useEffect(() => {
    setSelected((current) => {
      const ids = new Set(visible.map((a) => a.id));
      const kept = [...current].filter((id) => ids.has(id));
      return kept.length === current.size ? current : new Set(kept);
    });
    if (cursor !== null && !visible.some((a) => a.id === cursor)) setCursor(visible[0]?.id ?? null);
  }, [visible, cursor]);

  const run = useCallback(async (work: () => Promise<string | null>) => {
    setBusy(true);
    try {
      const message = await work();
      if (message) toastOk(message);
    } catch (e) {
      toastError(describeFailure(e));
    } finally {
      setBusy(false);
    }
  }, []);

  const ackOne = useCallback((a: StreamAlarm) => run(async () => (await acknowledgeOne(a.id), null)), [run]);
  const ackIds = useCallback(
    (ids: number[]) =>
      run(async () => {
        const r = await acknowledgeMany(ids);
        setSelected(new Set());
        return `${r.acknowledged} acknowledged${r.failed ? `, ${r.failed} could not be (already handled?)` : ''}`;
      }),
    [run],
  );

  useEffect(() => {
    if (tab !== 'open') return;
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      const index = visible.findIndex((a) => a.id === cursor);
      const current = index >= 0 ? visible[index] : undefined;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const next = visible[Math.max(0, Math.min(visible.length - 1, index + (event.key === 'ArrowDown' ? 1 : -1)))];
        if (next) setCursor(next.id);
      } else if ((event.key === 'a' || event.key === 'A') && current && canOperate && needsAck(current.state)) {
        event.preventDefault();
        void ackOne(current);
      } else if ((event.key === 'j' || event.key === 'J') && current) {
        setJournal(current);
      } else if ((event.key === 'x' || event.key === 'X') && current) {
        setSelected((s) => toggled(s, current.id));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [tab, visible, cursor, canOperate, ackOne]);

  const unackedVisible = visible.filter((a) => needsAck(a.state)).map((a) => a.id);
  const selectedUnacked = [...selected].filter((id) => needsAck(open.get(id)?.state ?? ''));

  return (
    <div>
      <div className="fo-page-title">
        <h2>Alarms</h2>
        <span className="fo-muted">{open.size} open</span>
        <span className="fo-spacer" />
      </div>
      <Tabs id="alarm-tabs" selectedTabId={tab} onChange={(t) => setTab(String(t))} renderActiveTabPanelOnly>
        <Tab
          id="open"
          title={`Open (${open.size})`}
          panel={
            <div>
              <div className="fo-toolbar" style={{ marginBottom: 8 }}>
                <HTMLSelect value={severity} onChange={(e) => setSeverity(e.currentTarget.value)} aria-label="Severity">
                  <option value="all">All severities</option>
                  <option value="critical">Critical</option>
                  <option value="high">High</option>
                  <option value="medium">Medium</option>
                  <option value="low">Low</option>
                </HTMLSelect>
                <HTMLSelect value={stateFilter} onChange={(e) => setStateFilter(e.currentTarget.value as StateFilter)} aria-label="State">
                  <option value="all">All states</option>
                  <option value="unacked">Unacknowledged</option>
                  <option value="active">Active</option>
                  <option value="shelved">Shelved</option>
                </HTMLSelect>
                <InputGroup leftIcon="search" placeholder="Device or message" value={search} onValueChange={setSearch} style={{ width: 220 }} />
                <span className="fo-spacer" style={{ flex: 1 }} />
                {canOperate && (
                  <>
                    <Button
                      text={`Acknowledge selected (${selectedUnacked.length})`}
                      disabled={selectedUnacked.length === 0 || busy}
                      onClick={() => void ackIds(selectedUnacked)}
                      data-testid="ack-selected"
                    />
                    <Button
                      intent="primary"
                      text={`Acknowledge all visible (${unackedVisible.length})`}
                      disabled={unackedVisible.length === 0 || busy}
                      onClick={() => void ackIds(unackedVisible)}
                      data-testid="ack-visible"
                    />
                  </>
                )}
              </div>
              <section className="fo-section">
                <AlarmTable
                  alarms={visible}
                  now={now}
                  selected={selected}
                  onToggle={(id) => setSelected((s) => toggled(s, id))}
                  onToggleAll={(on) => setSelected(on ? new Set(visible.map((a) => a.id)) : new Set())}
                  cursor={cursor}
                  onCursor={setCursor}
                  canOperate={canOperate}
                  onAcknowledge={(a) => void ackOne(a)}
                  onShelve={setShelving}
                  onUnshelve={(a) => void run(async () => (await unshelveOne(a.id), 'Unshelved'))}
                  onJournal={setJournal}
                  emptyText="No open alarms."
                />
              </section>
              <div className="fo-dim">Keys: ↑ ↓ move · A acknowledge · X select · J journal</div>
            </div>
          }
        />
        <Tab id="history" title="History" panel={<AlarmHistory onJournal={setJournal} />} />
        <Tab id="health" title="Alarm health" panel={<AlarmHealthPanel />} />
      </Tabs>
      <ShelveDialog alarm={shelving} onClose={() => setShelving(null)} onShelve={(minutes, reason) => (shelving ? shelveOne(shelving.id, minutes, reason) : Promise.resolve())} />
      <JournalDrawer alarm={journal} onClose={() => setJournal(null)} />
    </div>
  );
}

function toggled(set: ReadonlySet<number>, id: number): Set<number> {
  const next = new Set(set);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}
