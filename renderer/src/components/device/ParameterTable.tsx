/**
 * Every parameter the device has reported: pick pens for the trend, and (admins) set the
 * display name, unit and KPI selection. Current value and age are painted live.
 */
import { Checkbox, EditableText, HTMLTable, Switch } from '@blueprintjs/core';
import { memo, useRef } from 'react';
import { devicesApi } from '../../api/devices-api';
import { describeFailure } from '../../api/http';
import type { Parameter } from '../../api/types';
import { formatAge, formatValue } from '../../lib/format';
import { toastError } from '../../lib/toaster';
import { setClass, setText, useDeviceTransient } from '../../lib/use-transient';
import { replaceParameter } from '../../stores/parameters-store';
import { preferencesStore } from '../../stores/preferences-store';

export interface ParameterTableProps {
  deviceId: number;
  parameters: readonly Parameter[];
  canEdit: boolean;
  /** Pen colour by parameter key (absent = not on the trend). */
  penColors: ReadonlyMap<string, string>;
  onTogglePen: (key: string) => void;
  maxPens: number;
}

async function save(deviceId: number, parameter: Parameter, body: { display_name?: string | null; unit?: string | null; is_kpi_selected?: boolean }) {
  try {
    replaceParameter(deviceId, await devicesApi.updateParameter(deviceId, parameter.id, body));
  } catch (e) {
    toastError(`${parameter.parameter_key}: ${describeFailure(e)}`);
  }
}

const ParameterRow = memo(function ParameterRow({
  deviceId,
  parameter,
  canEdit,
  penColor,
  penDisabled,
  onTogglePen,
}: {
  deviceId: number;
  parameter: Parameter;
  canEdit: boolean;
  penColor: string | undefined;
  penDisabled: boolean;
  onTogglePen: (key: string) => void;
}) {
  const valueCell = useRef<HTMLTableCellElement>(null);
  const ageCell = useRef<HTMLTableCellElement>(null);
  useDeviceTransient(deviceId, ({ values, now, live }) => {
    const sample = values?.[parameter.parameter_key];
    setText(valueCell.current, sample ? formatValue(sample.value) : '—');
    setText(ageCell.current, sample ? formatAge(now - sample.ts) : '');
    setClass(valueCell.current, 'fo-stale-value', !sample || !live || now - sample.ts > preferencesStore.getState().staleAfterSeconds * 1000);
  });
  const plottable = parameter.data_type !== 'string';
  return (
    <tr data-testid={`param-row-${parameter.parameter_key}`}>
      <td>
        <Checkbox
          checked={penColor !== undefined}
          disabled={!plottable || (penColor === undefined && penDisabled)}
          onChange={() => onTogglePen(parameter.parameter_key)}
          style={{ margin: 0 }}
          aria-label={`Trend ${parameter.parameter_key}`}
          data-testid={`pen-${parameter.parameter_key}`}
        >
          {penColor && <span className="fo-pen-chip" style={{ background: penColor }} />}
        </Checkbox>
      </td>
      <td className="fo-mono">{parameter.parameter_key}</td>
      <td>
        {canEdit ? (
          <EditableText
            defaultValue={parameter.display_name ?? ''}
            placeholder="(display name)"
            maxLength={255}
            onConfirm={(v) => v.trim() !== (parameter.display_name ?? '') && void save(deviceId, parameter, { display_name: v.trim() || null })}
          />
        ) : (
          (parameter.display_name ?? '')
        )}
      </td>
      <td>
        {canEdit ? (
          <EditableText
            defaultValue={parameter.unit ?? ''}
            placeholder="(unit)"
            maxLength={50}
            onConfirm={(v) => v.trim() !== (parameter.unit ?? '') && void save(deviceId, parameter, { unit: v.trim() || null })}
          />
        ) : (
          (parameter.unit ?? '')
        )}
      </td>
      <td className="fo-muted">{parameter.data_type}</td>
      <td>
        <Switch
          checked={parameter.is_kpi_selected}
          disabled={!canEdit}
          onChange={(e) => void save(deviceId, parameter, { is_kpi_selected: e.currentTarget.checked })}
          style={{ margin: 0 }}
          aria-label={`KPI ${parameter.parameter_key}`}
          data-testid={`kpi-toggle-${parameter.parameter_key}`}
        />
      </td>
      <td className="fo-num" ref={valueCell} data-testid={`param-value-${parameter.parameter_key}`} />
      <td className="fo-num fo-muted" ref={ageCell} />
    </tr>
  );
});

export function ParameterTable({ deviceId, parameters, canEdit, penColors, onTogglePen, maxPens }: ParameterTableProps) {
  const full = penColors.size >= maxPens;
  return (
    <HTMLTable compact className="fo-table" data-testid="parameter-table">
      <thead>
        <tr>
          <th style={{ width: 44 }} title={`Up to ${maxPens} pens`}>
            Trend
          </th>
          <th>Parameter</th>
          <th>Display name</th>
          <th>Unit</th>
          <th>Type</th>
          <th>KPI</th>
          <th className="fo-num">Value</th>
          <th className="fo-num">Age</th>
        </tr>
      </thead>
      <tbody>
        {parameters.map((p) => (
          <ParameterRow
            key={p.id}
            deviceId={deviceId}
            parameter={p}
            canEdit={canEdit}
            penColor={penColors.get(p.parameter_key)}
            penDisabled={full}
            onTogglePen={onTogglePen}
          />
        ))}
        {parameters.length === 0 && (
          <tr>
            <td colSpan={8} className="fo-muted">
              No parameters yet.
            </td>
          </tr>
        )}
      </tbody>
    </HTMLTable>
  );
}
