/**
 * One device: live KPI tiles, the trend (pens picked in the parameter table, KPIs by default),
 * the device's open alarms, and its parameters. Values come pushed over the stream: the
 * session subscribes every device, and the page holds its own subscription too (a device
 * created elsewhere may not be listed yet); a new subscription is answered with the device's
 * stored latest values, so the tiles are filled at once.
 */
import { Breadcrumbs, Button, Callout, NonIdealState, Spinner } from '@blueprintjs/core';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { roleAtLeast } from '../../../engine/contract/roles.js';
import { devicesApi } from '../api/devices-api';
import { ApiFailure, describeFailure } from '../api/http';
import { rulesApi } from '../api/rules-api';
import type { Device, Rule } from '../api/types';
import { AlarmTable } from '../components/alarms/AlarmTable';
import { alarmOrder } from '../components/alarms/alarm-labels';
import { LiveKpiTiles } from '../components/device/LiveKpiTiles';
import { ParameterTable } from '../components/device/ParameterTable';
import { DeviceDialog } from '../components/machines/DeviceDialog';
import { PEN_COLORS } from '../components/trend/trend-options';
import type { PenSpec } from '../components/trend/trend-model';
import { TrendPanel } from '../components/trend/TrendPanel';
import { deviceLiveStatus, STATE_LABEL } from '../lib/device-status';
import { formatAge } from '../lib/format';
import { setClass, setText, useDeviceTransient } from '../lib/use-transient';
import { useAlarms } from '../stores/alarm-store';
import { useNow } from '../stores/clock-store';
import { deviceLabel, upsertDevice } from '../stores/devices-store';
import { liveStream } from '../stores/live-session';
import { liveStore, subscribeDevice } from '../stores/live-store';
import { keyParameters, parameterLabel, refreshParameters, setParameters, useParameters } from '../stores/parameters-store';
import { preferencesStore } from '../stores/preferences-store';
import { useSession } from '../stores/session-store';

const MAX_PENS = 8;
const DEFAULT_PENS = 4;

function DeviceState({ device }: { device: Device }) {
  const el = useRef<HTMLSpanElement>(null);
  const seen = useRef<HTMLSpanElement>(null);
  useDeviceTransient(device.id, ({ now, live }) => {
    const status = deviceLiveStatus(device, liveStore.getState(), now, preferencesStore.getState().offlineAfterSeconds * 1000);
    if (el.current && el.current.dataset.state !== status.state) {
      el.current.className = `fo-status fo-${status.state}`;
      el.current.dataset.state = status.state;
      el.current.textContent = STATE_LABEL[status.state];
    }
    setClass(el.current, 'fo-status-unknown', !live);
    setText(seen.current, status.lastSeen ? `last contact ${formatAge(now - status.lastSeen)} ago` : 'never seen');
  });
  return (
    <>
      <span ref={el} className="fo-status" data-testid="device-state" />
      <span ref={seen} className="fo-muted" />
    </>
  );
}

export function DevicePage({ deviceId }: { deviceId: number }) {
  const role = useSession((s) => s.user?.role ?? 'viewer');
  const canAdmin = roleAtLeast(role, 'admin');
  const parameters = useParameters(deviceId);
  const [device, setDevice] = useState<Device | null>(null);
  const [rules, setRules] = useState<Rule[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [pens, setPens] = useState<string[] | null>(null);
  const [editing, setEditing] = useState(false);
  const open = useAlarms((s) => s.open);
  const now = useNow();

  const load = useCallback(async () => {
    try {
      const detail = await devicesApi.get(deviceId);
      const { parameters: list, ...rest } = detail;
      setDevice(rest);
      setParameters(deviceId, list);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiFailure && e.status === 404 ? 'This device does not exist (or belongs to another factory).' : describeFailure(e));
    }
  }, [deviceId]);

  useEffect(() => {
    void load();
    rulesApi
      .list({ device_id: deviceId })
      .then(setRules)
      .catch(() => setRules([]));
  }, [deviceId, load]);

  // Reference counted with the session's own subscription of every device.
  useEffect(() => liveStream()?.watchDevices([deviceId]), [deviceId]);

  // A parameter seen live that the table does not know yet: read the list again (debounced).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = subscribeDevice(deviceId, (values) => {
      const known = new Set((parameters ?? []).map((p) => p.parameter_key));
      if (!parameters || !values || timer) return;
      if (Object.keys(values).some((k) => !known.has(k))) {
        timer = setTimeout(() => {
          timer = null;
          void refreshParameters(deviceId).catch(() => {});
        }, 1000);
      }
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [deviceId, parameters]);

  const kpis = useMemo(() => keyParameters(parameters, 8), [parameters]);
  const chosen = useMemo(() => pens ?? kpis.filter((p) => p.data_type !== 'string').slice(0, DEFAULT_PENS).map((p) => p.parameter_key), [pens, kpis]);
  const penSpecs: PenSpec[] = useMemo(() => {
    const byKey = new Map((parameters ?? []).map((p) => [p.parameter_key, p]));
    return chosen.flatMap((key, i) => {
      const p = byKey.get(key);
      return p ? [{ key, label: parameterLabel(p), unit: p.unit, color: PEN_COLORS[i % PEN_COLORS.length] as string }] : [];
    });
  }, [chosen, parameters]);
  const penColors = useMemo(() => new Map(penSpecs.map((p) => [p.key, p.color])), [penSpecs]);
  const togglePen = useCallback(
    (key: string) => setPens((current) => {
      const list = current ?? chosen;
      return list.includes(key) ? list.filter((k) => k !== key) : [...list, key].slice(0, MAX_PENS);
    }),
    [chosen],
  );

  const deviceAlarms = useMemo(() => [...open.values()].filter((a) => a.device_id === deviceId).sort(alarmOrder), [open, deviceId]);

  if (error) {
    return (
      <NonIdealState icon="error" title="Device not available" description={error} action={<Button text="Back to machines" onClick={() => (window.location.hash = '#/machines')} />} />
    );
  }
  if (!device || !parameters) return <Spinner size={32} />;

  return (
    <div data-testid="device-page">
      <div className="fo-page-title">
        <Breadcrumbs items={[{ text: 'Machines', href: '#/machines' }, { text: deviceLabel(device) }]} />
        <span className="fo-dim fo-mono">{device.device_key}</span>
        <DeviceState device={device} />
        <span className="fo-muted">{[device.region, device.manufacturer, device.model].filter(Boolean).join(' · ')}</span>
        <span className="fo-spacer" />
        {canAdmin && <Button size="small" icon="edit" text="Edit" onClick={() => setEditing(true)} />}
      </div>
      {!device.is_active && (
        <Callout intent="warning" compact style={{ marginBottom: 8 }}>
          This device is inactive: its data is refused until it is activated again.
        </Callout>
      )}
      <LiveKpiTiles deviceId={deviceId} parameters={kpis} />
      <section className="fo-section">
        <div className="fo-section-head">Trend</div>
        <div className="fo-section-body">
          <TrendPanel deviceId={deviceId} pens={penSpecs} rules={rules} />
        </div>
      </section>
      <div className="fo-cols">
        <section className="fo-section">
          <div className="fo-section-head">
            Parameters <span className="fo-dim">{parameters.length}</span>
          </div>
          <ParameterTable deviceId={deviceId} parameters={parameters} canEdit={canAdmin} penColors={penColors} onTogglePen={togglePen} maxPens={MAX_PENS} />
        </section>
        <section className="fo-section" data-testid="device-alarms">
          <div className="fo-section-head">
            Open alarms <span className="fo-dim">{deviceAlarms.length}</span>
            <span className="fo-spacer" />
            <span className="fo-dim" style={{ textTransform: 'none', fontWeight: 400 }}>
              {rules.length === 1 ? '1 rule applies' : `${rules.length} rules apply`}
            </span>
          </div>
          <AlarmTable alarms={deviceAlarms} now={now} compact emptyText="No open alarms on this device." />
        </section>
      </div>
      <DeviceDialog
        target={editing ? device : null}
        onClose={() => setEditing(false)}
        onCreated={() => {}}
        onSaved={(d) => {
          upsertDevice(d);
          setDevice(d);
          setEditing(false);
        }}
      />
    </div>
  );
}
