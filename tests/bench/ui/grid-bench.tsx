/**
 * Overview grid: 500 devices, 4 key values each, every device receiving new values at 4 Hz
 * (2,000 values per update, 8,000 a second), as the stream's `samples` messages deliver them.
 *
 * `grid-transient` renders the real renderer's DeviceStatusGrid over the real stores: rows
 * render once and paint their cells from store subscriptions. `grid-react` is the baseline: the
 * same rows and markup, with the values rendered through React (each row selects its device's
 * values from the same store and re-renders when they change) — the usual React way.
 */
import { HTMLTable } from '@blueprintjs/core';
import { memo, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { useStore } from 'zustand';
import type { Device, Parameter } from '../../../renderer/src/api/types';
import { DeviceStatusGrid } from '../../../renderer/src/components/overview/DeviceStatusGrid';
import { deviceLiveStatus, STATE_LABEL } from '../../../renderer/src/lib/device-status';
import { formatAge, formatValue } from '../../../renderer/src/lib/format';
import { clockStore, startClock } from '../../../renderer/src/stores/clock-store';
import { deviceLabel, devicesStore } from '../../../renderer/src/stores/devices-store';
import { linkStore } from '../../../renderer/src/stores/link-store';
import { applySamples, liveStore } from '../../../renderer/src/stores/live-store';
import { keyParameters, parameterLabel, parametersStore } from '../../../renderer/src/stores/parameters-store';
import { preferencesStore } from '../../../renderer/src/stores/preferences-store';
import { nextFrame, seededRandom, type LiveUpdate } from './bench-util';
import { GRID_DEVICES, type BenchProbe } from './probe';

const KEYS: Array<{ key: string; unit: string; base: number }> = [
  { key: 'voltage', unit: 'V', base: 230 },
  { key: 'current', unit: 'A', base: 40 },
  { key: 'power', unit: 'kW', base: 9 },
  { key: 'temperature', unit: '°C', base: 60 },
];

function seedStores(): { devices: Device[] } {
  const now = new Date().toISOString();
  const devices: Device[] = Array.from({ length: GRID_DEVICES }, (_, i) => ({
    id: i + 1,
    device_key: `press-${String(i + 1).padStart(3, '0')}`,
    name: `Press ${i + 1}`,
    manufacturer: null,
    model: null,
    region: `Hall ${String.fromCharCode(65 + (i % 5))}`,
    is_active: true,
    last_seen: now,
    status: 'online',
    api_key_prefix: null,
    created_at: now,
    updated_at: now,
  }));
  const parameters = (deviceId: number): Parameter[] =>
    KEYS.map((k, j) => ({ id: deviceId * 10 + j, parameter_key: k.key, display_name: null, unit: k.unit, data_type: 'float', is_kpi_selected: true, discovered_at: now }));
  devicesStore.setState({ list: devices, byId: new Map(devices.map((d) => [d.id, d])), loaded: true, error: null });
  parametersStore.setState({ byDevice: new Map(devices.map((d) => [d.id, parameters(d.id)])) });
  linkStore.setState({ state: 'open', since: Date.now(), attempt: 0, nextRetryAt: null, reason: null });
  return { devices };
}

export async function runGrid(root: HTMLElement, scenario: 'grid-transient' | 'grid-react', probe: BenchProbe): Promise<LiveUpdate> {
  const { devices } = seedStores();
  startClock();
  const random = seededRandom(7);
  const values = devices.map(() => KEYS.map((k) => k.base));
  const update = () => {
    const ts = Date.now();
    const samples: Record<string, Record<string, { ts: number; value: number }>> = {};
    devices.forEach((d, i) => {
      const row: Record<string, { ts: number; value: number }> = {};
      KEYS.forEach((k, j) => {
        const v = (values[i] as number[])[j] as number;
        const nextValue = Math.round((v + (random() - 0.5) * k.base * 0.01) * 100) / 100;
        (values[i] as number[])[j] = nextValue;
        row[k.key] = { ts, value: nextValue };
      });
      samples[d.id] = row;
    });
    applySamples(samples);
  };
  update();

  const page = (
    <div className="fo-app" style={{ height: '100vh' }}>
      <main className="fo-main">{scenario === 'grid-transient' ? <DeviceStatusGrid /> : <ReactGrid devices={devices} />}</main>
    </div>
  );
  const t0 = performance.now();
  createRoot(root).render(page);
  await rendered(root);
  await nextFrame();
  probe.firstDrawMs = performance.now() - t0;
  probe.drawnItems = root.querySelectorAll('tbody tr').length;
  return update;
}

function rendered(root: HTMLElement): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (root.querySelectorAll('tbody tr').length >= GRID_DEVICES ? resolve() : requestAnimationFrame(check));
    check();
  });
}

// ---------------------------------------------------------------------------------------------
// Baseline: values through React.

const ReactRow = memo(function ReactRow({ device }: { device: Device }) {
  const values = useStore(liveStore, (s) => s.values[device.id]);
  const lastSample = useStore(liveStore, (s) => s.lastSample[device.id]);
  const now = useStore(clockStore, (s) => s.now);
  const parameters = useStore(parametersStore, (s) => s.byDevice.get(device.id));
  const live = useStore(linkStore, (s) => s.state === 'open');
  const prefs = preferencesStore.getState();
  const status = deviceLiveStatus(device, liveStore.getState(), Math.max(now, lastSample ?? 0), prefs.offlineAfterSeconds * 1000);
  const keys = keyParameters(parameters, 4);
  return (
    <tr className="fo-click">
      <td>
        <strong>{deviceLabel(device)}</strong> <span className="fo-dim fo-mono">{device.device_key}</span>
      </td>
      <td>
        <span className={`fo-status fo-${status.state}`}>{STATE_LABEL[status.state]}</span>
      </td>
      <td className="fo-num">{status.lastSeen ? formatAge(now - status.lastSeen) : '—'}</td>
      <td>
        {keys.map((p) => {
          const v = values?.[p.parameter_key];
          const stale = !v || !live || now - v.ts > prefs.staleAfterSeconds * 1000;
          return (
            <span className="fo-kv" key={p.id}>
              <span className="fo-kv-key">{parameterLabel(p)}</span>
              <span className={`fo-kv-val${stale ? ' fo-stale-value' : ''}`}>{v ? `${formatValue(v.value)}${p.unit ? ` ${p.unit}` : ''}` : '—'}</span>
            </span>
          );
        })}
      </td>
      <td />
    </tr>
  );
});

function ReactGrid({ devices }: { devices: Device[] }): ReactNode {
  return (
    <section className="fo-section">
      <div className="fo-section-head">Devices {devices.length}</div>
      <div className="fo-scroll">
        <HTMLTable compact className="fo-table">
          <thead>
            <tr>
              <th>Device</th>
              <th>State</th>
              <th className="fo-num">Last seen</th>
              <th>Key values</th>
              <th>Alarms</th>
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <ReactRow key={d.id} device={d} />
            ))}
          </tbody>
        </HTMLTable>
      </div>
    </section>
  );
}
