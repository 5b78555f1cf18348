/**
 * Shows a device's API key right after create or rotate — the only time it is ever visible
 * (the server keeps only a hash). Copy button, and how the device uses it over MQTT.
 */
import { Button, Callout, Dialog, DialogBody, DialogFooter, InputGroup } from '@blueprintjs/core';
import { useState } from 'react';
import type { DeviceWithKey } from '../../api/types';
import { useSession } from '../../stores/session-store';

async function copyText(text: string, fallbackInput: HTMLInputElement | null): Promise<boolean> {
  try {
    // Needs a secure context (https or localhost); the site server normally is one.
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!fallbackInput) return false;
    fallbackInput.select();
    return document.execCommand('copy');
  }
}

export function ApiKeyDialog({ device, onClose }: { device: DeviceWithKey | null; onClose: () => void }) {
  const slug = useSession((s) => s.factory?.slug ?? 'factory');
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const [input, setInput] = useState<HTMLInputElement | null>(null);
  const close = () => {
    setCopied(null);
    onClose();
  };
  return (
    <Dialog isOpen={device !== null} onClose={close} title={`API key for ${device?.name || device?.device_key || ''}`} style={{ width: 560 }} canOutsideClickClose={false}>
      <DialogBody>
        <Callout intent="warning" compact icon="key">
          Copy this key now. It is shown only once; the server keeps only a hash. If it is lost, rotate the key.
        </Callout>
        <div className="fo-toolbar" style={{ margin: '12px 0' }}>
          <InputGroup inputRef={setInput} readOnly value={device?.api_key ?? ''} className="fo-mono" fill data-testid="api-key" onFocus={(e) => e.currentTarget.select()} />
          <Button
            icon={copied === 'yes' ? 'tick' : 'duplicate'}
            intent={copied === 'yes' ? 'success' : 'none'}
            text={copied === 'yes' ? 'Copied' : 'Copy'}
            onClick={() => void copyText(device?.api_key ?? '', input).then((ok) => setCopied(ok ? 'yes' : 'failed'))}
            data-testid="copy-api-key"
          />
        </div>
        {copied === 'failed' && <div className="fo-field-error">Copying is blocked here: select the key and copy it by hand.</div>}
        <table className="fo-kvtable">
          <tbody>
            <tr>
              <th>MQTT user name</th>
              <td className="fo-mono">
                {slug}/{device?.device_key}
              </td>
            </tr>
            <tr>
              <th>MQTT password</th>
              <td>the key above</td>
            </tr>
            <tr>
              <th>Topic</th>
              <td className="fo-mono">
                factories/{slug}/devices/{device?.device_key}/telemetry
              </td>
            </tr>
            <tr>
              <th>Payload</th>
              <td className="fo-mono">{'{"metrics":{"temperature":21.5}}'}</td>
            </tr>
          </tbody>
        </table>
      </DialogBody>
      <DialogFooter actions={<Button intent="primary" text="I have stored the key" onClick={close} data-testid="api-key-done" />} />
    </Dialog>
  );
}
