/** Preferences of this workstation: theme, audible alarms, when values count as stale or offline. */
import { FormGroup, NumericInput, SegmentedControl, Switch } from '@blueprintjs/core';
import { transport } from '../api/transport';
import { unlockAudio } from '../lib/beep';
import { setPreference, usePreferences } from '../stores/preferences-store';
import { useSession } from '../stores/session-store';

export function SettingsPage() {
  const prefs = usePreferences((p) => p);
  const user = useSession((s) => s.user);
  const factory = useSession((s) => s.factory);
  return (
    <div style={{ maxWidth: 560 }}>
      <div className="fo-page-title">
        <h2>Preferences</h2>
        <span className="fo-muted">this workstation</span>
      </div>
      <section className="fo-section">
        <div className="fo-section-body">
          <FormGroup label="Theme" helperText="Dark suits control rooms; light suits offices and daylight.">
            <SegmentedControl
              options={[
                { label: 'Dark', value: 'dark' },
                { label: 'Light', value: 'light' },
              ]}
              value={prefs.theme}
              onValueChange={(v) => setPreference('theme', v === 'light' ? 'light' : 'dark')}
              data-testid="theme-choice"
            />
          </FormGroup>
          <FormGroup label="Audible alert" helperText="A short tone when a new critical alarm is raised.">
            <Switch
              checked={prefs.audibleCritical}
              label="Beep on new critical alarms"
              onChange={(e) => {
                const on = e.currentTarget.checked;
                if (on) unlockAudio();
                setPreference('audibleCritical', on);
              }}
            />
          </FormGroup>
          <FormGroup label="A value is stale after (seconds)" helperText="Older values are greyed and struck through, never shown as current.">
            <NumericInput min={5} max={86_400} value={prefs.staleAfterSeconds} onValueChange={(n) => Number.isFinite(n) && n >= 5 && setPreference('staleAfterSeconds', n)} />
          </FormGroup>
          <FormGroup label="A device is offline after (seconds)">
            <NumericInput min={10} max={86_400} value={prefs.offlineAfterSeconds} onValueChange={(n) => Number.isFinite(n) && n >= 10 && setPreference('offlineAfterSeconds', n)} />
          </FormGroup>
        </div>
      </section>
      <section className="fo-section">
        <div className="fo-section-body fo-muted">
          Signed in as {user?.email} ({user?.role}) · factory {factory?.name} · server {transport().serverLabel}
          {transport().profileName ? ` · profile ${transport().profileName}` : ''}
        </div>
      </section>
    </div>
  );
}
