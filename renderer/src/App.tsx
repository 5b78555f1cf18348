/**
 * The root: picks the screen from the session phase (starting, waiting for the server, signed
 * out, signed in) and, when signed in, the console with its pages or the wall display; an
 * invitation link (`/accept-invite?token=…`) shows the set-password page first. Also
 * applies the theme and sounds the optional alert for new critical alarms.
 */
import { NonIdealState, Spinner } from '@blueprintjs/core';
import { useEffect, useState } from 'react';
import { pageFor } from './app/pages';
import { AppShell } from './components/shell/AppShell';
import { beepCritical } from './lib/beep';
import { isNewCriticalRaise } from './lib/desktop-host';
import { useRoute } from './lib/router';
import { toast } from './lib/toaster';
import type { InviteLink } from './lib/invite-link';
import type { WallConfig } from './lib/wall';
import { AcceptInvitePage } from './pages/AcceptInvitePage';
import { SignInPage } from './pages/SignInPage';
import { WaitingPage } from './pages/WaitingPage';
import { WallPage } from './pages/WallPage';
import { alarmStore, onLiveAlarm } from './stores/alarm-store';
import { deviceLabel, devicesStore } from './stores/devices-store';
import { preferencesStore, usePreferences } from './stores/preferences-store';
import { useSession } from './stores/session-store';

function useTheme(wall: boolean): void {
  const theme = usePreferences((p) => p.theme);
  useEffect(() => {
    const dark = theme === 'dark';
    for (const el of [document.documentElement, document.body]) {
      // Blueprint's dark class on both: portals (dialogs, menus, toasts) mount under <body>.
      el.classList.toggle('bp6-dark', dark);
      el.classList.toggle('fo-light', !dark);
    }
    document.body.classList.toggle('fo-wall-body', wall);
  }, [theme, wall]);
}

/** New critical alarms: a beep when the person asked for it, and a toast on the console. */
function useCriticalAlert(wall: boolean): void {
  useEffect(
    () =>
      onLiveAlarm((delta) => {
        if (!isNewCriticalRaise(delta, alarmStore.getState().open.has(delta.alarm.id))) return;
        if (preferencesStore.getState().audibleCritical) beepCritical();
        if (wall) return;
        const device = devicesStore.getState().byId.get(delta.alarm.device_id);
        toast({
          intent: 'danger',
          icon: 'warning-sign',
          message: `CRITICAL · ${device ? deviceLabel(device) : `device ${delta.alarm.device_id}`} · ${delta.alarm.message ?? 'alarm raised'}`,
          timeout: 10_000,
        });
      }),
    [wall],
  );
}

function Console() {
  const route = useRoute();
  const entry = pageFor(route);
  return (
    <AppShell route={route}>
      {entry ? (
        entry.render(route)
      ) : (
        <NonIdealState icon="build" title="Not part of this build" description={`The ${route.page} page is not available in this version of the console.`} />
      )}
    </AppShell>
  );
}

export function App({ wall, invite = null }: { wall: WallConfig | null; invite?: InviteLink | null }) {
  const phase = useSession((s) => s.phase);
  const [pendingInvite, setPendingInvite] = useState(invite);
  useTheme(wall !== null);
  useCriticalAlert(wall !== null);
  if (pendingInvite && phase !== 'starting') {
    return (
      <AcceptInvitePage
        invite={pendingInvite}
        onAccepted={() => {
          // The token has done its work: the address becomes the console's, and a reload or
          // the back button does not offer the used link again.
          window.history.replaceState(null, '', '/#/overview');
          setPendingInvite(null);
        }}
      />
    );
  }
  switch (phase) {
    case 'starting':
      return (
        <div className="fo-signin" data-testid="starting">
          <Spinner size={40} />
        </div>
      );
    case 'waiting':
      return <WaitingPage wall={wall !== null} />;
    case 'signed_out':
      return <SignInPage />;
    default:
      return wall ? <WallPage config={wall} /> : <Console />;
  }
}
