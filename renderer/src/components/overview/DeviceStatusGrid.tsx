/**
 * Dense device status grid: name, state, last seen, key live values, open-alarm badge. Rows
 * render once; state, ages and values are painted by each row's transient subscription, so
 * hundreds of devices at 4 Hz cost DOM text writes only, never a React render, and only for
 * the rows on screen (the others catch up when scrolled into view).
 */
import { HTMLTable, InputGroup, Switch } from '@blueprintjs/core';
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { StreamAlarm } from '../../../../engine/contract/stream.js';
import type { Device, Parameter } from '../../api/types';
import { deviceLiveStatus, STATE_LABEL } from '../../lib/device-status';
import { formatAge, formatValue } from '../../lib/format';
import { navigate } from '../../lib/router';
import { setClass, setText, useDeviceTransient } from '../../lib/use-transient';
import { useAlarms } from '../../stores/alarm-store';
import { deviceLabel, useDevices } from '../../stores/devices-store';
import { liveStore } from '../../stores/live-store';
import { ensureParameters, keyParameters, parameterLabel, parametersStore } from '../../stores/parameters-store';
import { preferencesStore } from '../../stores/preferences-store';
import { useStore } from 'zustand';
import { needsAck, severityRank } from '../alarms/alarm-labels';

const KEY_VALUES = 4;

interface DeviceAlarmSummary {
  count: number;
  worst: string;
  unacked: boolean;
}

function summarizeAlarms(open: ReadonlyMap<number, StreamAlarm>): Map<number, DeviceAlarmSummary> {
  const out = new Map<number, DeviceAlarmSummary>();
  for (const a of open.values()) {
    if (a.state === 'shelved') continue;
    const s = out.get(a.device_id) ?? { count: 0, worst: 'low', unacked: false };
    s.count++;
    if (severityRank(a.severity) < severityRank(s.worst)) s.worst = a.severity;
    if (needsAck(a.state)) s.unacked = true;
    out.set(a.device_id, s);
  }
  return out;
}

const DeviceRow = memo(function DeviceRow({ device, parameters, alarm }: { device: Device; parameters: readonly Parameter[] | undefined; alarm: DeviceAlarmSummary | undefined }) {
  const row = useRef<HTMLTableRowElement>(null);
  const stateCell = useRef<HTMLSpanElement>(null);
  const seenCell = useRef<HTMLTableCellElement>(null);
  const valueCells = useRef<Array<HTMLSpanElement | null>>([]);
  const keys = useMemo(() => keyParameters(parameters, KEY_VALUES), [parameters]);

  const repaint = useDeviceTransient(device.id, ({ values, now, live }) => {
    const prefs = preferencesStore.getState();
    const status = deviceLiveStatus(device, liveStore.getState(), now, prefs.offlineAfterSeconds * 1000);
    const el = stateCell.current;
    if (el) {
      setText(el, STATE_LABEL[status.state]);
      if (el.dataset.state !== status.state) {
        el.className = `fo-status fo-${status.state}`;
        el.dataset.state = status.state;
      }
      // While the stream is down nobody knows whether it is still online: say so by greying.
      setClass(el, 'fo-status-unknown', !live);
    }
    setText(seenCell.current, status.lastSeen ? formatAge(now - status.lastSeen) : '—');
    keys.forEach((p, i) => {
      const cell = valueCells.current[i];
      const v = values?.[p.parameter_key];
      setText(cell, v ? `${formatValue(v.value)}${p.unit ? ` ${p.unit}` : ''}` : '—');
      setClass(cell, 'fo-stale-value', !v || !live || now - v.ts > prefs.staleAfterSeconds * 1000);
    });
  }, row);
  // The value cells of newly fetched key parameters are filled at once, not at the next tick.
  useLayoutEffect(repaint, [keys, repaint]);

  return (
    <tr ref={row} className="fo-click" onClick={() => navigate({ page: 'device', id: device.id })} data-testid={`device-row-${device.device_key}`}>
      <td className="fo-device-cell">
        <strong>{deviceLabel(device)}</strong> <span className="fo-dim fo-mono fo-device-key">{device.name ? device.device_key : ''}</span>
      </td>
      <td>
        <span ref={stateCell} className="fo-status" />
      </td>
      <td className="fo-num" ref={seenCell} />
      <td>
        {keys.map((p, i) => (
          <span className="fo-kv" key={p.id}>
            <span className="fo-kv-key">{parameterLabel(p)}</span>
            <span
              className="fo-kv-val"
              data-testid={`live-${device.device_key}-${p.parameter_key}`}
              ref={(el) => {
                valueCells.current[i] = el;
              }}
            />
          </span>
        ))}
      </td>
      <td style={{ textAlign: 'right' }}>
        {alarm && (
          <span className={`fo-badge fo-sev-${alarm.worst}${alarm.unacked ? ' fo-flashing' : ''}`} title={`${alarm.count} open alarm(s)`}>
            {alarm.count}
          </span>
        )}
      </td>
    </tr>
  );
});

export function DeviceStatusGrid({ limit }: { limit?: number }) {
  const devices = useDevices((s) => s.list);
  const loaded = useDevices((s) => s.loaded);
  const byDevice = useStore(parametersStore, (s) => s.byDevice);
  const open = useAlarms((s) => s.open);
  const alarms = useMemo(() => summarizeAlarms(open), [open]);
  const [filter, setFilter] = useState('');
  const [onlyAlarms, setOnlyAlarms] = useState(false);

  useEffect(() => {
    void ensureParameters(devices.filter((d) => d.is_active).map((d) => d.id));
  }, [devices]);

  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    let list = devices.filter((d) => d.is_active);
    if (q) list = list.filter((d) => d.device_key.toLowerCase().includes(q) || (d.name ?? '').toLowerCase().includes(q) || (d.region ?? '').toLowerCase().includes(q));
    if (onlyAlarms) list = list.filter((d) => alarms.has(d.id));
    // Devices in alarm first, worst first; then by name (the list is already sorted by name).
    list = [...list].sort((a, b) => {
      const sa = alarms.get(a.id);
      const sb = alarms.get(b.id);
      return (sa ? severityRank(sa.worst) : 9) - (sb ? severityRank(sb.worst) : 9);
    });
    return limit ? list.slice(0, limit) : list;
  }, [devices, filter, onlyAlarms, alarms, limit]);

  return (
    <section className="fo-section">
      <div className="fo-section-head">
        Devices <span className="fo-dim">{shown.length}</span>
        <span className="fo-spacer" />
        <Switch checked={onlyAlarms} label="In alarm only" onChange={(e) => setOnlyAlarms(e.currentTarget.checked)} style={{ margin: 0, textTransform: 'none', fontWeight: 400 }} />
        <InputGroup size="small" leftIcon="search" placeholder="Filter devices" value={filter} onValueChange={setFilter} style={{ width: 180 }} />
      </div>
      <div className="fo-scroll">
        <HTMLTable compact className="fo-table" data-testid="device-grid">
          <thead>
            <tr>
              <th>Device</th>
              <th>State</th>
              <th className="fo-num">Last seen</th>
              <th>Key values</th>
              <th style={{ textAlign: 'right' }}>Alarms</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((d) => (
              <DeviceRow key={d.id} device={d} parameters={byDevice.get(d.id)} alarm={alarms.get(d.id)} />
            ))}
            {loaded && shown.length === 0 && (
              <tr>
                <td colSpan={5} className="fo-muted">
                  {devices.length === 0 ? 'No devices yet. Add one under Machines.' : 'No device matches.'}
                </td>
              </tr>
            )}
          </tbody>
        </HTMLTable>
      </div>
    </section>
  );
}
