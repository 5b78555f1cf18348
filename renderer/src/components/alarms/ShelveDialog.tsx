/** Shelving: always timed and always explained (ISA-18.2); the server refuses a blank reason. */
import { Button, Dialog, DialogBody, DialogFooter, FormGroup, HTMLSelect, InputGroup } from '@blueprintjs/core';
import { useEffect, useState } from 'react';
import { ALERT_LIMITS } from '../../../../engine/contract/alerts.js';
import type { StreamAlarm } from '../../../../engine/contract/stream.js';

const DURATIONS = [15, 30, 60, 120, 240, 480, 720, 1440].filter((m) => m <= ALERT_LIMITS.maxShelveMinutes);

export function ShelveDialog({ alarm, onClose, onShelve }: { alarm: StreamAlarm | null; onClose: () => void; onShelve: (minutes: number, reason: string) => Promise<void> }) {
  const [minutes, setMinutes] = useState(60);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Each alarm starts clean: no reason or error left over from the last one.
  const alarmId = alarm?.id ?? null;
  useEffect(() => {
    if (alarmId === null) return;
    setReason('');
    setError(null);
  }, [alarmId]);
  const submit = async () => {
    if (!reason.trim()) {
      setError('Say why the alarm is shelved.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onShelve(minutes, reason.trim());
      setReason('');
      onClose();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog isOpen={alarm !== null} onClose={onClose} title={`Shelve alarm ${alarm?.id ?? ''}`} style={{ width: 420 }}>
      <DialogBody>
        <p className="fo-muted">{alarm?.message}</p>
        <FormGroup label="For">
          <HTMLSelect value={minutes} onChange={(e) => setMinutes(Number(e.currentTarget.value))} data-testid="shelve-minutes">
            {DURATIONS.map((m) => (
              <option key={m} value={m}>
                {m < 60 ? `${m} minutes` : `${m / 60} hour${m === 60 ? '' : 's'}`}
              </option>
            ))}
          </HTMLSelect>
        </FormGroup>
        <FormGroup label="Reason" helperText={error ?? 'Recorded in the alarm journal.'} intent={error ? 'danger' : 'none'}>
          <InputGroup
            value={reason}
            onValueChange={(value) => {
              setReason(value);
              setError(null);
            }}
            intent={error ? 'danger' : 'none'}
            autoFocus
            placeholder="e.g. sensor being replaced, work order 1234"
            data-testid="shelve-reason"
          />
        </FormGroup>
      </DialogBody>
      <DialogFooter
        actions={
          <>
            <Button text="Cancel" onClick={onClose} />
            <Button intent="warning" text="Shelve" loading={busy} onClick={() => void submit()} data-testid="shelve-confirm" />
          </>
        }
      />
    </Dialog>
  );
}
