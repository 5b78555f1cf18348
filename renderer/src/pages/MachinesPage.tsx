/**
 * Machines: every device of the factory in a searchable, sortable table with live status,
 * condition (open alarms) and last contact; admins add devices, edit them and rotate keys.
 * Live cells are painted by each row's transient subscription (no React render per sample).
 */
import { Alert, Button, HTMLTable, Icon, InputGroup, Switch } from '@blueprintjs/core';
import { memo, useMemo, useRef, useState } from 'react';
import { roleAtLeast } from '../../../engine/contract/roles.js';
import type { StreamAlarm } from '../../../engine/contract/stream.js';
import { devicesApi } from '../api/devices-api';
import { describeFailure } from '../api/http';
import type { Device, DeviceWithKey } from '../api/types';
import { needsAck, severityRank } from '../components/alarms/alarm-labels';
import { ApiKeyDialog } from '../components/machines/ApiKeyDialog';
import { DeviceDialog } from '../components/machines/DeviceDialog';
import { deviceLiveStatus, STATE_LABEL, type DeviceState } from '../lib/device-status';
import { formatAge, formatDateTime, parseIso } from '../lib/format';
import { navigate } from '../lib/router';
import { toastError, toastOk } from '../lib/toaster';
import { setClass, setText, useDeviceTransient } from '../lib/use-transient';
import { useAlarms } from '../stores/alarm-store';
import { clockStore } from '../stores/clock-store';
import { deviceLabel, upsertDevice, useDevices } from '../stores/devices-store';
import { liveStore } from '../stores/live-store';
import { preferencesStore } from '../stores/preferences-store';
import { useSession } from '../stores/session-store';

type SortKey = 'name' | 'state' | 'seen' | 'condition' | 'region' | 'model';

interface Condition {
  open: number;
  worst: string | null;
  unacked: boolean;
}

function conditions(open: ReadonlyMap<number, StreamAlarm>): Map<number, Condition> {
  const out = new Map<number, Condition>();
  for (const a of open.values()) {
    if (a.state === 'shelved' || a.state === 'out_of_service') continue;
    const c = out.get(a.device_id) ?? { open: 0, worst: null, unacked: false };
    c.open++;
    if (c.worst === null || severityRank(a.severity) < severityRank(c.worst)) c.worst = a.severity;
    if (needsAck(a.state)) c.unacked = true;
    out.set(a.device_id, c);
  }
  return out;
}

/** The key stays in the one dialog that shows it, never in the shared device store. */
function withoutKey(d: DeviceWithKey): Device {
  const { api_key: _shownOnce, ...device } = d;
  return device;
}

const STATE_RANK: Record<DeviceState, number> = { offline: 0, never_seen: 1, online: 2, inactive: 3 };

function liveOf(device: Device) {
  return deviceLiveStatus(device, liveStore.getState(), clockStore.getState().now, preferencesStore.getState().offlineAfterSeconds * 1000);
}

const MachineRow = memo(function MachineRow({
  device,
  condition,
  canAdmin,
  onEdit,
  onRotate,
}: {
  device: Device;
  condition: Condition | undefined;
  canAdmin: boolean;
  onEdit: (d: Device) => void;
  onRotate: (d: Device) => void;
}) {
  const stateCell = useRef<HTMLSpanElement>(null);
  const seenCell = useRef<HTMLTableCellElement>(null);
  useDeviceTransient(device.id, ({ now, live }) => {
    const status = liveOf(device);
    const el = stateCell.current;
    if (el && el.dataset.state !== status.state) {
      el.className = `fo-status fo-${status.state}`;
      el.dataset.state = status.state;
      el.textContent = STATE_LABEL[status.state];
    }
    setClass(el, 'fo-status-unknown', !live);
    setText(seenCell.current, status.lastSeen ? `${formatAge(now - status.lastSeen)} ago` : 'never');
    if (seenCell.current) seenCell.current.title = status.lastSeen ? formatDateTime(status.lastSeen) : '';
  });
  return (
    <tr className={`fo-click${device.is_active ? '' : ' fo-inactive-row'}`} onClick={() => navigate({ page: 'device', id: device.id })} data-testid={`machine-row-${device.device_key}`}>
      <td>
        <strong>{deviceLabel(device)}</strong>
        {device.name && <span className="fo-dim fo-mono"> {device.device_key}</span>}
      </td>
      <td>
        <span ref={stateCell} className="fo-status" />
      </td>
      <td>
        {condition ? (
          <span className={`fo-badge fo-sev-${condition.worst}${condition.unacked ? ' fo-flashing' : ''}`} title={`${condition.open} open alarm(s), worst ${condition.worst}`}>
            {condition.open} {condition.worst}
          </span>
        ) : (
          <span className="fo-dim">normal</span>
        )}
      </td>
      <td className="fo-num" ref={seenCell} />
      <td>{device.region ?? ''}</td>
      <td className="fo-muted">{[device.manufacturer, device.model].filter(Boolean).join(' · ')}</td>
      <td className="fo-mono fo-dim">{device.api_key_prefix ? `${device.api_key_prefix}…` : '—'}</td>
      <td style={{ whiteSpace: 'nowrap', textAlign: 'right' }} onClick={(e) => e.stopPropagation()}>
        {canAdmin && (
          <>
            <Button size="small" variant="minimal" icon="edit" title="Edit" onClick={() => onEdit(device)} data-testid={`edit-${device.device_key}`} />
            <Button size="small" variant="minimal" icon="key" title="Rotate API key" onClick={() => onRotate(device)} data-testid={`rotate-${device.device_key}`} />
          </>
        )}
      </td>
    </tr>
  );
});

export function MachinesPage() {
  const devices = useDevices((s) => s.list);
  const loaded = useDevices((s) => s.loaded);
  const loadError = useDevices((s) => s.error);
  const open = useAlarms((s) => s.open);
  const role = useSession((s) => s.user?.role ?? 'viewer');
  const canAdmin = roleAtLeast(role, 'admin');
  const byCondition = useMemo(() => conditions(open), [open]);
  const [search, setSearch] = useState('');
  const [showInactive, setShowInactive] = useState(false);
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'name', desc: false });
  const [dialog, setDialog] = useState<Device | 'new' | null>(null);
  const [revealed, setRevealed] = useState<DeviceWithKey | null>(null);
  const [rotating, setRotating] = useState<Device | null>(null);

  // Sorting by live columns uses the values at the moment of sorting: rows do not jump under
  // the operator's pointer every time a value changes.
  const rows = useMemo(() => {
    const q = search.trim().toLowerCase();
    const list = devices.filter(
      (d) =>
        (showInactive || d.is_active) &&
        (!q || [d.device_key, d.name, d.region, d.model, d.manufacturer].some((v) => (v ?? '').toLowerCase().includes(q))),
    );
    const keyOf = (d: Device): number | string => {
      switch (sort.key) {
        case 'state':
          return STATE_RANK[liveOf(d).state];
        case 'seen':
          return liveOf(d).lastSeen ?? parseIso(d.last_seen) ?? 0;
        case 'condition': {
          const c = byCondition.get(d.id);
          return c?.worst ? severityRank(c.worst) * 1000 - c.open : 9999;
        }
        case 'region':
          return (d.region ?? '').toLowerCase();
        case 'model':
          return `${d.manufacturer ?? ''} ${d.model ?? ''}`.toLowerCase();
        default:
          return deviceLabel(d).toLowerCase();
      }
    };
    const sorted = [...list].sort((a, b) => {
      const ka = keyOf(a);
      const kb = keyOf(b);
      const c = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka).localeCompare(String(kb), undefined, { numeric: true });
      return c !== 0 ? c : deviceLabel(a).localeCompare(deviceLabel(b), undefined, { numeric: true });
    });
    return sort.desc ? sorted.reverse() : sorted;
  }, [devices, search, showInactive, sort, byCondition]);

  const header = (key: SortKey, label: string, numeric = false) => (
    <th className={`fo-sortable${numeric ? ' fo-num' : ''}`} onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : false }))} data-testid={`sort-${key}`}>
      {label} {sort.key === key && <Icon icon={sort.desc ? 'caret-down' : 'caret-up'} size={12} />}
    </th>
  );

  async function rotate(device: Device) {
    try {
      const withKey = await devicesApi.rotateKey(device.id);
      upsertDevice(withoutKey(withKey));
      setRevealed(withKey);
    } catch (e) {
      toastError(describeFailure(e));
    } finally {
      setRotating(null);
    }
  }

  return (
    <div>
      <div className="fo-page-title">
        <h2>Machines</h2>
        <span className="fo-muted">
          {rows.length} of {devices.length}
        </span>
        <span className="fo-spacer" />
        <Switch checked={showInactive} label="Show inactive" onChange={(e) => setShowInactive(e.currentTarget.checked)} style={{ margin: 0 }} />
        <InputGroup leftIcon="search" placeholder="Search key, name, area, model" value={search} onValueChange={setSearch} style={{ width: 260 }} data-testid="machines-search" />
        {canAdmin && <Button intent="primary" icon="add" text="Add device" onClick={() => setDialog('new')} data-testid="add-device" />}
      </div>
      {loadError && <div className="fo-field-error">Device list could not be read: {loadError}</div>}
      <section className="fo-section">
        <HTMLTable compact className="fo-table" data-testid="machines-table">
          <thead>
            <tr>
              {header('name', 'Device')}
              {header('state', 'State')}
              {header('condition', 'Condition')}
              {header('seen', 'Last contact', true)}
              {header('region', 'Area')}
              {header('model', 'Make · model')}
              <th>Key</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <MachineRow key={d.id} device={d} condition={byCondition.get(d.id)} canAdmin={canAdmin} onEdit={setDialog} onRotate={setRotating} />
            ))}
            {loaded && rows.length === 0 && (
              <tr>
                <td colSpan={8} className="fo-muted">
                  {devices.length === 0 ? 'No devices yet.' : 'No device matches the search.'}
                </td>
              </tr>
            )}
          </tbody>
        </HTMLTable>
      </section>
      <DeviceDialog
        target={dialog}
        onClose={() => setDialog(null)}
        onCreated={(d) => {
          upsertDevice(withoutKey(d));
          setDialog(null);
          setRevealed(d);
        }}
        onSaved={(d) => {
          upsertDevice(d);
          setDialog(null);
          toastOk(`${deviceLabel(d)} saved`);
        }}
      />
      <ApiKeyDialog device={revealed} onClose={() => setRevealed(null)} />
      <Alert
        isOpen={rotating !== null}
        intent="warning"
        icon="key"
        confirmButtonText="Rotate key"
        cancelButtonText="Cancel"
        onCancel={() => setRotating(null)}
        onConfirm={() => rotating && void rotate(rotating)}
      >
        <p>
          Issue a new API key for <strong>{rotating ? deviceLabel(rotating) : ''}</strong>? The current key stops working at once and the device is disconnected
          until it is given the new key.
        </p>
      </Alert>
    </div>
  );
}
