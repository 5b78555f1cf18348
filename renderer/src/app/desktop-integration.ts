/**
 * Wires the desktop shell's optional calls (lib/desktop-host.ts) to the stores: each new
 * critical alarm becomes one OS notification, every change of the connection state is
 * reported for the tray, and a clicked notification opens the alarm in the console. Does
 * nothing for a call the host does not offer (a browser offers none).
 */
import { navigate } from '../lib/router.js';
import { alarmNoticeOf, connectionStateOf, isNewCriticalRaise, OncePerAlarm, type DesktopCalls } from '../lib/desktop-host.js';
import { alarmStore, onLiveAlarm } from '../stores/alarm-store.js';
import { requestAlarmFocus } from '../stores/alarm-focus-store.js';
import { deviceLabel, devicesStore } from '../stores/devices-store.js';
import { linkStore } from '../stores/link-store.js';
import { sessionStore } from '../stores/session-store.js';

/** Call once at start-up. `wall`: a wall display has no console to open an alarm in. */
export function bindDesktopIntegration(calls: DesktopCalls, options: { wall: boolean }): void {
  const { notifyAlarm, reportConnection, onAlarmFocus } = calls;

  if (notifyAlarm) {
    const announced = new OncePerAlarm();
    onLiveAlarm((delta) => {
      if (!isNewCriticalRaise(delta, alarmStore.getState().open.has(delta.alarm.id)) || !announced.first(delta.alarm.id)) return;
      const device = devicesStore.getState().byId.get(delta.alarm.device_id);
      // A refused or failed notification must never disturb the console.
      notifyAlarm(alarmNoticeOf(delta, device ? deviceLabel(device) : `Device ${delta.alarm.device_id}`)).catch(() => {});
    });
    // Another person's session in this window starts with nothing announced.
    sessionStore.subscribe((s, prev) => s.phase === 'signed_out' && prev.phase !== 'signed_out' && announced.clear());
  }

  if (reportConnection) {
    let last: string | null = null;
    const report = () => {
      const state = connectionStateOf(sessionStore.getState().phase, linkStore.getState().state);
      if (state === last) return;
      last = state;
      reportConnection(state).catch(() => {
        last = null; // try again with the next change
      });
    };
    sessionStore.subscribe(report);
    linkStore.subscribe(report);
    report();
  }

  if (onAlarmFocus && !options.wall) {
    onAlarmFocus((alarmId) => {
      navigate({ page: 'alarms' });
      requestAlarmFocus(alarmId);
    });
  }
}
