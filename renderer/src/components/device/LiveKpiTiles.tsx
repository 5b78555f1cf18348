/**
 * Live KPI tiles of one device: value, unit and age. A value older than the stale threshold,
 * or any value while the stream is down, is greyed and struck through — never shown as
 * current. Painted by a transient subscription (no React render per sample).
 */
import { useRef } from 'react';
import type { Parameter } from '../../api/types';
import { formatAge, formatValue } from '../../lib/format';
import { setClass, setText, useDeviceTransient } from '../../lib/use-transient';
import { parameterLabel } from '../../stores/parameters-store';
import { preferencesStore } from '../../stores/preferences-store';

function KpiTile({ deviceId, parameter }: { deviceId: number; parameter: Parameter }) {
  const tile = useRef<HTMLDivElement>(null);
  const value = useRef<HTMLSpanElement>(null);
  const age = useRef<HTMLDivElement>(null);
  useDeviceTransient(deviceId, ({ values, now, live }) => {
    const sample = values?.[parameter.parameter_key];
    const staleMs = preferencesStore.getState().staleAfterSeconds * 1000;
    setText(value.current, sample ? formatValue(sample.value) : '—');
    const stale = !sample || !live || now - sample.ts > staleMs;
    setText(age.current, !sample ? 'no value yet' : `${formatAge(now - sample.ts)} ago${stale ? (live ? ' · STALE' : ' · NOT LIVE') : ''}`);
    setClass(tile.current, 'fo-stale', stale);
    if (tile.current) tile.current.dataset.stale = String(stale);
  });
  return (
    <div className="fo-tile" ref={tile} data-testid={`kpi-${parameter.parameter_key}`}>
      <div className="fo-tile-label" title={parameter.parameter_key}>
        {parameterLabel(parameter)}
      </div>
      <div className="fo-tile-value">
        <span ref={value} data-testid={`kpi-value-${parameter.parameter_key}`}>
          —
        </span>
        {parameter.unit && <span className="fo-tile-unit">{parameter.unit}</span>}
      </div>
      <div className="fo-tile-sub" ref={age}>
        &nbsp;
      </div>
    </div>
  );
}

export function LiveKpiTiles({ deviceId, parameters }: { deviceId: number; parameters: readonly Parameter[] }) {
  if (parameters.length === 0) return <div className="fo-muted" style={{ marginBottom: 10 }}>No parameters reported yet: they appear when the device first sends data.</div>;
  return (
    <div className="fo-tiles" data-testid="device-kpis">
      {parameters.map((p) => (
        <KpiTile key={p.id} deviceId={deviceId} parameter={p} />
      ))}
    </div>
  );
}
