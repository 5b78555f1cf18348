/** Create a device (the key is then shown once) or edit its descriptive fields and active flag. */
import { Button, Dialog, DialogBody, DialogFooter, FormGroup, InputGroup, Switch } from '@blueprintjs/core';
import { useEffect, useState } from 'react';
import { DEVICE_KEY_PATTERN } from '../../../../engine/contract/devices.js';
import { devicesApi } from '../../api/devices-api';
import { ApiFailure, describeFailure } from '../../api/http';
import type { Device, DeviceWithKey } from '../../api/types';

const KEY_RE = new RegExp(DEVICE_KEY_PATTERN);

interface Fields {
  device_key: string;
  name: string;
  manufacturer: string;
  model: string;
  region: string;
  is_active: boolean;
}

const EMPTY: Fields = { device_key: '', name: '', manufacturer: '', model: '', region: '', is_active: true };

function fieldsOf(device: Device | null): Fields {
  if (!device) return EMPTY;
  return {
    device_key: device.device_key,
    name: device.name ?? '',
    manufacturer: device.manufacturer ?? '',
    model: device.model ?? '',
    region: device.region ?? '',
    is_active: device.is_active,
  };
}

const orNull = (s: string) => (s.trim() === '' ? null : s.trim());

export interface DeviceDialogProps {
  /** null = closed; 'new' = create; a device = edit it. */
  target: Device | 'new' | null;
  onClose: () => void;
  onCreated: (device: DeviceWithKey) => void;
  onSaved: (device: Device) => void;
}

export function DeviceDialog({ target, onClose, onCreated, onSaved }: DeviceDialogProps) {
  const editing = target !== null && target !== 'new' ? target : null;
  const [fields, setFields] = useState<Fields>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setFields(fieldsOf(editing));
    setErrors({});
    setFailure(null);
  }, [target]);

  const set = (key: keyof Fields) => (value: string) => setFields((f) => ({ ...f, [key]: value }));

  async function submit() {
    const local: Record<string, string> = {};
    if (!editing && !KEY_RE.test(fields.device_key)) local.device_key = 'Letters, digits, dot, dash and underscore; starts with a letter or digit; at most 100.';
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    setFailure(null);
    const body = { name: orNull(fields.name), manufacturer: orNull(fields.manufacturer), model: orNull(fields.model), region: orNull(fields.region) };
    try {
      if (editing) onSaved(await devicesApi.update(editing.id, { ...body, is_active: fields.is_active }));
      else onCreated(await devicesApi.create({ device_key: fields.device_key, ...body }));
    } catch (e) {
      if (e instanceof ApiFailure && e.fieldIssues.length > 0) {
        setErrors(Object.fromEntries(e.fieldIssues.map((i) => [i.path.replace(/^\/?body\/?/, '').replace(/^\//, ''), i.message])));
      }
      setFailure(e instanceof ApiFailure && e.code === 'DUPLICATE_DEVICE_KEY' ? 'A device with this key exists already.' : describeFailure(e));
    } finally {
      setBusy(false);
    }
  }

  const field = (key: keyof Omit<Fields, 'is_active'>, label: string, extra: { disabled?: boolean; placeholder?: string; helper?: string } = {}) => (
    <FormGroup label={label} labelFor={`dev-${key}`} intent={errors[key] ? 'danger' : 'none'} helperText={errors[key] ?? extra.helper}>
      <InputGroup
        id={`dev-${key}`}
        value={fields[key]}
        onValueChange={set(key)}
        disabled={extra.disabled}
        placeholder={extra.placeholder}
        intent={errors[key] ? 'danger' : 'none'}
        data-testid={`device-field-${key}`}
      />
    </FormGroup>
  );

  return (
    <Dialog isOpen={target !== null} onClose={onClose} title={editing ? `Edit ${editing.name || editing.device_key}` : 'Add a device'} style={{ width: 480 }}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <DialogBody>
          {field('device_key', 'Device key', { disabled: !!editing, placeholder: 'press-07', helper: editing ? 'The key is part of the MQTT topic and cannot change.' : 'Used in the MQTT topic and user name.' })}
          {field('name', 'Display name', { placeholder: 'Press 7, hall B' })}
          <div className="fo-form-row">
            {field('manufacturer', 'Manufacturer')}
            {field('model', 'Model')}
          </div>
          {field('region', 'Area / line', { placeholder: 'Hall B' })}
          {editing && <Switch checked={fields.is_active} label="Active (receives data, shown in the overview)" onChange={(e) => setFields((f) => ({ ...f, is_active: e.currentTarget.checked }))} />}
          {failure && <div className="fo-field-error" data-testid="device-dialog-error">{failure}</div>}
        </DialogBody>
        <DialogFooter
          actions={
            <>
              <Button text="Cancel" onClick={onClose} />
              <Button type="submit" intent="primary" loading={busy} text={editing ? 'Save' : 'Create device'} data-testid="device-dialog-submit" />
            </>
          }
        />
      </form>
    </Dialog>
  );
}
