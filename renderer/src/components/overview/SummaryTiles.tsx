/**
 * Factory KPI tiles: devices online/offline, open alarms by severity, current kW, kWh today,
 * health score. The summary arrives on the stream every few seconds and is painted into the
 * tiles directly (transient update); alarm counts come from the alarm store.
 */
import { useLayoutEffect, useMemo, useRef } from 'react';
import type { Summary } from '../../api/types';
import { formatValue } from '../../lib/format';
import { setClass, setText } from '../../lib/use-transient';
import { SEVERITY_ORDER, countAlarms, useAlarms } from '../../stores/alarm-store';
import { linkStore } from '../../stores/link-store';
import { liveStore } from '../../stores/live-store';

interface SummaryTileSpec {
  label: string;
  unit?: string;
  testId: string;
  value: (s: Summary) => string;
  sub?: (s: Summary) => string;
  alert?: (s: Summary) => boolean;
}

const TILES: SummaryTileSpec[] = [
  {
    label: 'Devices online',
    testId: 'tile-online',
    value: (s) => `${s.active_devices}`,
    sub: (s) => `of ${s.total_devices}`,
  },
  {
    label: 'Devices offline',
    testId: 'tile-offline',
    value: (s) => `${s.offline_devices}`,
    alert: (s) => s.offline_devices > 0 && s.offline_devices === s.total_devices,
  },
  { label: 'Current power', unit: 'kW', testId: 'tile-kw', value: (s) => formatValue(s.current_energy_kw) },
  { label: 'Energy today', unit: 'kWh', testId: 'tile-kwh', value: (s) => formatValue(s.energy_today_kwh), sub: (s) => `month ${formatValue(s.energy_this_month_kwh)} kWh` },
  { label: 'Health score', testId: 'tile-health', value: (s) => formatValue(s.health_score, 0), sub: () => 'of 100', alert: (s) => s.health_score < 60 },
];

function SummaryTile({ spec }: { spec: SummaryTileSpec }) {
  const tile = useRef<HTMLDivElement>(null);
  const value = useRef<HTMLSpanElement>(null);
  const sub = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const paint = () => {
      const summary = liveStore.getState().summary;
      const live = linkStore.getState().state === 'open';
      setText(value.current, summary ? spec.value(summary) : '—');
      setText(sub.current, summary && spec.sub ? spec.sub(summary) : live ? '\u00a0' : 'not live');
      setClass(tile.current, 'fo-stale', !summary || !live);
      setClass(tile.current, 'fo-alert', summary !== null && live && (spec.alert?.(summary) ?? false));
    };
    paint();
    const offSummary = liveStore.subscribe((s, prev) => s.summary !== prev.summary && paint());
    const offLink = linkStore.subscribe((s, prev) => s.state !== prev.state && paint());
    return () => {
      offSummary();
      offLink();
    };
  }, [spec]);
  return (
    <div className="fo-tile" ref={tile} data-testid={spec.testId}>
      <div className="fo-tile-label">{spec.label}</div>
      <div className="fo-tile-value">
        <span ref={value}>—</span>
        {spec.unit && <span className="fo-tile-unit">{spec.unit}</span>}
      </div>
      <div className="fo-tile-sub" ref={sub}>
        &nbsp;
      </div>
    </div>
  );
}

function AlarmTile() {
  const open = useAlarms((s) => s.open);
  const counts = useMemo(() => countAlarms(open), [open]);
  const active = counts.total - counts.shelved;
  return (
    <div className={`fo-tile${counts.bySeverity.critical > 0 ? ' fo-alert' : ''}`} data-testid="tile-alarms">
      <div className="fo-tile-label">Active alarms</div>
      <div className="fo-tile-value">{active}</div>
      <div className="fo-tile-sub">
        {SEVERITY_ORDER.map((s) => (
          <span key={s} style={{ marginRight: 8 }} className={counts.bySeverity[s] > 0 ? '' : 'fo-dim'}>
            <span className={`fo-badge fo-sev-${s}`} style={{ minWidth: 14, marginRight: 3, opacity: counts.bySeverity[s] > 0 ? 1 : 0.35 }}>
              {counts.bySeverity[s]}
            </span>
            {s[0]?.toUpperCase()}
          </span>
        ))}
      </div>
    </div>
  );
}

export function SummaryTiles() {
  return (
    <div className="fo-tiles">
      {TILES.slice(0, 2).map((t) => (
        <SummaryTile key={t.testId} spec={t} />
      ))}
      <AlarmTile />
      {TILES.slice(2).map((t) => (
        <SummaryTile key={t.testId} spec={t} />
      ))}
    </div>
  );
}
