/** OS notifications for critical alarms; a click brings the window forward and opens the alarm. */
import { Notification, type BrowserWindow } from 'electron';
import { IPC_EVENTS } from '../../engine/contract/ipc.js';
import type { NotificationPlan } from '../core/alarm-notifications.js';

export function showAlarmNotification(window: BrowserWindow, plan: NotificationPlan): void {
  if (!Notification.isSupported()) return;
  const notification = new Notification({ title: plan.title, body: plan.body, urgency: 'critical', timeoutType: 'never' });
  notification.on('click', () => {
    if (window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    window.webContents.send(IPC_EVENTS.alarmFocus.channel, { alarmId: plan.alarmId });
  });
  notification.show();
}
