/** The person's menu: theme, audible alarms, sign out. */
import { Button, Menu, MenuDivider, MenuItem, PopoverNext } from '@blueprintjs/core';
import { unlockAudio } from '../../lib/beep';
import { setPreference, usePreferences } from '../../stores/preferences-store';
import { signOut, useSession } from '../../stores/session-store';

export function UserMenu() {
  const user = useSession((s) => s.user);
  const theme = usePreferences((p) => p.theme);
  const audible = usePreferences((p) => p.audibleCritical);
  return (
    <PopoverNext
      placement="bottom-end"
      content={
        <Menu>
          <MenuItem disabled text={`${user?.email ?? ''} · ${user?.role ?? ''}`} />
          <MenuDivider />
          <MenuItem icon={theme === 'dark' ? 'flash' : 'moon'} text={theme === 'dark' ? 'Light theme' : 'Dark theme'} onClick={() => setPreference('theme', theme === 'dark' ? 'light' : 'dark')} />
          <MenuItem
            icon={audible ? 'volume-up' : 'volume-off'}
            text={audible ? 'Audible critical alarms: on' : 'Audible critical alarms: off'}
            onClick={() => {
              if (!audible) unlockAudio();
              setPreference('audibleCritical', !audible);
            }}
          />
          <MenuItem icon="cog" text="Preferences" href="#/settings" data-testid="open-settings" />
          <MenuItem icon="desktop" text="Open wall display" href="?wall=1" target="_blank" />
          <MenuDivider />
          <MenuItem icon="log-out" text="Sign out" data-testid="sign-out" onClick={() => void signOut()} />
        </Menu>
      }
    >
      <Button variant="minimal" icon="user" endIcon="caret-down" text={user?.email} data-testid="user-menu" />
    </PopoverNext>
  );
}
